#!/usr/bin/env python3
"""Check an lrfinder file's library rules against the Python ports, trial by trial, bit for bit.

    python3 tests/ports/check_library_rules.py FILE.h5 [FILE.h5 ...] [--jobs N] [--limit N] [--literal-valley]

For every trial it recomputes every rule in library_rules.RULES from the stored row of /loss and the trial's
scan, factor, steps and status (root attributes base_lr and epochs), and compares the result with
/trials/suggest/<rule>: NaN equals NaN, anything else must be the identical float64 (the same 64 bits).

Prints, per file, one line per rule, `rule: N trials, M differ`, and for the first 5 differing trials the trial
index (row in the file), both values, steps and status. Exit status: 1 if any rule differs or a rule's dataset is
missing; else 2 if a file could not be checked (/loss stored as f32, which the ports cannot use: the check needs
the float64 losses; or /loss not saved); else 0.

Trials are read in blocks of at most 65536 rows (fewer for long rows, about 256 MiB of losses per block).
"""
import argparse
import concurrent.futures
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import library_rules as L  # noqa: E402

MAX_BLOCK = 65536
SHOW = 5


def _same(a, b):
    """Bitwise float64 equality, with every NaN equal to every NaN."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    return both_nan | (a.view(np.uint64) == b.view(np.uint64))


def _compute_chunk(job):
    loss, scan, factor, steps, status, base_lr, epochs, literal_valley = job
    out = {name: np.empty(len(steps), dtype=np.float64) for name in L.RULES}
    for k in range(len(steps)):
        res = L.suggest_all(loss[k], base_lr, int(scan[k]), float(factor[k]), int(steps[k]), int(status[k]), epochs,
                            literal_valley=literal_valley)
        for name, v in res.items():
            out[name][k] = v
    return out


def check_file(path, jobs, limit, literal_valley, pool):
    print(f"== {path}")
    with h5py.File(path, "r") as f:
        if "loss" not in f:
            print("  /loss is not in the file (run with --save including loss): cannot check")
            return 2
        loss_ds = f["loss"]
        if loss_ds.dtype == np.float32:
            print("  /loss is stored as f32 (--precision f32): the check needs the float64 losses; cannot check")
            return 2
        if loss_ds.dtype != np.float64:
            print(f"  /loss has dtype {loss_ds.dtype}, not f64: cannot check")
            return 2
        base_lr = float(f.attrs["base_lr"])
        epochs = int(f.attrs["epochs"])
        t = f["trials"]
        n = t["steps"].shape[0]
        if limit is not None:
            n = min(n, limit)
        if loss_ds.shape[0] < n:
            print(f"  /loss has {loss_ds.shape[0]} rows for {n} trials: cannot check")
            return 2
        sug = t["suggest"] if "suggest" in t else {}
        missing = [name for name in L.RULES if name not in sug]
        present = [name for name in L.RULES if name in sug]
        differ = {name: 0 for name in present}
        examples = {name: [] for name in present}
        row_len = loss_ds.shape[1]
        block = max(1, min(MAX_BLOCK, (256 << 20) // (8 * max(row_len, 1))))
        for start in range(0, n, block):
            stop = min(n, start + block)
            loss = loss_ds[start:stop].astype(np.float64, copy=False)
            scan = t["scan"][start:stop]
            factor = t["factor"][start:stop]
            steps = t["steps"][start:stop]
            status = t["status"][start:stop]
            stored = {name: sug[name][start:stop] for name in present}
            m = stop - start
            piece = max(1, min(1024, -(-m // max(1, jobs * 4))))
            cuts = list(range(0, m, piece))
            work = [(loss[a:a + piece], scan[a:a + piece], factor[a:a + piece], steps[a:a + piece],
                     status[a:a + piece], base_lr, epochs, literal_valley) for a in cuts]
            results = pool.map(_compute_chunk, work) if pool is not None else map(_compute_chunk, work)
            for a, res in zip(cuts, results):
                for name in present:
                    got = res[name]
                    want = stored[name][a:a + len(got)]
                    ok = _same(got, want)
                    bad = np.flatnonzero(~ok)
                    differ[name] += len(bad)
                    for j in bad[: max(0, SHOW - len(examples[name]))]:
                        i = start + a + int(j)
                        examples[name].append((i, float(want[j]), float(got[j]), int(steps[a + j]),
                                               int(status[a + j])))
    rc = 0
    for name in L.RULES:
        if name in missing:
            print(f"{name}: dataset /trials/suggest/{name} is missing")
            rc = 1
            continue
        print(f"{name}: {n} trials, {differ[name]} differ")
        for i, want, got, st, stat in examples[name]:
            print(f"  trial {i}: file {want!r}, port {got!r}, steps {st}, status {stat}")
        if differ[name]:
            rc = 1
    return rc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all CPUs)")
    ap.add_argument("--limit", type=int, default=None, help="check only the first N trials of each file")
    ap.add_argument("--literal-valley", action="store_true",
                    help="use fastai's literal O(n^2) valley loop instead of the O(n log n) equivalent")
    args = ap.parse_args(argv)
    pool = concurrent.futures.ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    worst = 0
    try:
        for path in args.files:
            rc = check_file(path, args.jobs, args.limit, args.literal_valley, pool)
            if rc == 1 or (rc == 2 and worst == 0):
                worst = rc
    finally:
        if pool is not None:
            pool.shutdown()
    return worst


if __name__ == "__main__":
    sys.exit(main())
