#include "core/plan.hpp"

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
      combos_.push_back({scan, true, 0, ieee_log(spec.lo), ieee_log(spec.hi / spec.lo)});
    else
      for (double v : spec.values)
        combos_.push_back({scan, false, v, 0, 0});
  };
  if (options_.linear)
    add(Scan::linear, options_.linear_factors);
  if (options_.exp)
    add(Scan::exp, options_.exp_factors);
  size_ = options_.explicit_trials.empty() ? options_.trials
                                           : static_cast<std::int64_t>(options_.explicit_trials.size());
}

PlanView Plan::view() const {
  return PlanView{options_.seed,
                  options_.w_min,
                  options_.w_max,
                  combos_.data(),
                  static_cast<std::int64_t>(combos_.size()),
                  options_.explicit_trials.empty() ? nullptr : options_.explicit_trials.data()};
}

void Plan::fill(std::int64_t first, std::int64_t count, Batch &batch) const {
  batch.first = first;
  batch.count = count;
  batch.reduced.on = false;
  batch.start_weight.resize(static_cast<std::size_t>(count));
  batch.scan.resize(static_cast<std::size_t>(count));
  batch.factor.resize(static_cast<std::size_t>(count));
  const PlanView plan = view();
  for (std::int64_t i = 0; i < count; ++i) {
    const TrialParams p = plan.trial(first + i);
    batch.start_weight[i] = p.start_weight;
    batch.scan[i] = p.scan;
    batch.factor[i] = p.factor;
  }
}

} // namespace lrf
