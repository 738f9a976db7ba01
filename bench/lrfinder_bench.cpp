// lrfinder-bench: the same workloads on every backend compiled in (serial, the reference; cpu; cuda where a
// GPU is usable), as Google Benchmark rows with throughput counters and the machine in the JSON context.
//
//   lrfinder-bench [--threads=N] [Google Benchmark flags, e.g. --benchmark_format=json --benchmark_out=F]
//
// Every row runs 5 repetitions unless --benchmark_repetitions says otherwise, and Google Benchmark adds
// their mean, median, stddev and cv; a row whose cv of the real time exceeds 5% is labelled NOISY (in the
// output and the JSON, and said on stderr), and a load average above 1 at the start is a `warning` in the
// JSON context and on stderr.
//
// Rows are named BACKEND/OUTPUT/points:P/trials:T/epochs:E/manual_time. OUTPUT is `compute` (the trials
// alone, no suggestion rules, the batches to a sink that discards them; the time is the backends' time,
// RunResult::compute_seconds), `compute-fma` (the same with --arith fma), or `h5` (every trajectory and
// every rule's answer written to an HDF5 file in the temp folder, removed after; the time is the whole run
// from creating the file to its commit). Every row times one run_trials() call per iteration by hand
// (UseManualTime), so rows on every backend measure the same thing.
//
// Counters, all rates per second of that time:
//   trials    trials finished
//   steps     trial updates (RunResult::summary.steps)
//   fp64_ops  4 * points * (steps + trials): every loss evaluation, the start's included, costs one multiply,
//             subtract, multiply and add per point (two fused multiply-adds with fma, also 4 operations);
//             the rest of a step (a handful of vector ops) is not counted
// and, as plain numbers:
//   speedup_vs_serial  (non-serial rows) steps/s over the serial backend's steps/s on the same workload,
//                      arithmetic and trials, measured in the same process (Bench::serial_reference)
//   peak_share         (cuda rows) fp64_ops/s over the GPUs' fp64 peak (context fp64_peak_gpu_ops: SMs x
//                      clock x fp64 units an SM, from cudaGetDeviceProperties; x2 for fma rows);
//                      (CPU rows) fp64_ops/s over the measured fp64 peak of the cores the row runs on, for
//                      the row's arithmetic: the context's fp64_peak_cpu_flops (multiply then add) or
//                      fp64_fma_peak_cpu_flops (fused), every core, * threads used / hardware threads,
//                      measured in the cpu backend's build (fp64_peak.cpp). Above 1 is flagged: the probe
//                      would be wrong.
//
// The rows BACKEND/stream: see bm_stream; BACKEND/stats: see bm_stats.
//
// The row suggest/cpu times the cpu backend's trials with every suggestion rule of every trial
// (Backend::run_and_suggest, the rules on each chunk as it ends) over one batch of the seed workload; its
// counter share_of_compute is what the rules add: (that time - the trials' alone) / the trials' alone, each
// the fastest of its runs of the same batch, the two taken in turns for at least 3 s; trials_share_of_total
// is the trials' alone over the whole.
#include "fp64_peak.hpp"

#include "analysis/rules.hpp"
#include "backends/backend.hpp"
#include "io/data.hpp"
#include "io/writer.hpp"
#include "run/runner.hpp"
#include "version.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

#if defined(LRF_WITH_CUDA)
#include "cuda_backend.hpp"
#include "device_info.hpp"
#endif

