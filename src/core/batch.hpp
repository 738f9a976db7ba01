// The problem every trial shares, and a batch of trials: the plan going in, trajectories and summaries out.
#pragma once

#include "core/plan_view.hpp"
#include "core/reduced.hpp"
#include "core/trial.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lrf {

// The file keeps trajectories in chunks of kChunkSteps steps by chunk_trials(bytes per value) trials, about
// kChunkBytes each: 2048 trials at f64, 4096 at f32 (fewer where the batch is smaller: io/writer.hpp).
// Narrow chunks keep a file close to the steps its trials took: a chunk is stored only where a trial of
// its rows reached its steps. Batches of a multiple of kWholeChunkTrials trials fill whole chunks at either
// precision, which then go to disk once and are never read back.
constexpr std::int64_t kChunkBytes = std::int64_t{128} << 10;
constexpr std::int64_t kChunkSteps = 8;
constexpr std::int64_t chunk_trials(std::int64_t value_bytes) {
  return kChunkBytes / (value_bytes * kChunkSteps);
}
constexpr std::int64_t kWholeChunkTrials = chunk_trials(4);
static_assert(kWholeChunkTrials % chunk_trials(8) == 0, "whole f32 chunks are whole f64 chunks");

// The summation order of np.mean to match (see DataView): numpy before 2.3 sums in buffers of 8192
// elements (blocked), 2.3 and later the whole array at once (whole).
enum class NumpySum : std::uint8_t { blocked, whole };
constexpr const char *numpy_sum_name(NumpySum s) {
  return s == NumpySum::blocked ? "blocked" : "whole";
}

// Which trajectories a batch holds (what its sink keeps, --save): the rules need loss and lr, but a backend
// that runs them in the same pass keeps those rows only as long as a chunk of trials is in flight. rows:
// whether the sink keeps per-trial rows at all (--save stats keeps only the statistics).
struct Kept {
  bool loss = true, weight = true, lr = true;
  bool rows = true;
  int arrays() const { return int{loss} + int{weight} + int{lr}; }
};

struct Problem {
  RunConfig config;
  std::vector<double> x, y;
  std::int64_t sum_block = 8192; // see DataView: 8192 for numpy < 2.3, x.size() for numpy >= 2.3

  void set_numpy_sum(NumpySum s) {
    sum_block = s == NumpySum::blocked ? 8192 : static_cast<std::int64_t>(x.size());
  }

  DataView data() const {
    auto n = static_cast<std::int64_t>(x.size());
    return DataView{x.data(), y.data(), n, sum_block < n ? sum_block : n};
  }
  std::int64_t row_length() const { return std::int64_t{config.epochs} + 1; }
  // Bytes of one trial in a Batch: the kept trajectories (float64, row_length() each), the plan, steps
  // and status, and room for 16 answers (every rule's and the headline's).
  std::int64_t trial_bytes(const Kept &kept = Kept{}) const {
    constexpr std::int64_t per_trial = 3 * sizeof(double) + 2 + sizeof(std::int32_t) + 16 * sizeof(double);
    return kept.arrays() * row_length() * static_cast<std::int64_t>(sizeof(double)) + per_trial;
  }
};

// Trials [first, first + size()) of a run. Trajectories are row-major: trial i's step k at [i * row + k].
struct Batch {
  std::int64_t first = 0;
  std::int64_t count = 0; // trials in the batch

  // A statistics-only batch (--save stats) on a backend that reduces where it runs (Backend::reduces):
  // no per-trial array is filled or read. The backend makes each trial's plan from `plan` and appends the
  // batch's statistics to `entries` (core/reduced.hpp), in any order.
  struct Reduced {
    bool on = false;
    PlanView plan{};
    int headline = 0; // the rule the entries' `differs` bit compares with
    std::vector<StatsEntry> entries;
  } reduced;

  // The plan, filled before a backend runs.
  std::vector<double> start_weight;
  std::vector<Scan> scan;
  std::vector<double> factor;

  // Filled by the backend.
  std::vector<double> loss, weight, lr;
  std::vector<std::int32_t> steps;
  std::vector<Status> status;

  // Filled by the analysis after the backend: suggest[r][i] is rule r's answer for trial i (rule_names()),
  // suggested_lr the headline rule's.
  std::vector<std::vector<double>> suggest;
  std::vector<double> suggested_lr;

  std::int64_t size() const { return count; }

  // Sizes the output arrays for the current plan (keeps capacity between batches); an array not kept
  // stays empty, and no backend records it in the batch.
  void size_outputs(std::int64_t row, const Kept &kept = Kept{}) {
    auto n = static_cast<std::size_t>(size());
    const auto values = n * static_cast<std::size_t>(row);
    loss.resize(kept.loss ? values : 0);
    weight.resize(kept.weight ? values : 0);
    lr.resize(kept.lr ? values : 0);
    steps.resize(n);
    status.resize(n);
    suggested_lr.resize(n);
  }

  // Steps of the longest trial plus one: the columns the batch's rows use (0 for an empty batch).
  std::int64_t columns_used() const {
    std::int64_t used = 0;
    for (std::int32_t s : steps)
      used = s + 1 > used ? s + 1 : used;
    return used;
  }

  // Sets each trial's entries after its last step to NaN, up to columns_used(): backends leave them as
  // they were, and a file holds rows up to there (beyond, it reads NaN without storing anything).
  void pad_tails(std::int64_t row) {
    const std::int64_t used = columns_used();
    for (std::int64_t i = 0; i < size(); ++i)
      for (auto *v : {&loss, &weight, &lr})
        if (!v->empty())
          std::fill(v->begin() + i * row + steps[i] + 1, v->begin() + i * row + used, NAN);
  }

  TrialParams params(std::int64_t i) const { return TrialParams{start_weight[i], scan[i], factor[i]}; }
  Kept kept() const { return Kept{!loss.empty(), !weight.empty(), !lr.empty()}; }
  // Where trial i records: its rows in the batch, or (an array the batch does not keep) `spare`'s, if any.
  TrajectoryOut out(std::int64_t i, std::int64_t row, TrajectoryOut spare = {}) {
    const std::int64_t at = i * row;
    auto pick = [at](std::vector<double> &v, double *other) { return v.empty() ? other : v.data() + at; };
    return TrajectoryOut{pick(loss, spare.loss), pick(weight, spare.weight), pick(lr, spare.lr), 1};
  }
};

} // namespace lrf
