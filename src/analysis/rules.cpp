#include "analysis/rules.hpp"

#include "core/errors.hpp"
#include "core/parallel.hpp"

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

void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch) {
  const auto &names = rule_names();
  const auto headline =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), options.suggest) - names.begin());
  if (headline == names.size())
    throw InputError("--suggest: unknown rule '" + options.suggest + "'");
  const std::int64_t row = problem.row_length();
  const std::int32_t epochs = problem.config.epochs;
  const auto n = static_cast<std::size_t>(batch.size());
  batch.suggest.resize(names.size());
  for (auto &values : batch.suggest)
    values.resize(n);
  const std::vector<double> debias = debias_table(epochs);
  const RuleTables tables{debias.data()};
  const CurveOptions own = options.curve();
  auto work = [&](std::size_t first, std::size_t last) {
    std::vector<double> scratch(static_cast<std::size_t>(rule_scratch(epochs)));
    double answers[kRuleCount];
    for (std::size_t i = first; i < last; ++i) {
      const std::size_t at = i * static_cast<std::size_t>(row);
      const TrialView t{&batch.loss[at], &batch.lr[at],     1,     batch.steps[i], batch.status[i],
                        batch.scan[i],   batch.factor[i], epochs};
      suggest_all(t, own, tables, scratch.data(), answers);
      for (std::size_t r = 0; r < names.size(); ++r)
        batch.suggest[r][i] = answers[r];
    }
  };
  // Every core takes a share of the batch; each trial's answers depend on its row alone.
  const int threads = static_cast<int>(std::max<std::size_t>(
      1, std::min<std::size_t>(static_cast<std::size_t>(usable_cpus()), n / 256)));
  run_parallel(threads, [&](int t) {
    const auto k = static_cast<std::size_t>(t), parts = static_cast<std::size_t>(threads);
    work(n * k / parts, n * (k + 1) / parts);
  });
  batch.suggested_lr = batch.suggest[headline];
}

LinearReference linear_reference(const std::vector<double> &x) {
  double sum = 0;
  for (double v : x)
    sum += v * v;
  return LinearReference{x.empty() ? std::numeric_limits<double>::quiet_NaN()
                                   : sum / static_cast<double>(x.size())};
}

} // namespace lrf
