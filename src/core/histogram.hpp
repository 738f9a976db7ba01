// Where one answer (a suggested learning rate) falls in a distribution's histogram, and what it adds to the
// distribution's mean: one function for every backend, so that statistics reduced on a GPU, on every core
// or from a file are the same bits (analysis/distribution.hpp keeps them).
#pragma once

#include "core/ieee_log.hpp"

#include <cmath>
#include <cstdint>

namespace lrf {

// log10(lr) in kBinsPerDecade bins a decade over every positive finite double (1e-324 to 1e309).
constexpr int kBinsPerDecade = 1000;
constexpr int kLowDecade = -324, kHighDecade = 309; // below the least denormal, above DBL_MAX
constexpr std::int64_t kBins = std::int64_t{kHighDecade - kLowDecade} * kBinsPerDecade;
// The sum of log10(lr) is kept exactly in units of 2^-52 (each answer's log10 rounded to one): integer
// sums do not depend on the order of the additions, so any split of the trials (threads, chunks, GPUs,
// shards) gives the same bits.
constexpr double kLog10Unit = 0x1p-52;
__extension__ typedef __int128 Int128; // such sums: 2^61 an answer, 2^66 answers before one could overflow
__extension__ typedef unsigned __int128 UInt128; // its two 64-bit halves, as a file stores them

struct AnswerBin {
  std::int64_t bin;   // 0 .. kBins-1
  std::int64_t units; // log10(lr) / kLog10Unit, rounded to nearest (|units| < 2^61)
};

// An answer counts where it is a positive finite rate; NaN (no answer), 0 or inf do not.
LRF_HD inline bool is_answer(double lr) {
  return lr > 0 && lr < INFINITY;
}

// For an answer (is_answer(lr)).
LRF_HD inline AnswerBin answer_bin(double lr) {
  const double l = ieee_log10(lr);
  const double pos = floor((l - kLowDecade) * kBinsPerDecade);
  const auto bin = static_cast<std::int64_t>(pos < 0 ? 0 : pos >= kBins ? kBins - 1 : pos);
  return AnswerBin{bin, static_cast<std::int64_t>(nearbyint(l * 0x1p52))};
}

} // namespace lrf
