// `lrfinder truth RESULT.h5`: which suggestion rule to trust. A sample of the run's trials, each from its
// start weight at every fixed rate of a log grid for K updates (run/truth.hpp); each rule's
// suggestion against the best fixed rate of the same start weight. Prints a table (or --json), writes
// RESULT-truth.h5 (io/truth_file.hpp) and, with --plot, a figure.
#include "analysis/answer.hpp"
#include "analysis/rules.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/plot.hpp"
#include "cli/report.hpp"
#include "core/errors.hpp"
#include "core/format.hpp"
#include "io/job.hpp"
#include "io/paths.hpp"
#include "io/truth_file.hpp"
#include "run/resources.hpp"
#include "version.hpp"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sys/stat.h>
#include <tuple>

namespace lrf {
namespace {

struct Grid {
  double lo = 0, hi = 0;
  std::int64_t n = 256;
  bool given = false;
};

constexpr std::int64_t kMaxRates = 1000000;

struct TruthCliOptions {
  std::string file;
  std::string output; // "": RESULT-truth.h5 beside the input
  std::int64_t sample = 256;
  std::int64_t steps = 10;
  Grid grid;
  BackendKind backend = BackendKind::automatic;
  BackendOptions backend_options;
  bool force = false;
  bool json = false;
  bool plot = false;
  bool quiet = false;
};

// "LO:HI:N": N >= 2 rates from LO to HI, 0 < LO < HI, log-spaced. "" or what is wrong.
std::string parse_lrs(const std::string &text, Grid &out) {
  const auto a = text.find(':');
  const auto b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos || text.find(':', b + 1) != std::string::npos)
    return "'" + text + "' is not LO:HI:N";
  Grid g;
  g.given = true;
  std::string problem;
  auto rate = [&](const std::string &s) {
    char *end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (problem.empty() && (s.empty() || *end != '\0' || !std::isfinite(v) || !(v > 0)))
      problem = "'" + s + "' in '" + text + "' is not a rate > 0";
    return v;
  };
  g.lo = rate(text.substr(0, a));
  g.hi = rate(text.substr(a + 1, b - a - 1));
  if (!problem.empty())
    return problem;
  if (!(g.lo < g.hi))
    return "'" + text + "' must have LO < HI";
  const std::string n = text.substr(b + 1);
  char *end = nullptr;
  errno = 0;
  const long long v = std::strtoll(n.c_str(), &end, 10);
  if (n.empty() || *end != '\0' || errno == ERANGE || v < 2 || v > kMaxRates)
    return "'" + n + "' in '" + text + "' is not a whole number of rates in 2.." + std::to_string(kMaxRates);
  g.n = v;
  out = g;
  return "";
}

// RESULT.h5 -> RESULT-truth.h5, beside it.
std::string default_output(const std::string &input) {
  const std::string ext = ".h5";
  const bool h5 = input.size() > ext.size() &&
                  input.compare(input.size() - ext.size(), ext.size(), ext) == 0 &&
                  input[input.size() - ext.size() - 1] != '/';
  return (h5 ? input.substr(0, input.size() - ext.size()) : input) + "-truth.h5";
}

std::string png_of(const std::string &output) {
  const std::string ext = ".h5";
  const bool h5 =
      output.size() > ext.size() && output.compare(output.size() - ext.size(), ext.size(), ext) == 0;
  return (h5 ? output.substr(0, output.size() - ext.size()) : output) + ".png";
}

bool same_file(const std::string &a, const std::string &b) {
  struct stat x {
  }, y{};
  return ::stat(a.c_str(), &x) == 0 && ::stat(b.c_str(), &y) == 0 && x.st_dev == y.st_dev &&
         x.st_ino == y.st_ino;
}

std::string share(double v) {
  if (std::isnan(v))
    return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
  return buf;
}

std::string group_label(const TruthSample::Group &g) {
  return group_name(Summary::Group{g.scan, g.factor, {}, {}});
}

// Rows [a, b] of the table, within 100 columns; labels past their 17 give the factor to 3 digits.
constexpr int kLabel = 17;

std::string fit_label(std::string label, const TruthSample::Group *g) {
  if (static_cast<int>(label.size()) <= kLabel || !g || std::isnan(g->factor))
    return label;
  char buf[48];
  std::snprintf(buf, sizeof buf, "  %s %.3g", scan_name(g->scan), g->factor);
  return buf;
}

void print_rule_row(std::FILE *out, const std::string &label, const RuleTruth &t) {
  std::fprintf(out, "  %-*s %6lld %6s %8s %-20s %8s %-20s %6s\n", kLabel, label.c_str(),
               static_cast<long long>(t.trials), share(t.no_answer_share).c_str(),
               number(t.ratio.median).c_str(), range(t.ratio.lo, t.ratio.hi).c_str(),
               number(t.regret.median).c_str(), range(t.regret.lo, t.regret.hi).c_str(),
               share(t.within_2x_share).c_str());
}

// The best rates (and their scores) of a group's rows (group < 0: every row).
std::vector<double> of_group(const TruthSample &s, const std::vector<double> &v, std::int32_t group) {
  std::vector<double> kept;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (group < 0 || s.group[i] == group)
      kept.push_back(worst_as_inf(v[i]));
  return kept;
}

// Where many trials do best at an end of the grid, their best rate may lie beyond it.
std::vector<std::string> grid_warnings(const TruthSample &s, const TruthResult &r) {
  std::vector<std::string> warnings;
  if (s.size() == 0)
    return warnings;
  std::int64_t low = 0, high = 0;
  for (double lr : r.best_lr) {
    low += lr == r.grid.front() ? 1 : 0;
    high += lr == r.grid.back() ? 1 : 0;
  }
  for (auto [count, end, way] : {std::tuple{high, "largest", "above"}, std::tuple{low, "smallest", "below"}})
    if (count * 10 >= static_cast<std::int64_t>(s.size())) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "%.0f%% of the sample do best at the grid's %s rate: theirs may lie %s it (--lrs)",
                    100.0 * static_cast<double>(count) / static_cast<double>(s.size()), end, way);
      warnings.emplace_back(text);
    }
  return warnings;
}

