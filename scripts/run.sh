#!/usr/bin/env bash
# Sets up, builds lrfinder (Release) in build/, installs the Python package (pip install .: the module
# lrfinder and the lrfinder command) and runs `lrfinder run` with the given options; with none, the seed's
# workload (4096 trials) into lrfinder.h5, replacing an older one.
#   scripts/run.sh                       # the default job
#   scripts/run.sh -n 100000 -o big.h5   # any `lrfinder run` options
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh")"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
{ cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$root/build" --target lrfinder; } >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
"$root/scripts/install-python.sh"
[ $# -eq 0 ] && set -- -o lrfinder.h5 --overwrite
"$root/build/lrfinder" run "$@"
