// The device pipeline: everything per trial in one pass on the device, written once over Thrust so that the
// same code runs on a GPU (the cuda backend, Thrust's CUDA system) and on the host (the device-host
// backend, Thrust's OMP system, compiled by g++: how this code is tested on machines without a GPU).
//
// A chunk of trials goes up as their plan (start weight, scan, factor: 17 bytes a trial). One thread a
// trial runs the shared trial core (core/trial.hpp) into step-major rows ([k * stride + t]: a warp's stores
// of one step coalesce) and then every suggestion rule on those rows (core/library_rules.hpp), where they
// are. What comes back is what the batch keeps: steps, status and every rule's answer (about 70 bytes a
// trial), and only the trajectories the sink saves, turned row-major on the device. With `--save none` no
// trajectory crosses to the host at all. A reduced batch (`--save stats`) goes further: the threads make
// their own plan from the plan's view (Philox, as the host would), and the chunk's statistics are reduced
// on the device (a sort and a reduce by key: core/reduced.hpp), so that only a few hundred entries come back
// whatever the chunk's size.
//
// The same operations in the same order as the serial reference, thread by thread (nvcc --fmad=false,
// g++ -ffp-contract=off), so the results are the serial reference's bits.
#pragma once

#include "core/batch.hpp"
#include "core/library_rules.hpp"
#include "core/suggest.hpp"
#include "core/trial.hpp"

#include <thrust/copy.h>
#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/reduce.h>
#include <thrust/sort.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace lrf::pipeline {

// What a chunk's threads share: pointers into the system's memory.
struct ChunkArgs {
  RunConfig config;
  DataView data;
  const TrialParams *params;  // null: trial t is plan.trial(first + t)
  PlanView plan;              // combos in the system's memory
  std::int64_t first;         // the chunk's first trial in the run
  std::int64_t count, stride; // trials in the chunk; the step-major rows' stride (>= count)
  double *loss, *weight, *lr; // step-major rows, (epochs + 1) * stride each; weight null where not kept
  std::int32_t *steps;
  Status *status;
  // The rules (answers null: none): lrfinder's own options, the library rules' table, each trial's scratch
  // (scratch_per_trial doubles) and the answers, [rule * count + t].
  CurveOptions own;
  RuleTables tables;
  double *scratch;
  std::int64_t scratch_per_trial;
  double *answers;
};

// One trial, then every rule on its rows.
struct TrialThread {
  ChunkArgs a;
  LRF_HD void operator()(std::int64_t t) const {
    const TrialParams p = a.params ? a.params[t] : a.plan.trial(a.first + t);
    const TrajectoryOut out{a.loss + t, a.weight ? a.weight + t : nullptr, a.lr + t, a.stride};
    const TrialResult r = run_trial(a.config, a.data, p, out, a.first + t);
    a.steps[t] = r.steps;
    a.status[t] = r.status;
    if (!a.answers)
      return;
    const TrialView view =
        trial_view(a.loss + t, a.lr + t, a.stride, r.steps, r.status, p.scan, p.factor, a.config.epochs);
    double answers[kRuleCount];
    suggest_all(view, a.own, a.tables, a.scratch + t * a.scratch_per_trial, answers);
    for (int rule = 0; rule < kRuleCount; ++rule)
      a.answers[rule * a.count + t] = answers[rule];
  }
};

// A count and a sum of units (core/reduced.hpp) that reduce by key adds up.
struct StatsSum {
  std::int64_t count = 0;
  Int128 units = 0;
};
struct AddSums {
  LRF_HD StatsSum operator()(const StatsSum &a, const StatsSum &b) const {
    return StatsSum{a.count + b.count, a.units + b.units};
  }
};

// Entry e of a chunk's statistics, before the reduction: trial e / kStatsSlots, and slot e % kStatsSlots
// (a rule's answer, or the status with the steps).
struct EntryOf {
  const std::int32_t *steps;
  const Status *status;
  const double *answers; // [rule * count + t]
  std::int64_t count, first, combo_count;
  int headline;
  std::int64_t *keys;
  StatsSum *sums;
  LRF_HD void operator()(std::int64_t e) const {
    const std::int64_t t = e / kStatsSlots;
    const int slot = static_cast<int>(e % kStatsSlots);
    const std::int64_t combo = (first + t) % combo_count;
    if (slot == kStatusSlot) {
      keys[e] = stats_key(StatsKey{combo, slot, false, static_cast<std::int64_t>(status[t])});
      sums[e] = StatsSum{1, steps[t]};
      return;
    }
    const double lr = answers[slot * count + t], head = answers[headline * count + t];
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, &lr, sizeof a);
    std::memcpy(&b, &head, sizeof b);
    const AnswerBin at = is_answer(lr) ? answer_bin(lr) : AnswerBin{kNoAnswerBin, 0};
    keys[e] = stats_key(StatsKey{combo, slot, a != b, at.bin});
    sums[e] = StatsSum{1, at.units};
  }
};

