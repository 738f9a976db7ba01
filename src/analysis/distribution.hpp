// One rule's suggestions over a set of trials as a histogram of log10(lr): quantiles, the geometric mean
// and the bootstrap interval of the median, in memory that does not grow with the trial count.
#pragma once

#include "core/histogram.hpp"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace lrf {

// One rule's suggestions over a set of trials, in memory bounded by the histogram: log10(lr) in
// kBinsPerDecade bins a decade over every positive finite double (1e-324 to 1e309, core/histogram.hpp), a
// decade's bins allocated when first used. Counts and the sum of log10(lr) are integers, so adding or
// merging in any order gives the same bits.
class Distribution {
public:
  static constexpr int kBinsPerDecade = lrf::kBinsPerDecade;
  static constexpr int kLowDecade = lrf::kLowDecade, kHighDecade = lrf::kHighDecade;

  // One trial's answer; one that is not a positive finite rate (NaN: no answer) counts as a trial without.
  void add(double lr);
  // `count` answers in one bin, their log10 summing to `units` (core/histogram.hpp): what a device reduced.
  void add_bin(std::int64_t bin, std::int64_t count, Int128 units);
  // `count` trials without an answer.
  void add_unanswered(std::int64_t count) { trials_ += count; }
  void merge(const Distribution &other);
  bool operator==(const Distribution &other) const;

  std::int64_t trials() const { return trials_; }
  std::int64_t answered() const { return answered_; }
  // The sum of log10(lr) over the answers, in units of kLog10Unit (core/histogram.hpp).
  Int128 sum_units() const { return sum_units_; }
  // numpy.percentile(answers, 100 q) (linear interpolation between order statistics), each answer read as
  // the geometric centre of its bin (within half a bin, 0.115%); NaN if none.
  double quantile(double q) const;
  // 10^mean(log10 lr) over the answers, from each answer's log10 to 2^-52 (not from the bins); NaN if none.
  double geometric_mean() const;
  // The percentile-bootstrap interval of the median at `level`, computed exactly, as the limit of
  // infinitely many resamples: a resample of the N answers has its median (its ceil(N/2)-th smallest) at
  // or below bin b exactly when at least ceil(N/2) of its N draws are, which has probability
  // P(Binomial(N, F_b) >= ceil(N/2)), F_b the fraction of answers at or below b. The bounds are the bins
  // where that probability first reaches (1 - level)/2 and (1 + level)/2. Deterministic; {NaN, NaN} if none.
  std::array<double, 2> median_interval(double level = 0.95) const;
  // The non-empty bins in order, as (bin, count): bin b holds log10(lr) in
  // [kLowDecade + b / kBinsPerDecade, kLowDecade + (b + 1) / kBinsPerDecade).
  std::vector<std::pair<std::int64_t, std::int64_t>> histogram() const;
  // The geometric centre of histogram bin `bin`: the lr an answer in it reads as.
  static double centre(std::int64_t bin);

private:
  std::int64_t trials_ = 0, answered_ = 0;
  Int128 sum_units_ = 0;                           // of log10(lr), in units of kLog10Unit
  std::vector<std::vector<std::int64_t>> decades_; // [decade][bin], empty where nothing fell
  // The last answers seen and their bins: a rule's answers are rates of the scans, few distinct values.
  struct Seen {
    double lr = 0;
    AnswerBin at{};
  };
  std::array<Seen, 16> seen_{};
};

namespace detail {
// P(Binomial(n, p) >= k) = I_p(k, n - k + 1), the regularized incomplete beta function.
double binomial_tail(std::int64_t n, std::int64_t k, double p);
} // namespace detail

} // namespace lrf
