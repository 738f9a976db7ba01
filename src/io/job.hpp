// One run of the range test into a result file, from typed settings: what `lrfinder run` and the Python
// module both do, so that the same settings give the same file, byte for byte, from either.
#pragma once

#include "analysis/rules.hpp"
#include "analysis/summary.hpp"
#include "backends/backend.hpp"
#include "core/plan.hpp"
#include "core/storage.hpp"
#include "io/data.hpp"
#include "run/runner.hpp"
#include "run/shard.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lrf {

enum class Scans { linear, exp, both };

// The names of each setting that is one of a few values, as `lrfinder run` (--scan, --backend, --sep,
// --decimal, --arith, --numpy-sum) and lrfinder.run (scan=, backend=, ...) take them: one table each.
template <class E> using Choices = std::vector<std::pair<std::string, E>>;
template <class E> const Choices<E> &choices();
template <> inline const Choices<Scans> &choices<Scans>() {
  static const Choices<Scans> c{{"linear", Scans::linear}, {"exp", Scans::exp}, {"both", Scans::both}};
  return c;
}
template <> inline const Choices<BackendKind> &choices<BackendKind>() {
  static const Choices<BackendKind> c{{"auto", BackendKind::automatic},
                                      {"cuda", BackendKind::cuda},
                                      {"cpu", BackendKind::cpu},
                                      {"serial", BackendKind::serial}};
  return c;
}
template <> inline const Choices<Sep> &choices<Sep>() {
  static const Choices<Sep> c{
      {"comma", Sep::comma}, {"semicolon", Sep::semicolon}, {"tab", Sep::tab}, {"space", Sep::space}};
  return c;
}
template <> inline const Choices<Decimal> &choices<Decimal>() {
  static const Choices<Decimal> c{{"point", Decimal::point}, {"comma", Decimal::comma}};
  return c;
}
template <> inline const Choices<Arith> &choices<Arith>() {
  static const Choices<Arith> c{{"exact", Arith::exact}, {"fma", Arith::fma}};
  return c;
}
template <> inline const Choices<NumpySum> &choices<NumpySum>() {
  static const Choices<NumpySum> c{{"blocked", NumpySum::blocked}, {"whole", NumpySum::whole}};
  return c;
}

struct JobSettings {
  std::string output = "lrfinder.h5";
  PlanOptions plan; // all but which scans run, and explicit_trials
  Scans scans = Scans::both;
  RunConfig config;
  double end_lr = 0; // > 0: the scans' factors are those that reach it after config.epochs updates
  BackendKind backend = BackendKind::automatic;
  BackendOptions backend_options;
  std::int64_t batch = 0;
  NumpySum numpy_sum = NumpySum::blocked;
  std::string data;        // a CSV or HDF5 file of x, y, "-" for a CSV on standard input, "" the seed's
  DataFormat data_format;  // its columns, header and separator
  std::string trials_from; // a CSV of explicit trials, or ""
  Shard shard;             // resolved (shard_from_environment where the user gave none)
  Storage storage;
  AnalysisOptions analysis;
  bool resume = true; // continue a partial file a stopped run of these settings left behind
  bool overwrite = false;
  std::string command_line; // the file's command_line attribute
};

// The data the trials fit, and what to call it in messages ("--data PATH", "the seed's data", "x, y").
struct JobData {
  std::vector<double> x, y;
  std::string source;
};

struct JobEvents {
  std::function<void(const std::string &)> note; // a line for the user (a resumed file, a fallback)
  // Once the file is open, before any trial runs: the backend, the trials of the file's range and how many
  // of them a resumed partial file already holds.
  std::function<void(const Backend &, std::int64_t, std::int64_t)> started;
  // Every progress_seconds while the trials run, and at the end: trials done (of this run), trials this
  // run runs, seconds so far (RunControl::progress). It must not throw.
  std::function<void(std::int64_t, std::int64_t, double)> progress;
  double progress_seconds = 1.0;
  const std::atomic<int> *signal = nullptr; // non-zero ends the run between batches
};

struct JobOutcome {
  std::string output;               // the file written (the shard's name, for a shard)
  std::unique_ptr<Backend> backend; // what ran the trials
  RunConfig config;                 // as run (its seed the plan's)
  Summary summary;                  // every trial of the file, a resumed part included
  RunResult result;                 // what this run computed
  LinearReference reference;        // of the data and loss
  // The signal (other than SIGINT) that stopped the run, or 0: the partial file is kept, to be resumed.
  int stopped = 0;
  std::int64_t done = 0, count = 0; // trials in the file, and in its range
  std::string partial_path;
};

// The file's name for these settings (the shard's output, for a shard).
std::string job_output(const JobSettings &settings);

// Checks every setting against the others and the data (`given`, else settings.data read), plans the
// trials, runs them on the backend into settings.output (resuming where it may) and publishes the file.
// InputError for a bad setting (one line naming it, before anything is written), RunError where the run
// fails, Stopped for SIGINT (the partial file goes with the run); any other signal returns with
// outcome.stopped and the partial file kept.
JobOutcome run_job(JobSettings settings, const JobEvents &events = {}, const JobData *given = nullptr);

// "a,b,c" (trials cycle through them) or "LO:HI" (each trial draws log-uniformly), each a valid factor of
// `scan`. "" or what is wrong.
std::string parse_factors(const std::string &text, Scan scan, FactorSpec &out);
// "0,1,..." of GPU ordinals, each a whole number once. "" or what is wrong.
std::string parse_devices(const std::string &text, std::vector<int> &out);

} // namespace lrf
