"""scripts/compare-bench: its Mann-Whitney test against brute-force enumeration, and what it prints and
writes for two machines' results."""
import importlib.machinery
import importlib.util
import itertools
import json
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "compare-bench")


def load_script():
    loader = importlib.machinery.SourceFileLoader("compare_bench", SCRIPT)
    spec = importlib.util.spec_from_loader("compare_bench", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def brute_force_p(a, b):
    """Two-sided exact p: the share of all splits of the pooled values whose U is as extreme."""
    pooled = list(a) + list(b)

    def u_of(first):
        return sum(1 for x in first for y in pooled if y not in first and x > y)

    u = u_of(a)
    us = [u_of([pooled[i] for i in chosen]) for chosen in itertools.combinations(range(len(pooled)), len(a))]
    low = sum(1 for v in us if v <= u) / len(us)
    high = sum(1 for v in us if v >= u) / len(us)
    return min(1.0, 2 * min(low, high))


@pytest.mark.parametrize("a,b", [
    ([1, 2, 3], [4, 5, 6]),
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
    ([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]),
    ([10.5, 3.1, 7.7, 2.2, 9.9], [4.4, 8.8, 1.1, 6.6, 5.5, 12.0]),
])
def test_exact_mann_whitney_matches_enumeration(a, b):
    cb = load_script()
    assert cb.mann_whitney_p(a, b) == pytest.approx(brute_force_p(a, b), abs=1e-12)


def test_identical_samples_are_within_the_noise():
    cb = load_script()
    assert cb.mann_whitney_p([1.0, 1.0, 1.0], [1.0, 1.0, 1.0]) == 1.0


def machine(path, model, steps_by_row):
    benchmarks = []
    for name, reps in steps_by_row.items():
        for i, s in enumerate(reps):
            benchmarks.append({"name": name + "/manual_time", "run_name": name + "/manual_time",
                               "run_type": "iteration", "repetition_index": i, "steps": s})
    doc = {"context": {"cpu_model": model, "cpu_build": "avx2", "compiler": "GNU 12.2.0",
                       "load_average_at_start": "0.3"}, "benchmarks": benchmarks}
    with open(path, "w") as f:
        json.dump(doc, f)


def test_two_machines_ratios_noise_marks_and_geometric_mean(tmp_path):
    row_a = "cpu/compute/points:100/trials:1000/epochs:500"
    row_b = "serial/compute/points:100/trials:1000/epochs:500"
    machine(tmp_path / "old.json", "Old CPU", {row_a: [10, 11, 9, 10, 10.5], row_b: [5, 5.1, 4.9]})
    machine(tmp_path / "new.json", "New CPU", {row_a: [40, 41, 39, 40, 40.5], row_b: [5.05, 4.95, 5.0]})
    out = subprocess.run([sys.executable, SCRIPT, "old.json", "new.json"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert "[1] old (baseline)" in out and "Old CPU" in out and "New CPU" in out
    lines = {line.split()[0] + " " + line.split()[1]: line for line in out.splitlines() if "points:100" in line}
    assert lines["cpu compute/points:100/trials:1000/epochs:500"].rstrip().endswith("4 x")  # median 40 / 10
    assert lines["serial compute/points:100/trials:1000/epochs:500"].rstrip().endswith("1 x~")  # 5 / 5
    assert "geometric mean [2]/[1] over 2 rows: 2 x" in out
    assert sorted(os.listdir(tmp_path)) == ["new.json", "old.json"]  # nothing written unasked
    out = subprocess.run([sys.executable, SCRIPT, "old.json", "new.json", "--baseline", "2", "--chart", "c.png"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "[2] new (baseline)" in out and "geometric mean [1]/[2] over 2 rows: 0.5 x" in out
    assert (tmp_path / "c.png").stat().st_size > 10000
