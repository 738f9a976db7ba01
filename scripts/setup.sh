#!/usr/bin/env bash
# Installs what lrfinder needs to build (and, with --tests, to test) on Debian/Ubuntu, where it is missing.
# System packages come from apt-get (as root, or through sudo); Python packages (scripts/requirements.txt:
# what the Python module builds and runs with, the plots and the tests) from pip.
set -euo pipefail

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

packages=(cmake ninja-build g++ pkg-config libhdf5-dev libcli11-dev python3 python3-pip python3-dev)
# The tests also start a private single-node SLURM (slurm-wlm, munge) for the cluster scripts.
[ "$want_tests" = 1 ] && packages+=(libgtest-dev libbenchmark-dev hdf5-tools slurm-wlm slurm-client munge)
# ... and fuzzes the CSV readers and options with clang's libFuzzer (tests/fuzz/run.sh, run by CI).
[ "$want_tests" = 1 ] && packages+=(clang libclang-rt-dev)
# ... and runs the SIMD code's baseline x86-64 builds on an emulated CPU without AVX2, and the engine
# cross-built for aarch64, on qemu-user.
[ "$want_tests" = 1 ] && [ "$(uname -m)" = x86_64 ] && packages+=(qemu-user g++-aarch64-linux-gnu)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" != 0 ] && sudo="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install ${missing[*]} (no apt-get here)" >&2
    exit 1
  fi
fi

# The Python module builds with nanobind and scikit-build-core and returns numpy, h5py and pandas objects;
# the plots need matplotlib; the tests compare against the seed's loop in numpy, run pytest and read result
# files with xarray through h5netcdf.
modules="numpy, h5py, pandas, nanobind, scikit_build_core, matplotlib, pytest, xarray, h5netcdf"
if ! python3 -c "import $modules" 2>/dev/null; then
  echo "setup: installing $modules for python3 (scripts/requirements.txt)" >&2
  requirements="$(dirname "$0")/requirements.txt"
  python3 -m pip install -q -r "$requirements" 2>/dev/null ||
    python3 -m pip install -q --break-system-packages -r "$requirements"
fi

# nvcc in the toolkit's usual place but not on PATH: the CUDA backend is still built.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "export PATH=/usr/local/cuda/bin:\$PATH"
fi
