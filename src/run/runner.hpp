// The run loop: plan -> batches -> backend -> suggestions -> sink, with the summary built as it goes.
#pragma once

#include "analysis/summary.hpp"
#include "backends/backend.hpp"
#include "core/plan.hpp"
#include "run/sink.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>

namespace lrf {

// A run ended early by a signal, after its last complete batch.
struct Stopped : std::runtime_error {
  int signal;
  explicit Stopped(int sig) : std::runtime_error("interrupted"), signal(sig) {}
};

struct RunResult {
  Summary summary;            // of the trials this run ran
  double compute_seconds = 0; // backend time: the trials and their suggestion rules
  double write_seconds = 0;   // sink time
  double total_seconds = 0;
};

// Trials per batch when the user gives none: about 128 MiB of what a batch holds (the kept trajectories,
// Problem::trial_bytes; a run holds two batches), at most kMaxDefaultBatch, a multiple of kWholeChunkTrials
// where that fits (whole chunks of the file).
constexpr std::int64_t kMaxDefaultBatch = std::int64_t{1} << 17;
std::int64_t default_batch(const Problem &problem, std::int64_t trials, const Kept &kept = Kept{});
// Trials per batch of a statistics-only run on a backend that reduces where it runs: the host holds nothing
// a trial, and each batch is one checkpoint.
constexpr std::int64_t kReducedBatch = std::int64_t{1} << 24;

struct RunControl {
  std::int64_t batch = 0; // trials per batch, 0 = default_batch; rounded down to the sink's batch_multiple()
  // The trials to run, [begin, end) of the plan (a shard, or what a resumed run has left); end < 0: all.
  std::int64_t begin = 0, end = -1;
  // Called every progress_seconds from a thread of the run, with (trials done, trials in all, seconds so
  // far), counted within a batch where the backend counts (Backend::count_trials_into), and once more when
  // the last batch has reached the sink. One call at a time; it must not throw.
  std::function<void(std::int64_t, std::int64_t, double)> progress;
  double progress_seconds = 1.0;
  AnalysisOptions analysis;
  const std::atomic<int> *signal = nullptr; // non-zero (the signal number) ends the run between batches
  bool suggest = true; // false: the trials alone, every suggestion NaN (the benchmark's compute rows)
};

// Runs trials [control.begin, control.end) of the plan in order, each batch's summary and write
// overlapping the next batch's compute (two batches in memory). Throws Stopped when control.signal is
// set (between batches: the sink holds every batch before it), RunError if a backend or the sink fails.
RunResult run_trials(const Problem &problem, const Plan &plan, Backend &backend, Sink &sink,
                     const RunControl &control = {});

} // namespace lrf
