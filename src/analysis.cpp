#include "analysis.hpp"

#include <cmath>

namespace lrf {

double suggested_lr(const double *loss, const double *lr, std::int32_t steps) {
  std::int32_t lowest = 0;
  for (std::int32_t k = 1; k <= steps; ++k)
    if (loss[k] < loss[lowest])
      lowest = k;
  double best_slope = 0, best_lr = NAN;
  for (std::int32_t k = 1; k <= lowest; ++k) {
    if (!(lr[k] > lr[k - 1]))
      continue; // the seed records base_lr twice: no change of rate, no slope
    double slope = (loss[k] - loss[k - 1]) / std::log(lr[k] / lr[k - 1]);
    if (slope < best_slope) {
      best_slope = slope;
      best_lr = lr[k];
    }
  }
  return best_lr;
}

const std::vector<std::string> &rule_names() {
  static const std::vector<std::string> names{"steep"};
  return names;
}

void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch) {
  (void)options; // one rule so far: steep
  const std::int64_t row = problem.row_length();
  batch.suggest.resize(rule_names().size());
  for (auto &values : batch.suggest)
    values.resize(static_cast<std::size_t>(batch.size()));
  for (std::int64_t i = 0; i < batch.size(); ++i)
    batch.suggest[0][i] = suggested_lr(&batch.loss[i * row], &batch.lr[i * row], batch.steps[i]);
  batch.suggested_lr = batch.suggest[0];
}

Summary::Summary() : bins_(static_cast<std::size_t>((kHighDecade - kLowDecade) * kBinsPerDecade), 0) {}

void Summary::add(const Batch &batch) {
  const auto nbins = static_cast<std::int64_t>(bins_.size());
  for (std::int64_t i = 0; i < batch.size(); ++i) {
    ++trials;
    steps += batch.steps[i];
    ++status[static_cast<std::size_t>(batch.status[i])];
    double s = batch.suggested_lr[i];
    if (!(s > 0))
      continue;
    ++suggested;
    double pos = std::floor((std::log10(s) - kLowDecade) * kBinsPerDecade);
    auto bin = static_cast<std::int64_t>(pos < 0 ? 0 : pos >= nbins ? nbins - 1 : pos);
    ++bins_[static_cast<std::size_t>(bin)];
  }
}

void Summary::merge(const Summary &other) {
  trials += other.trials;
  steps += other.steps;
  suggested += other.suggested;
  for (std::size_t k = 0; k < status.size(); ++k)
    status[k] += other.status[k];
  for (std::size_t b = 0; b < bins_.size(); ++b)
    bins_[b] += other.bins_[b];
}

double Summary::quantile(double q) const {
  if (suggested == 0)
    return NAN;
  // The value of rank floor(q * (suggested - 1)) in sorted order (0-based), as a bin.
  auto rank = static_cast<std::int64_t>(std::floor(q * static_cast<double>(suggested - 1)));
  std::int64_t seen = 0;
  for (std::size_t b = 0; b < bins_.size(); ++b) {
    seen += bins_[b];
    if (seen > rank)
      return std::pow(10.0, kLowDecade + (static_cast<double>(b) + 0.5) / kBinsPerDecade);
  }
  return NAN;
}

} // namespace lrf
