#include "cli/report.hpp"

#include "analysis/answer.hpp"
#include "core/format.hpp"

#include <cmath>
#include <cstdio>

namespace lrf {

std::string number(double v) {
  if (std::isnan(v))
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string range(double a, double b) {
  return std::isnan(a) ? "-" : "[" + number(a) + ", " + number(b) + "]";
}

namespace {

// The table's columns: by default what fits 100 columns (answered, median, its interval, IQR, median/lr*);
// wide, every one.
void print_header(std::FILE *out, bool wide) {
  if (wide)
    std::fprintf(out, "  %-22s %9s %9s %9s %-22s %-22s %-22s %9s %9s\n", "rule / group", "trials", "answered",
                 "median", "95% CI of median", "IQR [25%, 75%]", "[5%, 95%]", "geo mean", "median/lr*");
  else
    std::fprintf(out, "  %-20s %9s %9s %-22s %-22s %10s\n", "rule / group", "answered", "median",
                 "95% CI of median", "IQR [25%, 75%]", "median/lr*");
}

void print_row(std::FILE *out, const std::string &label, const Distribution &d, const LinearReference &ref,
               bool wide) {
  const auto ci = d.median_interval();
  const double median = d.quantile(0.5);
  if (!wide) {
    std::fprintf(out, "  %-20s %9lld %9s %-22s %-22s %10s\n", label.c_str(),
                 static_cast<long long>(d.answered()), number(median).c_str(), range(ci[0], ci[1]).c_str(),
                 range(d.quantile(0.25), d.quantile(0.75)).c_str(), number(median / ref.lr_star()).c_str());
    return;
  }
  std::fprintf(out, "  %-22s %9lld %9lld %9s %-22s %-22s %-22s %9s %9s\n", label.c_str(),
               static_cast<long long>(d.trials()), static_cast<long long>(d.answered()),
               number(median).c_str(), range(ci[0], ci[1]).c_str(),
               range(d.quantile(0.25), d.quantile(0.75)).c_str(),
               range(d.quantile(0.05), d.quantile(0.95)).c_str(), number(d.geometric_mean()).c_str(),
               number(median / ref.lr_star()).c_str());
}

std::string human_seconds(double s) {
  char buf[32];
  if (s < 120)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

} // namespace

void print_steps(std::FILE *out, const Summary &s) {
  std::fprintf(out, "  steps        %lld updates, %.1f per trial", static_cast<long long>(s.steps),
               static_cast<double>(s.steps) / static_cast<double>(s.trials > 0 ? s.trials : 1));
  for (int k = 0; k < kStatusCount; ++k)
    std::fprintf(out, "%s %s %lld", k == 0 ? ";" : ",", status_name(static_cast<Status>(k)),
                 static_cast<long long>(s.status[static_cast<std::size_t>(k)]));
  std::fprintf(out, "\n");
}

void print_answer(std::FILE *out, const Summary &s) {
  const Answer a = answer(s);
  const std::string rule = a.rule.empty() ? "" : "rule " + a.rule + ", ";
  if (!a.modes.empty()) {
    std::fprintf(out, "  answer       no single lr: the answers (%smedian of all %s) split into %zu modes:\n",
                 rule.c_str(), number(s.quantile(0.5)).c_str(), a.modes.size());
    for (const Answer::Mode &mode : a.modes) {
      std::string groups;
      for (const std::string &g : mode.groups)
        groups += (groups.empty() ? ": " : ", ") + g;
      std::fprintf(out, "               lr = %s (%lld trials%s)\n", number(mode.lr).c_str(),
                   static_cast<long long>(mode.trials), groups.c_str());
    }
    std::fprintf(out, "               use the mode of the scan you will run\n");
  } else if (a.answered > 0) {
    std::fprintf(out, "  answer       use lr = %s (%smedian of %lld trials, 95%% CI %s)\n",
                 number(a.lr).c_str(), rule.c_str(), static_cast<long long>(a.answered),
                 range(a.ci[0], a.ci[1]).c_str());
  }
  for (const std::string &w : a.warnings)
    std::fprintf(out, "  warning      %s\n", w.c_str());
}

void print_statistics(std::FILE *out, const Summary &s, const LinearReference &ref, bool wide) {
  print_answer(out, s);
  const std::string headline = s.headline_rule();
  if (s.suggested > 0)
    std::fprintf(out, "  suggested lr median %.3g, IQR [%.3g, %.3g] over %lld trials with a suggestion%s\n",
                 s.quantile(0.5), s.quantile(0.25), s.quantile(0.75), static_cast<long long>(s.suggested),
                 headline.empty() ? "" : (" (rule " + headline + ")").c_str());
  else
    std::fprintf(out, "  suggested lr none: no trial has an answer%s\n",
                 headline.empty() ? "" : (" (rule " + headline + ")").c_str());
  if (!std::isnan(ref.c))
    std::fprintf(out,
                 "  reference    c = mean(x^2) = %.4g: lr* = 1/(2c) = %.4g (w* in one step), 1/c = %.4g "
                 "diverges\n",
                 ref.c, ref.lr_star(), ref.lr_diverge());
  print_header(out, wide);
  for (std::size_t r = 0; r < s.rules().size(); ++r) {
    print_row(out, s.rules()[r], s.overall(r), ref, wide);
    if (s.groups().size() > 1)
      for (const Summary::Group &g : s.groups())
        print_row(out, "  " + group_name(g), g.rules[r], ref, wide);
  }
}

void print_run_header(std::FILE *out, const Backend &backend, const RunConfig &config, std::int64_t trials,
                      std::int64_t resumed) {
  std::fprintf(out, "lrfinder: %lld trials on %s (%s)", static_cast<long long>(trials),
               backend.name().c_str(), backend.device().c_str());
  if (config.loss != Loss::mse)
    std::fprintf(out, ", --loss %s", loss_text(config).c_str());
  if (config.minibatch > 0)
    std::fprintf(out, ", --minibatch %lld", static_cast<long long>(config.minibatch));
  if (config.arith == Arith::fma)
    std::fprintf(out, ", --arith fma (fused multiply-adds: not numpy's bits)");
  if (resumed > 0)
    std::fprintf(out, ", %lld of them from the resumed partial file", static_cast<long long>(resumed));
  std::fprintf(out, "\n");
  std::fflush(out);
}

void print_run_summary(std::FILE *out, const std::string &output, const Summary &s, const RunResult &r,
                       const LinearReference &reference, bool wide) {
  const double compute = r.compute_seconds > 0 ? r.compute_seconds : 1e-9;
  print_steps(out, s);
  std::fprintf(out, "  compute      %.3f s, %.4g trials/s, %.4g steps/s (writing %.3f s, total %.3f s)\n",
               r.compute_seconds, static_cast<double>(r.summary.trials) / compute,
               static_cast<double>(r.summary.steps) / compute, r.write_seconds, r.total_seconds);
  print_statistics(out, s, reference, wide);
  std::fprintf(out, "  output       %s\n", output.c_str());
}

void print_progress(std::int64_t done, std::int64_t total, double seconds) {
  double rate = static_cast<double>(done) / (seconds > 0 ? seconds : 1e-9);
  std::fprintf(stderr, "\r%lld/%lld trials (%.0f%%), %.4g trials/s, %s left   ", static_cast<long long>(done),
               static_cast<long long>(total), 100.0 * static_cast<double>(done) / static_cast<double>(total),
               rate, human_seconds(static_cast<double>(total - done) / rate).c_str());
  std::fflush(stderr);
}

} // namespace lrf