void print_table(std::FILE *out, const TruthCliOptions &o, const std::string &output, const Backend &backend,
                 const TruthSample &s, const TruthResult &r) {
  std::fprintf(out, "lrfinder truth: %s: %zu of %lld trials in %zu group%s\n", o.file.c_str(), s.size(),
               static_cast<long long>(s.run_trials), s.groups.size(), s.groups.size() == 1 ? "" : "s");
  std::fprintf(out, "  backend      %s (%s)\n", backend.name().c_str(), backend.device().c_str());
  std::fprintf(out, "  rates        %zu fixed, log-spaced, %s to %s (%s)\n", r.grid.size(),
               number(r.grid.front()).c_str(), number(r.grid.back()).c_str(),
               o.grid.given ? "--lrs" : "the run's base lr to its largest rate");
  std::fprintf(
      out, "  score        the full-data loss after %d updates from a trial's start weight (NaN: worst)\n",
      r.steps);
  std::fprintf(out, "  best rate    the rate of lowest score (ties: the smallest); median, [5%%, 95%%], "
                    "median score:\n");
  auto best_line = [&](const std::string &label, std::int32_t group) {
    const std::vector<double> lr = of_group(s, r.best_lr, group), loss = of_group(s, r.best_loss, group);
    std::fprintf(out, "    %-15s %9s %-22s %9s\n", label.c_str(), number(percentile(lr, 0.5)).c_str(),
                 range(percentile(lr, 0.05), percentile(lr, 0.95)).c_str(),
                 number(percentile(loss, 0.5)).c_str());
  };
  best_line("all", -1);
  if (s.groups.size() > 1)
    for (std::size_t g = 0; g < s.groups.size(); ++g)
      if (s.groups[g].sampled > 0)
        best_line(group_label(s.groups[g]), static_cast<std::int32_t>(g));
  for (const std::string &w : grid_warnings(s, r))
    std::fprintf(out, "  warning      %s\n", w.c_str());
  std::fprintf(out,
               "  ratio = suggestion / best rate, regret = score at the suggestion / best score (medians "
               "with\n  their 95%% CI); in 2x: share of trials within 2x of their best rate; no ans: "
               "share without one\n");
  std::fprintf(out, "  %-*s %6s %6s %8s %-20s %8s %-20s %6s\n", kLabel, "rule / group", "trials", "no ans",
               "ratio", "95% CI", "regret", "95% CI", "in 2x");
  for (std::size_t k = 0; k < s.rules.size(); ++k) {
    const std::string label = s.rules[k] + (s.rules[k] == s.headline ? " *" : "");
    print_rule_row(out, label, rule_truth(s, r, k));
    if (s.groups.size() > 1)
      for (std::size_t g = 0; g < s.groups.size(); ++g)
        if (s.groups[g].sampled > 0)
          print_rule_row(out, fit_label("  " + group_label(s.groups[g]), &s.groups[g]),
                         rule_truth(s, r, k, static_cast<std::int32_t>(g)));
  }
  std::fprintf(out, "  * the run's headline rule (/trials/suggested_lr)\n");
  std::fprintf(out, "  output       %s\n", output.c_str());
}

std::string json_range(double a, double b) {
  return "[" + json_number(a) + ", " + json_number(b) + "]";
}

