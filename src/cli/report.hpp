// The statistics of a run's suggestions as people read them (the end of `lrfinder run`, `lrfinder report`,
// report.cpp) and as machines read them (`lrfinder report --json`, report_json.cpp).
#pragma once

#include "analysis/summary.hpp"
#include "backends/backend.hpp"
#include "io/json.hpp"
#include "run/runner.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace lrf {

// "  steps        N updates, X per trial; diverged A, completed B, stalled C"
void print_steps(std::FILE *out, const Summary &summary);

// The answer, the headline line (median and IQR of /trials/suggested_lr) and, for every rule, overall and
// per group: answers, median with its 95% bootstrap interval, IQR and the median over lr* of the linear
// model (reference.c NaN: not shown), in 100 columns; `wide` adds the trials, the 5% and 95% percentiles
// and the geometric mean.
void print_statistics(std::FILE *out, const Summary &summary, const LinearReference &reference,
                      bool wide = false);

// The first line of `lrfinder run`, before any trial runs: what runs where, with which loss and
// arithmetic (named where it is not numpy's), and how many of the trials a resumed partial file holds.
void print_run_header(std::FILE *out, const Backend &backend, const RunConfig &config, std::int64_t trials,
                      std::int64_t resumed);

// The end of `lrfinder run`: how fast, the statistics. `summary` covers every trial of the file, `result`
// what this run computed (less, where it resumed a partial file).
void print_run_summary(std::FILE *out, const std::string &output, const Summary &summary,
                       const RunResult &result, const LinearReference &reference, bool wide = false);

// One progress line on stderr, redrawn in place: trials done of all, rate, time left.
void print_progress(std::int64_t done, std::int64_t total, double seconds);

// A number in a table: 3 significant digits, "-" for NaN; an interval "[a, b]", "-" where a is NaN.
std::string number(double v);
std::string range(double a, double b);

} // namespace lrf
