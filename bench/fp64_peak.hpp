// The machine's measured fp64 peak for the trial core's arithmetic, on the cpu backend's build in use:
// the yardstick the benchmark reports "share of peak" against.
#pragma once

#include "backends/backend.hpp"

#include <string>

namespace lrf {

struct Fp64Peak {
  double flops = 0; // fp64 operations per second, all threads together (a fused multiply-add is 2)
  int threads = 0;
  std::string method; // what ran, in words
};

// Runs independent chains, of multiplies and of adds (`fused` false: exact arithmetic's mix) or of fused
// multiply-adds, in the vectors of build `isa`, on `threads` threads (0: every core) pinned to CPUs: the
// best of several short runs, about 0.5 s in all.
Fp64Peak measure_fp64_peak(const CpuIsa &isa, bool fused, int threads = 0);

} // namespace lrf
