// The suggestion rules on the host: every trial of a batch through core/library_rules.hpp's rules (which
// are the same code a device runs), and the linear model's own reference rate.
#pragma once

#include "analysis/curve.hpp"
#include "core/batch.hpp"
#include "core/library_rules.hpp"
#include "core/suggest.hpp"

#include <string>
#include <vector>

namespace lrf {

// The rules' names (rule_name), in the order of Rule, Batch::suggest and /trials/suggest/<rule>.
const std::vector<std::string> &rule_names();

// The index of options.suggest in rule_names(); InputError if it names no rule.
std::size_t headline_rule(const AnalysisOptions &options);

// Fills batch.suggest (every rule) and batch.suggested_lr (the headline rule) from the trajectories, on
// every core.
void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch);

// The reference every linear model y = w*x with mean squared error has: the loss is
// c*(w - w*)^2 + const with c = mean(x^2), so gradient descent with the exact gradient lands on w* in one
// step at lr* = 1/(2c) and diverges for lr > 1/c. Other losses have none (c is NaN).
struct LinearReference {
  double c = 0;
  double lr_star() const { return 1 / (2 * c); }
  double lr_diverge() const { return 1 / c; }
};
LinearReference linear_reference(const std::vector<double> &x, Loss loss);

} // namespace lrf
