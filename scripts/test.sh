#!/usr/bin/env bash
# Sets up, builds everything (Release) in build/ and runs the whole test suite with ctest. GPU tests skip,
# saying why, where no GPU is usable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh" --tests)"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build"
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)"
