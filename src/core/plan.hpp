// The plan: which trials a run holds (start weight, scan, factor for each trial index), made batch by batch
// so that memory never grows with the trial count.
#pragma once

#include "core/batch.hpp"

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
