#include "analysis/rules.hpp"

#include "core/errors.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lrf {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int32_t argmin(const double *v, std::int32_t n) {
  std::int32_t best = 0;
  for (std::int32_t k = 1; k < n; ++k)
    if (v[k] < v[best])
      best = k;
  return best;
}

// The steepest slope (loss[k] - loss[k-1]) / ln(lr[k] / lr[k-1]) over k = 1..last where lr grew, below
// `start`; the answer is lr[k], the rate whose update made that change.
double steepest(const Curve &c, std::int32_t last, double start) {
  double best_slope = start, best_lr = kNaN;
  for (std::int32_t k = 1; k <= last; ++k) {
    if (!(c.lr[k] > c.lr[k - 1]))
      continue; // a stored row records base_lr twice: no change of rate, no slope
    const double rise = c.loss[k] - c.loss[k - 1];
    if (!(rise < 0) && best_slope <= 0)
      continue; // a slope >= 0 cannot beat one <= 0: spare the logarithm
    double slope = rise / std::log(c.lr[k] / c.lr[k - 1]);
    if (slope < best_slope) {
      best_slope = slope;
      best_lr = c.lr[k];
    }
  }
  return best_lr;
}

} // namespace

double rule_steep(const Curve &c) {
  if (c.n == 0)
    return kNaN;
  return steepest(c, argmin(c.loss, c.n), 0);
}

double rule_steep_fastai(const Curve &c) {
  // fastai takes the argmin of every slope, negative or not.
  return steepest(c, c.n - 1, std::numeric_limits<double>::infinity());
}

double rule_minimum(const Curve &c) {
  if (c.n == 0)
    return kNaN;
  return c.lr[argmin(c.loss, c.n)] / 10;
}

double rule_valley(const Curve &c) {
  // fastai: lds[i] = length of the longest strictly decreasing subsequence of the losses ending at i (an
  // O(n^2) loop there, O(n log n) here with the same values: tail[k] is the largest last value of a
  // decreasing subsequence of length k + 1, a decreasing array). The valley ends at the first i of the
  // longest; fastai sets its start to max_end - lds[max_end] (one before the subsequence's first point),
  // cuts it in thirds and answers lr[start + int(third) + int(third / 2)], a negative index counting from
  // the end as in Python.
  if (c.n == 0)
    return kNaN;
  std::vector<double> tail;
  std::int32_t max_start = 0, max_end = 0, max_lds = 1;
  for (std::int32_t i = 0; i < c.n; ++i) {
    const double x = c.loss[i];
    // Entries of tail greater than x are the lengths x can extend.
    auto at = std::partition_point(tail.begin(), tail.end(), [x](double t) { return t > x; });
    const auto lds = static_cast<std::int32_t>(at - tail.begin()) + 1;
    if (at == tail.end())
      tail.push_back(x);
    else
      *at = x;
    if (lds > max_lds) {
      max_lds = lds;
      max_end = i;
      max_start = i - lds;
    }
  }
  const double sections = (max_end - max_start) / 3.0;
  std::int32_t idx =
      max_start + static_cast<std::int32_t>(sections) + static_cast<std::int32_t>(sections / 2);
  if (idx < 0)
    idx += c.n;
  return c.lr[idx];
}

double rule_gradient(const Curve &c) {
  // Lightning's suggestion(skip_begin=10, skip_end=1): drop 10 points at the start and 1 at the end, then
  // torch.gradient (numpy.gradient's second-order formula for uneven spacing, first order at the ends)
  // of the loss against x = log10(lr), and the lr at its argmin.
  constexpr std::int32_t kBegin = 10, kEnd = 1;
  const std::int32_t m = c.n - kBegin - kEnd;
  if (m < 2)
    return kNaN;
  const double *f = c.loss + kBegin;
  std::vector<double> x(static_cast<std::size_t>(m));
  for (std::int32_t i = 0; i < m; ++i)
    x[i] = std::log10(c.lr[kBegin + i]);
  auto gradient = [&](std::int32_t i) {
    if (i == 0)
      return (f[1] - f[0]) / (x[1] - x[0]);
    if (i == m - 1)
      return (f[m - 1] - f[m - 2]) / (x[m - 1] - x[m - 2]);
    const double h1 = x[i] - x[i - 1], h2 = x[i + 1] - x[i];
    return -h2 / (h1 * (h1 + h2)) * f[i - 1] + (h2 - h1) / (h1 * h2) * f[i] +
           h1 / (h2 * (h1 + h2)) * f[i + 1];
  };
  double best = std::numeric_limits<double>::infinity();
  std::int32_t best_i = -1;
  for (std::int32_t i = 0; i < m; ++i) {
    double g = gradient(i);
    if (std::isfinite(g) && g < best) { // a repeated lr (no spacing) gives no gradient: skipped
      best = g;
      best_i = i;
    }
  }
  return best_i < 0 ? kNaN : c.lr[kBegin + best_i];
}

double rule_ignite(const Curve &c) {
  // pytorch-ignite's FastaiLRFinder.lr_suggestion: the losses up to and including the lowest (at least 3
  // points, else it raises), grads[i] = (loss[i+1] - loss[i-1]) / 2 against the step index, and the lr at
  // argmin + 1.
  if (c.n == 0)
    return kNaN;
  const std::int32_t lowest = argmin(c.loss, c.n);
  if (lowest + 1 < 3)
    return kNaN;
  std::int32_t best_i = 1;
  double best = 0.5 * (c.loss[2] - c.loss[0]);
  for (std::int32_t i = 2; i < lowest; ++i) {
    double g = 0.5 * (c.loss[i + 1] - c.loss[i - 1]);
    if (g < best) {
      best = g;
      best_i = i;
    }
  }
  return c.lr[best_i];
}

namespace {

struct Rule {
  const char *name;
  double (*apply)(const Curve &);
};

const std::vector<Rule> &rules() {
  static const std::vector<Rule> list{{"steep", rule_steep},       {"steep-fastai", rule_steep_fastai},
                                      {"minimum", rule_minimum},   {"valley", rule_valley},
                                      {"gradient", rule_gradient}, {"ignite", rule_ignite}};
  return list;
}

} // namespace

const std::vector<std::string> &rule_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Rule &r : rules())
      v.emplace_back(r.name);
    return v;
  }();
  return names;
}

double apply_rule(std::size_t r, const Curve &c) {
  return rules()[r].apply(c);
}

void suggest(const Problem &problem, const AnalysisOptions &options, Batch &batch) {
  const auto &names = rule_names();
  const auto headline =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), options.suggest) - names.begin());
  if (headline == names.size())
    throw InputError("--suggest: unknown rule '" + options.suggest + "'");
  const std::int64_t row = problem.row_length();
  const auto n = static_cast<std::size_t>(batch.size());
  batch.suggest.resize(names.size());
  for (auto &values : batch.suggest)
    values.resize(n);
  auto work = [&](std::size_t first, std::size_t last) {
    std::vector<double> buffer;
    for (std::size_t i = first; i < last; ++i) {
      const std::size_t at = i * static_cast<std::size_t>(row);
      Curve c = prepare_curve(&batch.loss[at], &batch.lr[at], batch.steps[i], options, buffer);
      for (std::size_t r = 0; r < names.size(); ++r)
        batch.suggest[r][i] = apply_rule(r, c);
    }
  };
  // The rules cost about as much as the trials themselves on the cpu backend (a few logarithms per
  // point): every core takes a share of the batch. Each trial's answers depend on its row alone.
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
  return LinearReference{x.empty() ? kNaN : sum / static_cast<double>(x.size())};
}

} // namespace lrf