std::string json_rule(const RuleTruth &t) {
  return "\"trials\": " + std::to_string(t.trials) + ", \"answered\": " + std::to_string(t.answered) +
         ", \"no_answer_share\": " + json_number(t.no_answer_share) +
         ", \"within_2x_share\": " + json_number(t.within_2x_share) +
         ", \"median_ratio\": " + json_number(t.ratio.median) +
         ", \"ratio_ci95\": " + json_range(t.ratio.lo, t.ratio.hi) +
         ", \"median_regret\": " + json_number(t.regret.median) +
         ", \"regret_ci95\": " + json_range(t.regret.lo, t.regret.hi);
}

std::string json_best(const TruthSample &s, const TruthResult &r, std::int32_t group) {
  const std::vector<double> lr = of_group(s, r.best_lr, group), loss = of_group(s, r.best_loss, group);
  return "\"best_lr\": {\"median\": " + json_number(percentile(lr, 0.5)) +
         ", \"p5\": " + json_number(percentile(lr, 0.05)) +
         ", \"p95\": " + json_number(percentile(lr, 0.95)) +
         "}, \"best_loss\": {\"median\": " + json_number(percentile(loss, 0.5)) + "}";
}

void print_truth_json(std::FILE *out, const TruthCliOptions &o, const std::string &output,
                      const TruthSample &s, const TruthResult &r) {
  std::fprintf(out, "{\n  \"file\": %s,\n  \"output\": %s,\n", json_string(o.file).c_str(),
               json_string(output).c_str());
  std::fprintf(out, "  \"trials\": %lld,\n  \"sampled\": %zu,\n  \"steps\": %d,\n",
               static_cast<long long>(s.run_trials), s.size(), r.steps);
  std::fprintf(out, "  \"lrs\": {\"lo\": %s, \"hi\": %s, \"points\": %zu, \"from\": \"%s\"},\n",
               json_number(r.grid.front()).c_str(), json_number(r.grid.back()).c_str(), r.grid.size(),
               o.grid.given ? "--lrs" : "run");
  std::string warnings;
  for (const std::string &w : grid_warnings(s, r))
    warnings += (warnings.empty() ? "" : ", ") + json_string(w);
  std::fprintf(out, "  \"headline\": %s,\n  %s,\n  \"warnings\": [%s],\n  \"groups\": [\n",
               json_string(s.headline).c_str(), json_best(s, r, -1).c_str(), warnings.c_str());
  for (std::size_t g = 0; g < s.groups.size(); ++g)
    std::fprintf(out, "    {\"scan\": \"%s\", \"factor\": %s, \"trials\": %lld, \"sampled\": %lld, %s}%s\n",
                 scan_name(s.groups[g].scan), json_number(s.groups[g].factor).c_str(),
                 static_cast<long long>(s.groups[g].trials), static_cast<long long>(s.groups[g].sampled),
                 json_best(s, r, static_cast<std::int32_t>(g)).c_str(), g + 1 < s.groups.size() ? "," : "");
  std::fprintf(out, "  ],\n  \"rules\": {\n");
  for (std::size_t k = 0; k < s.rules.size(); ++k) {
    std::fprintf(out, "    %s: {\n      \"all\": {%s},\n      \"groups\": [\n",
                 json_string(s.rules[k]).c_str(), json_rule(rule_truth(s, r, k)).c_str());
    for (std::size_t g = 0; g < s.groups.size(); ++g)
      std::fprintf(out, "        {\"scan\": \"%s\", \"factor\": %s, %s}%s\n", scan_name(s.groups[g].scan),
                   json_number(s.groups[g].factor).c_str(),
                   json_rule(rule_truth(s, r, k, static_cast<std::int32_t>(g))).c_str(),
                   g + 1 < s.groups.size() ? "," : "");
    std::fprintf(out, "      ]\n    }%s\n", k + 1 < s.rules.size() ? "," : "");
  }
  std::fprintf(out, "  }\n}\n");
}

