#!/usr/bin/env bash
# gpu-check.sh: the checks that need an NVIDIA GPU, in a few minutes, with nothing from outside the checkout.
#
#   scripts/gpu-check.sh [BUILD_DIR] [--cpu-only]     (default: build-gpu in the checkout)
#
# --cpu-only: where no GPU is usable, still run the serial and cpu rows and print the table.
#
# Uses BUILD_DIR as it is when it holds a lrfinder binary (e.g. built elsewhere with
# -DCMAKE_CUDA_ARCHITECTURES=90 and its shared libraries copied into BUILD_DIR/lib, see the README), else
# configures and builds it (needs CMake, ninja, nvcc, HDF5, CLI11 and GoogleTest here). Then:
#   1. the gpu-labelled tests (ctest -L gpu, or the test binary itself when the build came from elsewhere);
#   2. `lrfinder run` on the seed workload (half linear 5e-4, half exp 1.1) on the serial, cpu and cuda
#      backends (cuda also with --save none at 10x the trials, --save loss, and --save stats at 1e8 trials,
#      then 1e9 where 1e8 took under 12 s), and the cuda backend on denser data (4096 and 20011 points);
#   3. lrfinder-bench with JSON out, where the build has it;
#   4. a short table, printed last.
# Logs, run summaries and JSON go to $OUT when set, else BUILD_DIR/gpu-check. HDF5 outputs go to a scratch
# folder and are removed. Exits non-zero if a test or a run failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cpu_only=0
if [ "${2:-}" = "--cpu-only" ] || [ "${1:-}" = "--cpu-only" ]; then
  cpu_only=1
  [ "${1:-}" = "--cpu-only" ] && shift
fi
build=$(realpath -m "${1:-$root/build-gpu}")
out=${OUT:-$build/gpu-check}
mkdir -p "$out"
out=$(realpath "$out")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lrf-gpu-check.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=0
say() { echo "gpu-check: $*" >&2; }

# Trial counts: serial is the reference and slow, so it runs fewer; rates are per second, so they compare.
serial_trials=${LRF_SERIAL_TRIALS:-100000}
cpu_trials=${LRF_CPU_TRIALS:-1000000}
cuda_trials=${LRF_CUDA_TRIALS:-1000000}

if [ ! -x "$build/lrfinder" ]; then
  say "building $build (log: $out/build.log)"
  { cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLRF_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES="${CUDAARCHS:-90}" && cmake --build "$build"; } >"$out/build.log" 2>&1 ||
    { say "build failed: see $out/build.log"; exit 1; }
fi
# Shared libraries shipped beside a build made on another machine.
[ -d "$build/lib" ] && export LD_LIBRARY_PATH="$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
lrf=$build/lrfinder

"$lrf" info >"$out/info.txt" 2>&1
cat "$out/info.txt" >&2
if ! grep -q '^cuda  *[0-9]' "$out/info.txt"; then
  if [ "$cpu_only" = 0 ]; then
    say "no usable GPU: nothing to check (--cpu-only runs the serial and cpu rows alone)"
    exit 1
  fi
  say "no usable GPU: the CPU paths only (GPU tests, cuda rows and kernel rates need a GPU)"
fi
gpu=1
grep -q '^cuda  *[0-9]' "$out/info.txt" || gpu=0

# --- 1. GPU tests ------------------------------------------------------------------------------------------
# ctest's files hold absolute paths; a build configured in another folder (another machine) cannot use them.
tests_log=$out/gpu-tests.log
if [ "$gpu" = 0 ]; then
  echo "SKIPPED: no usable GPU" >"$tests_log"
elif grep -qs "^CMAKE_CACHEFILE_DIR:INTERNAL=$build\$" "$build/CMakeCache.txt"; then
  say "gpu tests: ctest -L gpu (log: $tests_log)"
  ctest --test-dir "$build" -L gpu --output-on-failure --output-junit "$out/gpu-tests.xml" >"$tests_log" 2>&1
else
  say "gpu tests: $build/tests/lrf_device_tests (built elsewhere; log: $tests_log)"
  "$build/tests/lrf_device_tests" --gtest_filter="*/cuda:CudaDevices.*" --gtest_output="xml:$out/gpu-tests.xml" >"$tests_log" 2>&1
fi
tests_rc=$?
[ $tests_rc -eq 0 ] || failed=1
tests_summary=$(grep -E 'tests passed|PASSED|FAILED|SKIPPED' "$tests_log" | tail -3 | tr '\n' ' ')

