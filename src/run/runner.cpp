#include "run/runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

namespace lrf {

std::int64_t default_batch(const Problem &problem, std::int64_t trials, const Kept &kept) {
  const std::int64_t budget = std::int64_t{128} << 20;
  std::int64_t batch = std::min(budget / problem.trial_bytes(kept), kMaxDefaultBatch);
  if (batch >= kWholeChunkTrials)
    batch -= batch % kWholeChunkTrials;
  return std::clamp<std::int64_t>(batch, 1, std::max<std::int64_t>(trials, 1));
}

namespace {

// Calls control.progress every control.progress_seconds with the trials `done` counts, on a thread of its
// own, until it goes.
class ProgressTicker {
public:
  ProgressTicker(const RunControl &control, const std::atomic<std::int64_t> &done, std::int64_t total,
                 std::chrono::steady_clock::time_point start) {
    if (!control.progress)
      return;
    thread_ = std::thread([&control, &done, total, start, this] {
      const auto period = std::chrono::duration<double>(control.progress_seconds);
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stop_.wait_for(lock, period, [this] { return stopping_; }))
        control.progress(done.load(), total,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    });
  }
  ~ProgressTicker() {
    if (!thread_.joinable())
      return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
  }
  ProgressTicker(const ProgressTicker &) = delete;
  ProgressTicker &operator=(const ProgressTicker &) = delete;

private:
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace

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
  };
  // Trials computed: counted by the backend as they end where it counts, and set at each batch's end.
  std::atomic<std::int64_t> done{0};
  backend.count_trials_into(control.progress ? &done : nullptr);
  try {
    ProgressTicker ticker(control, done, total, start);
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
      done = batch.first + batch.size() - control.begin;
      drained();
      draining = std::async(std::launch::async, drain, std::ref(batch));
    }
    drained();
  } catch (...) {
    backend.count_trials_into(nullptr);
    if (draining.valid())
      draining.wait(); // the sink is not left writing a batch that is going away
    throw;
  }
  backend.count_trials_into(nullptr);
  result.total_seconds = seconds_since(start);
  if (control.progress)
    control.progress(total, total, result.total_seconds);
  return result;
}

} // namespace lrf
