// The plan: which trials a run holds (start weight, scan, factor for each trial index), made batch by batch
// so that memory never grows with the trial count.
#pragma once

#include "core/batch.hpp"
#include "core/ieee_log.hpp"
#include "core/philox.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// Scan factors for one scan: a list that trials cycle through, or a range LO:HI each trial draws from
// log-uniformly.
struct FactorSpec {
  std::vector<double> values; // non-empty for a list
  double lo = 0, hi = 0;      // a range when values is empty
  bool is_range() const { return values.empty(); }
};

// Checks a scan factor: linear > 0, exp > 1, finite. Returns "" or what is wrong.
std::string factor_problem(Scan scan, double factor);

struct PlanOptions {
  std::int64_t trials = 4096;
  std::uint64_t seed = 0;
  double w_min = -5, w_max = 10;
  bool linear = true, exp = true; // which scans run (both: trials alternate)
  FactorSpec linear_factors{{5e-4}};
  FactorSpec exp_factors{{1.1}};
  std::vector<TrialParams> explicit_trials; // non-empty: run exactly these, in order (--trials-from)
};

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

class Plan {
public:
  explicit Plan(PlanOptions options);
  std::int64_t size() const { return size_; }
  // Fills batch.first and the batch's plan with trials [first, first + count).
  void fill(std::int64_t first, std::int64_t count, Batch &batch) const;
  TrialParams trial(std::int64_t index) const { return view().trial(index); }
  // The plan as plain data, pointing into this plan's host memory.
  PlanView view() const;
  const std::vector<PlanCombo> &combos() const { return combos_; }
  const std::vector<TrialParams> &explicit_trials() const { return options_.explicit_trials; }

private:
  PlanOptions options_;
  std::vector<PlanCombo> combos_;
  std::int64_t size_;
};

} // namespace lrf
