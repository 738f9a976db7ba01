// Every rule over the trials of a batch on the host, kRuleLanes trials at a time in SIMD lanes
// (core/library_rules.hpp's suggest_all on RuleVec), the trials grouped by scan and length so that a
// group's lanes run about as long and alike: on the calling thread (suggest_range, what the cpu backend runs
// as each chunk of its trials ends, while their rows are in cache) or on every core (suggest_batch). Each
// answer is the bits suggest_all gives for that trial alone.
#pragma once

#include "core/batch.hpp"
#include "core/rules.hpp"

#include <cstdint>
#include <vector>

namespace lrf {

// What every batch of a run shares: lrfinder's own rule's options and the library rules' table.
struct RuleRun {
  CurveOptions own;
  std::vector<double> debias; // debias_table(epochs)
  RuleRun(const Problem &problem, const CurveOptions &options)
      : own(options), debias(debias_table(problem.config.epochs)) {}
  RuleTables tables() const { return RuleTables{debias.data()}; }
};

// Sizes batch.suggest: kRuleCount arrays of one answer per trial.
void size_suggestions(Batch &batch);

// Where trials' loss and lr rows are: trial i's at loss + (i - first) * row_length(). A batch's own rows
// (first = 0), or a backend's rows of the chunk in flight (first = the chunk's first trial).
struct TrialRows {
  const double *loss, *lr;
  std::int64_t first = 0;
  static TrialRows of(const Batch &batch) { return {batch.loss.data(), batch.lr.data(), 0}; }
  // A chunk's rows from trial `first` on: the batch's where it keeps them, else `spare`'s (a backend's
  // rows of the chunk in flight).
  static TrialRows chunk(const Batch &batch, const TrajectoryOut &spare, std::int64_t first,
                         std::int64_t row) {
    return {spare.loss ? spare.loss : batch.loss.data() + first * row,
            spare.lr ? spare.lr : batch.lr.data() + first * row, first};
  }
};

// Fills batch.suggest[r][i] for every rule r and trial i in [first, last) (batch.suggest sized), from the
// trials' rows in `rows`.
void suggest_range(const RuleRun &rules, const Problem &problem, Batch &batch, std::int64_t first,
                   std::int64_t last, const TrialRows &rows);

// suggest_range over the whole batch (its own rows), every core taking a share.
void suggest_batch(const RuleRun &rules, const Problem &problem, Batch &batch);

} // namespace lrf
