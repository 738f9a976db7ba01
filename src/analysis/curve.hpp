// The options of the analysis (--suggest, and --smooth, --skip-begin, --skip-end, which shape how
// lrfinder's own rule reads a trajectory: core/rules.hpp), as they travel from the command line to the
// rules and into the file's settings.
#pragma once

#include "core/rules.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// "none", "ema:BETA" or "ema-debiased:BETA" with 0 <= BETA < 1; false if the text is none of these.
bool parse_smoothing(const std::string &text, Smoothing &out);
std::string to_string(const Smoothing &smoothing);

// How the rules read a trajectory (the `lrfinder run` options, see setup_analysis_options).
struct AnalysisOptions {
  std::string suggest = "steep"; // the rule behind /trials/suggested_lr and the run's headline
  Smoothing smooth;              // none: the loss is the exact full-data loss, there is no batch noise
  std::int32_t skip_begin = 0;   // points dropped from the start of every curve (after smoothing)
  std::int32_t skip_end = 0;     // points dropped from its end
  CurveOptions curve() const { return CurveOptions{smooth, skip_begin, skip_end}; }
};

// The options that decide the suggestions, canonically ("suggest=steep smooth=none skip=0,0"): a resumed
// run or a shard must match them.
std::string describe(const AnalysisOptions &options);

} // namespace lrf