# --- 2. lrfinder runs --------------------------------------------------------------------------------------
# x evenly over [0, 10], y = 2.5x plus a small deterministic wiggle, as CSV.
make_data() {
  awk -v n="$1" 'BEGIN { print "x,y"; for (i = 0; i < n; i++) { x = 10 * i / (n - 1);
    printf "%.17g,%.17g\n", x, 2.5 * x + ((i * 7919) % 101 - 50) * 0.001 } }' >"$2"
}
make_data 4096 "$scratch/dense4096.csv"
make_data 20011 "$scratch/dense20011.csv"

# run NAME POINTS BACKEND TRIALS [lrfinder run options...]: the summary in run-NAME.txt; the cuda kernel
# timing (LRF_CUDA_TIMING) on run-NAME.err.
declare -a rows=()
run() {
  local name=$1 points=$2 backend=$3 trials=$4
  shift 4
  say "run $name: $backend, $trials trials, $points points"
  if ! LRF_CUDA_TIMING=1 "$lrf" run -n "$trials" --backend "$backend" --seed 1 --overwrite \
    -o "$scratch/$name.h5" "$@" >"$out/run-$name.txt" 2>"$out/run-$name.err"; then
    say "run $name failed: $(tail -1 "$out/run-$name.err")"
    failed=1
  fi
  rm -f "$scratch/$name.h5"
  rows+=("$name $points")
}
run seed-serial 100 serial "$serial_trials"
run seed-cpu 100 cpu "$cpu_trials"
if [ "$gpu" = 1 ]; then
  run seed-cuda 100 cuda "$cuda_trials"
  run seed-cuda-none 100 cuda $((10 * cuda_trials)) --save none
  run seed-cuda-loss 100 cuda "$cuda_trials" --save loss
  # Statistics only: the plan made and the statistics reduced on the GPU. 1e9 trials only where 1e8 took
  # under 12 s (the goal: 1e9 in under 10 s).
  run seed-cuda-stats 100 cuda 100000000 --save stats
  if awk '/^  compute / { for (i = 1; i <= NF; i++) if ($i == "total") { x = $(i + 1); sub(/s\)?$/, "", x) } }
          END { exit !(x > 0 && x < 12) }' "$out/run-seed-cuda-stats.txt"; then
    run seed-cuda-stats-1e9 100 cuda 1000000000 --save stats
  else
    say "run seed-cuda-stats-1e9 skipped: 1e8 trials took 12 s or more"
  fi
  run dense4096-cuda 4096 cuda 50000 --epochs 200 --data "$scratch/dense4096.csv"
  run dense20011-cuda 20011 cuda 10000 --epochs 200 --data "$scratch/dense20011.csv"
fi

# --- 3. the benchmark harness ------------------------------------------------------------------------------
device_line=$(sed -n 's/^cuda  *//p' "$out/info.txt")
device_slug=$(echo "$device_line" | sed 's/^0: //; s/ (.*//; s/[^A-Za-z0-9]\+/-/g; s/-$//' | tr '[:upper:]' '[:lower:]')
bench_note="not in this build"
if [ -x "$build/bench/lrfinder-bench" ]; then
  bench_json=$out/bench-$device_slug.json
  say "lrfinder-bench (log: $out/bench.log, JSON: $bench_json)"
  # one repetition a row: the device's minutes are few
  if timeout "${LRF_BENCH_TIMEOUT:-150}" "$build/bench/lrfinder-bench" --benchmark_out="$bench_json" \
    --benchmark_out_format=json --benchmark_repetitions=1 >"$out/bench.log" 2>&1; then
    bench_note=$bench_json
  else
    bench_note="failed or timed out: see $out/bench.log"
    failed=1
  fi
fi

# --- 4. the table ------------------------------------------------------------------------------------------
# The first GPU's facts from `lrfinder info`: "0: NAME (sm_XY, N SMs, M MHz, G GiB); 1: ...".
ngpu=$(echo "$device_line" | awk -F'; ' '{ print NF }')
sm=$(echo "$device_line" | sed -n 's/^0: .* (sm_\([0-9]*\), .*/\1/p')
sms=$(echo "$device_line" | sed -n 's/^0: .* (sm_[0-9]*, \([0-9]*\) SMs.*/\1/p')
mhz=$(echo "$device_line" | sed -n 's/^0: .* SMs, \([0-9]*\) MHz.*/\1/p')
# FP64 units per SM (each retires one fp64 add, multiply or FMA per clock): the data-centre parts have 32
# (P100 sm_60, V100 sm_70, A100 sm_80) or 64 (H100/H200 sm_90, B200 sm_100); the others have 2 to 4.
case $sm in
60 | 70 | 80) units=32 ;;
90 | 100) units=64 ;;
61) units=4 ;;
*) units=2 ;;
esac
# The kernel issues only plain fp64 multiplies and adds (no FMA: --fmad=false), one instruction per op, so
# its ceiling is   peak_ops = GPUs x SMs x clock x FP64 units/SM   instructions per second.
# Datasheets count an FMA as two FLOPs:   peak_flops = 2 x peak_ops   (H200: 2 x 132 x 1.98 GHz x 64 = 33.5 T).
peak_ops=$(awk -v g="$ngpu" -v s="$sms" -v m="$mhz" -v u="$units" 'BEGIN { print g * s * m * 1e6 * u }')

