#!/usr/bin/env bash
# Fuzzes lrfinder with libFuzzer: configures and builds the clang build (build-fuzz/, preset fuzz: ASan,
# UBSan and coverage), then runs each target for a fixed time starting from its seed corpus.
#   tests/fuzz/run.sh [SECONDS per target, default 30] [TARGET...]   (targets: csv cli)
# Exit code non-zero on a crash or a broken guarantee; the input that did it is left in
# build-fuzz/findings/<target>/: add it to tests/fuzz/corpus/<target>/ once fixed (ctest replays it there).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv cli)

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (apt-get install clang libclang-rt-dev)" >&2
  exit 1
fi
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build "$root/build-fuzz" -j "$(nproc)" --target "${targets[@]/#/lrf_fuzz_}"

# The targets' scratch folders live in the build folder; what a crash left there goes with the next run.
export TMPDIR="$root/build-fuzz/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" # HDF5 memory only
status=0
for t in "${targets[@]}"; do
  # New inputs go to a working corpus in the build folder; the seed corpus in the tree stays as committed.
  work="$root/build-fuzz/corpus/$t" findings="$root/build-fuzz/findings/$t"
  mkdir -p "$work" "$findings"
  echo "fuzz: $t for ${seconds}s" >&2
  # -close_fd_mask=3: the target's own output is not wanted (libFuzzer and sanitizer reports still show).
  # -timeout: one input running longer than 10 s is reported as a hang; -rss_limit_mb: one using more memory.
  if ! "$root/build-fuzz/tests/fuzz/lrf_fuzz_$t" "$work" "$root/tests/fuzz/corpus/$t" \
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -close_fd_mask=3 \
       -dict="$root/tests/fuzz/$t.dict" -artifact_prefix="$findings/" -print_final_stats=1 \
       2>"$root/build-fuzz/fuzz-$t.log"; then
    status=1
    tail -n 40 "$root/build-fuzz/fuzz-$t.log" >&2
    echo "fuzz: $t FAILED; the input is in $findings/ (full log: build-fuzz/fuzz-$t.log)" >&2
  else
    grep -E 'DONE|^stat::(number_of_executed_units|peak_rss_mb)' "$root/build-fuzz/fuzz-$t.log" >&2 || true
    echo "fuzz: $t passed" >&2
  fi
done
exit $status
