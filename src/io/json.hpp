// The statistics as JSON, for machines: `lrfinder report --json`, `lrfinder run --json` and the Python
// module all print this one object.
#pragma once

#include "analysis/rules.hpp"
#include "analysis/summary.hpp"

#include <cstdio>
#include <string>

namespace lrf {

// The statistics as one JSON object, each distribution with its histogram (README "lrfinder report").
// `file` names the result file and `suggest` its headline rule (attribute suggest); "" leaves each out.
// `members` come first, each a line `  "name": value,` (`lrfinder run --json`: what ran where, how fast).
void print_json(std::FILE *out, const Summary &summary, const LinearReference &reference,
                const std::string &file, const std::string &suggest = "", const std::string &members = "");

// The shortest text that reads back as v, or null (JSON has no NaN or infinity); a JSON string.
std::string json_number(double v);
std::string json_string(const std::string &s);

} // namespace lrf
