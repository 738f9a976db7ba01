// `lrfinder run`: options -> plan -> batches on a backend -> the HDF5 file and a summary.
#include "commands.hpp"
#include "data_io.hpp"
#include "errors.hpp"
#include "h5_input.hpp"
#include "h5_layout.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "version.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sys/resource.h>
#include <unistd.h>

namespace lrf {
namespace {

struct RunOptions {
  std::string output = "lrfinder.h5";
  std::int64_t trials = 4096;
  std::int32_t epochs = 500;
  double base_lr = 1e-7;
  double diverge = 1e7;
  std::string scan = "both";
  std::string linear_factors = "5e-4";
  std::string exp_factors = "1.1";
  double w_min = -5, w_max = 10;
  std::uint64_t seed = 0;
  std::string backend = "auto";
  int threads = 0;
  std::vector<int> devices;
  std::int64_t batch = 0;
  std::string data;
  std::string numpy_sum = "blocked";
  std::string trials_from;
  std::string shard;
  std::string save = "loss,weight,lr";
  std::string precision = "f64";
  std::string compress = "none";
  bool no_resume = false;
  bool overwrite = false;
  bool quiet = false;
  AnalysisOptions analysis;
};

// "a,b,c" (trials cycle through them) or "LO:HI" (each trial draws log-uniformly).
FactorSpec parse_factors(const std::string &option, const std::string &text, Scan scan) {
  auto number = [&](const std::string &s) {
    char *end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      throw InputError(option + ": '" + s + "' in '" + text + "' is not a number");
    std::string problem = factor_problem(scan, v);
    if (!problem.empty())
      throw InputError(option + ": '" + s + "': " + problem);
    return v;
  };
  FactorSpec spec;
  auto colon = text.find(':');
  if (colon != std::string::npos) {
    spec.lo = number(text.substr(0, colon));
    spec.hi = number(text.substr(colon + 1));
    if (!(spec.lo < spec.hi))
      throw InputError(option + ": range '" + text + "' must have LO < HI");
    if (!std::isfinite(spec.hi / spec.lo)) // the plan draws lo * (hi / lo)^u
      throw InputError(option + ": range '" + text + "' is too wide (HI/LO is not finite)");
    return spec;
  }
  std::size_t at = 0;
  for (;;) {
    auto comma = text.find(',', at);
    spec.values.push_back(number(text.substr(at, comma - at)));
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return spec;
}

std::string human_seconds(double s) {
  char buf[32];
  if (s < 120)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

// `s` covers every trial of the file, `r` what this run computed (less, where it resumed a partial file).
void print_summary(const std::string &output, const Backend &backend, const Summary &s, const RunResult &r,
                   const LinearReference &reference) {
  const double compute = r.compute_seconds > 0 ? r.compute_seconds : 1e-9;
  std::printf("lrfinder: %lld trials on %s (%s)", static_cast<long long>(s.trials), backend.name().c_str(),
              backend.device().c_str());
  if (s.trials > r.summary.trials)
    std::printf(", %lld of them from the resumed partial file",
                static_cast<long long>(s.trials - r.summary.trials));
  std::printf("\n");
  std::printf("  steps        %lld updates, %.1f per trial; diverged %lld, completed %lld, stalled %lld\n",
              static_cast<long long>(s.steps), static_cast<double>(s.steps) / static_cast<double>(s.trials),
              static_cast<long long>(s.status[0]), static_cast<long long>(s.status[1]),
              static_cast<long long>(s.status[2]));
  std::printf("  compute      %.3f s, %.4g trials/s, %.4g steps/s (writing %.3f s, total %.3f s)\n",
              r.compute_seconds, static_cast<double>(r.summary.trials) / compute,
              static_cast<double>(r.summary.steps) / compute, r.write_seconds, r.total_seconds);
  print_statistics(stdout, s, reference);
  std::printf("  output       %s\n", output.c_str());
}

void setup_run_options(CLI::App &app, RunOptions &o) {
  app.add_option("-o,--output", o.output, "HDF5 file to write")->capture_default_str();
  auto *trials = app.add_option("-n,--trials", o.trials, "number of trials")
                     ->capture_default_str()
                     ->check(count_at_least(1));
  app.add_option("--epochs", o.epochs, "most updates per trial")
      ->capture_default_str()
      ->check(count_at_least(1));
  app.add_option("--base-lr", o.base_lr, "first learning rate")
      ->capture_default_str()
      ->check(positive_number());
  app.add_option("--diverge", o.diverge, "a loss above this ends a trial")
      ->capture_default_str()
      ->check(finite_number("a finite number"));
  app.add_option("--scan", o.scan, "learning-rate scan: linear (lr += f), exp (lr *= f), both (half each)")
      ->capture_default_str()
      ->check(CLI::IsMember({"linear", "exp", "both"}));
  app.add_option("--linear-factors", o.linear_factors,
                 "linear factors: a,b,c (trials cycle) or LO:HI (log-uniform)")
      ->capture_default_str();
  app.add_option("--exp-factors", o.exp_factors, "exp factors (> 1): a,b,c or LO:HI")->capture_default_str();
  app.add_option("--w-min", o.w_min, "lowest start weight")
      ->capture_default_str()
      ->check(finite_number("finite"));
  app.add_option("--w-max", o.w_max, "highest start weight")
      ->capture_default_str()
      ->check(finite_number("finite"));
  app.add_option("--seed", o.seed, "seed of the start weights and drawn factors")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--backend", o.backend, "auto (cuda if a GPU is usable, else cpu), cuda, cpu or serial")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cuda", "cpu", "serial"}));
  app.add_option("--threads", o.threads, "cpu backend threads (0: every core)")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--devices", o.devices, "cuda backend: GPU ordinals, e.g. 0,1 (default: all)")
      ->delimiter(',');
  app.add_option("--batch", o.batch, "trials per batch (0: about 256 MiB of trajectories)")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--data", o.data,
                 "data: CSV with header x,y, or HDF5 with /x and /y (default: the seed's y = 2.5x)");
  app.add_option("--numpy-sum", o.numpy_sum,
                 "summation order of np.mean to match: blocked (numpy < 2.3, 8192-element buffers) or whole "
                 "(numpy >= 2.3); differs only for more than 8192 points")
      ->capture_default_str()
      ->check(CLI::IsMember({"blocked", "whole"}));
  app.add_option("--trials-from", o.trials_from,
                 "CSV with header start_weight,scan,factor: run exactly these trials")
      ->excludes(trials);
  app.add_option("--shard", o.shard,
                 "K/N: run the K-th of N equal parts of the trials (default in a SLURM job array: its task)");
  app.add_option("--save", o.save,
                 "trajectories to keep: a list of loss, weight, lr; or none (per-trial results only)")
      ->capture_default_str();
  app.add_option("--precision", o.precision,
                 "how trajectories are stored: f64 or f32 (compute is always f64)")
      ->capture_default_str();
  app.add_option("--compress", o.compress, "none, or deflate:N (N = 1..9) with the shuffle filter")
      ->capture_default_str();
  app.add_flag("--no-resume", o.no_resume,
               "start afresh even where a stopped run of these settings left a partial file");
  app.add_flag("--overwrite", o.overwrite, "replace an existing output file");
  app.add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  setup_analysis_options(app, o.analysis);
}

