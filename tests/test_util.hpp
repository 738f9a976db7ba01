// Helpers the tests share: problems, running a backend into memory, byte-for-byte comparison. Engine
// headers only, so that the engine's own tests link nothing else.
#pragma once

#include "analysis/summary.hpp"
#include "backends/backend.hpp"
#include "core/errors.hpp"
#include "core/plan.hpp"
#include "core/seed_data.hpp"
#include "run/runner.hpp"
#include "run/sink.hpp"

#include <cstring>
#include <vector>

namespace lrf::test {

// Keeps everything a run writes, as whole arrays (a reduced batch has none: it counts them).
struct MemorySink : Sink {
  std::int64_t row = 0;
  Kept keeps; // kept(): the arrays not kept stay NaN
  std::int64_t reduced_batches = 0;
  std::vector<double> loss, weight, lr, suggested_lr;
  std::vector<double> suggest; // [trial][rule]
  std::vector<std::int32_t> steps;
  std::vector<Status> status;
  explicit MemorySink(const Problem &p, std::int64_t trials) : row(p.row_length()) {
    loss.resize(trials * row, NAN);
    weight.resize(trials * row, NAN);
    lr.resize(trials * row, NAN);
    suggested_lr.resize(trials);
    suggest.resize(trials * kRuleCount);
    steps.resize(trials);
    status.resize(trials);
  }
  void write(const Batch &b, const Summary &) override {
    if (b.reduced.on) {
      ++reduced_batches;
      return;
    }
    // What a file keeps: each row up to the batch's longest trial; NaN beyond, as the file reads.
    const std::int64_t used = b.columns_used();
    for (std::int64_t i = 0; i < b.size(); ++i)
      for (auto [to, from] :
           {std::pair{&loss, &b.loss}, std::pair{&weight, &b.weight}, std::pair{&lr, &b.lr}})
        if (!from->empty())
          std::copy_n(from->begin() + i * row, used, to->begin() + (b.first + i) * row);
    std::copy(b.suggested_lr.begin(), b.suggested_lr.end(), suggested_lr.begin() + b.first);
    for (std::size_t r = 0; r < b.suggest.size(); ++r)
      for (std::int64_t i = 0; i < b.size(); ++i)
        suggest[static_cast<std::size_t>((b.first + i) * kRuleCount) + r] =
            b.suggest[r][static_cast<std::size_t>(i)];
    std::copy(b.steps.begin(), b.steps.end(), steps.begin() + b.first);
    std::copy(b.status.begin(), b.status.end(), status.begin() + b.first);
  }
  Kept kept() const override { return keeps; }
};

template <class T> bool same_bytes(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

inline bool same_bytes(const MemorySink &a, const MemorySink &b) {
  return same_bytes(a.loss, b.loss) && same_bytes(a.weight, b.weight) && same_bytes(a.lr, b.lr) &&
         same_bytes(a.suggested_lr, b.suggested_lr) && same_bytes(a.suggest, b.suggest) &&
         same_bytes(a.steps, b.steps) && same_bytes(a.status, b.status);
}

inline Problem seed_problem(std::int32_t epochs = 500) {
  Problem p;
  p.config.epochs = epochs;
  XY d = seed_data();
  p.x = d.x;
  p.y = d.y;
  return p;
}

inline MemorySink run_all(const Problem &problem, const Plan &plan, Backend &backend,
                          std::int64_t batch = 0) {
  MemorySink sink(problem, plan.size());
  RunControl control;
  control.batch = batch;
  run_trials(problem, plan, backend, sink, control);
  return sink;
}

// A mixed workload: both scans, drawn factors, start weights from far to near the minimum.
inline PlanOptions mixed(std::int64_t trials, std::uint64_t seed) {
  PlanOptions o;
  o.trials = trials;
  o.seed = seed;
  o.w_min = -40;
  o.w_max = 45;
  o.linear_factors = FactorSpec{{}, 1e-6, 1e-2};
  o.exp_factors = FactorSpec{{}, 1.001, 1.6};
  return o;
}

// Noisy data: y = -0.8x plus a fixed wobble, n points in [-1, 4].
inline Problem noisy_problem(std::int64_t n, std::int32_t epochs) {
  Problem p;
  p.config.epochs = epochs;
  p.x = linspace(-1, 4, n);
  for (std::int64_t i = 0; i < n; ++i)
    p.y.push_back(-0.8 * p.x[i] + static_cast<double>(i * 2654435761 % 977) * 1e-3);
  return p;
}

} // namespace lrf::test
