// `lrfinder run`: options -> plan -> batches on a backend -> the HDF5 file and a summary.
#include "commands.hpp"
#include "data_io.hpp"
#include "errors.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "version.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
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

void print_summary(const RunOptions &o, const Backend &backend, const RunResult &r) {
  const Summary &s = r.summary;
  const double compute = r.compute_seconds > 0 ? r.compute_seconds : 1e-9;
  std::printf("lrfinder: %lld trials on %s (%s)\n", static_cast<long long>(s.trials), backend.name().c_str(),
              backend.device().c_str());
  std::printf("  steps        %lld updates, %.1f per trial; diverged %lld, completed %lld, stalled %lld\n",
              static_cast<long long>(s.steps), static_cast<double>(s.steps) / static_cast<double>(s.trials),
              static_cast<long long>(s.status[0]), static_cast<long long>(s.status[1]),
              static_cast<long long>(s.status[2]));
  std::printf("  compute      %.3f s, %.4g trials/s, %.4g steps/s (writing %.3f s, total %.3f s)\n",
              r.compute_seconds, static_cast<double>(s.trials) / compute,
              static_cast<double>(s.steps) / compute, r.write_seconds, r.total_seconds);
  print_statistics(stdout, s);
  std::printf("  output       %s\n", o.output.c_str());
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
  app.add_flag("--overwrite", o.overwrite, "replace an existing output file");
  app.add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  setup_analysis_options(app, o.analysis);
}

int run_run(const RunOptions &o, const std::string &cmdline) {
  if (!(o.w_min < o.w_max))
    throw InputError("--w-min " + shortest(o.w_min) + " must be below --w-max " + shortest(o.w_max));
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
  check_output(o.output, o.overwrite);

  Problem problem;
  problem.config = RunConfig{o.base_lr, o.epochs, o.diverge};
  problem.x = std::move(data.x);
  problem.y = std::move(data.y);
  problem.sum_block = o.numpy_sum == "blocked" ? 8192 : static_cast<std::int64_t>(problem.x.size());
  Plan plan(plan_options);

  std::string note;
  const std::map<std::string, BackendKind> kinds{{"auto", BackendKind::automatic},
                                                 {"serial", BackendKind::serial},
                                                 {"cpu", BackendKind::cpu},
                                                 {"cuda", BackendKind::cuda}};
  auto backend = make_backend(kinds.at(o.backend), BackendOptions{o.threads, o.devices}, &note);
  if (!o.quiet && !note.empty())
    std::fprintf(stderr, "lrfinder: %s\n", note.c_str());

  OutputInfo info{o.seed,  backend->name(), backend->device(), LRF_VERSION,
                  cmdline, o.w_min,         o.w_max,           o.numpy_sum};
  H5Writer writer(o.output, problem, plan.size(), info);
  RunControl control;
  control.batch = o.batch;
  control.analysis = o.analysis;
  control.signal = &g_signal;
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
  RunResult result = run_trials(problem, plan, *backend, writer, control);
  writer.commit();
  if (show_progress)
    std::fprintf(stderr, "\r\033[K");
  if (!o.quiet)
    print_summary(o, *backend, result);
  return 0;
}

} // namespace

Command setup_run(CLI::App &app, const std::string &command_line) {
  auto options = std::make_shared<RunOptions>();
  setup_run_options(app, *options);
  return [options, command_line] { return run_run(*options, command_line); };
}

} // namespace lrf