// 64-bit FNV-1a of some bytes: names the data or trial list in the run's config.
std::uint64_t fnv1a(const void *bytes, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
  const auto *p = static_cast<const unsigned char *>(bytes);
  for (std::size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

std::string hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string describe(const FactorSpec &f) {
  if (f.is_range())
    return shortest(f.lo) + ":" + shortest(f.hi);
  std::string s;
  for (double v : f.values)
    s += (s.empty() ? "" : ",") + shortest(v);
  return s;
}

// Every setting that decides the results, canonically: a shard or a resumed run must match it exactly.
// (Compression is left out: it changes no value.)
std::string run_config(const RunOptions &o, const Problem &p, const PlanOptions &plan,
                       const Storage &storage) {
  std::string c =
      "epochs=" + std::to_string(o.epochs) + " base_lr=" + shortest(o.base_lr) +
      " diverge=" + shortest(o.diverge) + " numpy_sum=" + o.numpy_sum + " " + describe(o.analysis) +
      " save=" + storage.save_text() + " precision=" + storage.precision_text() +
      " data=" + std::to_string(p.x.size()) + ":" +
      hex(fnv1a(p.y.data(), p.y.size() * sizeof(double), fnv1a(p.x.data(), p.x.size() * sizeof(double))));
  if (!plan.explicit_trials.empty()) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const TrialParams &t : plan.explicit_trials) {
      h = fnv1a(&t.start_weight, sizeof t.start_weight, h);
      h = fnv1a(&t.scan, sizeof t.scan, h);
      h = fnv1a(&t.factor, sizeof t.factor, h);
    }
    return c + " trials_from=" + std::to_string(plan.explicit_trials.size()) + ":" + hex(h);
  }
  return c + " trials=" + std::to_string(o.trials) + " seed=" + std::to_string(o.seed) + " w=[" +
         shortest(o.w_min) + "," + shortest(o.w_max) + ") scan=" + o.scan +
         (plan.linear ? " linear_factors=" + describe(plan.linear_factors) : "") +
         (plan.exp ? " exp_factors=" + describe(plan.exp_factors) : "");
}

