#!/usr/bin/env python3
"""The seed's learning-rate range test in Python and numpy: the reference lrfinder must match bit for bit.

  reference.py check FILE.h5     re-run every trial of an lrfinder output file with the seed's loop and
                                 compare trajectories, steps and status bit for bit (exit 1 on any difference)
  reference.py golden            print the C++ golden cases (tests/golden_cases.inc) from this loop; numpy
                                 before 2.3 and from 2.3 on each give the large-data case in their own
                                 summation order, so the file holds both (scripts/make-golden.sh)

`seed_trial` is the seed's loop as written in the seed document (np.mean of the squared error, lr grown by
repeated + or *), with one addition the tool makes: where w stops moving the seed's secant is 0/0 and every
later value NaN, so the trial ends there, marked stalled.
"""
import struct
import sys

import numpy as np

DIVERGED, COMPLETED, STALLED, ROSE = 0, 1, 2, 3
LINEAR, EXP = 0, 1


def numpy_sum_block(n):
    """How this numpy splits np.mean's sum: 8192-element buffers before 2.3, the whole array from 2.3 on."""
    major, minor = (int(p) for p in np.__version__.split(".")[:2])
    return 8192 if (major, minor) < (2, 3) else n


def seed_trial(x, y, w0, scan, factor, base_lr=1e-7, epochs=500, diverge=1e7, stop_factor=0.0):
    """One trial of the seed's loop. Returns (lrs, losses, weights, status) as Python lists of floats.
    stop_factor > 0 (lrfinder's --stop-factor) also ends it at a loss above stop_factor times the lowest."""

    def loss_fn(w):
        return np.mean((y - w * x) ** 2)

    lr = base_lr
    w_ = w0
    loss_ = loss_fn(w_)
    weights, losses, lrs = [w_], [loss_], [lr]
    dldw = 1
    lowest = loss_
    status = COMPLETED
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(epochs):
            w_ -= lr * dldw
            loss_ = loss_fn(w_)
            stalled = w_ == weights[-1]
            dldw = (loss_ - losses[-1]) / (w_ - weights[-1])
            lrs.append(lr)
            losses.append(loss_)
            weights.append(w_)
            lr = lr + factor if scan == LINEAR else lr * factor
            lowest = min(lowest, loss_)
            if loss_ > diverge:
                status = DIVERGED
                break
            if stop_factor > 0 and loss_ > stop_factor * lowest:
                status = ROSE
                break
            if stalled:
                status = STALLED
                break
    return [float(v) for v in lrs], [float(v) for v in losses], [float(v) for v in weights], status


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def check(path):
    import h5py

    with h5py.File(path, "r") as f:
        x, y = f["/data/x"][...], f["/data/y"][...]
        base_lr, epochs, diverge = (f.attrs[k].item() for k in ("base_lr", "epochs", "diverge"))
        stop_factor = f.attrs["stop_factor"].item() if "stop_factor" in f.attrs else 0.0
        block = int(f.attrs["sum_block"])
        if "/trials" not in f:
            print(f"reference: {path}: a statistics-only file (--save stats) holds no trials to check",
                  file=sys.stderr)
            return 2
        t = f["/trials"]
        w0s, scans, factors = t["start_weight"][...], t["scan"][...], t["factor"][...]
        steps, status = t["steps"][...], t["status"][...]
        arrays = {name: f[name][...] for name in ("lr", "loss", "weight") if name in f}
    if block != numpy_sum_block(len(x)) and len(x) > 8192:
        sys.exit(f"reference: {path} was made with sum_block {block}, this numpy {np.__version__} sums "
                 f"with {numpy_sum_block(len(x))}; rerun lrfinder with the matching --numpy-sum")
    passed = failed = 0
    for i in range(len(w0s)):
        lrs, losses, weights, st = seed_trial(x, y, float(w0s[i]), int(scans[i]), float(factors[i]),
                                              base_lr, int(epochs), diverge, stop_factor)
        want = {"lr": lrs, "loss": losses, "weight": weights}
        ok = int(steps[i]) == len(lrs) - 1 and int(status[i]) == st
        for name, got in arrays.items():
            row = np.full(int(epochs) + 1, np.nan)
            row[: len(want[name])] = want[name]
            row = row.astype(got.dtype)  # f32 storage: the float64 value rounded once
            ok = ok and row.tobytes() == np.ascontiguousarray(got[i]).tobytes()
        if ok:
            passed += 1
        else:
            failed += 1
            if failed <= 5:
                print(f"trial {i}: differs from the seed's loop (steps {steps[i]} vs {len(lrs) - 1}, "
                      f"status {status[i]} vs {st})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


# Golden cases: (name, data, start weight, scan, factor, epochs, sum block) -> the C++ tests' expectations.
# Data sets the C++ tests rebuild with the same IEEE operations (tests/golden_test.cpp, golden_data):
# 0 is the seed's, 1 a larger one (20011 points, past numpy's 8192-element buffers) with a fixed wobble.
def golden_data(data_id):
    if data_id == 0:
        x = np.linspace(0, 10, 100)
        return x, 2.5 * x
    x = np.linspace(-3, 7, 20011)
    return x, 1.5 * x + ((np.arange(x.size) * 7919) % 101 - 50) * 0.01


def golden_cases():
    return [
        ("seed_linear_w8", 0, 8.0, LINEAR, 5e-4, 500),
        ("seed_exp_wm3", 0, -3.0, EXP, 1.1, 500),
        ("seed_linear_w2_4", 0, 2.4, LINEAR, 5e-4, 500),
        ("seed_exp_short", 0, 9.75, EXP, 1.05, 40),
        ("seed_exp_stall", 0, 2.5000001, EXP, 1.001, 500),
        ("big_exp", 1, 6.0, EXP, 1.2, 500),
    ]


def golden():
    """One golden case per case, made with this numpy's summation (sum block 8192 or the whole array)."""
    out = []
    for name, data_id, w0, scan, factor, epochs in golden_cases():
        x, y = golden_data(data_id)
        block = numpy_sum_block(len(x))
        if len(x) > 8192:
            name += "_blocked" if block == 8192 else "_whole"
        lrs, losses, weights, st = seed_trial(x, y, w0, scan, factor, epochs=epochs)
        arr = lambda vals: "{" + ", ".join(f"0x{bits(v):016x}ull" for v in vals) + "}"
        out.append(f'{{"{name}", {data_id}, {w0!r}, {scan}, {factor!r}, {epochs}, {block}, {st}, '
                   f"{len(lrs) - 1},\n  {arr(lrs)},\n  {arr(losses)},\n  {arr(weights)}}},")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) == 2 and sys.argv[1] == "golden":
        golden()
        sys.exit(0)
    sys.exit(__doc__)