int run_truth(const TruthCliOptions &o) {
  check_input(o.file, o.file);
  struct stat st {};
  if (::stat(o.file.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw InputError(o.file + ": is a folder");
  if (o.steps >= INT32_MAX)
    throw InputError("--steps " + std::to_string(o.steps) + ": more than " + std::to_string(INT32_MAX - 1) +
                     " updates");
  check_truth_input(o.file);
  ResultFile file(o.file);
  if (!file.info().storage.rows)
    throw InputError(o.file + ": a statistics-only file (--save stats) holds no trials to sample; truth "
                              "needs a run saved with per-trial rows (any other --save)");
  const std::string output = o.output.empty() ? default_output(o.file) : o.output;
  if (same_file(output, o.file))
    throw InputError("--output " + output + ": is the input file; choose another output");
  struct stat there {};
  if (!output.empty() && ::lstat(output.c_str(), &there) == 0 && !o.force)
    throw InputError("--output " + output + ": exists (use --force to replace it)");
  check_output(output, true);
  const std::string png = png_of(output);
  if (o.plot && ::lstat(png.c_str(), &there) == 0 && !o.force)
    throw InputError("--plot " + png + ": exists (use --force to replace it)");

  // Memory: one trial's K + 1 weights at least, and about half a kB a sampled trial (its answers, ratios,
  // regrets and scores), each within a quarter of what this process may use.
  const double memory = usable_memory();
  if (static_cast<double>(o.steps + 1) * sizeof(double) > memory / 4)
    throw InputError("--steps " + std::to_string(o.steps) +
                     ": one trial's weights need more than a quarter of "
                     "the memory this process may use");
  const double per_sample = 8.0 * (6.0 * static_cast<double>(rule_names().size() + 1) + 16);
  if (static_cast<double>(std::min(o.sample, file.trials_done())) * per_sample > memory / 4)
    throw InputError("--sample " + std::to_string(o.sample) +
                     ": the sample needs more than a quarter of the "
                     "memory this process may use");
  const TruthSample sample = sample_trials(file, o.sample);
  const Problem &problem = file.problem();
  Grid grid = o.grid;
  if (!grid.given) {
    grid.lo = problem.config.base_lr;
    grid.hi = sample.max_lr;
    if (!(grid.hi > grid.lo) || !std::isfinite(grid.hi))
      throw InputError(o.file + ": its trials never went past their base lr " + shortest(grid.lo) +
                       " to a finite rate (the largest they reached: " + shortest(grid.hi) +
                       "); give the rates with --lrs LO:HI:N");
  }
  std::string note;
  auto backend = make_backend(o.backend, o.backend_options, &note);
  if (!o.quiet && !note.empty())
    std::fprintf(stderr, "lrfinder: %s\n", note.c_str());

  TruthOptions options;
  options.steps = static_cast<std::int32_t>(o.steps);
  options.grid = log_grid(grid.lo, grid.hi, grid.n);
  options.threads = backend->name() == "serial" ? 1 : o.backend_options.threads;
  options.signal = &g_signal;
  TruthWriter writer(output, o.force, sample, options.grid.size());
  const TruthResult result = compute_truth(
      problem, sample, options, *backend,
      [&](std::size_t rate, const std::vector<double> &scores) { writer.column(rate, scores); });
  TruthSettings settings;
  settings.input = o.file;
  settings.input_config = file.info().config;
  settings.sample = o.sample;
  settings.lrs = shortest(grid.lo) + ":" + shortest(grid.hi) + ":" + std::to_string(grid.n);
  settings.lrs_from = grid.given ? "--lrs" : "run";
  settings.version = LRF_VERSION;
  writer.commit(sample, result, settings);

  if (o.json)
    print_truth_json(stdout, o, output, sample, result);
  else if (!o.quiet)
    print_table(stdout, o, output, *backend, sample, result);
  if (o.plot && !plot_truth(output, png, o.quiet))
    return 1;
  return 0;
}

} // namespace

Command setup_truth(CLI::App &app) {
  auto o = std::make_shared<TruthCliOptions>();
  app.add_option("file", o->file, "a result file of lrfinder run (or merge) with per-trial rows")->required();
  app.add_option("-o,--output", o->output,
                 "the HDF5 file to write (default: RESULT-truth.h5 beside the input)")
      ->check(non_empty_path());
  app.add_option("--sample", o->sample, "trials to sample, spread evenly over the run's groups")
      ->capture_default_str()
      ->check(count_at_least(1));
  app.add_option("--steps", o->steps, "updates at each fixed rate")
      ->capture_default_str()
      ->check(count_at_least(1));
  add_parsed(
      app, "--lrs", o->grid, parse_lrs, "LO:HI:N",
      "the fixed rates: N from LO to HI, log-spaced (default: the run's base lr to the largest rate any "
      "trial reached, 256 rates)",
      "base-lr:largest:256");
  add_choice<BackendKind>(app, "--backend", o->backend, choices<BackendKind>(),
                          "auto (cuda if a GPU is usable, else cpu), cuda, cpu or serial");
  app.add_option("--threads", o->backend_options.threads, "cpu backend threads (0: every core)")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_flag("-f,--force,--overwrite", o->force, "replace an existing output file (never the input)");
  app.add_flag("--json", o->json, "print the table as one JSON object");
  app.add_flag("--plot", o->plot,
               "also draw the final loss against the fixed rate, with each rule's median suggestion, into "
               "OUTPUT.png (scripts/plot-truth: python3 with h5py, numpy, matplotlib)");
  app.add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  return [o] { return run_truth(*o); };
}

} // namespace lrf
