#include "core/plan.hpp"

#include "core/philox.hpp"

#include <cmath>
#include <utility>

namespace lrf {

std::string factor_problem(Scan scan, double factor) {
  if (!std::isfinite(factor))
    return "must be finite";
  if (scan == Scan::linear && !(factor > 0))
    return "a linear factor must be > 0";
  if (scan == Scan::exp && !(factor > 1))
    return "an exp factor must be > 1";
  return "";
}

Plan::Plan(PlanOptions options) : options_(std::move(options)) {
  auto add = [&](Scan scan, const FactorSpec &spec) {
    if (spec.is_range())
      combos_.push_back({scan, spec});
    else
      for (double v : spec.values)
        combos_.push_back({scan, FactorSpec{{v}}});
  };
  if (options_.linear)
    add(Scan::linear, options_.linear_factors);
  if (options_.exp)
    add(Scan::exp, options_.exp_factors);
  size_ = options_.explicit_trials.empty() ? options_.trials
                                           : static_cast<std::int64_t>(options_.explicit_trials.size());
}

TrialParams Plan::trial(std::int64_t index) const {
  if (!options_.explicit_trials.empty())
    return options_.explicit_trials[static_cast<std::size_t>(index)];
  // Trial i's numbers depend only on (seed, i): the same wherever and however the run is split.
  auto u = trial_uniforms(options_.seed, static_cast<std::uint64_t>(index));
  const Combo &combo = combos_[static_cast<std::size_t>(index % static_cast<std::int64_t>(combos_.size()))];
  double w0 = options_.w_min + (options_.w_max - options_.w_min) * u[0]; // numpy's uniform(low, high)
  double factor =
      combo.factors.is_range()
          ? std::exp(std::log(combo.factors.lo) + u[1] * std::log(combo.factors.hi / combo.factors.lo))
          : combo.factors.values[0];
  return TrialParams{w0, combo.scan, factor};
}

void Plan::fill(std::int64_t first, std::int64_t count, Batch &batch) const {
  batch.first = first;
  batch.start_weight.resize(static_cast<std::size_t>(count));
  batch.scan.resize(static_cast<std::size_t>(count));
  batch.factor.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    TrialParams p = trial(first + i);
    batch.start_weight[i] = p.start_weight;
    batch.scan[i] = p.scan;
    batch.factor[i] = p.factor;
  }
}

} // namespace lrf
