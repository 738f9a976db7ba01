#include "run/runner.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace lrf {

std::int64_t default_batch(const Problem &problem, std::int64_t trials) {
  const std::int64_t budget = std::int64_t{256} << 20;
  std::int64_t batch = budget / problem.trial_bytes();
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
  std::int64_t batch_size = control.batch > 0 ? control.batch : default_batch(problem, total);
  if (const std::int64_t multiple = sink.batch_multiple(); batch_size > multiple)
    batch_size -= batch_size % multiple;
  RunResult result;
  const std::size_t headline = headline_rule(control.analysis);
  const RuleRun rules(problem, control.analysis.curve());
  Batch batch;
  for (std::int64_t first = control.begin; first < end; first += batch_size) {
    if (control.signal && control.signal->load())
      throw Stopped(control.signal->load());
    plan.fill(first, std::min(batch_size, end - first), batch);
    batch.size_outputs(problem.row_length(), sink.keeps_weight());
    size_suggestions(batch);
    auto t = clock::now();
    if (control.suggest) {
      backend.run_and_suggest(problem, batch, rules);
    } else {
      backend.run(problem, batch);
      for (auto &values : batch.suggest)
        std::fill(values.begin(), values.end(), std::numeric_limits<double>::quiet_NaN());
    }
    result.compute_seconds += seconds_since(t);
    batch.suggested_lr = batch.suggest[headline];
    batch.pad_tails(problem.row_length());
    result.summary.add(batch);
    t = clock::now();
    sink.write(batch);
    result.write_seconds += seconds_since(t);
    if (control.progress)
      control.progress(first + batch.size() - control.begin, total, seconds_since(start));
  }
  result.total_seconds = seconds_since(start);
  return result;
}

} // namespace lrf
