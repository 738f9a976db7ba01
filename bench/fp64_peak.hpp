// The machine's measured fp64 peak for the trial core's op mix (multiplies and adds, no fused
// multiply-add): the yardstick the benchmark reports "share of peak" against.
#pragma once

#include <string>

namespace lrf {

struct Fp64Peak {
  double flops = 0; // fp64 operations per second, all threads together
  int threads = 0;
  std::string simd; // the widest instruction set the kernel ran with: avx512f, avx2 or default
};

// Runs independent multiply-add chains on `threads` threads (0: every core) for about 0.5 s in all.
Fp64Peak measure_fp64_peak(int threads = 0);

} // namespace lrf
