#include "analysis/rules.hpp"

#include "core/errors.hpp"
#include "core/suggest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lrf {

const std::vector<std::string> &rule_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int r = 0; r < kRuleCount; ++r)
      v.emplace_back(rule_name(static_cast<Rule>(r)));
    return v;
  }();
  return names;
}

std::size_t headline_rule(const AnalysisOptions &options) {
  const auto &names = rule_names();
  const auto at =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), options.suggest) - names.begin());
  if (at == names.size())
    throw InputError("--suggest: unknown rule '" + options.suggest + "'");
  return at;
}

void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch) {
  const std::size_t headline = headline_rule(options);
  size_suggestions(batch);
  suggest_batch(RuleRun(problem, options.curve()), problem, batch);
  batch.suggested_lr = batch.suggest[headline];
}

LinearReference linear_reference(const std::vector<double> &x, Loss loss) {
  double sum = 0;
  for (double v : x)
    sum += v * v;
  return LinearReference{x.empty() || loss != Loss::mse ? std::numeric_limits<double>::quiet_NaN()
                                                        : sum / static_cast<double>(x.size())};
}

} // namespace lrf
