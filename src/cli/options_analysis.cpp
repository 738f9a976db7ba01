// The options of `lrfinder run` that shape the analysis: the headline rule, smoothing, trimming.
#include "analysis/rules.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace lrf {

void setup_analysis_options(CLI::App &app, AnalysisOptions &o) {
  app.add_option("--suggest", o.suggest, "the suggestion rule behind /trials/suggested_lr and the headline")
      ->capture_default_str()
      ->check(CLI::IsMember(rule_names()));
  add_parsed(
      app, "--smooth", o.smooth,
      [](const std::string &text, Smoothing &s) -> std::string {
        if (parse_smoothing(text, s))
          return "";
        return "'" + text + "' is not none, ema:BETA or ema-debiased:BETA with 0 <= BETA < 1";
      },
      "none|ema:BETA|ema-debiased:BETA",
      "smooth the loss before the rules read it: none, ema:BETA (s = BETA*s + (1-BETA)*loss) or "
      "ema-debiased:BETA (fastai, Lightning: ema-debiased:0.98)",
      to_string(o.smooth));
  app.add_option("--skip-begin", o.skip_begin, "points every rule ignores at the start of a trajectory")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--skip-end", o.skip_end, "points every rule ignores at the end of a trajectory")
      ->capture_default_str()
      ->check(count_at_least(0));
}

} // namespace lrf
