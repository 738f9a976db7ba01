#include "analysis/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace lrf {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
} // namespace

namespace detail {

namespace {

// The continued fraction of the incomplete beta function (modified Lentz), as in Numerical Recipes'
// betacf; it converges for x < (a + 1)/(a + b + 2) in O(sqrt(max(a, b))) terms.
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  const int max_terms = 1000 + static_cast<int>(20 * std::sqrt(std::max(a, b)));
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::fabs(d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m <= max_terms; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (std::fabs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = std::fabs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    d = 1 / (std::fabs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = std::fabs(c) < tiny ? tiny : c;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < eps)
      break;
  }
  return h;
}

// I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0)
    return 0;
  if (x >= 1)
    return 1;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2))
    return std::exp(log_front) * beta_fraction(a, b, x) / a;
  return 1 - std::exp(log_front) * beta_fraction(b, a, 1 - x) / b;
}

} // namespace

double binomial_tail(std::int64_t n, std::int64_t k, double p) {
  if (k <= 0)
    return 1;
  if (k > n)
    return 0;
  return incomplete_beta(static_cast<double>(k), static_cast<double>(n - k + 1), p);
}

} // namespace detail

double Distribution::centre(std::int64_t bin) {
  return std::pow(10.0, kLowDecade + (static_cast<double>(bin) + 0.5) / kBinsPerDecade);
}

void Distribution::add(double lr) {
  if (!is_answer(lr)) {
    add_unanswered(1);
    return;
  }
  std::uint64_t bits = 0;
  std::memcpy(&bits, &lr, sizeof bits);
  Seen &seen = seen_[(bits ^ (bits >> 29) ^ (bits >> 47)) % seen_.size()];
  if (!(seen.lr == lr))
    seen = Seen{lr, answer_bin(lr)};
  add_bin(seen.at.bin, 1, seen.at.units);
}

void Distribution::add_bin(std::int64_t bin, std::int64_t count, Int128 units) {
  trials_ += count;
  answered_ += count;
  sum_units_ += units;
  if (decades_.empty())
    decades_.resize(kHighDecade - kLowDecade);
  auto &decade = decades_[static_cast<std::size_t>(bin / kBinsPerDecade)];
  if (decade.empty())
    decade.resize(kBinsPerDecade, 0);
  decade[static_cast<std::size_t>(bin % kBinsPerDecade)] += count;
}

bool Distribution::operator==(const Distribution &other) const {
  return trials_ == other.trials_ && answered_ == other.answered_ && sum_units_ == other.sum_units_ &&
         histogram() == other.histogram();
}

void Distribution::merge(const Distribution &other) {
  trials_ += other.trials_;
  answered_ += other.answered_;
  sum_units_ += other.sum_units_;
  if (other.decades_.empty())
    return;
  if (decades_.empty())
    decades_.resize(other.decades_.size());
  for (std::size_t d = 0; d < other.decades_.size(); ++d) {
    if (other.decades_[d].empty())
      continue;
    if (decades_[d].empty())
      decades_[d].resize(kBinsPerDecade, 0);
    for (std::size_t b = 0; b < other.decades_[d].size(); ++b)
      decades_[d][b] += other.decades_[d][b];
  }
}

namespace {

// Calls f(bin, count, count at or below the bin) for every non-empty bin, in order, until f returns true.
template <class F> void for_bins(const std::vector<std::vector<std::int64_t>> &decades, F f) {
  std::int64_t seen = 0;
  for (std::size_t d = 0; d < decades.size(); ++d)
    for (std::size_t b = 0; b < decades[d].size(); ++b)
      if (decades[d][b] > 0) {
        seen += decades[d][b];
        if (f(static_cast<std::int64_t>(d * Distribution::kBinsPerDecade + b), seen))
          return;
      }
}

} // namespace

double Distribution::quantile(double q) const {
  if (answered_ == 0)
    return kNaN;
  // numpy's default: the virtual index h = q (N - 1) between the order statistics floor(h) and floor(h)+1.
  const double h = q * static_cast<double>(answered_ - 1);
  const auto lo = static_cast<std::int64_t>(std::floor(h));
  const std::int64_t hi = std::min(lo + 1, answered_ - 1);
  double value_lo = kNaN, value_hi = kNaN;
  for_bins(decades_, [&](std::int64_t bin, std::int64_t seen) {
    if (std::isnan(value_lo) && seen > lo)
      value_lo = centre(bin);
    if (seen > hi) {
      value_hi = centre(bin);
      return true;
    }
    return false;
  });
  return value_lo + (h - static_cast<double>(lo)) * (value_hi - value_lo);
}

std::vector<std::pair<std::int64_t, std::int64_t>> Distribution::histogram() const {
  std::vector<std::pair<std::int64_t, std::int64_t>> bins;
  std::int64_t before = 0;
  for_bins(decades_, [&](std::int64_t bin, std::int64_t seen) {
    bins.emplace_back(bin, seen - before);
    before = seen;
    return false;
  });
  return bins;
}

double Distribution::geometric_mean() const {
  if (answered_ == 0)
    return kNaN;
  return std::pow(10.0, static_cast<double>(sum_units_) * kLog10Unit / static_cast<double>(answered_));
}

std::array<double, 2> Distribution::median_interval(double level) const {
  if (answered_ == 0)
    return {kNaN, kNaN};
  const std::int64_t n = answered_, k = (n + 1) / 2;             // the median is the k-th smallest
  std::vector<std::pair<std::int64_t, std::int64_t>> cumulative; // (bin, answers at or below it)
  for_bins(decades_, [&](std::int64_t bin, std::int64_t seen) {
    cumulative.emplace_back(bin, seen);
    return false;
  });
  // P(resampled median <= bin) rises with the bin: find where it first reaches each tail.
  auto first_reaching = [&](double p) {
    auto at = std::partition_point(cumulative.begin(), cumulative.end(), [&](const auto &entry) {
      return detail::binomial_tail(n, k, static_cast<double>(entry.second) / static_cast<double>(n)) < p;
    });
    return centre((at == cumulative.end() ? cumulative.back() : *at).first);
  };
  return {first_reaching((1 - level) / 2), first_reaching((1 + level) / 2)};
}

} // namespace lrf
