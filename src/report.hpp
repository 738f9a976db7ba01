// The statistics of a run's suggestions, as people read them: printed at the end of `lrfinder run`.
#pragma once

#include "analysis.hpp"

#include <cstdio>

namespace lrf {

// The suggestion lines of the summary: median and interquartile range of the headline rule.
void print_statistics(std::FILE *out, const Summary &summary);

} // namespace lrf
