// From trajectories to answers: each trial's suggested learning rate under every rule (fastai, Lightning,
// pytorch-ignite and the bounded `steep`), and the run's statistics, built batch by batch in memory that
// does not grow with the trial count.
#pragma once

#include "batch.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// Smoothing of the loss before the rules read it: s_k = beta * s_{k-1} + (1 - beta) * loss_k, beta being
// the weight of the past (fastai's and Lightning's convention). `ema` starts from s_0 = loss_0
// (torch-lr-finder's smooth_f is 1 - beta); `ema_debiased` starts the average at 0 and divides by
// 1 - beta^(k+1) (fastai, Lightning).
struct Smoothing {
  enum class Kind { none, ema, ema_debiased };
  Kind kind = Kind::none;
  double beta = 0;
};

// "none", "ema:BETA" or "ema-debiased:BETA" with 0 <= BETA < 1; false if the text is none of these.
bool parse_smoothing(const std::string &text, Smoothing &out);
std::string to_string(const Smoothing &smoothing);

// How the rules read a trajectory (the `lrfinder run` options, see setup_analysis_options).
struct AnalysisOptions {
  std::string suggest = "steep"; // the rule behind /trials/suggested_lr and the run's headline
  Smoothing smooth;              // none: the loss is the exact full-data loss, there is no batch noise
  std::int32_t skip_begin = 0;   // points dropped from the start of every curve (after smoothing)
  std::int32_t skip_end = 0;     // points dropped from its end
  bool plot = false;             // run scripts/plot on the output after the run
};

// The options that decide the suggestions, canonically ("suggest=steep smooth=none skip=0,0"): a resumed
// run or a shard must match them.
std::string describe(const AnalysisOptions &options);

// A trajectory as the rules read it: points i = 0..n-1, loss[i] the loss after the update made at rate
// lr[i] (i = 0 in a stored row is the start, recorded with lr = base_lr).
struct Curve {
  const double *lr;
  const double *loss;
  std::int32_t n;
};

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

// The curve the rules read from a stored row of `steps + 1` points: cut before the first non-finite value
// (as fastai does), smoothed, then options.skip_begin points dropped from the start and skip_end from the
// end. A smoothed loss lives in `buffer`.
Curve prepare_curve(const double *loss, const double *lr, std::int32_t steps, const AnalysisOptions &options,
                    std::vector<double> &buffer);

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

// One rule's suggestions over a set of trials, in memory bounded by the histogram: log10(lr) in
// kBinsPerDecade bins a decade (values outside [1e-30, 1e10) go to the end bins), a decade's bins
// allocated when first used.
class Distribution {
public:
  static constexpr int kBinsPerDecade = 1000;
  static constexpr int kLowDecade = -30, kHighDecade = 10;

  // One trial's answer; NaN (or not > 0) counts as a trial without an answer.
  void add(double lr);
  void merge(const Distribution &other);

  std::int64_t trials() const { return trials_; }
  std::int64_t answered() const { return answered_; }
  // numpy.percentile(answers, 100 q) (linear interpolation between order statistics), each answer read as
  // the geometric centre of its bin (within half a bin, 0.115%); NaN if none.
  double quantile(double q) const;
  // exp(mean(ln lr)) over the answers, exact (not from the bins); NaN if none.
  double geometric_mean() const;
  // The percentile-bootstrap interval of the median at `level`, computed exactly, as the limit of
  // infinitely many resamples: a resample of the N answers has its median (its ceil(N/2)-th smallest) at
  // or below bin b exactly when at least ceil(N/2) of its N draws are, which has probability
  // P(Binomial(N, F_b) >= ceil(N/2)), F_b the fraction of answers at or below b. The bounds are the bins
  // where that probability first reaches (1 - level)/2 and (1 + level)/2. Deterministic; {NaN, NaN} if none.
  std::array<double, 2> median_interval(double level = 0.95) const;

private:
  static double centre(std::int64_t bin);
  std::int64_t trials_ = 0, answered_ = 0;
  double sum_ln_ = 0;
  std::vector<std::vector<std::int64_t>> decades_; // [decade][bin], empty where nothing fell
};

// Counts, steps and the suggestions of every rule, overall and per group of trials, over every trial seen.
// A group is one (scan, factor) of a factor list; a scan with more than kMaxFactors distinct factors (a
// drawn range LO:HI, every trial its own factor) is one group, its factor NaN.
class Summary {
public:
  static constexpr int kMaxFactors = 16;

  struct Group {
    Scan scan;
    double factor; // NaN: the scan's factors are drawn
    std::vector<Distribution> rules;
  };

  explicit Summary(std::vector<std::string> rules = rule_names());
  // A batch with the plan (scan, factor), steps, status, suggest and suggested_lr; no trajectories needed.
  void add(const Batch &batch);
  void merge(const Summary &other);

  std::int64_t trials = 0;
  std::int64_t steps = 0;               // updates performed, all trials
  std::array<std::int64_t, 3> status{}; // by Status: diverged, completed, stalled
  std::int64_t suggested = 0;           // trials with a headline suggestion

  // The q-quantile (0..1) of the headline suggestions (/trials/suggested_lr); NaN if none.
  double quantile(double q) const { return headline_.quantile(q); }
  const Distribution &headline() const { return headline_; }
  // The rule whose answers are the headline's in every trial seen (the first such), or "".
  std::string headline_rule() const;

  const std::vector<std::string> &rules() const { return rules_; }
  const std::vector<Group> &groups() const { return groups_; } // by scan, then factor
  Distribution overall(std::size_t rule) const;                // every group together

private:
  Group &group_of(Scan scan, double factor);
  void insert(Group group);

  std::vector<std::string> rules_;
  std::vector<Group> groups_;
  std::size_t last_ = 0; // the group of the trial before: batches cycle through few groups
  Distribution headline_;
  std::vector<bool> is_headline_; // rule r's answers equalled suggested_lr in every batch so far
};

namespace detail {
// P(Binomial(n, p) >= k) = I_p(k, n - k + 1), the regularized incomplete beta function.
double binomial_tail(std::int64_t n, std::int64_t k, double p);
} // namespace detail

} // namespace lrf
