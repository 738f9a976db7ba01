"""lrfinder.run: a run of the range test in this process, into a result file, opened as a Result."""
import os
import sys
import tempfile

import numpy as np

from . import _lrfinder
from ._result import Result


def run(x=None, y=None, *, columns=None, header=True, sep=None, decimal=None, trials=None, scan=None, factors=None, linear_factors=None, exp_factors=None,
        end_lr=None, epochs=None, base_lr=None, diverge=None, stop_factor=None, w_min=None, w_max=None,
        seed=None, loss=None, minibatch=None, arith=None, numpy_sum=None, backend="auto", threads=None,
        devices=None, batch=None, trials_from=None, shard=None, save=None, precision=None, compress=None,
        suggest=None, smooth=None, skip_begin=None, skip_end=None, output=None, overwrite=False,
        resume=True, progress=None, quiet=False):
    """Runs the trials and returns their Result.

    Data: `x` and `y` (1-D, equal length, finite), or `x` alone as the path of a data file (CSV or HDF5,
    as `--data`; `columns` "X,Y" or a pair of names or indices, header=False, `sep` "comma", "semicolon",
    "tab" or "space" and `decimal` "point" or "comma" as `--columns`, `--no-header`, `--sep` and
    `--decimal`), or neither for the seed's y = 2.5x.

    Every other keyword is the `lrfinder run` option of that name (`base_lr` for `--base-lr`; README
    "Options"), None for its default. Factors are a list (trials cycle through them) or "LO:HI" (each trial
    draws log-uniformly); `factors` sets those of the one scan that runs (scan="linear" or "exp").
    `devices` is a list of GPU ordinals.

    output: the file to write (default: a temporary file, kept while the Result lives; Result.save copies
    it). progress: None (a bar where stderr is a terminal or in a notebook), True, False, or a callable
    taking (trials done, trials in all, seconds). quiet: no notes on stderr (a resumed file, a fallback
    from cuda to cpu).

    Ctrl-C (KeyboardInterrupt) stops the run after its current batch and removes the partial file. Bad
    settings raise ValueError naming the setting; a failed run, RuntimeError.
    """
    settings = {
        "trials": trials, "epochs": epochs, "base_lr": base_lr, "diverge": diverge, "stop_factor": stop_factor,
        "scan": scan, "end_lr": end_lr, "w_min": w_min, "w_max": w_max, "seed": seed, "loss": loss,
        "minibatch": minibatch, "arith": arith, "numpy_sum": numpy_sum, "backend": backend, "threads": threads,
        "batch": batch, "trials_from": _path(trials_from), "shard": shard, "save": save, "precision": precision,
        "compress": compress, "suggest": suggest, "smooth": smooth, "skip_begin": skip_begin,
        "skip_end": skip_end, "overwrite": overwrite, "resume": resume,
    }
    settings.update(_factor_settings(scan, factors, linear_factors, exp_factors))
    if columns is not None or not header or sep is not None or decimal is not None:
        if not isinstance(x, (str, os.PathLike)) or y is not None:
            raise ValueError("columns, header, sep and decimal: only with the path of a data file as x")
        settings.update(columns=columns if columns is None or isinstance(columns, str)
                        else ",".join(str(c) for c in columns), header=header, sep=sep, decimal=decimal)
    if devices is not None:
        settings["devices"] = ",".join(str(int(d)) for d in devices) if not isinstance(devices, str) else devices
    xs, ys = _data(x, y, settings)
    settings["command_line"] = _call_text(settings, xs)

    keep = None
    if output is None:
        keep = tempfile.TemporaryDirectory(prefix="lrfinder-")
        output = os.path.join(keep.name, "lrfinder.h5")
    settings["output"] = _path(output)

    bar = _progress(progress)
    try:
        done = _lrfinder.run(settings, xs, ys, bar)
    finally:
        if hasattr(bar, "close"):
            bar.close()
    if not quiet:
        for note in done["notes"]:
            print(f"lrfinder: {note}", file=sys.stderr)
    result = Result(done["output"], _keep=keep)
    result.run_info = {k: done[k] for k in ("backend", "device", "compute_seconds", "write_seconds",
                                            "total_seconds", "trials_run", "steps_run")}
    return result


def _path(value):
    return None if value is None else os.fspath(value)


def _factors(value):
    """A list of factors as "a,b,c"; a string ("a,b" or "LO:HI") as it is."""
    if value is None or isinstance(value, str):
        return value
    return ",".join(repr(float(f)) for f in value)


def _factor_settings(scan, factors, linear, exp):
    out = {"linear_factors": _factors(linear), "exp_factors": _factors(exp)}
    if factors is not None:
        if scan not in ("linear", "exp"):
            raise ValueError("factors: give scan='linear' or scan='exp' (with both scans, give linear_factors= "
                             "and exp_factors=)")
        if out[f"{scan}_factors"] is not None:
            raise ValueError(f"factors: {scan}_factors= is given too")
        out[f"{scan}_factors"] = _factors(factors)
    return out


def _data(x, y, settings):
    """The data as two float64 arrays, or (None, None) with settings["data"] a path (or the seed's)."""
    if x is None and y is None:
        return None, None
    if y is None and isinstance(x, (str, os.PathLike)):
        settings["data"] = os.fspath(x)
        return None, None
    if x is None or y is None:
        raise ValueError("data: give both x and y (or x alone as the path of a data file)")
    xs = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1))
    ys = np.ascontiguousarray(np.asarray(y, dtype=np.float64).reshape(-1))
    if len(xs) != len(ys):
        raise ValueError(f"data: x has {len(xs)} values and y {len(ys)}")
    if len(xs) == 0:
        raise ValueError("data: x and y are empty")
    for name, values in (("x", xs), ("y", ys)):
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise ValueError(f"data: {name}[{bad[0]}] is {values[bad[0]]}; the data must be finite")
    return xs, ys


def _call_text(settings, xs):
    """The file's command_line: this call, with the settings given."""
    given = [f"{k}={v!r}" for k, v in settings.items()
             if v is not None and not (k == "resume" and v) and not (k == "overwrite" and not v)]
    data = [f"x, y ({len(xs)} points)"] if xs is not None else []
    return "lrfinder.run(" + ", ".join(data + given) + ")"


class _Bar:
    """A progress line on stderr, redrawn in place: trials done, rate, time left."""

    def __call__(self, done, total, seconds):
        rate = done / seconds if seconds > 0 else 0
        left = f", {(total - done) / rate:.0f} s left" if rate > 0 else ""
        print(f"\r{done}/{total} trials ({100 * done / total:.0f}%), {rate:.4g} trials/s{left}   ",
              end="", file=sys.stderr, flush=True)

    def close(self):
        print("\r\033[K", end="", file=sys.stderr, flush=True)


class _Tqdm:
    """tqdm's bar (tqdm.auto: a widget in notebooks), fed the trials done."""

    def __init__(self, tqdm):
        self.tqdm, self.bar = tqdm, None

    def __call__(self, done, total, seconds):
        if self.bar is None:
            self.bar = self.tqdm(total=total, unit="trial", unit_scale=True, desc="lrfinder")
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _progress(progress):
    if callable(progress):
        return progress
    if progress is False or (progress is None and not (_in_notebook() or sys.stderr.isatty())):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Bar()
    return _Tqdm(tqdm)


def _in_notebook():
    shell = sys.modules.get("IPython")
    return shell is not None and getattr(shell.get_ipython(), "kernel", None) is not None
