// The statistics of a run's suggestions as people read them (the end of `lrfinder run`, `lrfinder report`,
// report.cpp) and as machines read them (`lrfinder report --json`, report_json.cpp).
#pragma once

#include "analysis/summary.hpp"
#include "backends/backend.hpp"
#include "run/runner.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace lrf {

// "  steps        N updates, X per trial; diverged A, completed B, stalled C"
void print_steps(std::FILE *out, const Summary &summary);

// The headline line (median and IQR of /trials/suggested_lr) and, for every rule, overall and per group:
// trials, answers, median with its 95% bootstrap interval, IQR, 5% and 95% percentiles, geometric mean,
// and the median over lr* of the linear model (reference.c NaN: not shown).
void print_statistics(std::FILE *out, const Summary &summary, const LinearReference &reference);

// The end of `lrfinder run`: what ran where, how fast, the statistics. `summary` covers every trial of the
// file, `result` what this run computed (less, where it resumed a partial file); `arith`, the trials'
// arithmetic (named where it is not numpy's).
void print_run_summary(std::FILE *out, const std::string &output, const Backend &backend,
                       const RunConfig &config, const Summary &summary, const RunResult &result,
                       const LinearReference &reference);

// One progress line on stderr, redrawn in place: trials done of all, rate, time left.
void print_progress(std::int64_t done, std::int64_t total, double seconds);

// The statistics as one JSON object, each distribution with its histogram (README "lrfinder report").
// `file` names the result file and `suggest` its headline rule (attribute suggest); "" leaves each out.
void print_json(std::FILE *out, const Summary &summary, const LinearReference &reference,
                const std::string &file, const std::string &suggest = "");

// The shortest text that reads back as v, or null (JSON has no NaN or infinity); a JSON string.
// A number in a table: 3 significant digits, "-" for NaN; an interval "[a, b]", "-" where a is NaN.
std::string number(double v);
std::string range(double a, double b);
std::string json_number(double v);
std::string json_string(const std::string &s);

} // namespace lrf
