#!/usr/bin/env python3
"""The plots of a small run: scripts/plot and `lrfinder run --plot` write every PNG, and each decodes and is
not blank; without trajectories (--save none) every plot but loss_vs_lr; a failing plot fails the run. Also
checks that `lrfinder report --json` is valid JSON, and the figures' design: loss_vs_lr marks the headline
rule and at most two others, keeps its legend off the panels and starts a linear scan's lr axis at the
scan's second rate (base lr + factor), not decades below at the base lr; suggestions.png says "all N
trials: LR" where every trial gives the same answer. Exit 77 (skipped) without numpy, h5py or matplotlib.

  tests/plot_check.py LRFINDER PLOT_SCRIPT WORK_DIR
"""
import importlib.machinery
import importlib.util
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


def load_script(path):
    """scripts/plot as a module (its name has no .py)."""
    loader = importlib.machinery.SourceFileLoader("plot", path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("plot", loader))
    loader.exec_module(module)
    return module


def check_functions(plot):
    """The small pure functions the figures rest on."""
    if plot.dense_start([1e-7, 1e-7, 5.001e-4, 1.0001e-3, 1.5001e-3]) != 2:
        sys.exit("FAILED: a linear scan's curve does not start at its second rate")
    if plot.dense_start([1e-7, 1e-7, 1.1e-7, 1.21e-7]) != 1:
        sys.exit("FAILED: an exp scan's curve does not start at its base lr")
    rules = ["steep", "fastai-valley", "fastai-slide", "fastai-steep", "fastai-minimum", "lightning",
             "torch-lr-finder", "ignite"]
    for headline in rules:
        marked = plot.marked_rules(headline, rules)
        if marked[0] != headline or not 2 <= len(marked) <= 3 or len(set(marked)) != len(marked):
            sys.exit(f"FAILED: headline {headline} marks {marked}")
    one = {"trials": 5, "answered": 5, "median": 1.2e-3, "histogram": [[321079, 5]]}
    if plot.row_note(one, float("nan")) != "all 5 trials: 0.0012":
        sys.exit(f"FAILED: a degenerate row says {plot.row_note(one, float('nan'))!r}")
    print("ok dense_start, marked_rules, row_note")


def check_loss_vs_lr(plot, path, stats):
    """Each panel marks the headline rule and at most two others and has no legend of its own (the legend
    is outside the panels); a linear scan's lr axis starts at or above base lr + factor (its smallest
    factor where they are drawn)."""
    import h5py

    with h5py.File(path, "r") as f:
        base_lr = float(f.attrs["base_lr"])
        linear = f["/trials/factor"][f["/trials/scan"][...] == 0]
    d = plot.read_file(path, stats, 4096)
    fig = plot.figure_loss_vs_lr(d, 12)
    panels = [ax for ax in fig.axes if ax.get_xscale() == "log"]
    if len(panels) != len(d["groups"]):
        sys.exit(f"FAILED: {len(panels)} panels for {len(d['groups'])} groups")
    for ax, (scan, factor) in zip(panels, d["groups"]):
        marked = [line.get_gid() for line in ax.lines if (line.get_gid() or "").startswith("rule:")]
        if f"rule:{d['headline']}" not in marked or len(marked) > 3:
            sys.exit(f"FAILED: the {scan} {factor} panel marks {marked}")
        if ax.get_legend() is not None:
            sys.exit(f"FAILED: the {scan} {factor} panel has a legend over its data")
        smallest = linear.min() if factor is None and scan == "linear" else factor
        first = base_lr + smallest if scan == "linear" else base_lr
        if ax.get_xlim()[0] < first * (1 - 1e-12):
            sys.exit(f"FAILED: the {scan} {factor} panel's lr axis starts at {ax.get_xlim()[0]}, below {first}")
    print(f"ok loss_vs_lr of {path}: {len(panels)} panels, lr axes from the scans' first dense rates")


def check_suggestions(plot, path, stats):
    """A row says "all N trials: LR" exactly where every answer of its group is the same (one bin of
    lrfinder's histogram), as the headline rule's are on the seed's data; a median tick on every row."""
    d = plot.read_file(path, stats, 4096)
    fig = plot.figure_suggestions(d)
    notes = [t.get_text() for t in fig.axes[0].texts]
    ticks = [line for line in fig.axes[0].lines if line.get_gid() == "median"]
    rows = plot.suggestion_rows(d)
    if len(notes) != len(rows) or len(ticks) != len(rows):
        sys.exit(f"FAILED: suggestions.png has {len(notes)} notes and {len(ticks)} median ticks for {len(rows)} rows")
    for note, (rule, k, _) in zip(notes, rows):
        group = stats["rules"][rule]["groups"][k]
        one = len(group["histogram"]) == 1
        if one != (": all " in note) or rule == d["headline"] and not one:
            sys.exit(f"FAILED: the row of {rule} in group {k} says {note!r}, its histogram {group['histogram']}")
    print(f"ok suggestions of {path}: {len(rows)} rows, 'all N trials: LR' where each trial gave the same")


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
    out = run(sys.executable, plot, "small.h5", "-o", "pngs", "--dpi", "60", "--lrfinder", lrfinder).stdout
    if "loss_vs_lr.png" not in out:
        sys.exit(f"FAILED: scripts/plot said {out!r}")
    check_pngs(os.path.join(work, "pngs"))
    script = load_script(plot)
    check_functions(script)
    stats = json.loads(run(lrfinder, "report", "--json", "small.h5").stdout)
    check_loss_vs_lr(script, os.path.join(work, "small.h5"), stats)
    check_suggestions(script, os.path.join(work, "small.h5"), stats)
    # Drawn factors (one group per scan) through `lrfinder run --plot`: the PNGs go to small2-plots/.
    run(lrfinder, "run", "-n", "200", "--linear-factors", "1e-4:1e-3", "--epochs", "80", "-q", "--plot",
        "-o", "small2.h5")
    check_pngs(os.path.join(work, "small2-plots"))
    check_loss_vs_lr(script, os.path.join(work, "small2.h5"),
                     json.loads(run(lrfinder, "report", "--json", "small2.h5").stdout))
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
    if stats["trials"] != 300 or len(stats["rules"]["steep"]["groups"]) != 3:
        sys.exit(f"FAILED: report --json gave {stats}")
    print("ok report --json")


if __name__ == "__main__":
    main()
