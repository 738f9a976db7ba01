// The options of `lrfinder run` that shape the analysis (suggestion rules), kept beside the rules.
#include "analysis.hpp"
#include "commands.hpp"

namespace lrf {

void setup_analysis_options(CLI::App &app, AnalysisOptions &o) {
  app.add_option("--suggest", o.suggest, "the suggestion rule behind /trials/suggested_lr and the summary")
      ->capture_default_str()
      ->check(CLI::IsMember(rule_names()));
}

} // namespace lrf
