#include "run/runner.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <limits>

namespace lrf {

std::int64_t default_batch(const Problem &problem, std::int64_t trials, const Kept &kept) {
  const std::int64_t budget = std::int64_t{128} << 20;
  std::int64_t batch = std::min(budget / problem.trial_bytes(kept), kMaxDefaultBatch);
  if (batch >= kWholeChunkTrials)
    batch -= batch % kWholeChunkTrials;
  return std::clamp<std::int64_t>(batch, 1, std::max<std::int64_t>(trials, 1));
}

RunResult run_trials(const Problem &problem, const Plan &plan, Backend &backend, Sink &sink,
                     const RunControl &control) {
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
  };
  const auto start = clock::now();
  const std::int64_t end = control.end < 0 ? plan.size() : control.end;
  const std::int64_t total = end - control.begin;
  // A sink without rows (--save stats) groups trials by the plan's combos (a drawn scan is one group), and
  // a backend that reduces where it runs then returns each batch's statistics, not its trials.
  const std::vector<PlanCombo> *combos =
      !sink.kept().rows && plan.explicit_trials().empty() ? &plan.combos() : nullptr;
  const bool reduce = combos && control.suggest && backend.reduces();
  std::int64_t batch_size = control.batch > 0 ? control.batch
                            : reduce          ? std::min(kReducedBatch, std::max<std::int64_t>(total, 1))
                                              : default_batch(problem, total, sink.kept());
  if (const std::int64_t multiple = sink.batch_multiple(); batch_size > multiple)
    batch_size -= batch_size % multiple;
  RunResult result;
  const std::size_t headline = headline_rule(control.analysis);
  const RuleRun rules(problem, control.analysis.curve());
  // Two batches: while one computes, the other's summary and write run on their own thread (the sink
  // sees the batches in order, one at a time).
  Batch batches[2];
  std::future<void> draining;
  auto drained = [&] {
    if (draining.valid())
      draining.get(); // rethrows the sink's error
  };
  auto drain = [&](Batch &batch) {
    Summary stats;
    if (!batch.reduced.on) {
      batch.suggested_lr = batch.suggest[headline];
      batch.pad_tails(problem.row_length());
    }
    stats.add(batch, combos);
    result.summary.merge(stats);
    const auto t = clock::now();
    sink.write(batch, stats);
    result.write_seconds += seconds_since(t);
    if (control.progress)
      control.progress(batch.first + batch.size() - control.begin, total, seconds_since(start));
  };
  try {
    int next = 0;
    for (std::int64_t first = control.begin; first < end; first += batch_size, next ^= 1) {
      if (control.signal && control.signal->load()) {
        drained();
        throw Stopped(control.signal->load());
      }
      Batch &batch = batches[next];
      if (reduce) {
        batch.first = first;
        batch.count = std::min(batch_size, end - first);
        batch.reduced.on = true;
        batch.reduced.plan = plan.view();
        batch.reduced.headline = static_cast<int>(headline);
        batch.reduced.entries.clear();
      } else {
        plan.fill(first, std::min(batch_size, end - first), batch);
        batch.size_outputs(problem.row_length(), sink.kept());
        size_suggestions(batch);
      }
      const auto t = clock::now();
      if (control.suggest) {
        backend.run_and_suggest(problem, batch, rules);
      } else {
        backend.run(problem, batch);
        for (auto &values : batch.suggest)
          std::fill(values.begin(), values.end(), std::numeric_limits<double>::quiet_NaN());
      }
      result.compute_seconds += seconds_since(t);
      drained();
      draining = std::async(std::launch::async, drain, std::ref(batch));
    }
    drained();
  } catch (...) {
    if (draining.valid())
      draining.wait(); // the sink is not left writing a batch that is going away
    throw;
  }
  result.total_seconds = seconds_since(start);
  return result;
}

} // namespace lrf
