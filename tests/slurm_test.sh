#!/usr/bin/env bash
# First, without SLURM: scripts/slurm/submit's --help, its --dry-run lines (exact), the same words reaching
# a stand-in sbatch, and every refusal of bad input (exact message, exit 2, nothing submitted).
# Then, against a real single-node SLURM: the project's own scripts/slurm/submit runs a sharded job array and
# the merge job chained after it; the merged file must equal an unsharded run byte for byte. Then a task is
# preempted mid-way (USR1 to its batch shell, as --signal does before a time limit), requeues itself and
# resumes; the result must again be identical. Exit 77 (skipped) with the reason where SLURM cannot run.
#   tests/slurm_test.sh LRFINDER SOURCE_DIR WORK_DIR [--options-only]
set -uo pipefail
lrfinder=$1 src=$2 work=$3 mode=${4:-}
cluster=""
skip() { echo "skipped: $*"; exit 77; }
fail() {
  local f
  echo "FAILED: $*"
  for f in ${cluster:+"$cluster"/log/*} "$work"/*/logs/*; do
    [ -f "$f" ] && { echo "== $f"; tail -n 20 "$f"; }
  done
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
submit="$src/scripts/slurm/submit"
slurm_dir=$(cd "$src/scripts/slurm" && pwd)
lrf=$(realpath "$lrfinder")
unset LRFINDER LRF_OUT LRF_ARGS LRF_SHARDS LRF_MERGE_ARGS

# A stand-in sbatch for the option checks: records the LRF variables it was given and its arguments, one
# word a line, in $FAKE_SBATCH_DIR/call-N, and prints a job id as --parsable does on a federation
# (ID;CLUSTER), 4242 for the first call. With FAKE_SBATCH_FAIL set it refuses the merge job.
fake="$work/fake-bin"
mkdir -p "$fake"
cat >"$fake/sbatch" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
n=$(($(find "$FAKE_SBATCH_DIR" -name 'call-*' | wc -l) + 1))
{
  for v in LRFINDER LRF_OUT LRF_ARGS LRF_SHARDS LRF_MERGE_ARGS; do
    if [ -n "${!v+x}" ]; then echo "$v=${!v}"; fi
  done
  echo sbatch
  printf '%s\n' "$@"
} >"$FAKE_SBATCH_DIR/call-$n"
if [ -n "${FAKE_SBATCH_FAIL:-}" ] && [ "$n" = 2 ]; then
  echo "sbatch: error: Batch job submission failed: Invalid account" >&2
  exit 1
fi
echo "$((4241 + n));lrftest"
SH
chmod +x "$fake/sbatch"

# Runs submit with the stand-in sbatch first on PATH, its calls recorded in $work/calls-$1; sets rc, out
# and err.
try_submit() {
  calls="$work/calls-$1"
  shift
  rm -rf "$calls"
  mkdir -p "$calls"
  rc=0
  FAKE_SBATCH_DIR="$calls" PATH="$fake:$PATH" "$submit" "$@" >"$work/stdout" 2>"$work/stderr" || rc=$?
  out=$(cat "$work/stdout")
  err=$(cat "$work/stderr")
}

# Fails unless $2 (what came) equals $3 (what was wanted); $1 names it.
expect() {
  [ "$2" = "$3" ] || fail "$1: got
$2
instead of
$3"
}

# Fails unless the last try_submit called sbatch exactly $1 times.
expect_calls() {
  local n
  n=$(find "$calls" -name 'call-*' | wc -l)
  [ "$n" = "$1" ] || fail "sbatch was called $n times instead of $1"
}

# Fails unless the words of the shell line $2 (a --dry-run line) equal the words of call $1 of the stand-in
# sbatch, ARRAY_JOB_ID read as 4242.
expect_call_words() {
  local words=() recorded
  eval "words=(${2//ARRAY_JOB_ID/4242})"
  recorded=$(cat "$calls/call-$1")
  expect "what sbatch call $1 received, against the --dry-run line" "$recorded" "$(printf '%s\n' "${words[@]}")"
}

options=(-n -s -o --cpu --cpus --gpus --time --max-running --constraint --partition --account --qos --mem
  --sbatch --virtual --lrfinder --dry-run -h --help)

check_help() {
  local opt help line examples=0 words readme
  readme=$(awk '/^## Clusters \(SLURM\)/ { on = 1; next } /^## / { on = 0 } on' "$src/README.md")
  try_submit help -h
  expect "submit -h: exit status" "$rc" 0
  expect "submit -h: stderr" "$err" ""
  help=$out
  expect "submit -h: first line" "${help%%$'\n'*}" \
    "usage: $submit -n TRIALS -s SHARDS [options] [-- lrfinder run options]"
  try_submit help --help
  expect "submit --help against submit -h" "$out" "$help"
  for opt in "${options[@]}"; do
    grep -Eq -- "^  ([^ ]+, )?${opt}[ ,]" <<<"$help" || fail "submit -h does not describe $opt"
    try_submit help "$opt"
    [[ "$err" != "submit: unknown option"* ]] || fail "submit -h describes $opt, which submit refuses: $err"
    grep -qF -- "\`$opt" <<<"$readme" || fail "the README's cluster section does not describe $opt"
  done
  # Every example line parses (run here with --dry-run).
  while IFS= read -r line; do
    [[ "$line" == "  $submit -n "* ]] || continue
    examples=$((examples + 1))
    eval "words=(${line#  "$submit"})"
    try_submit help --dry-run --lrfinder "$lrfinder" "${words[@]}"
    expect "the example '$line': exit status (stderr: $err)" "$rc" 0
    expect "the example '$line': lines printed" "$(wc -l <"$work/stdout")" 2
  done <<<"$help"
  expect "example lines in submit -h" "$examples" 2
  expect_calls 0
}

check_dry_run() {
  local a m
  # Every option that reaches sbatch, on CPU partitions.
  try_submit dry -n 6000 -s 4 -o "$work/dry" --cpu --cpus 2 --partition cpu --account proj1 --qos high \
    --mem 4G --time 01:30:00 --max-running 2 --constraint avx2 --sbatch --mail-type=FAIL --lrfinder "$lrfinder" \
    --dry-run -- --seed 5 --epochs 200
  expect "--dry-run: exit status (stderr: $err)" "$rc" 0
  a="LRFINDER=$lrf LRF_OUT=$work/dry LRF_ARGS='-n 6000 --seed 5 --epochs 200 --backend cpu' sbatch --parsable"
  a+=" --chdir $work/dry --partition cpu --account proj1 --qos high --mem 4G --mail-type=FAIL --array 0-3%2"
  a+=" --output $work/dry/logs/shard-%a.log --time 01:30:00 --constraint avx2 --cpus-per-task 2 --export=ALL"
  a+=" $slurm_dir/lrfinder-array.sbatch"
  m="LRFINDER=$lrf LRF_OUT=$work/dry LRF_SHARDS=4 LRF_MERGE_ARGS='' sbatch --parsable --chdir $work/dry"
  m+=" --partition cpu --account proj1 --qos high --mem 4G --mail-type=FAIL --output $work/dry/logs/merge.log"
  m+=" --dependency afterok:ARRAY_JOB_ID --export=ALL $slurm_dir/lrfinder-merge.sbatch"
  expect "--dry-run with every option" "$out" "$a"$'\n'"$m"
  expect "--dry-run: stderr" "$err" ""
  expect_calls 0
  [ ! -e "$work/dry" ] || fail "--dry-run made the results folder"

  # The same without --dry-run: sbatch gets exactly those words.
  try_submit dry -n 6000 -s 4 -o "$work/dry" --cpu --cpus 2 --partition cpu --account proj1 --qos high \
    --mem 4G --time 01:30:00 --max-running 2 --constraint avx2 --sbatch --mail-type=FAIL --lrfinder "$lrfinder" \
    -- --seed 5 --epochs 200
  expect "submit: exit status (stderr: $err)" "$rc" 0
  expect "submit: what it printed" "$out" \
    "submitted array 4242 (4 shards of a 6000-trial run) and merge 4243 -> $work/dry/lrfinder.h5"
  expect_calls 2
  expect_call_words 1 "$a"
  expect_call_words 2 "$m"
  [ -d "$work/dry/logs" ] || fail "submit did not make $work/dry/logs"

  # GPU defaults, --option=VALUE, --virtual, the user's --backend.
  try_submit dry -n 1000 -s 1 -o "$work/dry-gpu" --gpus 2 --account=proj2 --qos=low --mem=16G --virtual \
    --lrfinder "$lrfinder" --dry-run -- --backend serial
  expect "--dry-run on GPUs: exit status (stderr: $err)" "$rc" 0
  a="LRFINDER=$lrf LRF_OUT=$work/dry-gpu LRF_ARGS='-n 1000 --backend serial' sbatch --parsable"
  a+=" --chdir $work/dry-gpu --account proj2 --qos low --mem 16G --array 0-0"
  a+=" --output $work/dry-gpu/logs/shard-%a.log --gres gpu:2 --cpus-per-task 1 --export=ALL"
  a+=" $slurm_dir/lrfinder-array.sbatch"
  m="LRFINDER=$lrf LRF_OUT=$work/dry-gpu LRF_SHARDS=1 LRF_MERGE_ARGS=--virtual sbatch --parsable"
  m+=" --chdir $work/dry-gpu --account proj2 --qos low --mem 16G --output $work/dry-gpu/logs/merge.log"
  m+=" --dependency afterok:ARRAY_JOB_ID --export=ALL $slurm_dir/lrfinder-merge.sbatch"
  expect "--dry-run on GPUs" "$out" "$a"$'\n'"$m"

  # No options beyond the required: the commands submit has always run.
  try_submit dry -n 6000 -s 4 -o "$work/dry-plain" --lrfinder "$lrfinder" --dry-run
  expect "--dry-run, plain: exit status (stderr: $err)" "$rc" 0
  a="LRFINDER=$lrf LRF_OUT=$work/dry-plain LRF_ARGS='-n 6000 --backend cuda' sbatch --parsable"
  a+=" --chdir $work/dry-plain --array 0-3 --output $work/dry-plain/logs/shard-%a.log --gres gpu:1"
  a+=" --cpus-per-task 1 --export=ALL $slurm_dir/lrfinder-array.sbatch"
  m="LRFINDER=$lrf LRF_OUT=$work/dry-plain LRF_SHARDS=4 LRF_MERGE_ARGS='' sbatch --parsable"
  m+=" --chdir $work/dry-plain --output $work/dry-plain/logs/merge.log --dependency afterok:ARRAY_JOB_ID"
  m+=" --export=ALL $slurm_dir/lrfinder-merge.sbatch"
  expect "--dry-run, plain" "$out" "$a"$'\n'"$m"
  expect_calls 0

  # sbatch refuses the merge job: the array's id is named, exit 1.
  FAKE_SBATCH_FAIL=1 try_submit merge-refused -n 6000 -s 4 -o "$work/refused" --lrfinder "$lrfinder"
  expect "a refused merge job: exit status" "$rc" 1
  expect "a refused merge job: stderr" "$err" "sbatch: error: Batch job submission failed: Invalid account
submit: the merge job was not submitted; array 4242 is queued (scancel 4242 to cancel it)"
  expect_calls 2
}

check_refusals() {
  local case want args
  local cases=(
    "submit: unknown option '--bogus' (see $submit --help)|--bogus"
    "submit: unknown option '--acount' (see $submit --help)|-n 6000 -s 4 --acount proj"
    "submit: -n TRIALS: the value is missing|-n"
    "submit: -s SHARDS: the value is missing|-n 6000 -s"
    "submit: -s SHARDS: the value is missing|-n 6000 -s --cpu"
    "submit: --account A: the value is missing|-n 6000 -s 4 --account"
    "submit: --qos Q: the value is missing|-n 6000 -s 4 --qos --mem 4G"
    "submit: --mem M: the value is missing|-n 6000 -s 4 --mem"
    "submit: --mem M: the value is empty|-n 6000 -s 4 --mem="
    "submit: --partition P: the value is missing|-n 6000 -s 4 --partition"
    "submit: --time T: the value is missing|-n 6000 -s 4 --time"
    "submit: --sbatch OPT: the value is missing|-n 6000 -s 4 --sbatch"
    "submit: -n TRIALS: a positive whole number is needed, not 'six'|-n six -s 4"
    "submit: -n TRIALS: a positive whole number is needed, not '-5'|-n -5 -s 4"
    "submit: -n TRIALS: 99999999999999999999 is too large|-n 99999999999999999999 -s 4"
    "submit: -s SHARDS: a positive whole number is needed, not '0'|-n 6000 -s 0"
    "submit: -s SHARDS: 8000 shards are more than the 6000 trials|-n 6000 -s 8000"
    "submit: --cpus N: a positive whole number is needed, not '1.5'|-n 6000 -s 4 --cpus 1.5"
    "submit: --gpus N: a positive whole number is needed, not '0'|-n 6000 -s 4 --gpus 0"
    "submit: --max-running N: a positive whole number is needed, not '08'|-n 6000 -s 4 --max-running 08"
    "submit: --mem M: a size such as 4000, 512M or 16G is needed, not '4GB'|-n 6000 -s 4 --mem 4GB"
    "submit: --time T: a time limit such as 90, 02:00:00 or 1-12:00:00 is needed, not '2h'|-n 6000 -s 4 --time 2h"
    "submit: --sbatch OPT: an sbatch option such as --mail-type=FAIL is needed, not 'mail'|-n 6000 -s 4 --sbatch mail"
    "submit: --cpu takes no value|-n 6000 -s 4 --cpu=yes"
    "submit: --dry-run takes no value|-n 6000 -s 4 --dry-run=1"
    "submit: unexpected argument 'seed' (options of lrfinder run go after --; see $submit --help)|-n 6000 -s 4 seed"
    "submit: -n TRIALS is required (see $submit --help)|-s 4"
    "submit: -s SHARDS is required (see $submit --help)|-n 6000"
    "submit: --lrfinder PATH: '$work/none' is not an executable file|-n 6000 -s 4 --lrfinder $work/none"
  )
  for case in "${cases[@]}"; do
    want=${case%%|*}
    read -ra args <<<"${case#*|}"
    try_submit refused -o "$work/refused-run" --lrfinder "$lrfinder" "${args[@]}"
    expect "submit ${case#*|}: exit status" "$rc" 2
    expect "submit ${case#*|}: stderr" "$err" "$want"
    expect "submit ${case#*|}: stdout" "$out" ""
    expect_calls 0
    [ ! -e "$work/refused-run" ] || fail "submit ${case#*|} made the results folder"
  done
}

case "$work$lrf$slurm_dir" in
*[!A-Za-z0-9_./:=%@,+-]*) fail "the --dry-run checks need paths of plain characters, not $work, $lrf, $slurm_dir" ;;
esac
check_help
check_dry_run
check_refusals
echo "slurm: submit's --help, --dry-run lines and ${#options[@]} options, and its refusals of bad input, checked"
[ "$mode" = --options-only ] && exit 0

for t in slurmctld slurmd sbatch squeue scontrol munged mungekey python3; do
  command -v "$t" >/dev/null || skip "$t is not installed (scripts/setup.sh --tests installs slurm-wlm and munge)"
done
[ "$(id -u)" = 0 ] || skip "starting slurmctld and slurmd needs root"
python3 -c "import h5py" 2>/dev/null || skip "python3 has no h5py"

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