struct Shard {
  std::int64_t k = 0, n = 1;
};

// --shard K/N, or inside a SLURM job array its task's place in the array; n = 1 for a whole run.
Shard pick_shard(const RunOptions &o) {
  Shard s;
  if (!o.shard.empty()) {
    char *end = nullptr;
    s.k = std::strtoll(o.shard.c_str(), &end, 10);
    if (end == o.shard.c_str() || *end != '/')
      throw InputError("--shard: '" + o.shard + "' is not K/N");
    const char *n_text = end + 1;
    s.n = std::strtoll(n_text, &end, 10);
    if (end == n_text || *end != '\0' || s.n < 1 || s.k < 0 || s.k >= s.n)
      throw InputError("--shard: '" + o.shard + "' is not K/N with 0 <= K < N");
    return s;
  }
  const char *count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  const char *id = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!count || !id)
    return s;
  const char *min = std::getenv("SLURM_ARRAY_TASK_MIN");
  s.n = std::atoll(count);
  s.k = std::atoll(id) - (min ? std::atoll(min) : 0);
  if (s.n < 1 || s.k < 0 || s.k >= s.n)
    throw InputError("SLURM_ARRAY_TASK_ID=" + std::string(id) +
                     " does not fit SLURM_ARRAY_TASK_COUNT=" + std::string(count) +
                     (min ? " and SLURM_ARRAY_TASK_MIN=" + std::string(min) : "") + "; give --shard K/N");
  if (!o.quiet)
    std::fprintf(stderr, "lrfinder: shard %lld/%lld from the SLURM job array (SLURM_ARRAY_TASK_ID=%s)\n",
                 static_cast<long long>(s.k), static_cast<long long>(s.n), id);
  return s;
}

// A shard's output: {shard} in the name replaced by K, or else -shard-K-of-N before the extension.
std::string shard_output(const std::string &output, const Shard &s) {
  const std::string k = std::to_string(s.k);
  auto at = output.find("{shard}");
  if (at != std::string::npos)
    return output.substr(0, at) + k + output.substr(at + 7);
  if (s.n == 1)
    return output;
  auto slash = output.rfind('/');
  auto dot = output.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    dot = output.size();
  return output.substr(0, dot) + "-shard-" + k + "-of-" + std::to_string(s.n) + output.substr(dot);
}

// Trials [T*k/N, T*(k+1)/N) of T: shards of equal size within one, covering every trial once. With
// T = qN + r, floor(Tk/N) = qk + floor(rk/N), which cannot overflow.
TrialRange shard_range(std::int64_t total, const Shard &s) {
  auto edge = [&](std::int64_t k) { return total / s.n * k + total % s.n * k / s.n; };
  return TrialRange{edge(s.k), edge(s.k + 1) - edge(s.k), total};
}