namespace lrf {
namespace {

// A workload: the data, the epochs, where the output goes, and the trial counts each backend runs. Trial
// counts are capped per backend so that a row stays within a few seconds: serial at 1e4 seed trials, cpu
// at 1e5 (1e6 with 8 or more threads), cuda at 1e6. The big data sets run fewer trials and epochs.
struct Workload {
  std::int64_t points;
  std::int32_t epochs;
  bool h5;
  std::vector<std::int64_t> serial, cpu, cuda;
  Arith arith = Arith::exact; // fma: rows named BACKEND/compute-fma, against the fused multiply-add peak
};

std::vector<Workload> workloads(int cpu_threads) {
  std::vector<std::int64_t> cpu_seed{1000, 10000, 100000};
  if (cpu_threads >= 8)
    cpu_seed.push_back(1000000);
  return {
      {100, 500, false, {1000, 10000}, cpu_seed, {1000, 10000, 100000, 1000000}},
      {10000, 100, false, {1000}, {1000, 10000}, {1000, 10000, 100000}},
      {1000000, 20, false, {128}, {128, 1024}, {1024, 10000}},
      // HDF5: 3 * 8 * (epochs + 1) bytes of trajectories per trial, 120 MB at 1e4 seed trials.
      {100, 500, true, {1000, 10000}, {1000, 10000}, {1000, 10000}},
      {100, 500, false, {10000}, {10000, 100000}, {100000, 1000000}, Arith::fma},
      {10000, 100, false, {1000}, {10000}, {100000}, Arith::fma},
  };
}

// The data: the seed's (y = 2.5x on 100 points) for 100 points; otherwise y = 2.5x on linspace(0, 10, n)
// plus a fixed wobble of +-0.5, so the loss has a floor above zero and trials run until they diverge or
// reach the epochs, like the seed's.
Problem make_problem(std::int64_t points, std::int32_t epochs, Arith arith) {
  Problem p;
  p.config.epochs = epochs;
  p.config.arith = arith;
  if (points == 100) {
    XY d = seed_data();
    p.x = std::move(d.x);
    p.y = std::move(d.y);
  } else {
    p.x = linspace(0, 10, points);
    p.y.resize(p.x.size());
    for (std::int64_t i = 0; i < points; ++i)
      p.y[i] = 2.5 * p.x[i] + static_cast<double>((i * 7919) % 101 - 50) * 0.01;
  }
  return p;
}

// The seed workload's plan (default PlanOptions: both scans alternating, linear 5e-4, exp 1.1, w in
// [-5, 10], seed 0): the first `trials` trials, the same as `lrfinder run -n TRIALS`.
Plan make_plan(std::int64_t trials) {
  PlanOptions o;
  o.trials = trials;
  return Plan(o);
}

struct DiscardSink final : Sink {
  Kept keeps;
  void write(const Batch &, const Summary &) override {}
  Kept kept() const override { return keeps; }
};

struct Measure {
  double seconds = 0;
  std::int64_t trials = 0, steps = 0;
};

std::string temp_h5_path() {
  static int counter = 0;
  return (std::filesystem::temp_directory_path() /
          ("lrfinder-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".h5"))
      .string();
}

// One whole run of the plan: compute only (backend time), or with the HDF5 file (creation to commit),
// keeping what `storage` saves.
Measure run_once(const Problem &problem, const Plan &plan, Backend &backend, bool h5,
                 Storage storage = Storage{}) {
  if (!h5) {
    DiscardSink sink;
    RunControl trials_only;
    trials_only.suggest = false;
    RunResult r = run_trials(problem, plan, backend, sink, trials_only);
    return {r.compute_seconds, r.summary.trials, r.summary.steps};
  }
  const std::string path = temp_h5_path();
  const auto start = std::chrono::steady_clock::now();
  OutputInfo info;
  info.backend = backend.name();
  info.device = backend.device();
  info.version = LRF_VERSION;
  info.command_line = "lrfinder-bench";
  info.w_min = -5;
  info.w_max = 10;
  info.storage = storage;
  H5Writer writer(path, problem, plan.size(), info);
  RunResult r = run_trials(problem, plan, backend, writer);
  writer.commit();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::remove(path.c_str());
  return {seconds, r.summary.trials, r.summary.steps};
}

// What every row shares, made once: the options, the measured peak, problems, backends, and the serial
// reference per workload.
struct Bench {
  int cpu_threads = 0;     // --threads; 0 = every core
  Fp64Peak peak, fma_peak; // multiply then add; fused multiply-adds
  double gpu_peak_ops = 0; // every GPU's fp64 multiplies or adds a second (DeviceInfo::fp64_peak_ops)
  std::map<std::tuple<std::int64_t, std::int32_t, Arith>, Problem> problems;
  std::map<BackendKind, std::unique_ptr<Backend>> backends;
  std::map<std::string, double> serial_steps_per_s;

  int threads_used(BackendKind kind) const {
    return kind == BackendKind::serial ? 1 : cpu_threads > 0 ? cpu_threads : peak.threads;
  }
  // The peak of the cores a CPU backend runs on, for the arithmetic in use.
  double peak_of(BackendKind kind, Arith arith) const {
    const Fp64Peak &p = arith == Arith::fma ? fma_peak : peak;
    return p.flops * std::min(threads_used(kind), p.threads) / p.threads;
  }

  const Problem &problem(const Workload &w) {
    auto key = std::make_tuple(w.points, w.epochs, w.arith);
    auto it = problems.find(key);
    if (it == problems.end())
      it = problems.emplace(key, make_problem(w.points, w.epochs, w.arith)).first;
    return it->second;
  }

  Backend &backend(BackendKind kind) {
    auto &b = backends[kind];
    if (!b)
      b = make_backend(kind, BackendOptions{cpu_threads, {}}, nullptr);
    return *b;
  }

  // Serial steps/s on this workload, for the speed-up of the other backends. Measured in this process,
  // once per workload and trial count (the first row that needs it pays, outside its timed loop), on the
  // same trials: the first min(trials, serial's largest count) trials of the same plan. Where a row runs
  // more trials than serial does, the two compare per trial update (serial time grows linearly with the
  // updates). Repeated until 0.3 s have passed so short runs are not one noisy sample.
  double serial_reference(const Workload &w, std::int64_t trials) {
    trials = std::min(trials, w.serial.back());
    const std::string key = std::to_string(w.points) + "/" + std::to_string(w.epochs) +
                            (w.h5 ? "/h5/" : "/") + arith_name(w.arith) + "/" + std::to_string(trials);
    auto it = serial_steps_per_s.find(key);
    if (it != serial_steps_per_s.end())
      return it->second;
    const Plan plan = make_plan(trials);
    Measure total;
    while (total.seconds < 0.3) {
      Measure m = run_once(problem(w), plan, backend(BackendKind::serial), w.h5);
      total.seconds += m.seconds;
      total.steps += m.steps;
    }
    return serial_steps_per_s[key] = static_cast<double>(total.steps) / total.seconds;
  }
};

Bench g_bench;

void bm_suggest(benchmark::State &state) {
  try {
    const Workload w{100, 500, false, {}, {}, {}};
    const Problem &problem = g_bench.problem(w);
    const Plan plan = make_plan(state.range(1));
    Backend &backend = g_bench.backend(BackendKind::cpu);
    const RuleRun rules(problem, AnalysisOptions{}.curve());
    Batch batch;
    plan.fill(0, plan.size(), batch);
    batch.size_outputs(problem.row_length());
    size_suggestions(batch);
    auto seconds = [](auto &&work) {
      const auto start = std::chrono::steady_clock::now();
      work();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    // Each iteration runs the trials alone, then with the rules, so that both see the same moments of a
    // shared machine; each keeps its fastest.
    double compute = 0, fastest = 0;
    for (auto _ : state) {
      const double alone = seconds([&] { backend.run(problem, batch); });
      const double with_rules = seconds([&] { backend.run_and_suggest(problem, batch, rules); });
      state.SetIterationTime(with_rules);
      compute = compute == 0 ? alone : std::min(compute, alone);
      fastest = fastest == 0 ? with_rules : std::min(fastest, with_rules);
    }
    state.counters["trials"] = benchmark::Counter(static_cast<double>(plan.size()) / fastest);
    state.counters["share_of_compute"] = (fastest - compute) / compute;
    state.counters["trials_share_of_total"] = compute / fastest;
    state.SetLabel(backend.device());
  } catch (const std::exception &e) {
    state.SkipWithError(e.what());
  }
}

void bm_run(benchmark::State &state, Workload w, BackendKind kind) {
  try {
    const Problem &problem = g_bench.problem(w);
    const Plan plan = make_plan(state.range(1));
    Backend &backend = g_bench.backend(kind);
    const double serial = kind == BackendKind::serial ? 0 : g_bench.serial_reference(w, state.range(1));
    Measure total;
    for (auto _ : state) {
      Measure m = run_once(problem, plan, backend, w.h5);
      state.SetIterationTime(m.seconds);
      total.seconds += m.seconds;
      total.trials += m.trials;
      total.steps += m.steps;
    }
    const double ops = 4.0 * static_cast<double>(w.points) * static_cast<double>(total.steps + total.trials);
    using benchmark::Counter;
    state.counters["trials"] = Counter(static_cast<double>(total.trials), Counter::kIsRate);
    state.counters["steps"] = Counter(static_cast<double>(total.steps), Counter::kIsRate);
    state.counters["fp64_ops"] = Counter(ops, Counter::kIsRate);
    if (serial > 0)
      state.counters["speedup_vs_serial"] = static_cast<double>(total.steps) / total.seconds / serial;
    std::string label = backend.device();
    if (kind == BackendKind::cuda && g_bench.gpu_peak_ops > 0) // an FMA instruction does 2 of fp64_ops
      state.counters["peak_share"] =
          ops / total.seconds / (g_bench.gpu_peak_ops * (w.arith == Arith::fma ? 2 : 1));
    if (kind != BackendKind::cuda && g_bench.peak.flops > 0) {
      const double share = ops / total.seconds / g_bench.peak_of(kind, w.arith);
      state.counters["peak_share"] = share;
      if (share > 1) { // faster than the peak: the probe measured the wrong thing
        label += "; PEAK_SHARE ABOVE 1: the peak probe is wrong";
        std::fprintf(
            stderr,
            "lrfinder-bench: warning: %s, %lld points: peak_share %.3g > 1, the fp64 peak probe is wrong\n",
            label.c_str(), static_cast<long long>(w.points), share);
      }
    }
    state.SetLabel(label);
  } catch (const std::exception &e) {
    state.SkipWithError(e.what());
  }
}

// BACKEND/stream: a `--save none` run of the seed workload from start to a complete file (the trials, their
// rules, the summary and the per-trial results written), against its compute alone (the backend's trials
// and rules over the same batches, nothing else running), the two taken in turns, each the fastest of its
// runs; counter e2e_share_of_compute = compute alone / end to end.
void bm_stream(benchmark::State &state, BackendKind kind) {
  try {
    const Problem &problem = g_bench.problem(Workload{100, 500, false, {}, {}, {}});
    const Plan plan = make_plan(state.range(1));
    Backend &backend = g_bench.backend(kind);
    Storage none;
    none.loss = none.weight = none.lr = false;
    double compute = 0, e2e = 0;
    std::int64_t trials = 0, steps = 0;
    const Kept nothing{false, false, false};
    const std::int64_t batch_size = default_batch(problem, plan.size(), nothing);
    const RuleRun rules(problem, AnalysisOptions{}.curve());
    Batch batch;
    for (auto _ : state) {
      double alone = 0;
      for (std::int64_t first = 0; first < plan.size(); first += batch_size) {
        plan.fill(first, std::min(batch_size, plan.size() - first), batch);
        batch.size_outputs(problem.row_length(), nothing);
        size_suggestions(batch);
        const auto start = std::chrono::steady_clock::now();
        backend.run_and_suggest(problem, batch, rules);
        alone += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      const Measure m = run_once(problem, plan, backend, true, none);
      state.SetIterationTime(m.seconds);
      compute = compute == 0 ? alone : std::min(compute, alone);
      e2e = e2e == 0 ? m.seconds : std::min(e2e, m.seconds);
      trials += m.trials;
      steps += m.steps;
    }
    using benchmark::Counter;
    state.counters["trials"] = Counter(static_cast<double>(trials), Counter::kIsRate);
    state.counters["steps"] = Counter(static_cast<double>(steps), Counter::kIsRate);
    state.counters["e2e_share_of_compute"] = compute / e2e;
    state.SetLabel(backend.device());
  } catch (const std::exception &e) {
    state.SkipWithError(e.what());
  }
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// GPU facts for the JSON context; returns whether cuda rows run. "none" where no GPU is usable.
bool add_gpu_context() {
#if defined(LRF_WITH_CUDA)
  std::string why;
  if (!cuda_usable({}, &why)) {
    benchmark::AddCustomContext("gpu", "none (" + why + ")");
    return false;
  }
  const int count = cuda_device_count();
  std::string names, cc, sms, clocks, memory;
  for (int dev = 0; dev < count; ++dev) {
    const DeviceInfo info = cuda_device_info(dev);
    const char *sep = dev ? "; " : "";
    names += sep + info.name;
    cc += sep + std::to_string(info.major) + "." + std::to_string(info.minor);
    sms += sep + std::to_string(info.sms);
    clocks += sep + std::to_string(info.clock_mhz);
    memory += sep + number(static_cast<double>(info.memory_bytes) / (1 << 30));
    g_bench.gpu_peak_ops += info.fp64_peak_ops();
  }
  benchmark::AddCustomContext("fp64_peak_gpu_ops", number(g_bench.gpu_peak_ops));
  benchmark::AddCustomContext("fp64_peak_gpu_method",
                              "SMs x clock x fp64 units an SM, every GPU, from cudaGetDeviceProperties");
  benchmark::AddCustomContext("gpu", names);
  benchmark::AddCustomContext("gpu_count", std::to_string(count));
  benchmark::AddCustomContext("gpu_compute_capability", cc);
  benchmark::AddCustomContext("gpu_sm_count", sms);
  benchmark::AddCustomContext("gpu_clock_mhz", clocks);
  benchmark::AddCustomContext("gpu_memory_gib", memory);
  benchmark::AddCustomContext("cuda_driver_version", cuda_driver_version());
  benchmark::AddCustomContext("cuda_runtime_version", cuda_runtime_version());
  // cuda rows time Backend::run with the wall clock like every row, transfers included; the backend's own
  // CUDA-event timing of its kernels alone is reported on stderr with LRF_CUDA_TIMING=1.
  benchmark::AddCustomContext("cuda_timing", "wall clock around Backend::run, host-device copies included");
  return true;
#else
  benchmark::AddCustomContext("gpu", "none (built without the CUDA backend)");
  return false;
#endif
}

// BACKEND/stats: a `--save stats` run of the seed workload from start to a complete file of its statistics
// (on a GPU the trials make their own plan and the statistics are reduced there); counters trials, steps and
// fp64_ops, rates per second of the whole run, and on a GPU peak_share.
void bm_stats(benchmark::State &state, BackendKind kind) {
  try {
    const Problem &problem = g_bench.problem(Workload{100, 500, false, {}, {}, {}});
    const Plan plan = make_plan(state.range(1));
    Backend &backend = g_bench.backend(kind);
    Storage stats;
    parse_save("stats", stats);
    std::int64_t trials = 0, steps = 0;
    double seconds = 0;
    for (auto _ : state) {
      const Measure m = run_once(problem, plan, backend, true, stats);
      state.SetIterationTime(m.seconds);
      seconds += m.seconds;
      trials += m.trials;
      steps += m.steps;
    }
    using benchmark::Counter;
    state.counters["trials"] = Counter(static_cast<double>(trials), Counter::kIsRate);
    state.counters["steps"] = Counter(static_cast<double>(steps), Counter::kIsRate);
    const double ops = 4.0 * 100 * static_cast<double>(steps + trials);
    state.counters["fp64_ops"] = Counter(ops, Counter::kIsRate);
    if (kind == BackendKind::cuda && g_bench.gpu_peak_ops > 0)
      state.counters["peak_share"] = ops / seconds / g_bench.gpu_peak_ops;
    state.SetLabel(backend.device());
  } catch (const std::exception &e) {
    state.SkipWithError(e.what());
  }
}

void add_context() {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  benchmark::AddCustomContext("lrfinder_version", LRF_VERSION);
  benchmark::AddCustomContext("lrfinder_git_commit", LRF_GIT_COMMIT);
  benchmark::AddCustomContext("lrfinder_build_type", LRF_BUILD_TYPE);
  benchmark::AddCustomContext("compiler", LRF_CXX_COMPILER);
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("cpu_hardware_threads", std::to_string(hw));
  benchmark::AddCustomContext("cpu_backend_threads", std::to_string(g_bench.threads_used(BackendKind::cpu)));
  benchmark::AddCustomContext("fp64_peak_cpu_flops", number(g_bench.peak.flops));
  benchmark::AddCustomContext("fp64_peak_cpu_method", g_bench.peak.method);
  benchmark::AddCustomContext("fp64_fma_peak_cpu_flops", number(g_bench.fma_peak.flops));
  benchmark::AddCustomContext("fp64_fma_peak_cpu_method", g_bench.fma_peak.method);
  benchmark::AddCustomContext("cpu_build", chosen_cpu_isa().name);
  benchmark::AddCustomContext("fp64_ops_formula", "4 * points * (steps + trials)");
}

void register_rows(bool gpu) {
  std::vector<std::pair<BackendKind, std::string>> kinds{{BackendKind::serial, "serial"},
                                                         {BackendKind::cpu, "cpu"}};
  if (gpu)
    kinds.emplace_back(BackendKind::cuda, "cuda");
  for (const Workload &w : workloads(g_bench.threads_used(BackendKind::cpu)))
    for (const auto &[kind, name] : kinds) {
      const auto &trials = kind == BackendKind::serial ? w.serial : kind == BackendKind::cpu ? w.cpu : w.cuda;
      for (std::int64_t t : trials)
        benchmark::RegisterBenchmark(
            (name + (w.h5 ? "/h5" : "/compute") + (w.arith == Arith::fma ? "-fma" : "")).c_str(), bm_run, w,
            kind)
            ->Args({w.points, t, w.epochs})
            ->ArgNames({"points", "trials", "epochs"})
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
  // The end-to-end rows of the seed workload: (output, function, cpu trials, cuda trials).
  using Row = void (*)(benchmark::State &, BackendKind);
  const std::tuple<const char *, Row, std::vector<std::int64_t>, std::vector<std::int64_t>> whole_runs[] = {
      {"/stream", bm_stream, {1000000}, {1000000, 10000000}},
      {"/stats", bm_stats, {1000000}, {10000000, 100000000}}};
  for (const auto &[output, row, cpu_trials, cuda_trials] : whole_runs)
    for (const auto &[kind, name] : kinds)
      if (kind != BackendKind::serial)
        for (std::int64_t t : kind == BackendKind::cuda ? cuda_trials : cpu_trials)
          benchmark::RegisterBenchmark((name + output).c_str(), row, kind)
              ->Args({100, t, 500})
              ->ArgNames({"points", "trials", "epochs"})
              ->UseManualTime()
              ->Iterations(1)
              ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("suggest/cpu", bm_suggest)
      ->Args({100, 10000, 500})
      ->ArgNames({"points", "trials", "epochs"})
      ->UseManualTime()
      ->MinTime(3)
      ->Unit(benchmark::kMillisecond);
}

// Reporters that mark a row whose repetitions vary by more than kNoisyCv (coefficient of variation of the
// real time) in its label, in the output and the JSON, and say so on stderr.
constexpr double kNoisyCv = 0.05;

std::vector<benchmark::BenchmarkReporter::Run>
mark_noisy(std::vector<benchmark::BenchmarkReporter::Run> runs) {
  for (const auto &r : runs) {
    if (r.run_type != benchmark::BenchmarkReporter::Run::RT_Aggregate || r.aggregate_name != "cv" ||
        r.real_accumulated_time <= kNoisyCv)
      continue;
    char note[96];
    std::snprintf(note, sizeof note, "NOISY: repetitions vary by %.1f%% (cv > %.0f%%)",
                  100 * r.real_accumulated_time, 100 * kNoisyCv);
    for (auto &each : runs)
      each.report_label += (each.report_label.empty() ? "" : "; ") + std::string(note);
    std::fprintf(stderr, "lrfinder-bench: warning: %s: %s\n", r.run_name.str().c_str(), note);
    break;
  }
  return runs;
}
template <class Base> struct NoiseMarking : Base {
  using Base::Base;
  void ReportRuns(const std::vector<benchmark::BenchmarkReporter::Run> &runs) override {
    Base::ReportRuns(mark_noisy(runs));
  }
};

// The 1-minute load average, or -1 where it cannot be read.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return in ? load : -1;
}

// The value of --NAME=VALUE in argv, or fallback.
std::string flag_value(int argc, char **argv, const std::string &name, const std::string &fallback) {
  const std::string prefix = "--" + name + "=";
  std::string value = fallback;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0)
      value = argv[i] + prefix.size();
  return value;
}

} // namespace
} // namespace lrf

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0)
      std::printf(
          "lrfinder-bench [--threads=N (cpu backend threads, 0: every core)] [Google Benchmark flags]\n"
          "  every row runs 5 repetitions (mean, median, stddev, cv) unless --benchmark_repetitions says "
          "otherwise\n");
  // Five repetitions unless asked otherwise: enough for the rows' spread and a Mann-Whitney test between
  // machines (scripts/compare-bench).
  std::vector<char *> args(argv, argv + argc);
  static char repetitions[] = "--benchmark_repetitions=5";
  if (lrf::flag_value(argc, argv, "benchmark_repetitions", "").empty())
    args.insert(args.begin() + 1, repetitions);
  argc = static_cast<int>(args.size());
  args.push_back(nullptr);
  argv = args.data();
  const std::string format = lrf::flag_value(argc, argv, "benchmark_format", "console");
  const std::string out_format = lrf::flag_value(argc, argv, "benchmark_out_format", "json");
  const bool has_out = !lrf::flag_value(argc, argv, "benchmark_out", "").empty();
  benchmark::Initialize(&argc, argv);
  // Our own flag, --threads=N; everything else must be Google Benchmark's.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      char *end = nullptr;
      const long n = std::strtol(argv[i] + 10, &end, 10);
      if (*end != '\0' || end == argv[i] + 10 || n < 0 || n > 4096) {
        std::fprintf(stderr, "lrfinder-bench: %s: expected --threads=N with N >= 0\n", argv[i]);
        return 2;
      }
      lrf::g_bench.cpu_threads = static_cast<int>(n);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 2;
  try {
    // every core, in the cpu backend's build: the machine's peak
    lrf::g_bench.peak = lrf::measure_fp64_peak(lrf::chosen_cpu_isa(), false);
    lrf::g_bench.fma_peak = lrf::measure_fp64_peak(lrf::chosen_cpu_isa(), true);
  } catch (const std::exception &e) { // LRF_CPU_ISA names no build this CPU runs
    std::fprintf(stderr, "lrfinder-bench: error: %s\n", e.what());
    return 2;
  }
  const bool gpu = lrf::add_gpu_context();
  lrf::add_context();
  const double load = lrf::load_average();
  benchmark::AddCustomContext("load_average_at_start", lrf::number(load));
  if (load > 1) { // more than a core's worth of other work: every row shares the machine
    const std::string warning = "the load average was " + lrf::number(load) +
                                " at the start (above one core's worth): other work shares this machine";
    benchmark::AddCustomContext("warning", warning);
    std::fprintf(stderr, "lrfinder-bench: warning: %s\n", warning.c_str());
  }
  lrf::register_rows(gpu);
  using Console = lrf::NoiseMarking<benchmark::ConsoleReporter>;
  using Json = lrf::NoiseMarking<benchmark::JSONReporter>;
  std::unique_ptr<benchmark::BenchmarkReporter> display, file;
  if (format == "json")
    display = std::make_unique<Json>();
  else if (format == "console")
    display = std::make_unique<Console>(isatty(1) ? Console::OO_Color : Console::OO_None);
  if (has_out && out_format == "json")
    file = std::make_unique<Json>();
  benchmark::RunSpecifiedBenchmarks(display.get(), file.get());
  benchmark::Shutdown();
  return 0;
}
