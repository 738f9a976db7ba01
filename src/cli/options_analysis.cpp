// The options of `lrfinder run` that shape the analysis: the headline rule, and the smoothing and trimming
// of lrfinder's own rule.
#include "analysis/rules.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace lrf {

void setup_analysis_options(CLI::App &app, AnalysisOptions &o) {
  app.add_option("--suggest", o.suggest,
                 "the rule behind /trials/suggested_lr and the summary's answer: lrfinder's steep, or a "
                 "library's own (fastai-*, lightning, torch-lr-finder, ignite)")
      ->capture_default_str()
      ->check(CLI::IsMember(rule_names()).description("RULE"));
  add_parsed(
      app, "--smooth", o.smooth,
      [](const std::string &text, Smoothing &s) -> std::string {
        if (parse_smoothing(text, s))
          return "";
        return "'" + text + "' is not none, ema:BETA or ema-debiased:BETA with 0 <= BETA < 1";
      },
      "none|ema:BETA|ema-debiased:BETA",
      "smooth the loss before steep reads it: none, ema:BETA (s = BETA*s + (1-BETA)*loss) or "
      "ema-debiased:BETA (divided by 1 - BETA^(k+1)); the library rules smooth as their library does",
      to_string(o.smooth));
  app.add_option("--skip-begin", o.skip_begin, "points steep ignores at the start of a trajectory")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--skip-end", o.skip_end, "points steep ignores at the end of a trajectory")
      ->capture_default_str()
      ->check(count_at_least(0));
}

} // namespace lrf
