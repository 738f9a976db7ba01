#!/usr/bin/env bash
# Against a real single-node SLURM: the project's own scripts/slurm/submit runs a sharded job array and the
# merge job chained after it; the merged file must equal an unsharded run byte for byte. Then a task is
# preempted mid-way (USR1 to its batch shell, as --signal does before a time limit), requeues itself and
# resumes; the result must again be identical. Exit 77 (skipped) with the reason where SLURM cannot run.
#   tests/slurm_test.sh LRFINDER SOURCE_DIR WORK_DIR
set -uo pipefail
lrfinder=$1 src=$2 work=$3
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAILED: $*"; for f in "$cluster"/log/* "$work"/*/logs/*; do [ -f "$f" ] && { echo "== $f"; tail -n 20 "$f"; }; done; exit 1; }
for t in slurmctld slurmd sbatch squeue scontrol munged mungekey python3; do
  command -v "$t" >/dev/null || skip "$t is not installed (scripts/setup.sh --tests installs slurm-wlm and munge)"
done
[ "$(id -u)" = 0 ] || skip "starting slurmctld and slurmd needs root"
python3 -c "import h5py" 2>/dev/null || skip "python3 has no h5py"

rm -rf "$work"
mkdir -p "$work"
# shellcheck source=tests/slurm_cluster.sh
source "$src/tests/slurm_cluster.sh"
# The cluster lives in a short path: munge's socket path must fit a UNIX socket name (108 bytes).
cluster=$(mktemp -d /tmp/lrf-slurm.XXXXXX)
trap 'slurm_stop "$cluster"; rm -rf "$cluster"' EXIT
slurm_start "$cluster" || skip "the SLURM daemons would not start here (see $cluster/log)"

# Waits until the cluster has no jobs left (at most $1 seconds).
drain() {
  for _ in $(seq $(($1 * 5))); do
    [ -z "$(squeue -h -o %i)" ] && return 0
    sleep 0.2
  done
  return 1
}

same() {
  python3 - "$1" "$2" <<'PY'
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
bad = [n for n in names if a[n][...].tobytes() != b[n][...].tobytes()]
print(f"{len(names) - len(bad)} passed, {len(bad)} failed: datasets of {sys.argv[2]} against {sys.argv[1]}")
sys.exit(1 if bad else 0)
PY
}

run_args=(--epochs 200 --seed 5 --batch 500)
"$lrfinder" run -q -n 6000 "${run_args[@]}" -o "$work/whole.h5" || fail "the unsharded run"

# 1. A 4-task array and its merge.
"$src/scripts/slurm/submit" -n 6000 -s 4 -o "$work/array" --cpu --cpus 1 --lrfinder "$lrfinder" \
  -- "${run_args[@]}" || fail "submit"
drain 120 || fail "the jobs did not finish in 120 s"
[ -f "$work/array/lrfinder.h5" ] || fail "no merged file"
same "$work/whole.h5" "$work/array/lrfinder.h5" || fail "the merged array differs from the unsharded run"

# 2. Preempted mid-way: USR1 to the batch shell once a checkpoint exists; it requeues and resumes. Denser
# data (3000 points) makes each trial slow enough to catch the task running.
python3 -c "
import numpy as np
x = np.linspace(-2, 6, 3000)
np.savetxt('$work/dense.csv', np.c_[x, 0.5 * x + np.sin(7 * x)], delimiter=',', header='x,y', comments='', fmt='%.17g')
" || fail "making the data"
slow_args=(--epochs 200 --seed 6 --data "$work/dense.csv" --backend serial)
"$lrfinder" run -q -n 3000 "${slow_args[@]}" --batch 1000 -o "$work/whole_dense.h5" || fail "the unsharded run"
"$src/scripts/slurm/submit" -n 3000 -s 1 -o "$work/preempt" --cpu --cpus 1 --lrfinder "$lrfinder" \
  -- "${slow_args[@]}" --batch 50 || fail "submit"
partial="$work/preempt/.lrfinder-shard-0-of-1.h5.partial"
# Checkpointed once the partial file holds a tenth of the whole (a batch is 1/60): a batch is written only
# once the one before is checkpointed. The file is not opened: HDF5 refuses one marked open for writing.
checkpointed=$(( $(stat -c %s "$work/whole_dense.h5") / 10 ))
for _ in $(seq 300); do
  [ "$(stat -c %s "$partial" 2>/dev/null || echo 0)" -gt "$checkpointed" ] && break
  sleep 0.1
done
job=$(squeue -h -o %i -n lrfinder | head -n 1)
[ -n "$job" ] || fail "the shard finished before it could be preempted"
scancel --batch --signal=USR1 "$job" || fail "scancel"
# SLURM holds a requeued job back for about two minutes (BeginTime); let it start at once.
for _ in $(seq 100); do
  grep -q "requeueing" "$work/preempt/logs/shard-0.log" 2>/dev/null && break
  sleep 0.1
done
for _ in $(seq 50); do
  [ "$(squeue -h -j "$job" -o %r 2>/dev/null)" = "BeginTime" ] && scontrol update JobId="$job" StartTime=now && break
  sleep 0.1
done
drain 120 || fail "the preempted jobs did not finish in 120 s"
grep -q "checkpointed; requeueing" "$work/preempt/logs/shard-0.log" || fail "the task was not requeued"
grep -q "resuming" "$work/preempt/logs/shard-0.log" || fail "the requeued task did not resume"
same "$work/whole_dense.h5" "$work/preempt/lrfinder.h5" || fail "the resumed run differs from the unsharded run"
echo "slurm: array of 4 shards merged, and a preempted shard resumed: both bit-identical"
