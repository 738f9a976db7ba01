#include "run/truth.hpp"

#include "analysis/distribution.hpp"
#include "core/errors.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lrf {

std::vector<std::int64_t> sample_counts(const std::vector<std::int64_t> &group_trials, std::int64_t sample) {
  const auto groups = static_cast<std::int64_t>(group_trials.size());
  std::vector<std::int64_t> counts(group_trials.size(), 0);
  if (groups == 0 || sample <= 0)
    return counts;
  std::int64_t left = 0;
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t share = sample / groups + (g < sample % groups ? 1 : 0);
    const auto k = static_cast<std::size_t>(g);
    counts[k] = std::min(share, group_trials[k]);
    left += share - counts[k];
  }
  // What small groups could not take goes to the others, one at a time in turn.
  for (bool room = true; left > 0 && room;) {
    room = false;
    for (std::size_t k = 0; k < counts.size() && left > 0; ++k)
      if (counts[k] < group_trials[k]) {
        ++counts[k];
        --left;
        room = true;
      }
  }
  return counts;
}

std::int64_t sample_position(std::int64_t n, std::int64_t m, std::int64_t i) {
  __extension__ typedef unsigned __int128 U;
  return static_cast<std::int64_t>(
      (U(2 * static_cast<std::uint64_t>(i) + 1) * U(static_cast<std::uint64_t>(n))) /
      (U(2) * U(static_cast<std::uint64_t>(m))));
}

std::vector<double> log_grid(double lo, double hi, std::int64_t n) {
  std::vector<double> grid(static_cast<std::size_t>(n));
  const double a = std::log10(lo), b = std::log10(hi);
  for (std::int64_t j = 0; j < n; ++j)
    grid[static_cast<std::size_t>(j)] =
        std::pow(10.0, a + (b - a) * static_cast<double>(j) / static_cast<double>(n - 1));
  grid.front() = lo;
  grid.back() = hi;
  return grid;
}

double percentile(std::vector<double> values, double q) {
  if (values.empty())
    return kTruthNaN;
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = h - static_cast<double>(lo);
  if (frac == 0 || values[lo] == values[hi])
    return values[lo];
  if (std::isinf(values[hi]))
    return values[hi];
  return values[lo] + frac * (values[hi] - values[lo]);
}

MedianInterval median_interval(std::vector<double> values, double level) {
  MedianInterval m;
  if (values.empty())
    return m;
  std::sort(values.begin(), values.end());
  m.median = percentile(values, 0.5);
  // P(a resample's median <= v) = P(Binomial(N, F(v)) >= ceil(N/2)), F(v) the share of values <= v: the
  // bounds are the smallest values where it reaches (1 - level)/2 and (1 + level)/2.
  const auto n = static_cast<std::int64_t>(values.size());
  const std::int64_t k = (n + 1) / 2;
  auto first_reaching = [&](double p) {
    for (std::size_t at = 0; at < values.size();) {
      std::size_t end = at + 1;
      while (end < values.size() && values[end] == values[at])
        ++end;
      if (detail::binomial_tail(n, k, static_cast<double>(end) / static_cast<double>(n)) >= p)
        return values[at];
      at = end;
    }
    return values.back();
  };
  m.lo = first_reaching((1 - level) / 2);
  m.hi = first_reaching((1 + level) / 2);
  return m;
}

FixedRateScores::FixedRateScores(const Problem &run, const TruthOptions &options, Backend &backend)
    : fixed_(run), options_(options), backend_(backend) {
  fixed_.config.epochs = options.steps;
  fixed_.config.stop_factor = 0;
}

void FixedRateScores::run(double rate, const double *w0, std::int64_t first, std::int64_t count,
                          double *scores) {
  fixed_.config.base_lr = rate;
  const std::int64_t row = fixed_.row_length();
  const std::int64_t chunk =
      std::max<std::int64_t>(1, options_.chunk_bytes / (row * static_cast<std::int64_t>(sizeof(double))));
  const int threads = options_.threads > 0 ? options_.threads : usable_cpus();
  const DataView data = fixed_.data();
  Batch &batch = batch_;
  for (std::int64_t lo = 0; lo < count; lo += chunk) {
    if (options_.signal && options_.signal->load() != 0)
      throw RunError("interrupted");
    const std::int64_t n = std::min(chunk, count - lo);
    batch.first = first + lo;
    batch.count = n;
    batch.start_weight.assign(w0 + lo, w0 + lo + n);
    batch.scan.assign(static_cast<std::size_t>(n), Scan::linear);
    batch.factor.assign(static_cast<std::size_t>(n), 0.0);
    batch.size_outputs(row, Kept{false, true, false});
    backend_.run(fixed_, batch);
    // The score: the full-data loss at the last recorded weight (after K updates, or where the trial
    // ended: diverged, stalled), on every thread.
    const int workers = static_cast<int>(std::min<std::int64_t>(threads, (n + 15) / 16));
    run_parallel(workers, [&](int k) {
      for (std::int64_t i = k; i < n; i += workers) {
        const auto at = static_cast<std::size_t>(i * row + batch.steps[static_cast<std::size_t>(i)]);
        scores[lo + i] = trial_loss(fixed_.config, data, batch.weight[at]);
      }
    });
  }
}

namespace {

// score / best, each worst_as_inf: 1 where they are the same (0/0, inf/inf).
double regret_of(double score, double best) {
  const double a = worst_as_inf(score), b = worst_as_inf(best);
  return a == b ? 1.0 : a / b;
}

} // namespace

