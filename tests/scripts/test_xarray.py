"""A result file read by xarray through h5netcdf, without the README: dimensions trial and step on the
trajectories, trial on every per-trial array of /trials and /trials/suggest (aligned with the root's,
coordinates included, for a shard too), scan and status as enums, NaN as the trajectories' _FillValue, and a
description and units on every variable. xarray and h5netcdf are required: without them this fails.

  LRFINDER=build/lrfinder python3 -m pytest tests/scripts/test_xarray.py
"""
import os
import subprocess

import h5netcdf  # noqa: F401  (the engine xarray opens the files with)
import h5py
import numpy as np
import pytest
import xarray as xr

EPOCHS = 40
TRIALS = 90
SCAN = {"linear": 0, "exp": 1}
STATUS = {"diverged": 0, "completed": 1, "stalled": 2, "rose": 3}


def lrfinder(folder, *args):
    binary = os.environ.get("LRFINDER")
    assert binary, "set LRFINDER to the lrfinder binary to test"
    subprocess.run([os.path.abspath(binary), *args], cwd=folder, check=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The whole run, its middle shard of three, and the three shards merged by copy and virtually."""
    d = tmp_path_factory.mktemp("xarray")
    run = ["run", "-q", "-n", str(TRIALS), "--epochs", str(EPOCHS), "--linear-factors", "1e-4:1e-2",
           "--exp-factors", "1.05,1.3", "--stop-factor", "4"]
    lrfinder(d, *run, "-o", "whole.h5")
    for k in range(3):
        lrfinder(d, *run, "--shard", f"{k}/3", "-o", "part.h5")
    shards = [f"part-shard-{k}-of-3.h5" for k in range(3)]
    lrfinder(d, "merge", "-q", "-o", "copy.h5", *shards)
    lrfinder(d, "merge", "-q", "--virtual", "-o", "virtual.h5", *shards)
    lrfinder(d, *run, "--save", "stats", "-o", "stats.h5")
    return d


CASES = [("whole.h5", 0, TRIALS), ("part-shard-1-of-3.h5", 30, 30), ("copy.h5", 0, TRIALS),
         ("virtual.h5", 0, TRIALS)]


@pytest.mark.parametrize("name,first,count", CASES)
def test_trajectories_have_dims_trial_and_step(files, name, first, count):
    with xr.open_dataset(files / name, engine="h5netcdf") as root:
        for var in ("loss", "lr", "weight"):
            assert root[var].dims == ("trial", "step"), var
        assert root.sizes == {"trial": count, "step": EPOCHS + 1, "point": 100}
        np.testing.assert_array_equal(root["trial"].values, np.arange(first, first + count))
        np.testing.assert_array_equal(root["step"].values, np.arange(EPOCHS + 1))
        np.testing.assert_array_equal(root["point"].values, np.arange(100))


@pytest.mark.parametrize("name,first,count", CASES)
@pytest.mark.parametrize("group", ["trials", "trials/suggest"])
def test_every_per_trial_array_is_over_the_roots_trial(files, name, first, count, group):
    with xr.open_dataset(files / name, engine="h5netcdf") as root, \
            xr.open_dataset(files / name, group=group, engine="h5netcdf") as g:
        assert len(g.data_vars) >= (6 if group == "trials" else 5)
        for var in g.data_vars:
            assert g[var].dims == ("trial",), var
        assert g.sizes["trial"] == root.sizes["trial"] == count
        assert "trial" in g.indexes  # a coordinate of its own, not positions
        np.testing.assert_array_equal(g["trial"].values, root["trial"].values)
        merged = xr.merge([root, g])  # aligned: nothing added, nothing dropped
        assert merged.sizes["trial"] == count


@pytest.mark.parametrize("name,first,count", CASES)
def test_scan_and_status_are_enums(files, name, first, count):
    with xr.open_dataset(files / name, group="trials", engine="h5netcdf") as t:
        for var, members, type_name in (("scan", SCAN, "scan_t"), ("status", STATUS, "status_t")):
            meta = t[var].encoding["dtype"].metadata
            assert meta["enum"] == members, var
            assert meta["enum_name"] == type_name, var
            assert set(np.unique(t[var].values)) <= set(members.values()), var
        assert set(np.unique(t["scan"].values)) == {0, 1}
    with h5py.File(files / name) as f:
        assert h5py.check_enum_dtype(f["trials/status"].dtype) == STATUS
        assert h5py.check_enum_dtype(f["scan_t"].dtype) == SCAN


@pytest.mark.parametrize("name,first,count", CASES)
def test_steps_past_a_trials_end_are_the_fill_value_nan(files, name, first, count):
    with xr.open_dataset(files / name, engine="h5netcdf") as root, \
            xr.open_dataset(files / name, group="trials", engine="h5netcdf") as t:
        steps = t["steps"].values
        assert steps.min() < EPOCHS  # some trials end early: their rows have padding to check
        for var in ("loss", "lr", "weight"):
            assert np.isnan(root[var].encoding["_FillValue"]), var
            assert "NaN past the trial's end" in root[var].attrs["description"], var
            values = root[var].values
            past = np.arange(EPOCHS + 1)[None, :] > steps[:, None]
            assert np.isnan(values[past]).all(), var
            assert not np.isnan(values[~past]).all(), var
    with h5py.File(files / name) as f:
        for var in ("loss", "lr", "weight"):
            assert np.isnan(f[var].fillvalue) and np.isnan(f[var].attrs["_FillValue"]), var


@pytest.mark.parametrize("name", ["whole.h5", "virtual.h5", "stats.h5"])
def test_every_variable_has_a_description_and_units(files, name):
    groups = [None, "data"] + ([] if name == "stats.h5" else ["trials", "trials/suggest"])
    for group in groups:
        with xr.open_dataset(files / name, group=group, engine="h5netcdf") as ds:
            assert len(ds.variables) > 0
            for var in ds.variables:
                attrs = ds[var].attrs
                assert attrs["description"], (group, var)
                assert attrs["units"] in ("1", ""), (group, var)
    with h5py.File(files / name) as f:
        assert f.attrs["layout_version"] == 2
        if name == "stats.h5":
            for table in ("groups", "distributions", "histogram"):
                assert f["stats"][table].attrs["description"] and f["stats"][table].attrs["units"] == ""
