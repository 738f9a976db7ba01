#!/usr/bin/env bash
# Makes a build folder run on a machine without lrfinder's libraries (a GPU node, an air-gapped cluster):
# copies the shared libraries its executables use from this machine (HDF5 and what it pulls in: libsz,
# libaec, libcurl and friends; Google Benchmark; GoogleTest) into BUILD_DIR/lib. The executables look there
# first (their RUNPATH includes $ORIGIN/lib and $ORIGIN/../lib); scripts/gpu-check.sh also sets
# LD_LIBRARY_PATH to it. The C library and the GPU driver are left to the target machine.
#   scripts/bundle-libs.sh [BUILD_DIR]     (default: build-gpu)
set -euo pipefail
build=${1:-build-gpu}
mkdir -p "$build/lib"
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl|librt|libresolv|libgcc_s|libstdc\+\+|libcuda\.so)'
find "$build" -maxdepth 3 -type f -perm -u+x \( -name lrfinder -o -name 'lrf_*tests' -o -name lrfinder-bench \) |
  while read -r exe; do
    ldd "$exe" | awk '/=> \// { print $1, $3 }' | while read -r name path; do
      [[ "$name" =~ $skip ]] && continue
      [ "$(realpath "$path")" = "$(realpath -m "$build/lib/$name")" ] && continue # already bundled
      cp -uL "$path" "$build/lib/$name"
    done
  done
echo "bundle-libs: $(find "$build/lib" -type f | wc -l) libraries in $build/lib"