# field FILE: "steps trials compute_s total_s" from a run summary.
summary() {
  awk '/^lrfinder: [0-9]+ trials/ { t = $2 } /^  steps / { s = $2 }
       /^  compute / { c = $2; for (i = 1; i <= NF; i++) if ($i == "total") { x = $(i + 1); sub(/s\)?$/, "", x) } }
       END { print s + 0, t + 0, c + 0, x + 0 }' "$1"
}
# The longest kernel-busy time over the devices (the cuda backend's LRF_CUDA_TIMING lines).
kernel_seconds() {
  awk '/cuda timing:/ { for (i = 1; i <= NF; i++) if ($i == "busy") b = $(i + 1); if (b > m) m = b }
       END { print m + 0 }' "$1"
}

serial_steps_rate=$(summary "$out/run-seed-serial.txt" | awk '{ print ($3 > 0) ? $1 / $3 : 0 }')
{
  echo
  echo "gpu-check: $device_line"
  if [ "$gpu" = 1 ]; then
    echo "  fp64 peak: $ngpu GPU x $sms SMs x $mhz MHz x $units FP64 units/SM = $(awk -v p="$peak_ops" \
      'BEGIN { printf "%.3g", p }') mul/add per s (x2 = $(awk -v p="$peak_ops" 'BEGIN { printf "%.3g", 2 * p }') FLOP/s with FMA as 2)"
  fi
  echo "  fp64 ops: 4 per point per loss evaluation (mul, sub, mul, add), points x (steps + trials) evaluations"
  echo "  gpu tests: $([ $tests_rc -eq 0 ] && echo passed || echo FAILED) ($tests_summary)"
  echo "  bench: $bench_note"
  echo
  printf '%-16s %7s %9s %11s %11s %9s %11s %9s %8s %12s\n' run points trials trials/s steps/s "x serial" \
    "kernel op/s" "% peak" "% FLOP" "e2e trial/s"
  for row in "${rows[@]}"; do
    read -r name points <<<"$row"
    read -r steps trials compute total <<<"$(summary "$out/run-$name.txt")"
    kernel=$(kernel_seconds "$out/run-$name.err")
    awk -v n="$name" -v p="$points" -v s="$steps" -v t="$trials" -v c="$compute" -v x="$total" -v k="$kernel" \
      -v sr="$serial_steps_rate" -v peak="$peak_ops" 'BEGIN {
        if (c <= 0) { printf "%-16s %7d %9s (failed)\n", n, p, "-"; exit }
        ops = 4 * p * (s + t)
        speed = (sr > 0 && p == 100) ? sprintf("%.1f", s / c / sr) : "-"
        if (k > 0) { kr = sprintf("%.3g", ops / k); pk = sprintf("%.2f", 100 * ops / k / peak);
                     pf = sprintf("%.2f", 50 * ops / k / peak) } else { kr = "-"; pk = "-"; pf = "-" }
        printf "%-16s %7d %9d %11.4g %11.4g %9s %11s %9s %8s %12.4g\n", n, p, t, t / c, s / c, speed, kr, pk, pf,
               (x > 0) ? t / x : 0 }'
  done
  echo
  echo "  trials/s, steps/s: over the backend's time (Backend::run_and_suggest: the trials and every rule,"
  echo "  host-device copies included); x serial:"
  echo "  steps/s over the serial run's (seed rows); kernel op/s: fp64 ops over the time the trials' kernel"
  echo "  (each trial and then its rules) was running, so the rules' work counts against it"
  echo "  (cuda rows); % peak: of the mul/add peak above; % FLOP: of the datasheet FLOP/s; e2e: trials over"
  echo "  the whole run, HDF5 output included. Full summaries: $out/run-*.txt"
} | tee "$out/summary.txt"
exit $failed
