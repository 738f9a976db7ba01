"""The Python module against the command line: the same settings give the same file (every dataset and
attribute but the command line, bit for bit), the Result's tables hold the file's values, bad settings are
one clear ValueError, Ctrl-C stops a run cleanly, and the GIL is free while it runs.

Needs LRFINDER (the lrfinder binary of the same build) and the module on PYTHONPATH (ctest sets both)."""
import os
import signal
import subprocess
import threading
import time

import h5py
import numpy as np
import pandas as pd
import pytest

import lrfinder

LRFINDER = os.environ["LRFINDER"]


def cli(*args):
    done = subprocess.run([LRFINDER, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def contents(path):
    """Every dataset's values and every attribute of the file, the command line left out; the dimension
    scales' references as the names of what they refer to."""
    out = {}
    with h5py.File(path, "r") as f:
        def attributes(obj):
            attrs = {k: v for k, v in obj.attrs.items() if k != "command_line"}
            if isinstance(obj, h5py.Dataset):
                attrs.pop("DIMENSION_LIST", None), attrs.pop("REFERENCE_LIST", None)
                attrs["dims"] = np.array([[s.name for s in d.values()] for d in obj.dims], dtype=object)
            return attrs

        def visit(name, obj):
            out[name + "/@"] = attributes(obj)
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
        out["/@"] = attributes(f)
    return out


def assert_same_file(a, b):
    ca, cb = contents(a), contents(b)
    assert sorted(ca) == sorted(cb)
    for key in ca:
        if key.endswith("@"):
            assert ca[key].keys() == cb[key].keys(), key
            for name in ca[key]:
                np.testing.assert_array_equal(ca[key][name], cb[key][name], err_msg=f"{key}{name}")
        else:
            assert ca[key].dtype == cb[key].dtype, key
            assert ca[key].tobytes() == cb[key].tobytes(), key  # bit for bit, NaN padding included


CASES = [
    # (keywords of lrfinder.run, the same as options of lrfinder run)
    (dict(trials=64), ["-n", 64]),
    (dict(trials=50, scan="exp", factors="1.05:1.3", loss="huber:0.5", minibatch=8, seed=7, backend="serial"),
     ["-n", 50, "--scan", "exp", "--exp-factors", "1.05:1.3", "--loss", "huber:0.5", "--minibatch", 8,
      "--seed", 7, "--backend", "serial"]),
    (dict(trials=40, linear_factors=[1e-4, 3e-4], exp_factors="1.02:1.2", loss="mae", save="loss",
          precision="f32", suggest="fastai-valley", epochs=200),
     ["-n", 40, "--linear-factors", "0.0001,0.0003", "--exp-factors", "1.02:1.2", "--loss", "mae", "--save",
      "loss", "--precision", "f32", "--suggest", "fastai-valley", "--epochs", 200]),
    (dict(trials=300, save="stats", end_lr=1.0, stop_factor=4.0), ["-n", 300, "--save", "stats", "--end-lr", 1,
                                                                 "--stop-factor", 4]),
]


@pytest.mark.parametrize("keywords,options", CASES)
def test_run_gives_the_files_of_the_command_line(tmp_path, keywords, options):
    result = lrfinder.run(output=tmp_path / "py.h5", progress=False, **keywords)
    cli("run", "-o", tmp_path / "cli.h5", "-q", *options)
    assert_same_file(tmp_path / "py.h5", tmp_path / "cli.h5")
    assert result.path == str(tmp_path / "py.h5")
    assert result.run_info["trials_run"] == keywords["trials"]


def test_arrays_give_the_file_of_a_csv(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=37)
    y = 1.5 * x + rng.normal(scale=0.3, size=37)
    with open(tmp_path / "data.csv", "w") as f:
        f.write("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    lrfinder.run(x, y, trials=30, loss="huber", output=tmp_path / "arrays.h5", progress=False)
    lrfinder.run(tmp_path / "data.csv", trials=30, loss="huber", output=tmp_path / "path.h5", progress=False)
    cli("run", "-o", tmp_path / "cli.h5", "-q", "-n", 30, "--loss", "huber", "--data", tmp_path / "data.csv")
    assert_same_file(tmp_path / "arrays.h5", tmp_path / "cli.h5")
    assert_same_file(tmp_path / "path.h5", tmp_path / "cli.h5")
    with open(tmp_path / "other.tsv", "w") as f:  # other names, other order, tabs
        f.write("target\tfeature\n" + "".join(f"{float(b)!r}\t{float(a)!r}\n" for a, b in zip(x, y)))
    lrfinder.run(tmp_path / "other.tsv", columns=["feature", "target"], trials=30, loss="huber",
                 output=tmp_path / "tsv.h5", progress=False)
    assert_same_file(tmp_path / "tsv.h5", tmp_path / "cli.h5")
    # a spreadsheet's habits, as pandas writes them: semicolons, decimal commas, its index column first
    pd.DataFrame({"x": x, "y": y}).to_csv(tmp_path / "excel.csv", sep=";", decimal=",")
    assert open(tmp_path / "excel.csv").readline() == ";x;y\n"
    for options in ({}, {"sep": "semicolon", "decimal": "comma"}):
        lrfinder.run(tmp_path / "excel.csv", trials=30, loss="huber", output=tmp_path / "excel.h5",
                     progress=False, overwrite=True, **options)
        assert_same_file(tmp_path / "excel.h5", tmp_path / "cli.h5")
    with pytest.raises(ValueError, match="decimal: 'dot' is not one of"):
        lrfinder.run(tmp_path / "excel.csv", decimal="dot")


def test_result_holds_the_file(tmp_path):
    r = lrfinder.run(trials=16, epochs=100, output=tmp_path / "r.h5", progress=False)
    t = r.trials
    assert list(t.columns) == ["start_weight", "scan", "factor", "steps", "status", "suggested_lr"]
    assert list(t.index) == list(range(16)) and t.index.name == "trial"
    assert list(t["scan"].cat.categories) == ["linear", "exp"]
    assert list(t["scan"][:4]) == ["linear", "exp", "linear", "exp"]  # both scans: trials alternate
    assert list(t["status"].cat.categories) == ["diverged", "completed", "stalled", "rose"]
    with h5py.File(tmp_path / "r.h5", "r") as f:
        np.testing.assert_array_equal(t["start_weight"].to_numpy(), f["trials/start_weight"][()])
        np.testing.assert_array_equal(t["steps"].to_numpy(), f["trials/steps"][()])
        np.testing.assert_array_equal(r.suggestions["steep"].to_numpy(), f["trials/suggest/steep"][()])
        np.testing.assert_array_equal(r.loss, f["loss"][()])
    assert list(r.suggestions.columns) == lrfinder.rules()
    assert r.loss.shape == (16, 101) and r.lr.shape == (16, 101) and r.weight.shape == (16, 101)
    for i, steps in enumerate(t["steps"]):  # a trajectory has steps + 1 entries, NaN after
        assert np.isfinite(r.loss[i, : steps + 1]).all() and np.isnan(r.loss[i, steps + 1:]).all()
    x, y = r.data
    np.testing.assert_array_equal(y, 2.5 * x)  # the seed's data
    assert r.attrs["trials"] == 16 and r.attrs["suggest"] == "steep"


def test_statistics_are_the_reports(tmp_path):
    r = lrfinder.run(trials=200, exp_factors="1.05:1.3", output=tmp_path / "r.h5", progress=False)
    import json

    report = json.loads(cli("report", "--json", tmp_path / "r.h5").stdout)
    assert r.stats == report
    assert r.suggested_lr == report["answer"]["lr"]
    assert r.stats["headline"]["rule"] == "steep"
    assert "200 trials" in repr(r)


def test_open_reads_merged_and_virtual_files(tmp_path):
    for k in range(3):
        cli("run", "-n", 30, "--shard", f"{k}/3", "-o", tmp_path / "s.h5", "-q")
    shards = [tmp_path / f"s-shard-{k}-of-3.h5" for k in range(3)]
    cli("merge", "-o", tmp_path / "merged.h5", *shards)
    cli("run", "-n", 30, "-o", tmp_path / "whole.h5", "-q")
    whole = lrfinder.open(tmp_path / "whole.h5")
    merged = lrfinder.open(tmp_path / "merged.h5")
    assert list(merged.trials.index) == list(range(30))
    assert merged.trials.equals(whole.trials)
    np.testing.assert_array_equal(merged.loss, whole.loss)
    shard = lrfinder.open(shards[1])
    assert list(shard.trials.index) == list(range(10, 20))  # the run's trial numbers
    assert shard.trials.equals(whole.trials.iloc[10:20])


def test_save_copies_the_file_and_refuses_to_clobber(tmp_path):
    r = lrfinder.run(trials=8, progress=False)  # into a temporary file
    saved = r.save(tmp_path / "kept.h5")
    assert open(saved, "rb").read() == open(r.path, "rb").read()
    with pytest.raises(FileExistsError, match=r"kept.h5: exists \(save\(\.\.\., overwrite=True\) replaces it\)"):
        r.save(tmp_path / "kept.h5")
    os.symlink(tmp_path / "elsewhere", tmp_path / "link.h5")
    with pytest.raises(ValueError, match="link.h5: is not a regular file"):
        r.save(tmp_path / "link.h5", overwrite=True)
    assert not os.path.exists(tmp_path / "elsewhere")
    assert sorted(os.listdir(tmp_path)) == ["kept.h5", "link.h5"]  # no partial copy left


def test_to_xarray(tmp_path):
    ds = lrfinder.run(trials=12, epochs=50, output=tmp_path / "r.h5", progress=False).to_xarray()
    assert ds["loss"].dims == ("trial", "step") and ds.sizes == {"trial": 12, "step": 51}
    assert ds["steps"].dims == ("trial",) and ds["suggest_steep"].dims == ("trial",)
    assert list(ds["scan"].values[:2]) == ["linear", "exp"]


@pytest.mark.parametrize("keywords,message", [
    (dict(trials=0), "trials: 0 is not a whole number >= 1"),
    (dict(trials=2.5), "trials: expected a whole number, got 2.5"),
    (dict(base_lr=-1.0), "base_lr: -1 is not a number > 0"),
    (dict(scan="sideways"), "scan: 'sideways' is not one of linear, exp, both"),
    (dict(loss="cubic"), "loss: 'cubic' is not one of mse, mae, huber[:DELTA], logistic"),
    (dict(exp_factors="0.9"), "exp_factors: '0.9': "),
    (dict(suggest="best"), "suggest: 'best' is not a rule (lrfinder.rules() lists them)"),
    (dict(w_min=3.0, w_max=1.0), "--w-min 3 must be below --w-max 1"),
    (dict(factors=[1.1]), "factors: give scan='linear' or scan='exp'"),
    (dict(minibatch=10**6), "--minibatch 1000000: more than the "),
])
def test_bad_settings_are_one_value_error(tmp_path, keywords, message):
    with pytest.raises(ValueError) as e:
        lrfinder.run(output=tmp_path / "r.h5", progress=False, **keywords)
    assert str(e.value).startswith(message), str(e.value)
    assert os.listdir(tmp_path) == []


def test_bad_data_is_one_value_error(tmp_path):
    with pytest.raises(ValueError, match="^data: x has 3 values and y 2$"):
        lrfinder.run([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"^data: y\[1\] is nan; the data must be finite$"):
        lrfinder.run([1, 2], [1, float("nan")])
    with pytest.raises(ValueError, match="^--loss logistic: point 1 of the data given has y = 2; logistic labels"):
        lrfinder.run([1.0], [2.0], loss="logistic")


def test_output_is_never_clobbered(tmp_path):
    (tmp_path / "r.h5").write_text("someone's file")
    with pytest.raises(ValueError, match=r"r.h5: exists \(use --overwrite to replace it\)"):
        lrfinder.run(trials=4, output=tmp_path / "r.h5", progress=False)
    assert (tmp_path / "r.h5").read_text() == "someone's file"


def long_run(tmp_path, **keywords):
    return lrfinder.run(trials=400_000, batch=2048, save="none", output=tmp_path / "r.h5", **keywords)


def test_ctrl_c_stops_the_run_and_removes_the_partial_file(tmp_path):
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        long_run(tmp_path, progress=False)
    assert time.monotonic() - started < 20
    assert os.listdir(tmp_path) == []


def test_an_exception_in_progress_stops_the_run(tmp_path):
    calls = []

    def progress(done, total, seconds):
        calls.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        long_run(tmp_path, progress=progress)
    assert len(calls) == 1 and calls[0][1] == 400_000 and 0 < calls[0][0] < 400_000
    assert os.listdir(tmp_path) == []


def test_progress_reaches_the_end_and_the_gil_is_free(tmp_path):
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    seen = []
    counter = threading.Thread(target=count)
    counter.start()
    started = time.monotonic()
    lrfinder.run(trials=100_000, batch=4096, save="none", output=tmp_path / "r.h5",
                 progress=lambda d, t, s: seen.append(d))
    ended = time.monotonic()
    stop.set()
    counter.join()
    during = [t for t in ticks if started < t < ended]
    assert (ended - started) < 0.1 or len(during) >= 0.3 * (ended - started) / 0.005
    assert seen[-1] == 100_000 and seen == sorted(seen) and len(seen) >= 2


def test_plot_writes_the_figures_of_the_command_line(tmp_path):
    import matplotlib.image

    r = lrfinder.run(trials=64, output=tmp_path / "r.h5", progress=False)
    paths = r.plot(tmp_path / "figures")
    assert [os.path.basename(p) for p in paths] == ["data.png", "loss_vs_w.png", "loss_vs_lr.png",
                                                    "suggestions.png"]
    for path in paths:
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 100 and image[..., :3].var() > 0, path
