// The plan as plain data: what trial i is (start weight, scan, factor) as a pure function of (seed, i),
// the same on the host and on a GPU (LRF_HD), so that a device can make its trials' plan itself.
#pragma once

#include "core/ieee_log.hpp"
#include "core/philox.hpp"
#include "core/trial.hpp"

#include <cstdint>

namespace lrf {

// One (scan, factors) of the plan: one factor, or a range each trial draws from, log-uniformly.
struct PlanCombo {
  Scan scan;
  bool drawn;
  double factor;           // when not drawn
  double log_lo, log_span; // when drawn: ieee_log(lo), ieee_log(hi / lo)
};

// The plan as plain data, the same on the host and on a GPU (LRF_HD): trial i's numbers depend only on
// (seed, i), the same wherever and however a run is split. Pointers to the combos (and the explicit
// trials, if any) in the memory of whoever evaluates it.
struct PlanView {
  std::uint64_t seed;
  double w_min, w_max;
  const PlanCombo *combos; // trial i uses combos[i % combo_count]
  std::int64_t combo_count;
  const TrialParams *explicit_trials; // non-null: trial i is explicit_trials[i] (--trials-from)

  LRF_HD TrialParams trial(std::int64_t index) const {
    if (explicit_trials)
      return explicit_trials[index];
    const Uniforms u = trial_uniforms(seed, static_cast<std::uint64_t>(index));
    const PlanCombo &c = combos[index % combo_count];
    const double w0 = w_min + (w_max - w_min) * u.u[0]; // numpy's uniform(low, high)
    return TrialParams{w0, c.scan, c.drawn ? ieee_exp(c.log_lo + u.u[1] * c.log_span) : c.factor};
  }
};

} // namespace lrf
