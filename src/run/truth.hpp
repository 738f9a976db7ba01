// `lrfinder truth`: which suggestion rule to trust, measured. For a sample of a finished run's trials,
// the seed's loop runs from each trial's start weight at a fixed learning rate (a linear scan of factor 0)
// for K updates, at every rate of a log grid; a rate's score is the full-data loss where the loop ended.
// The best fixed rate of a start weight is the one with the lowest score, and each rule's suggestion is
// judged against it: its ratio to the best rate, and the score at the suggestion over the best score.
// Everything runs through the Backend interface, rate by rate and in bounded chunks of trials.
#pragma once

#include "backends/backend.hpp"
#include "core/batch.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace lrf {

constexpr double kTruthNaN = std::numeric_limits<double>::quiet_NaN();

// How many of a run's trials each group gets in a sample of `sample`: an equal share each (the first
// groups one more where it does not divide), none more than the group holds, what a small group cannot
// take going to the others in turn. The total is min(sample, all trials).
std::vector<std::int64_t> sample_counts(const std::vector<std::int64_t> &group_trials, std::int64_t sample);

// The i-th (0-based) of m trials sampled evenly from a group of n (m <= n): its place in the group,
// floor((2i + 1) n / (2m)), the middle of the i-th of m equal parts. Strictly increasing in i.
std::int64_t sample_position(std::int64_t n, std::int64_t m, std::int64_t i);

// n >= 2 rates from lo to hi (0 < lo < hi), evenly spaced in log10; the ends exactly lo and hi.
std::vector<double> log_grid(double lo, double hi, std::int64_t n);

// The sampled trials, one row each, in the order the batches hold them (by group, then trial index).
struct TruthSample {
  struct Group {
    Scan scan;
    double factor;       // NaN: the scan's factors are drawn (one group, as the statistics have it)
    std::int64_t trials; // the run's trials in it
    std::int64_t sampled;
  };
  std::vector<Group> groups;
  std::vector<std::int64_t> trial;  // the trial's index in the run
  std::vector<std::int32_t> group;  // into groups
  std::vector<double> start_weight; // w0
  std::vector<std::string> rules;   // the rules scored: every /trials/suggest/<rule>, then "suggested_lr"
                                    // where the headline's answers are no rule's
  std::vector<std::vector<double>> suggestion; // [rule][row], NaN where the rule has no answer
  std::string headline;                        // the rule /trials/suggested_lr holds (one of rules)
  std::int64_t run_trials = 0;                 // the trials the run holds
  double max_lr = 0;                           // the largest rate any of the run's trials reached
  std::size_t size() const { return trial.size(); }
};

struct TruthOptions {
  std::int32_t steps = 10;  // K: updates at each fixed rate
  std::vector<double> grid; // the fixed rates, ascending
  int threads = 0;          // threads for the full-data losses of the final weights (0: every usable CPU)
  std::int64_t chunk_bytes = std::int64_t{64} << 20; // weights a batch records, at most (bounds memory)
  const std::atomic<int> *signal = nullptr;          // non-zero: stop (RunError "interrupted")
};

// A value's place in the ranking: NaN (and +inf) count as the worst, +inf.
inline double worst_as_inf(double v) {
  return v == v ? v : std::numeric_limits<double>::infinity();
}

struct TruthResult {
  std::vector<double> grid;
  std::int32_t steps = 0;
  std::vector<double> best_lr, best_loss; // [row]: the lowest score's rate (ties: the smallest) and score
  // [rule][row]: the score at the suggestion (NaN: no answer), suggestion / best_lr, score / best_loss
  // (worst_as_inf of each; 1 where both are the same, 0/0 and inf/inf included).
  std::vector<std::vector<double>> rule_loss, ratio, regret;
  // The 5%, 50% and 95% percentiles of the score over the sample at each rate, all rows ([q][rate]) and each
  // group's ([group][q][rate]); NaN-scores count as +inf.
  std::array<std::vector<double>, 3> quantiles;
  std::vector<std::array<std::vector<double>, 3>> group_quantiles;
};
constexpr std::array<double, 3> kTruthQuantiles{0.05, 0.5, 0.95};

// Called with each rate's scores, every row of the sample, as soon as they are known (column j of the
// sample x rate matrix): the matrix itself is never held.
using TruthColumn = std::function<void(std::size_t rate, const std::vector<double> &scores)>;

// Runs it all on `backend` with the run's problem (data, loss, arithmetic, diverge; stop_factor off).
TruthResult compute_truth(const Problem &run, const TruthSample &sample, const TruthOptions &options,
                          Backend &backend, const TruthColumn &column);

// The scores (full-data losses, trial_loss) after options.steps fixed-rate updates from start weights, on
// the run's problem with a fixed rate: a linear scan of factor 0 from base_lr = the rate, no relative stop;
// data, loss, arithmetic and diverge are the run's. Rows go to the backend in batches of at most
// options.chunk_bytes of weights, batch.first the row, so that a row is the same trial at every rate.
class FixedRateScores {
public:
  FixedRateScores(const Problem &run, const TruthOptions &options, Backend &backend);
  // Rows [first, first + count) at `rate`, from w0[0..count) (w0[0] is row first's), into scores[0..count).
  void run(double rate, const double *w0, std::int64_t first, std::int64_t count, double *scores);

private:
  Problem fixed_;
  const TruthOptions &options_;
  Backend &backend_;
  Batch batch_;
};

// A median and its 95% interval: numpy's median (the mean of the middle two for an even count) and the
// percentile bootstrap computed exactly as Distribution::median_interval does (a resample's median is its
// ceil(N/2)-th smallest), over the values themselves rather than histogram bins, +inf included.
struct MedianInterval {
  double median = kTruthNaN, lo = kTruthNaN, hi = kTruthNaN;
};
MedianInterval median_interval(std::vector<double> values, double level = 0.95);
// numpy.percentile(values, 100 q) (linear interpolation) with +inf allowed; NaN if there are none.
double percentile(std::vector<double> values, double q);

// One rule's record over the rows of a group (group < 0: every row).
struct RuleTruth {
  std::int64_t trials = 0, answered = 0;
  double no_answer_share = kTruthNaN, within_2x_share = kTruthNaN;
  MedianInterval ratio, regret;
};
RuleTruth rule_truth(const TruthSample &sample, const TruthResult &result, std::size_t rule,
                     std::int32_t group = -1);

} // namespace lrf
