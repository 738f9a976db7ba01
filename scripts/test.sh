#!/usr/bin/env bash
# Sets up, builds everything (Release) in build/ and runs the whole test suite with ctest (the Python
# module's tests against build/python); then installs the Python package (pip install .) and checks that
# it imports from anywhere. GPU tests skip, saying why, where no GPU is usable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh" --tests)"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build"
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)"
"$root/scripts/install-python.sh"
(cd / && python3 -c "import lrfinder; r = lrfinder.run(trials=64, progress=False, quiet=True); \
print('installed: lrfinder', lrfinder.__version__, 'from', lrfinder.__file__, '->', r.trials.shape[0], 'trials')")