// The summary of the trials a resumed run had done before, from its partial file.
Summary summary_of(const std::string &path, std::int64_t trials) {
  ResultFile file(path);
  Summary summary;
  Batch batch;
  constexpr std::int64_t kBlock = 1 << 20;
  for (std::int64_t row = 0; row < trials; row += kBlock) {
    file.read(row, std::min(kBlock, trials - row), batch, false);
    summary.add(batch);
  }
  return summary;
}

// Bytes of memory this process may use: the machine's, or less under ulimit -v or a cgroup's limit (a
// SLURM job's --mem, a container).
double usable_memory() {
  double bytes =
      static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    bytes = std::min(bytes, static_cast<double>(limit.rlim_cur));
  // Lines "0::/path" (cgroup v2) or "N:memory:/path" (v1); "max" or an unreadable file: no limit.
  std::ifstream cgroups("/proc/self/cgroup");
  for (std::string line; std::getline(cgroups, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    const std::string file = controllers.empty() ? "/sys/fs/cgroup" + path + "/memory.max"
                             : controllers == "memory"
                                 ? "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes"
                                 : "";
    double value = 0;
    if (!file.empty() && (std::ifstream(file) >> value) && value > 0)
      bytes = std::min(bytes, value);
  }
  return bytes;
}

// Refuses, before any file is made, a run whose batch of trajectories cannot be held in memory (a huge
// --epochs makes even one trial too big) or whose file HDF5 cannot address. Without this: std::bad_alloc,
// or where memory is overcommitted or capped by a cgroup the OOM killer (no message, a partial file left).
void check_size(const RunOptions &o, const Problem &problem, const TrialRange &range) {
  auto gib = [](double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    return std::string(text);
  };
  const double row = static_cast<double>(problem.row_length());
  const double per_trial = 3 * sizeof(double) * row; // loss, weight and lr of one trial (Batch)
  const double memory = usable_memory();
  if (per_trial > memory / 2)
    throw InputError("--epochs " + std::to_string(o.epochs) + ": one trial's trajectory needs " +
                     gib(per_trial) + " (3 x " + std::to_string(problem.row_length()) +
                     " float64), more than half of the " + gib(memory) + " of memory this process may use");
  const double batch = static_cast<double>(std::min(o.batch, range.count));
  if (o.batch > 0 && per_trial * batch > memory / 2)
    throw InputError("--batch " + std::to_string(o.batch) + ": a batch of trajectories needs " +
                     gib(per_trial * batch) + ", more than half of the " + gib(memory) +
                     " of memory this process may use");
  if (static_cast<double>(range.count) * row * sizeof(double) >= 0x1p63)
    throw InputError("--trials " + std::to_string(range.count) + ": " + std::to_string(range.count) + " x " +
                     std::to_string(problem.row_length()) +
                     " float64 are more than an HDF5 file can address");
}

int run_run(const RunOptions &o, const std::string &cmdline) {
  if (!(o.w_min < o.w_max))
    throw InputError("--w-min " + shortest(o.w_min) + " must be below --w-max " + shortest(o.w_max));
  if (!std::isfinite(o.w_max - o.w_min)) // the plan draws w_min + (w_max - w_min) * u
    throw InputError("--w-min " + shortest(o.w_min) + " and --w-max " + shortest(o.w_max) +
                     ": the range w-max - w-min is not finite");
  PlanOptions plan_options;
  plan_options.seed = o.seed;
  plan_options.w_min = o.w_min;
  plan_options.w_max = o.w_max;
  plan_options.trials = o.trials;
  plan_options.linear = o.scan != "exp";
  plan_options.exp = o.scan != "linear";
  plan_options.linear_factors = parse_factors("--linear-factors", o.linear_factors, Scan::linear);
  plan_options.exp_factors = parse_factors("--exp-factors", o.exp_factors, Scan::exp);
  if (!o.trials_from.empty())
    plan_options.explicit_trials = read_trials(o.trials_from);
  XY data = o.data.empty() ? seed_data() : read_data(o.data);
  const Storage storage = parse_storage(o.save, o.precision, o.compress);
  const Shard shard = pick_shard(o);
  const std::string output = shard_output(o.output, shard);
  check_output(output, o.overwrite);

  Problem problem;
  problem.config = RunConfig{o.base_lr, o.epochs, o.diverge};
  problem.x = std::move(data.x);
  problem.y = std::move(data.y);
  problem.sum_block = o.numpy_sum == "blocked" ? 8192 : static_cast<std::int64_t>(problem.x.size());
  Plan plan(plan_options);
  const TrialRange range = shard_range(plan.size(), shard);
  check_size(o, problem, range);

  std::string note;
  const std::map<std::string, BackendKind> kinds{{"auto", BackendKind::automatic},
                                                 {"serial", BackendKind::serial},
                                                 {"cpu", BackendKind::cpu},
                                                 {"cuda", BackendKind::cuda}};
  auto backend = make_backend(kinds.at(o.backend), BackendOptions{o.threads, o.devices}, &note);
  if (!o.quiet && !note.empty())
    std::fprintf(stderr, "lrfinder: %s\n", note.c_str());

  OutputInfo info;
  info.seed = o.seed;
  info.backend = backend->name();
  info.device = backend->device();
  info.version = LRF_VERSION;
  info.command_line = cmdline;
  info.w_min = o.w_min;
  info.w_max = o.w_max;
  info.numpy_sum = o.numpy_sum;
  info.config = run_config(o, problem, plan_options, storage);
  info.shard = shard.n > 1 ? std::to_string(shard.k) + "/" + std::to_string(shard.n) : "";
  info.suggest = o.analysis.suggest;
  info.storage = storage;
  H5Writer writer(output, problem, range, info, !o.no_resume);
  if (!o.quiet && !writer.resume_note().empty())
    std::fprintf(stderr, "lrfinder: %s\n", writer.resume_note().c_str());
  Summary before = writer.done() > 0 ? summary_of(writer.partial_path(), writer.done()) : Summary();

  RunControl control;
  control.batch = o.batch;
  control.analysis = o.analysis;
  control.signal = &g_signal;
  control.begin = range.first + writer.done();
  control.end = range.first + range.count;
  const bool show_progress = !o.quiet && ::isatty(STDERR_FILENO);
  if (show_progress)
    control.progress = [](std::int64_t done, std::int64_t total, double seconds) {
      double rate = static_cast<double>(done) / (seconds > 0 ? seconds : 1e-9);
      std::fprintf(stderr, "\r%lld/%lld trials (%.0f%%), %.4g trials/s, %s left   ",
                   static_cast<long long>(done), static_cast<long long>(total),
                   100.0 * static_cast<double>(done) / static_cast<double>(total), rate,
                   human_seconds(static_cast<double>(total - done) / rate).c_str());
      std::fflush(stderr);
    };
  RunResult result;
  try {
    result = run_trials(problem, plan, *backend, writer, control);
  } catch (const Stopped &stop) {
    if (stop.signal == SIGINT)
      throw; // Ctrl-C: the partial file goes with the run
    writer.keep();
    if (show_progress)
      std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr,
                 "lrfinder: stopped by signal %d after %lld of %lld trials; %s keeps them: run the same "
                 "command again to continue\n",
                 stop.signal, static_cast<long long>(writer.done()), static_cast<long long>(range.count),
                 writer.partial_path().c_str());
    return kExitResumable;
  }
  writer.commit();
  if (show_progress)
    std::fprintf(stderr, "\r\033[K");
  before.merge(result.summary);
  if (!o.quiet)
    print_summary(output, *backend, before, result, linear_reference(problem.x));
  if (o.analysis.plot)
    plot_result(output, o.quiet);
  return 0;
}

} // namespace

Command setup_run(CLI::App &app, const std::string &command_line) {
  auto options = std::make_shared<RunOptions>();
  setup_run_options(app, *options);
  return [options, command_line] { return run_run(*options, command_line); };
}

} // namespace lrf