TruthResult compute_truth(const Problem &run, const TruthSample &sample, const TruthOptions &options,
                          Backend &backend, const TruthColumn &column) {
  const std::size_t m = sample.size(), rates = options.grid.size();
  TruthResult r;
  r.grid = options.grid;
  r.steps = options.steps;
  r.best_lr.assign(m, kTruthNaN);
  r.best_loss.assign(m, kTruthNaN);
  for (auto &q : r.quantiles)
    q.assign(rates, kTruthNaN);
  r.group_quantiles.resize(sample.groups.size());
  for (auto &g : r.group_quantiles)
    for (auto &q : g)
      q.assign(rates, kTruthNaN);

  FixedRateScores fixed(run, options, backend);
  // Rate by rate over every row: the column of scores, the best so far, the percentiles.
  std::vector<double> scores(m);
  std::vector<std::vector<double>> of_group(sample.groups.size());
  for (std::size_t j = 0; j < rates; ++j) {
    fixed.run(options.grid[j], sample.start_weight.data(), 0, static_cast<std::int64_t>(m), scores.data());
    if (column)
      column(j, scores);
    for (auto &g : of_group)
      g.clear();
    std::vector<double> all(m);
    for (std::size_t i = 0; i < m; ++i) {
      const double s = worst_as_inf(scores[i]);
      all[i] = s;
      of_group[static_cast<std::size_t>(sample.group[i])].push_back(s);
      // Strictly lower: ties keep the smaller rate (the grid ascends); a row whose every score is the
      // worst keeps the first rate.
      if (j == 0 || s < r.best_loss[i]) {
        r.best_lr[i] = options.grid[j];
        r.best_loss[i] = s;
      }
    }
    for (std::size_t q = 0; q < kTruthQuantiles.size(); ++q) {
      r.quantiles[q][j] = percentile(all, kTruthQuantiles[q]);
      for (std::size_t g = 0; g < of_group.size(); ++g)
        r.group_quantiles[g][q][j] = percentile(of_group[g], kTruthQuantiles[q]);
    }
  }

  // The score at each suggestion: one K-step run per distinct (rate, row), the rows of a rate that follow
  // each other in one batch (on the seed's data a group's trials share their answers).
  struct Task {
    double rate;
    std::int64_t row;
  };
  std::vector<Task> tasks;
  for (const auto &answers : sample.suggestion)
    for (std::size_t i = 0; i < m; ++i)
      if (std::isfinite(answers[i]) && answers[i] > 0)
        tasks.push_back({answers[i], static_cast<std::int64_t>(i)});
  auto before = [](const Task &a, const Task &b) {
    return a.rate != b.rate ? a.rate < b.rate : a.row < b.row;
  };
  std::sort(tasks.begin(), tasks.end(), before);
  tasks.erase(std::unique(tasks.begin(), tasks.end(),
                          [](const Task &a, const Task &b) { return a.rate == b.rate && a.row == b.row; }),
              tasks.end());
  std::vector<double> task_score(tasks.size());
  for (std::size_t t = 0; t < tasks.size();) {
    std::size_t end = t + 1;
    while (end < tasks.size() && tasks[end].rate == tasks[t].rate && tasks[end].row == tasks[end - 1].row + 1)
      ++end;
    fixed.run(tasks[t].rate, sample.start_weight.data() + tasks[t].row, tasks[t].row,
              static_cast<std::int64_t>(end - t), task_score.data() + t);
    t = end;
  }
  const std::size_t rules = sample.suggestion.size();
  r.rule_loss.assign(rules, std::vector<double>(m, kTruthNaN));
  r.ratio = r.rule_loss;
  r.regret = r.rule_loss;
  for (std::size_t k = 0; k < rules; ++k)
    for (std::size_t i = 0; i < m; ++i) {
      const double s = sample.suggestion[k][i];
      if (!(std::isfinite(s) && s > 0))
        continue;
      const Task key{s, static_cast<std::int64_t>(i)};
      const auto at = std::lower_bound(tasks.begin(), tasks.end(), key, before);
      const double score = task_score[static_cast<std::size_t>(at - tasks.begin())];
      r.rule_loss[k][i] = score;
      r.ratio[k][i] = s / r.best_lr[i];
      r.regret[k][i] = regret_of(score, r.best_loss[i]);
    }
  return r;
}

RuleTruth rule_truth(const TruthSample &sample, const TruthResult &result, std::size_t rule,
                     std::int32_t group) {
  RuleTruth t;
  std::vector<double> ratios, regrets;
  std::int64_t within = 0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    if (group >= 0 && sample.group[i] != group)
      continue;
    ++t.trials;
    const double ratio = result.ratio[rule][i];
    if (std::isnan(ratio))
      continue;
    ++t.answered;
    ratios.push_back(ratio);
    regrets.push_back(worst_as_inf(result.regret[rule][i]));
    within += ratio >= 0.5 && ratio <= 2 ? 1 : 0;
  }
  if (t.trials > 0) {
    t.no_answer_share = static_cast<double>(t.trials - t.answered) / static_cast<double>(t.trials);
    t.within_2x_share = static_cast<double>(within) / static_cast<double>(t.trials);
  }
  t.ratio = median_interval(ratios);
  t.regret = median_interval(regrets);
  return t;
}

} // namespace lrf
