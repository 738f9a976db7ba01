#!/usr/bin/env python3
"""The plots of a small run: scripts/plot and `lrfinder run --plot` write every PNG, and each decodes and is
not blank; without trajectories (--save none) every plot but loss_vs_lr; a failing plot fails the run. Also
checks that `lrfinder report --json` is valid JSON. Exit 77 (skipped) without numpy, h5py
or matplotlib.

  tests/plot_check.py LRFINDER PLOT_SCRIPT WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

PNGS = ["data.png", "loss_vs_w.png", "loss_vs_lr.png", "suggestions.png"]


def check_pngs(folder, names=PNGS):
    import matplotlib.image

    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            sys.exit(f"FAILED: {path} was not written")
        image = matplotlib.image.imread(path)
        if image.ndim != 3 or image.shape[0] < 100 or image.shape[1] < 100:
            sys.exit(f"FAILED: {path} has shape {image.shape}")
        if not image[..., :3].var() > 0:
            sys.exit(f"FAILED: {path} is blank")
        print(f"ok {path} {image.shape[1]}x{image.shape[0]}")


def main():
    lrfinder, plot, work = (os.path.abspath(a) for a in sys.argv[1:4])
    try:
        import h5py  # noqa: F401
        import matplotlib

        matplotlib.use("Agg")
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"skipped: {e} (pip install -r scripts/requirements.txt)")
        sys.exit(77)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    run = lambda *args: subprocess.run(args, check=True, cwd=work, capture_output=True, text=True)
    # Three groups (two exp factors), few epochs so that some trials complete instead of diverging.
    run(lrfinder, "run", "-n", "300", "--exp-factors", "1.1,1.2", "-q", "-o", "small.h5")
    out = run(sys.executable, plot, "small.h5", "-o", "pngs", "--dpi", "60").stdout
    if "loss_vs_lr.png" not in out:
        sys.exit(f"FAILED: scripts/plot said {out!r}")
    check_pngs(os.path.join(work, "pngs"))
    # Drawn factors (one group per scan) through `lrfinder run --plot`: the PNGs go to small2-plots/.
    run(lrfinder, "run", "-n", "200", "--linear-factors", "1e-4:1e-3", "--epochs", "80", "-q", "--plot",
        "-o", "small2.h5")
    check_pngs(os.path.join(work, "small2-plots"))
    # A file without trajectories (--save none): every plot but loss_vs_lr, said so, and exit 0.
    out = run(lrfinder, "run", "-n", "100", "--epochs", "80", "--save", "none", "--plot", "-o", "none.h5").stdout
    if "no loss_vs_lr.png: the file keeps no /loss" not in out:
        sys.exit(f"FAILED: run --save none --plot said {out!r}")
    check_pngs(os.path.join(work, "none-plots"), [p for p in PNGS if p != "loss_vs_lr.png"])
    # A plot that fails is an error of the run (exit 1), and the result file stays.
    os.makedirs(os.path.join(work, "broken"))
    with open(os.path.join(work, "broken", "plot"), "w") as f:
        f.write("import sys\nsys.exit(3)\n")
    failed = subprocess.run([lrfinder, "run", "-n", "20", "-q", "--plot", "-o", "broken.h5"], cwd=work,
                            capture_output=True, text=True, env=dict(os.environ, LRF_SCRIPTS="broken"))
    if failed.returncode != 1 or "--plot:" not in failed.stderr or not os.path.isfile(os.path.join(work, "broken.h5")):
        sys.exit(f"FAILED: a failing plot gave exit {failed.returncode}, {failed.stderr!r}")
    print("ok a failing --plot: exit 1, the file kept")
    report = json.loads(run(lrfinder, "report", "--json", "small.h5").stdout)
    if report["trials"] != 300 or len(report["rules"]["steep"]["groups"]) != 3:
        sys.exit(f"FAILED: report --json gave {report}")
    print("ok report --json")


if __name__ == "__main__":
    main()
