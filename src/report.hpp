// The statistics of a run's suggestions as people read them (the end of `lrfinder run`, `lrfinder report`)
// and as machines read them (`lrfinder report --json`), and the plots (scripts/plot).
#pragma once

#include "analysis.hpp"

#include <cstdio>
#include <string>

namespace lrf {

// The headline line (median and IQR of /trials/suggested_lr) and, for every rule, overall and per group:
// trials, answers, median with its 95% bootstrap interval, IQR, 5% and 95% percentiles, geometric mean,
// and the median over lr* of the linear model (reference.c NaN: not shown).
void print_statistics(std::FILE *out, const Summary &summary, const LinearReference &reference);

// The same as one JSON object; `file` names the result file ("" leaves it out).
void print_json(std::FILE *out, const Summary &summary, const LinearReference &reference,
                const std::string &file);

// Runs scripts/plot on a result file, writing its PNG files into FILE's name without .h5 plus "-plots".
// Where python3 with h5py, numpy and matplotlib is missing, or the script fails, says so on stderr (with
// how to install them) and returns false. `quiet`: the script prints nothing but errors.
bool plot_result(const std::string &file, bool quiet);

} // namespace lrf
