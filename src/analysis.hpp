// From trajectories to an answer: each trial's suggested learning rate, and the run's summary built
// batch by batch in memory that does not grow with the trial count.
#pragma once

#include "batch.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// How the suggestion rules read a trajectory (set by `lrfinder run` options, see setup_analysis_options).
struct AnalysisOptions {
  std::string suggest = "steep"; // the rule behind /trials/suggested_lr and the run's headline
};

// The suggestion rules, in the order of Batch::suggest and of /trials/suggest/<rule> in the file.
const std::vector<std::string> &rule_names();

// The learning rate at the steepest descent of loss against ln(lr) before the lowest loss: over steps
// k = 1..argmin(loss) where lr grew, the k with the most negative (loss[k] - loss[k-1]) / ln(lr[k]/lr[k-1]);
// the answer is lr[k], the rate that made that drop. NaN where the loss never falls.
double suggested_lr(const double *loss, const double *lr, std::int32_t steps);

// Fills batch.suggest (every rule) and batch.suggested_lr (the headline rule) from the trajectories.
void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch);

// Counts, steps and the distribution of suggestions over every trial seen. Quantiles come from a
// histogram of log10(lr) with kBinsPerDecade bins a decade, so they are exact to 0.12%.
class Summary {
public:
  static constexpr int kBinsPerDecade = 1000;
  static constexpr int kLowDecade = -30, kHighDecade = 10; // suggestions outside go to the end bins

  Summary();
  void add(const Batch &batch);
  void merge(const Summary &other);

  std::int64_t trials = 0;
  std::int64_t steps = 0;               // updates performed, all trials
  std::array<std::int64_t, 3> status{}; // by Status: diverged, completed, stalled
  std::int64_t suggested = 0;           // trials with a suggestion

  // The q-quantile (0..1) of the suggestions, the geometric centre of its histogram bin; NaN if none.
  double quantile(double q) const;

private:
  std::vector<std::int64_t> bins_;
};

} // namespace lrf
