#!/bin/sh
# The engine (trial core, rules, serial and cpu backends: no HDF5, no CLI11) built for aarch64 with a cross
# compiler and its tests run under qemu-user: the golden cases, the cpu backend (its NEON build) against
# serial, the rules in lanes against one trial, the loss.
#
#   tests/cross_aarch64.sh SOURCE_DIR BUILD_DIR
#
# Needs aarch64-linux-gnu-g++ and qemu-aarch64 (scripts/setup.sh installs both on x86-64 machines) and
# googletest's sources (/usr/src/googletest, Debian's libgtest-dev).
set -eu
src=$1
out=$2
cxx=aarch64-linux-gnu-g++
gtest=/usr/src/googletest/googletest
for need in "$cxx" qemu-aarch64; do
  command -v "$need" >/dev/null || { echo "cross_aarch64: $need not found (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -f "$gtest/src/gtest-all.cc" ] || { echo "cross_aarch64: no googletest sources in $gtest" >&2; exit 1; }
mkdir -p "$out"
flags="-std=c++17 -O2 -ffp-contract=off -Wall -Wextra -Wno-psabi -I$src/src -I$src/kernels -I$src/tests"
engine=$(cd "$src" && ls src/core/*.cpp src/backends/*.cpp src/analysis/*.cpp src/run/*.cpp)
tests="tests/golden_test.cpp tests/backend_test.cpp tests/lanes_test.cpp tests/loss_test.cpp"
# One object per source, two at a time; a rebuild recompiles what is older than its source or any header.
objects=""
for f in $engine $tests; do
  objects="$objects $out/$(echo "$f" | tr / _).o"
done
for f in $engine $tests; do
  o="$out/$(echo "$f" | tr / _).o"
  if [ ! -f "$o" ] || [ "$src/$f" -nt "$o" ] || [ -n "$(find "$src/src" "$src/kernels" "$src/tests" -name '*.h*' -newer "$o" | head -1)" ]; then
    echo "$src/$f $o"
  fi
done | xargs -r -P 2 -n 2 sh -c "$cxx $flags -c \"\$0\" -o \"\$1\""
for f in gtest-all gtest_main; do
  [ -f "$out/$f.o" ] || $cxx -std=c++17 -O1 -I"$gtest/include" -I"$gtest" -c "$gtest/src/$f.cc" -o "$out/$f.o"
done
$cxx -o "$out/lrf_aarch64_tests" $objects "$out/gtest-all.o" "$out/gtest_main.o" -pthread
# ELF e_machine (bytes 18-19) is 0xb7 for aarch64
[ "$(od -An -tx1 -j18 -N2 "$out/lrf_aarch64_tests" | tr -d ' ')" = b700 ] ||
  { echo "cross_aarch64: the build is not aarch64" >&2; exit 1; }
exec qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/lrf_aarch64_tests" \
  --gtest_filter='Golden*:SeedLoop*:Lanes.*:Loss.*:Backends.*:StopRules.*:IeeeLog.*'
