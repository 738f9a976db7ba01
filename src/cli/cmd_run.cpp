// `lrfinder run`: options -> plan -> batches on a backend -> the HDF5 file and a summary.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/plot.hpp"
#include "cli/report.hpp"
#include "core/format.hpp"
#include "io/job.hpp"
#include "run/identity.hpp"

#include <cstdio>
#include <memory>
#include <unistd.h>

namespace lrf {
namespace {

struct RunOptions {
  JobSettings job;
  bool shard_given = false;
  bool plot = false;
  bool no_resume = false;
  bool quiet = false;
  bool json = false;
  bool wide = false;
};

// What `run --json` adds to the statistics: what ran where, and how fast.
std::string run_members(const JobOutcome &out) {
  const RunResult &r = out.result;
  const double compute = r.compute_seconds > 0 ? r.compute_seconds : 1e-9;
  auto member = [](const char *name, const std::string &value) {
    return std::string("  \"") + name + "\": " + value + ",\n";
  };
  return member("output", json_string(out.output)) + member("backend", json_string(out.backend->name())) +
         member("device", json_string(out.backend->device())) +
         member("loss", json_string(loss_text(out.config))) +
         member("trials_run", std::to_string(r.summary.trials)) +
         member("compute_seconds", json_number(r.compute_seconds)) +
         member("write_seconds", json_number(r.write_seconds)) +
         member("total_seconds", json_number(r.total_seconds)) +
         member("trials_per_second", json_number(static_cast<double>(r.summary.trials) / compute)) +
         member("steps_per_second", json_number(static_cast<double>(r.summary.steps) / compute));
}

void setup_run_options(CLI::App &app, RunOptions &r) {
  JobSettings &o = r.job;
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
  add_choice<Scans>(app, "--scan", o.scans, choices<Scans>(),
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
  add_choice<BackendKind>(app, "--backend", o.backend, choices<BackendKind>(),
                          "auto (cuda if a GPU is usable, else cpu), cuda, cpu or serial");
  app.add_option("--threads", o.backend_options.threads, "cpu backend threads (0: every core)")
      ->capture_default_str()
      ->check(count_at_least(0));
  add_parsed(app, "--devices", o.backend_options.devices, parse_devices, "0,1,...",
             "cuda backend: GPU ordinals, e.g. 0,1", "all");
  app.add_option("--batch", o.batch, "trials per batch (0: about 128 MiB a batch, two in memory)")
      ->capture_default_str()
      ->check(count_at_least(0));
  auto *data = app.add_option("--data", o.data,
                              "data: CSV whose header has x and y (or see --columns, --no-header, --sep), "
                              "HDF5 with /x and /y or /data/x and /data/y (a result file), or - for a CSV on "
                              "standard input (default: the seed's y = 2.5x)")
                   ->check(non_empty_path());
  add_parsed(app, "--columns", o.data_format, parse_columns, "X,Y",
             "the x and y columns of --data: header names or 0-based indices (HDF5: dataset names)", "x,y")
      ->needs(data);
  app.add_flag_callback(
         "--no-header", [&o] { o.data_format.header = false; },
         "--data has no header: every line is data, the columns 0 and 1 (or --columns as indices)")
      ->needs(data);
  add_choice<Sep>(
      app, "--sep", o.data_format.sep, choices<Sep>(),
      "what separates the fields of a --data CSV: comma, semicolon, tab or space (runs of spaces "
      "and tabs); default: as its first line says (a field in double quotes may hold it)")
      ->needs(data);
  add_choice<Decimal>(
      app, "--decimal", o.data_format.decimal, choices<Decimal>(),
      "the decimal mark of a --data CSV's numbers; default: comma in a semicolon-separated file "
      "(as spreadsheets and R's write.csv2 write it), else point")
      ->needs(data);
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
  add_choice<Arith>(app, "--arith", o.config.arith, choices<Arith>(),
                    "exact: numpy's operations, bit for bit (default); fma: each point's error and square as "
                    "two fused multiply-adds, faster, the same bits on every backend but not numpy's");
  add_choice<NumpySum>(app, "--numpy-sum", o.numpy_sum, choices<NumpySum>(),
                       "summation order of np.mean to match: blocked (numpy < 2.3, 8192-element buffers) or "
                       "whole (numpy >= 2.3); differs only for more than 8192 points");
  app.add_option("--trials-from", o.trials_from,
                 "CSV with header start_weight,scan,factor: run exactly these trials")
      ->check(non_empty_path())
      ->excludes(trials)
      ->excludes(end_lr);
  add_parsed(app, "--shard", o.shard, parse_shard, "K/N",
             "K/N: run the K-th of N equal parts of the trials (default in a SLURM job array: its task)", "")
      ->each([&r](const std::string &) { r.shard_given = true; });
  add_parsed(app, "--save", o.storage, parse_save, "LIST|none|stats",
             "trajectories to keep: a list of loss, weight, lr; none (per-trial results only); or stats (the "
             "statistics only, no per-trial rows: for runs of any size)",
             o.storage.save_text());
  add_parsed(app, "--precision", o.storage, parse_precision, "f64|f32",
             "how trajectories are stored: f64 or f32 (compute is always f64)", o.storage.precision_text());
  add_parsed(app, "--compress", o.storage, parse_compress, "none|deflate:N",
             "none, or deflate:N (N = 1..9) with the shuffle filter", o.storage.compress_text());
  app.add_flag("--no-resume", r.no_resume,
               "start afresh even where a stopped run of these settings left a partial file");
  app.add_flag("--overwrite", o.overwrite, "replace an existing output file");
  app.add_flag("-q,--quiet", r.quiet, "print nothing but errors");
  app.add_flag("--json", r.json,
               "print the summary as one JSON object (lrfinder report --json's, with what ran where and how "
               "fast) instead of the text");
  app.add_flag("--wide", r.wide, "the statistics table with every column (default: what fits 100 columns)");
  setup_analysis_options(app, o.analysis);
  app.add_flag("--plot", r.plot,
               "after the run, write PNG plots next to the output with scripts/plot (python3 with h5py, "
               "numpy, matplotlib); a failed plot is an error (exit 1) but the result file stays");
}

int run_run(RunOptions o, const std::string &cmdline) {
  JobSettings &job = o.job;
  job.command_line = cmdline;
  job.resume = !o.no_resume;
  if (!o.shard_given) {
    std::string shard_note;
    job.shard = shard_from_environment(&shard_note);
    if (!o.quiet && !shard_note.empty())
      std::fprintf(stderr, "lrfinder: %s\n", shard_note.c_str());
  }
  JobEvents events;
  if (!o.quiet)
    events.note = [](const std::string &line) { std::fprintf(stderr, "lrfinder: %s\n", line.c_str()); };
  if (!o.quiet && !o.json)
    events.started = [&job](const Backend &backend, std::int64_t trials, std::int64_t resumed) {
      print_run_header(stdout, backend, job.config, trials, resumed);
    };
  events.signal = &g_signal;
  const bool show_progress = !o.quiet && ::isatty(STDERR_FILENO);
  if (show_progress)
    events.progress = print_progress;
  const JobOutcome out = run_job(job, events);
  if (show_progress)
    std::fprintf(stderr, "\r\033[K");
  if (out.stopped) {
    std::fprintf(stderr,
                 "lrfinder: stopped by signal %d after %lld of %lld trials; %s keeps them: run the same "
                 "command again to continue\n",
                 out.stopped, static_cast<long long>(out.done), static_cast<long long>(out.count),
                 out.partial_path.c_str());
    return kExitResumable;
  }
  if (o.json)
    print_json(stdout, out.summary, out.reference, out.output, job.analysis.suggest, run_members(out));
  else if (!o.quiet)
    print_run_summary(stdout, out.output, out.summary, out.result, out.reference, o.wide);
  if (o.plot && !plot_result(out.output, o.quiet))
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