// Step-major rows to the batch's row-major layout ([t * row + k]), NaN after each trial's last step.
struct ToRowMajor {
  const double *from;
  std::int64_t stride, row;
  const std::int32_t *steps;
  double *to;
  LRF_HD void operator()(std::int64_t i) const {
    const std::int64_t t = i / row, k = i % row;
    to[i] = k <= steps[t] ? from[k * stride + t] : NAN;
  }
};

// One system's buffers for a chunk of trials, grown as needed and reused from chunk to chunk. Policy is a
// Thrust execution policy (thrust::omp::par, thrust::cuda::par: each call returns when its work is done),
// Vector its system's vector template.
template <class Policy, template <class...> class Vector> class Pipeline {
public:
  // align: the step-major stride is a multiple of it (32 on a GPU: whole 256-byte lines a warp).
  Pipeline(Policy policy, std::int64_t align) : policy_(policy), align_(align) {}

  // Before a batch's chunks: the data, the rules' table and the plan's combos go up, once.
  void start_batch(const Problem &problem, const Batch &batch, const RuleRun *rules) {
    upload_data(problem);
    if (rules)
      assign(debias_, rules->debias);
    if (batch.reduced.on) // the threads make their plan
      assign(combos_, std::vector<PlanCombo>(batch.reduced.plan.combos,
                                             batch.reduced.plan.combos + batch.reduced.plan.combo_count));
  }

  // Runs trials [begin, end) of the batch (after start_batch) as one chunk: their steps and status, the
  // trajectories the batch keeps (its non-empty arrays; NaN after each trial's last step, as
  // Batch::pad_tails makes them), and with `rules` every rule's answer into batch.suggest (sized); of a
  // reduced batch, its statistics (take_entries).
  void run(const Problem &problem, Batch &batch, std::int64_t begin, std::int64_t end, const RuleRun *rules) {
    run_chunk(problem, batch, begin, end, problem.row_length(), rules);
  }

  // The statistics of the reduced chunks run since the last call (what a reduced batch gets), one entry a
  // key, in any order.
  std::vector<StatsEntry> take_entries() {
    std::vector<StatsEntry> entries;
    entries.reserve(entries_.size());
    for (const auto &[key, sum] : entries_)
      entries.push_back(StatsEntry{key, sum.count, sum.units});
    entries_.clear();
    return entries;
  }

  // Time spent in the trials' pass (trials and rules, no copies) and chunks run, since construction.
  double trial_seconds() const { return trial_seconds_; }
  std::int64_t chunks() const { return chunks_; }

private:
  template <class T> static T *raw(Vector<T> &v) { return thrust::raw_pointer_cast(v.data()); }
  template <class T> static void reserve(Vector<T> &v, std::int64_t n) {
    if (static_cast<std::int64_t>(v.size()) < n)
      v.resize(static_cast<std::size_t>(n));
  }
  template <class T> static void assign(Vector<T> &v, const std::vector<T> &host) {
    reserve(v, static_cast<std::int64_t>(host.size()));
    thrust::copy(host.begin(), host.end(), v.begin());
  }

  void upload_data(const Problem &problem) {
    const auto n = static_cast<std::int64_t>(problem.x.size());
    reserve(data_, 2 * n);
    thrust::copy(problem.x.begin(), problem.x.end(), data_.begin());
    thrust::copy(problem.y.begin(), problem.y.end(), data_.begin() + n);
  }

  void run_chunk(const Problem &problem, Batch &batch, std::int64_t first, std::int64_t last,
                 std::int64_t row, const RuleRun *rules) {
    const std::int64_t count = last - first;
    const std::int64_t stride = (count + align_ - 1) / align_ * align_;
    const std::int64_t values = row * stride;
    const bool reduced = batch.reduced.on;
    PlanView plan = batch.reduced.plan;
    if (reduced) {
      plan.combos = raw(combos_); // uploaded by start_batch
    } else {
      params_host_.resize(static_cast<std::size_t>(count));
      for (std::int64_t i = 0; i < count; ++i)
        params_host_[static_cast<std::size_t>(i)] = batch.params(first + i);
      assign(params_, params_host_);
    }
    // Loss and lr rows are needed where kept or where the rules read them; weight only where kept.
    const bool weight = !batch.weight.empty();
    reserve(loss_, values);
    reserve(lr_, values);
    if (weight)
      reserve(weight_, values);
    reserve(steps_, count);
    reserve(status_, count);
    const std::int64_t scratch = rules ? rule_scratch(problem.config.epochs) : 0;
    if (rules) {
      reserve(scratch_, count * scratch);
      reserve(answers_, count * kRuleCount);
    }
    DataView data = problem.data();
    data.x = raw(data_);
    data.y = raw(data_) + data.n;
    const ChunkArgs args{problem.config,
                         data,
                         reduced ? nullptr : raw(params_),
                         plan,
                         batch.first + first,
                         count,
                         stride,
                         raw(loss_),
                         weight ? raw(weight_) : nullptr,
                         raw(lr_),
                         raw(steps_),
                         raw(status_),
                         rules ? rules->own : CurveOptions{},
                         RuleTables{rules ? raw(debias_) : nullptr},
                         rules ? raw(scratch_) : nullptr,
                         scratch,
                         rules ? raw(answers_) : nullptr};
    const auto start = std::chrono::steady_clock::now(); // for_each returns when its kernel has ended
    thrust::for_each(policy_, thrust::counting_iterator<std::int64_t>(0),
                     thrust::counting_iterator<std::int64_t>(count), TrialThread{args});
    trial_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++chunks_;
    if (reduced) {
      reduce_chunk(args, batch.reduced.headline);
      return;
    }

    thrust::copy(steps_.begin(), steps_.begin() + count, batch.steps.begin() + first);
    thrust::copy(status_.begin(), status_.begin() + count, batch.status.begin() + first);
    if (rules)
      for (int r = 0; r < kRuleCount; ++r)
        thrust::copy(answers_.begin() + r * count, answers_.begin() + (r + 1) * count,
                     batch.suggest[static_cast<std::size_t>(r)].begin() + first);
    // Only the kept trajectories cross, row-major.
    Vector<double> *rows[3] = {&loss_, &weight_, &lr_};
    std::vector<double> *kept[3] = {&batch.loss, &batch.weight, &batch.lr};
    for (int a = 0; a < 3; ++a) {
      if (kept[a]->empty())
        continue;
      reserve(row_major_, count * row);
      thrust::for_each(policy_, thrust::counting_iterator<std::int64_t>(0),
                       thrust::counting_iterator<std::int64_t>(count * row),
                       ToRowMajor{raw(*rows[a]), stride, row, raw(steps_), raw(row_major_)});
      thrust::copy(row_major_.begin(), row_major_.begin() + count * row, kept[a]->begin() + first * row);
    }
  }

  // The chunk's statistics: an entry per (trial, slot), sorted by key and added up by key; the sums come
  // back.
  void reduce_chunk(const ChunkArgs &a, int headline) {
    const std::int64_t n = a.count * kStatsSlots;
    reserve(keys_, 2 * n);
    reserve(sums_, 2 * n);
    std::int64_t *keys = raw(keys_);
    StatsSum *sums = raw(sums_);
    thrust::for_each(
        policy_, thrust::counting_iterator<std::int64_t>(0), thrust::counting_iterator<std::int64_t>(n),
        EntryOf{a.steps, a.status, a.answers, a.count, a.first, a.plan.combo_count, headline, keys, sums});
    thrust::sort_by_key(policy_, keys, keys + n, sums);
    const auto ends = thrust::reduce_by_key(policy_, keys, keys + n, sums, keys + n, sums + n,
                                            thrust::equal_to<std::int64_t>(), AddSums());
    const auto unique = static_cast<std::size_t>(ends.first - (keys + n));
    std::vector<std::int64_t> host_keys(unique);
    std::vector<StatsSum> host_sums(unique);
    thrust::copy(keys_.begin() + n, keys_.begin() + n + static_cast<std::int64_t>(unique), host_keys.begin());
    thrust::copy(sums_.begin() + n, sums_.begin() + n + static_cast<std::int64_t>(unique), host_sums.begin());
    for (std::size_t i = 0; i < unique; ++i) { // summed across chunks: memory follows the keys, not the batch
      StatsSum &sum = entries_[host_keys[i]];
      sum = AddSums()(sum, host_sums[i]);
    }
  }

  Policy policy_;
  std::int64_t align_;
  double trial_seconds_ = 0;
  std::int64_t chunks_ = 0;
  std::vector<TrialParams> params_host_;
  Vector<double> data_, debias_, loss_, weight_, lr_, scratch_, answers_, row_major_;
  Vector<TrialParams> params_;
  Vector<PlanCombo> combos_;
  Vector<std::int64_t> keys_;
  Vector<StatsSum> sums_;
  std::unordered_map<std::int64_t, StatsSum> entries_;
  Vector<std::int32_t> steps_;
  Vector<Status> status_;
};

} // namespace lrf::pipeline
