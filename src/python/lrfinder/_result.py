"""A result file of lrfinder (written by lrfinder.run, `lrfinder run` or `lrfinder merge`) as Python objects."""
import json
import os
import shutil
import tempfile

import h5py
import numpy as np

from . import _lrfinder

SCANS = ("linear", "exp")  # /trials/scan
STATUSES = ("diverged", "completed", "stalled", "rose")  # /trials/status


def open(path):
    """The result file at `path` as a Result (its arrays are read when first asked for)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    return Result(path)


class Result:
    """One result file: the trials, their trajectories, the rules' answers and their statistics.

    trials         pandas DataFrame, one row per trial (index: the run's trial number): start_weight,
                   scan and status (categorical), factor, steps, suggested_lr
    suggestions    pandas DataFrame, one column per rule (lrfinder.rules()): each trial's suggested lr
    loss, lr, weight
                   numpy arrays (trial, step), NaN past each trial's end; None where the run kept none
                   (save=)
    data           (x, y) the run fitted, numpy arrays
    stats          the statistics as `lrfinder report --json` prints them (a dict)
    answer         the headline: stats["answer"] (lr, interval, whether the answers split into modes)
    suggested_lr   the headline rule's answer: one learning rate
    attrs          the file's root attributes (every setting of the run)
    """

    def __init__(self, path, _keep=None):
        self.path = path
        self._keep = _keep  # a temporary folder that holds the file, removed with this object
        self._cache = {}
        self.run_info = None  # for a run of this process: backend, device and timings
        with h5py.File(path, "r") as f:
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}

    def __repr__(self):
        answer, headline = self.answer, self.stats.get("headline", {})
        ci = answer.get("median_ci95") or [None, None]
        modes = len(answer.get("modes", []))
        split = f", split into {modes} modes" if modes > 1 else ""
        return (f"<lrfinder.Result {self.path}: {self.stats.get('trials')} trials, lr {_short(answer.get('lr'))} "
                f"[{_short(ci[0])}, {_short(ci[1])}] (rule {headline.get('rule')}){split}>")

    # ---- statistics (lrfinder's own, from the engine) ----------------------------------------------
    @property
    def stats(self):
        if "stats" not in self._cache:
            self._cache["stats"] = json.loads(_lrfinder.report(self.path))
        return self._cache["stats"]

    @property
    def answer(self):
        return self.stats.get("answer", {})

    @property
    def suggested_lr(self):
        lr = self.answer.get("lr")
        return float("nan") if lr is None else lr

    # ---- per-trial tables -----------------------------------------------------------------------
    @property
    def trials(self):
        def read(g, pd):
            columns = {name: g[name][()] for name in ("start_weight", "scan", "factor", "steps", "status",
                                                      "suggested_lr")}
            for name in ("scan", "status"):
                columns[name] = pd.Categorical.from_codes(columns[name].astype(np.int64), _codes(g[name], name))
            return columns

        return self._table("trials", "trials", read)

    @property
    def suggestions(self):
        return self._table("suggestions", "trials/suggest",
                           lambda g, pd: {r: g[r][()] for r in _lrfinder.rules() if r in g})

    def _table(self, key, group, read):
        """The DataFrame of `group`'s per-trial columns (read(group, pandas) gives them), indexed by trial."""
        if key not in self._cache:
            import pandas as pd

            with h5py.File(self.path, "r") as f:
                if group not in f:
                    raise ValueError(f"{self.path}: a statistics-only file (save='stats') keeps no trials")
                columns = read(f[group], pd)
            count = len(next(iter(columns.values())))
            self._cache[key] = pd.DataFrame(columns, index=self._trial_index(count))
        return self._cache[key]

    def _trial_index(self, count):
        import pandas as pd

        first = int(self.attrs.get("first_trial", 0))
        return pd.RangeIndex(first, first + count, name="trial")

    # ---- trajectories ---------------------------------------------------------------------------
    def _trajectory(self, name):
        if name not in self._cache:
            with h5py.File(self.path, "r") as f:
                self._cache[name] = f[name][()].astype(np.float64) if name in f else None
        return self._cache[name]

    @property
    def loss(self):
        return self._trajectory("loss")

    @property
    def lr(self):
        return self._trajectory("lr")

    @property
    def weight(self):
        return self._trajectory("weight")

    @property
    def data(self):
        with h5py.File(self.path, "r") as f:
            return f["data/x"][()], f["data/y"][()]

    def to_xarray(self):
        """The trajectories and the per-trial table as one xarray Dataset, dimensions trial and step."""
        import xarray as xr

        trials = self.trials
        variables = {name: ("trial", trials[name].to_numpy() if name not in ("scan", "status")
                            else np.asarray(trials[name].astype(str)))
                     for name in trials.columns}
        for rule, values in self.suggestions.items():
            variables[f"suggest_{rule}"] = ("trial", values.to_numpy())
        steps = None
        for name in ("loss", "lr", "weight"):
            values = self._trajectory(name)
            if values is not None:
                variables[name] = (("trial", "step"), values)
                steps = values.shape[1]
        coords = {"trial": trials.index.to_numpy()}
        if steps is not None:
            coords["step"] = np.arange(steps)
        return xr.Dataset(variables, coords=coords, attrs=dict(self.attrs))

    # ---- output ---------------------------------------------------------------------------------
    def save(self, path, overwrite=False):
        """Writes the result file (the bytes lrfinder wrote) to `path`; an existing file only with
        overwrite=True. The copy appears under its name only when complete."""
        path = os.fspath(path)
        if os.path.lexists(path) and not overwrite:
            raise FileExistsError(f"{path}: exists (save(..., overwrite=True) replaces it)")
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path)):
            raise ValueError(f"{path}: is not a regular file; save replaces only a result file")
        folder = os.path.dirname(os.path.abspath(path))
        handle, partial = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".partial")
        os.close(handle)
        try:
            shutil.copyfile(self.path, partial)
            os.replace(partial, path)
        except BaseException:
            os.unlink(partial)
            raise
        return path

    def plot(self, folder=None, dpi=100):
        """Writes the figures of `lrfinder run --plot` (README "Plots") into `folder` (default: the file's
        name without .h5, plus "-plots") and returns their paths."""
        from . import _plot

        folder = os.fspath(folder) if folder is not None else os.path.splitext(self.path)[0] + "-plots"
        return _plot.write_plots(self.path, folder, self.stats, dpi=dpi)


def _plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _short(v):
    return "-" if v is None or v != v else f"{v:.3g}"


def _codes(dataset, name):
    """The names of an enum dataset's codes, in code order (the file's enum type, where it has one)."""
    mapping = h5py.check_enum_dtype(dataset.dtype)
    if mapping:
        return sorted(mapping, key=mapping.get)
    return list(SCANS if name == "scan" else STATUSES)
