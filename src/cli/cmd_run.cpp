// `lrfinder run`: options -> plan -> batches on a backend -> the HDF5 file and a summary.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/plot.hpp"
#include "cli/report.hpp"
#include "core/errors.hpp"
#include "core/format.hpp"
#include "io/data.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "run/identity.hpp"
#include "run/resources.hpp"
#include "run/runner.hpp"
#include "run/shard.hpp"
#include "version.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <tuple>
#include <unistd.h>

namespace lrf {
namespace {

enum class Scans { linear, exp, both };

struct RunOptions {
  std::string output = "lrfinder.h5";
  PlanOptions plan; // all but which scans run
  Scans scans = Scans::both;
  RunConfig config;
  double end_lr = 0; // > 0: the scans' factors are those that reach it after --epochs updates
  BackendKind backend = BackendKind::automatic;
  BackendOptions backend_options;
  std::int64_t batch = 0;
  std::string data;        // a path, checked before anything runs; "" for the seed's data
  std::string trials_from; // a path, or ""
  NumpySum numpy_sum = NumpySum::blocked;
  Shard shard;
  bool shard_given = false;
  Storage storage;
  AnalysisOptions analysis;
  bool plot = false;
  bool no_resume = false;
  bool overwrite = false;
  bool quiet = false;
};

// "a,b,c" (trials cycle through them) or "LO:HI" (each trial draws log-uniformly), each a valid factor of
// `scan`. "" or what is wrong.
std::string parse_factors(const std::string &text, Scan scan, FactorSpec &out) {
  std::string problem;
  auto number = [&](const std::string &s) {
    char *end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      problem = "'" + s + "' in '" + text + "' is not a number";
    else if (std::string p = factor_problem(scan, v); !p.empty())
      problem = "'" + s + "': " + p;
    return v;
  };
  FactorSpec spec;
  auto colon = text.find(':');
  if (colon != std::string::npos) {
    spec.lo = number(text.substr(0, colon));
    if (problem.empty())
      spec.hi = number(text.substr(colon + 1));
    if (problem.empty() && !(spec.lo < spec.hi))
      problem = "range '" + text + "' must have LO < HI";
    if (problem.empty() && !std::isfinite(spec.hi / spec.lo)) // the plan draws lo * (hi / lo)^u
      problem = "range '" + text + "' is too wide (HI/LO is not finite)";
  } else {
    for (std::size_t at = 0; problem.empty();) {
      auto comma = text.find(',', at);
      spec.values.push_back(number(text.substr(at, comma - at)));
      if (comma == std::string::npos)
        break;
      at = comma + 1;
    }
  }
  if (problem.empty())
    out = spec;
  return problem;
}

// "0,1,..." of GPU ordinals, each a whole number once. "" or what is wrong.
std::string parse_devices(const std::string &text, std::vector<int> &out) {
  std::vector<int> devices;
  for (std::size_t at = 0;;) {
    const auto comma = text.find(',', at);
    const std::string item = text.substr(at, comma - at);
    char *end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || item[0] < '0' || item[0] > '9' || *end != '\0' || errno == ERANGE || v > 1 << 20)
      return "'" + item + "' in '" + text + "' is not a GPU ordinal (a whole number >= 0)";
    if (std::find(devices.begin(), devices.end(), static_cast<int>(v)) != devices.end())
      return "'" + text + "' lists device " + item + " twice";
    devices.push_back(static_cast<int>(v));
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  out = devices;
  return "";
}

void setup_run_options(CLI::App &app, RunOptions &o) {
  app.add_option("-o,--output", o.output, "HDF5 file to write")->capture_default_str();
  auto *trials = app.add_option("-n,--trials", o.plan.trials, "number of trials")
                     ->capture_default_str()
                     ->check(count_at_least(1));
  app.add_option("--epochs", o.config.epochs, "most updates per trial")
      ->capture_default_str()
      ->check(count_at_least(1));
  app.add_option("--base-lr", o.config.base_lr, "first learning rate")
      ->capture_default_str()
      ->check(number_above(0));
  app.add_option("--diverge", o.config.diverge, "a loss above this ends a trial")
      ->capture_default_str()
      ->check(finite_number("a finite number"));
  app.add_option("--stop-factor", o.config.stop_factor,
                 "a loss above F times the lowest so far ends a trial (status rose), as fastai's "
                 "stop_div (4) and torch-lr-finder's diverge_th (5) end a scan; default: off")
      ->type_name("F")
      ->check(number_above(1));
  add_choice<Scans>(app, "--scan", o.scans,
                    {{"linear", Scans::linear}, {"exp", Scans::exp}, {"both", Scans::both}},
                    "learning-rate scan: linear (lr += f), exp (lr *= f), both (half each)");
  auto *end_lr = app.add_option("--end-lr", o.end_lr,
                                "scan from --base-lr to X in --epochs updates, the fastai way: exp factor "
                                "(X/base-lr)^(1/epochs), linear factor (X - base-lr)/epochs")
                     ->type_name("X")
                     ->check(number_above(0));
  add_parsed(
      app, "--linear-factors", o.plan.linear_factors,
      [](const std::string &t, FactorSpec &f) { return parse_factors(t, Scan::linear, f); }, "a,b,c|LO:HI",
      "linear factors: a,b,c (trials cycle) or LO:HI (log-uniform)", describe(o.plan.linear_factors))
      ->excludes(end_lr);
  add_parsed(
      app, "--exp-factors", o.plan.exp_factors,
      [](const std::string &t, FactorSpec &f) { return parse_factors(t, Scan::exp, f); }, "a,b,c|LO:HI",
      "exp factors (> 1): a,b,c or LO:HI", describe(o.plan.exp_factors))
      ->excludes(end_lr);
  app.add_option("--w-min", o.plan.w_min, "lowest start weight")
      ->capture_default_str()
      ->check(finite_number("finite"));
  app.add_option("--w-max", o.plan.w_max, "highest start weight")
      ->capture_default_str()
      ->check(finite_number("finite"));
  app.add_option("--seed", o.plan.seed, "seed of the start weights and drawn factors")
      ->capture_default_str()
      ->check(count_at_least(0));
  add_choice<BackendKind>(app, "--backend", o.backend,
                          {{"auto", BackendKind::automatic},
                           {"cuda", BackendKind::cuda},
                           {"cpu", BackendKind::cpu},
                           {"serial", BackendKind::serial}},
                          "auto (cuda if a GPU is usable, else cpu), cuda, cpu or serial");
  app.add_option("--threads", o.backend_options.threads, "cpu backend threads (0: every core)")
      ->capture_default_str()
      ->check(count_at_least(0));
  add_parsed(app, "--devices", o.backend_options.devices, parse_devices, "0,1,...",
             "cuda backend: GPU ordinals, e.g. 0,1 (default: all)", "all");
  app.add_option("--batch", o.batch, "trials per batch (0: about 128 MiB a batch, two in memory)")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--data", o.data,
                 "data: CSV with header x,y, or HDF5 with /x and /y, or - for a CSV on standard input "
                 "(default: the seed's y = 2.5x)")
      ->check(non_empty_path());
  add_parsed(
      app, "--loss", o.config, parse_loss, "mse|mae|huber[:DELTA]|logistic",
      "the loss of w on the data (r = y - w*x): mse mean(r^2) (the seed's), mae mean(|r|), huber "
      "(squared up to |r| = DELTA, default 1, linear beyond), logistic (labels y of 0 or 1: the binary "
      "cross-entropy of sigmoid(w*x))",
      "mse");
  app.add_option("--minibatch", o.config.minibatch,
                 "each loss on B points drawn from the data with replacement, anew for every step of every "
                 "trial (default: all points)")
      ->type_name("B")
      ->check(count_at_least(1));
  add_choice<Arith>(app, "--arith", o.config.arith, {{"exact", Arith::exact}, {"fma", Arith::fma}},
                    "exact: numpy's operations, bit for bit (default); fma: each point's error and square as "
                    "two fused multiply-adds, faster, the same bits on every backend but not numpy's");
  add_choice<NumpySum>(app, "--numpy-sum", o.numpy_sum,
                       {{"blocked", NumpySum::blocked}, {"whole", NumpySum::whole}},
                       "summation order of np.mean to match: blocked (numpy < 2.3, 8192-element buffers) or "
                       "whole (numpy >= 2.3); differs only for more than 8192 points");
  app.add_option("--trials-from", o.trials_from,
                 "CSV with header start_weight,scan,factor: run exactly these trials")
      ->check(non_empty_path())
      ->excludes(trials)
      ->excludes(end_lr);
  add_parsed(app, "--shard", o.shard, parse_shard, "K/N",
             "K/N: run the K-th of N equal parts of the trials (default in a SLURM job array: its task)", "")
      ->each([&o](const std::string &) { o.shard_given = true; });
  add_parsed(app, "--save", o.storage, parse_save, "LIST|none|stats",
             "trajectories to keep: a list of loss, weight, lr; none (per-trial results only); or stats (the "
             "statistics only, no per-trial rows: for runs of any size)",
             o.storage.save_text());
  add_parsed(app, "--precision", o.storage, parse_precision, "f64|f32",
             "how trajectories are stored: f64 or f32 (compute is always f64)", o.storage.precision_text());
  add_parsed(app, "--compress", o.storage, parse_compress, "none|deflate:N",
             "none, or deflate:N (N = 1..9) with the shuffle filter", o.storage.compress_text());
  app.add_flag("--no-resume", o.no_resume,
               "start afresh even where a stopped run of these settings left a partial file");
  app.add_flag("--overwrite", o.overwrite, "replace an existing output file");
  app.add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  setup_analysis_options(app, o.analysis);
  app.add_flag("--plot", o.plot,
               "after the run, write PNG plots next to the output with scripts/plot (python3 with h5py, "
               "numpy, matplotlib); a failed plot is an error (exit 1) but the result file stays");
}

// The loss's demands on the settings and the data: fma is a form of the squared error; logistic labels are
// 0 or 1; a minibatch is at most the data.
void check_loss(const RunConfig &c, const XY &data, const std::string &path) {
  if (c.arith == Arith::fma && c.loss != Loss::mse)
    throw InputError("--arith fma: only with --loss mse (the fused form is of the squared error)");
  const std::string source = path.empty() ? "the seed's data" : "--data " + path;
  if (c.minibatch > static_cast<std::int64_t>(data.x.size()))
    throw InputError("--minibatch " + std::to_string(c.minibatch) + ": more than the " +
                     std::to_string(data.x.size()) + " points of " + source);
  if (c.loss != Loss::logistic)
    return;
  for (std::size_t i = 0; i < data.y.size(); ++i)
    if (data.y[i] != 0 && data.y[i] != 1)
      throw InputError("--loss logistic: point " + std::to_string(i + 1) + " of " + source +
                       " has y = " + shortest(data.y[i]) + "; logistic labels are 0 or 1");
}

int run_run(RunOptions o, const std::string &cmdline) {
  PlanOptions &plan_options = o.plan;
  plan_options.linear = o.scans != Scans::exp;
  plan_options.exp = o.scans != Scans::linear;
  if (!(plan_options.w_min < plan_options.w_max))
    throw InputError("--w-min " + shortest(plan_options.w_min) + " must be below --w-max " +
                     shortest(plan_options.w_max));
  if (!std::isfinite(plan_options.w_max - plan_options.w_min)) // the plan draws w_min + (w_max - w_min) * u
    throw InputError("--w-min " + shortest(plan_options.w_min) + " and --w-max " +
                     shortest(plan_options.w_max) + ": the range w-max - w-min is not finite");
  if (o.end_lr > 0) {
    const double base = o.config.base_lr, epochs = o.config.epochs;
    if (!(o.end_lr > base))
      throw InputError("--end-lr " + shortest(o.end_lr) + " must be above --base-lr " + shortest(base));
    const double linear = (o.end_lr - base) / epochs, exp = std::pow(o.end_lr / base, 1 / epochs);
    for (auto [scan, factor, spec] : {std::tuple{Scan::linear, linear, &plan_options.linear_factors},
                                      std::tuple{Scan::exp, exp, &plan_options.exp_factors}}) {
      if (scan == Scan::linear ? !plan_options.linear : !plan_options.exp)
        continue; // a scan that does not run
      if (std::string p = factor_problem(scan, factor); !p.empty())
        throw InputError("--end-lr " + shortest(o.end_lr) + ": the " + scan_name(scan) +
                         " factor it implies (" + shortest(factor) + ") is not valid: " + p);
      *spec = FactorSpec{{factor}};
    }
  }
  if (!o.trials_from.empty()) {
    check_input("--trials-from " + o.trials_from, o.trials_from);
    plan_options.explicit_trials = read_trials(o.trials_from);
  }
  if (!o.data.empty() && o.data != "-")
    check_input("--data " + o.data, o.data);
  XY data = o.data.empty() ? seed_data() : read_data(o.data);
  std::string shard_note;
  const Shard shard = o.shard_given ? o.shard : shard_from_environment(&shard_note);
  if (!o.quiet && !shard_note.empty())
    std::fprintf(stderr, "lrfinder: %s\n", shard_note.c_str());
  const std::string output = shard_output(o.output, shard);
  check_output(output, o.overwrite);

  check_loss(o.config, data, o.data);

  Problem problem;
  problem.config = o.config;
  problem.config.seed = plan_options.seed;
  problem.x = std::move(data.x);
  problem.y = std::move(data.y);
  problem.set_numpy_sum(o.numpy_sum);
  Plan plan(plan_options);
  const TrialRange range = shard_range(plan.size(), shard);
  check_size(problem, o.batch, range, Kept{o.storage.loss, o.storage.weight, o.storage.lr, o.storage.rows});

  std::string note;
  auto backend = make_backend(o.backend, o.backend_options, &note);
  if (!o.quiet && !note.empty())
    std::fprintf(stderr, "lrfinder: %s\n", note.c_str());

  OutputInfo info;
  info.seed = plan_options.seed;
  info.backend = backend->name();
  info.device = backend->device();
  info.version = LRF_VERSION;
  info.command_line = cmdline;
  info.w_min = plan_options.w_min;
  info.w_max = plan_options.w_max;
  info.numpy_sum = numpy_sum_name(o.numpy_sum);
  info.config = run_config(problem, o.numpy_sum, plan_options, o.analysis, o.storage);
  info.shard = shard.n > 1 ? std::to_string(shard.k) + "/" + std::to_string(shard.n) : "";
  info.suggest = o.analysis.suggest;
  info.storage = o.storage;
  H5Writer writer(output, problem, range, info, WriteOptions{!o.no_resume, o.overwrite, o.batch});
  if (!o.quiet && !writer.resume_note().empty())
    std::fprintf(stderr, "lrfinder: %s\n", writer.resume_note().c_str());
  Summary before =
      writer.done() > 0 ? ResultFile(writer.partial_path(), true).summary(writer.done()) : Summary();

  RunControl control;
  control.batch = o.batch;
  control.analysis = o.analysis;
  control.signal = &g_signal;
  control.begin = range.first + writer.done();
  control.end = range.first + range.count;
  const bool show_progress = !o.quiet && ::isatty(STDERR_FILENO);
  if (show_progress)
    control.progress = print_progress;
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
  before.set_headline_rule(o.analysis.suggest);
  if (!o.quiet)
    print_run_summary(stdout, output, *backend, problem.config, before, result,
                      linear_reference(problem.x, problem.config.loss));
  if (o.plot && !plot_result(output, o.quiet))
    return 1;
  return 0;
}

} // namespace

Command setup_run(CLI::App &app, const std::string &command_line) {
  auto options = std::make_shared<RunOptions>();
  setup_run_options(app, *options);
  return [options, command_line] { return run_run(*options, command_line); };
}

} // namespace lrf
