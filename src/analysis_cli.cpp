// The options of `lrfinder run` that shape the analysis (suggestion rules, smoothing, trimming, plots),
// kept beside the rules.
#include "analysis.hpp"
#include "commands.hpp"

namespace lrf {

void setup_analysis_options(CLI::App &app, AnalysisOptions &o) {
  app.add_option("--suggest", o.suggest, "the suggestion rule behind /trials/suggested_lr and the headline")
      ->capture_default_str()
      ->check(CLI::IsMember(rule_names()));
  app.add_option_function<std::string>(
         "--smooth", [&o](const std::string &text) { parse_smoothing(text, o.smooth); },
         "smooth the loss before the rules read it: none, ema:BETA (s = BETA*s + (1-BETA)*loss) or "
         "ema-debiased:BETA (fastai, Lightning: ema-debiased:0.98)")
      ->default_str(to_string(o.smooth))
      ->check(CLI::Validator(
          [](std::string &text) -> std::string {
            Smoothing s;
            if (parse_smoothing(text, s))
              return "";
            return "'" + text + "' is not none, ema:BETA or ema-debiased:BETA with 0 <= BETA < 1";
          },
          "none|ema:BETA|ema-debiased:BETA"));
  app.add_option("--skip-begin", o.skip_begin, "points every rule ignores at the start of a trajectory")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_option("--skip-end", o.skip_end, "points every rule ignores at the end of a trajectory")
      ->capture_default_str()
      ->check(count_at_least(0));
  app.add_flag("--plot", o.plot,
               "after the run, write PNG plots next to the output with scripts/plot (python3 with h5py, "
               "numpy, matplotlib)");
}

} // namespace lrf
