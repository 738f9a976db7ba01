// The suggestion rules: each trial's suggested learning rate under every rule (fastai, Lightning,
// pytorch-ignite and the bounded `steep`), and the linear model's own reference rate.
#pragma once

#include "analysis/curve.hpp"
#include "core/batch.hpp"

#include <string>
#include <vector>

namespace lrf {

// The rules (README "Suggestion rules" gives each formula and its origin). Each returns a learning rate,
// or NaN where it has no answer. Ties go to the first index, as numpy's and torch's argmin.
double rule_steep(const Curve &c);        // steepest drop per ln(lr), up to the lowest loss
double rule_steep_fastai(const Curve &c); // fastai's steep: steepest slope over the whole curve
double rule_minimum(const Curve &c);      // fastai's minimum: lr at the lowest loss / 10
double rule_valley(const Curve &c);       // fastai's valley: about halfway along the longest decreasing run
double rule_gradient(const Curve &c);     // Lightning: central differences against log10(lr)
double rule_ignite(const Curve &c);       // pytorch-ignite: central differences up to the minimum

// The suggestion rules, in the order of Batch::suggest and of /trials/suggest/<rule> in the file.
const std::vector<std::string> &rule_names();
// Rule r of rule_names() applied to a curve.
double apply_rule(std::size_t r, const Curve &c);

// Fills batch.suggest (every rule) and batch.suggested_lr (the headline rule) from the trajectories.
void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch);

// The reference every linear model y = w*x with mean squared error has: the loss is
// c*(w - w*)^2 + const with c = mean(x^2), so gradient descent with the exact gradient lands on w* in one
// step at lr* = 1/(2c) and diverges for lr > 1/c.
struct LinearReference {
  double c = 0;
  double lr_star() const { return 1 / (2 * c); }
  double lr_diverge() const { return 1 / c; }
};
LinearReference linear_reference(const std::vector<double> &x);

} // namespace lrf
