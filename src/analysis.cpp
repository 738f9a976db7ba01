#include "analysis.hpp"

#include "errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

namespace lrf {

// ---- smoothing and options ----

bool parse_smoothing(const std::string &text, Smoothing &out) {
  if (text == "none") {
    out = Smoothing{};
    return true;
  }
  auto colon = text.find(':');
  if (colon == std::string::npos)
    return false;
  const std::string kind = text.substr(0, colon), number = text.substr(colon + 1);
  char *end = nullptr;
  double beta = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || !(beta >= 0 && beta < 1))
    return false;
  if (kind == "ema")
    out = Smoothing{Smoothing::Kind::ema, beta};
  else if (kind == "ema-debiased")
    out = Smoothing{Smoothing::Kind::ema_debiased, beta};
  else
    return false;
  return true;
}

std::string to_string(const Smoothing &s) {
  if (s.kind == Smoothing::Kind::none)
    return "none";
  char beta[32];
  for (int digits = 1; digits <= 17; ++digits) { // the shortest text that reads back as beta
    std::snprintf(beta, sizeof beta, "%.*g", digits, s.beta);
    if (std::strtod(beta, nullptr) == s.beta)
      break;
  }
  return (s.kind == Smoothing::Kind::ema ? "ema:" : "ema-debiased:") + std::string(beta);
}

std::string describe(const AnalysisOptions &o) {
  return "suggest=" + o.suggest + " smooth=" + to_string(o.smooth) + " skip=" + std::to_string(o.skip_begin) +
         "," + std::to_string(o.skip_end);
}

Curve prepare_curve(const double *loss, const double *lr, std::int32_t steps, const AnalysisOptions &o,
                    std::vector<double> &buffer) {
  std::int32_t n = 0;
  while (n <= steps && std::isfinite(loss[n]) && std::isfinite(lr[n]))
    ++n;
  const double *l = loss;
  if (o.smooth.kind != Smoothing::Kind::none && n > 0) {
    const double beta = o.smooth.beta;
    buffer.resize(static_cast<std::size_t>(n));
    if (o.smooth.kind == Smoothing::Kind::ema) {
      buffer[0] = loss[0];
      for (std::int32_t k = 1; k < n; ++k)
        buffer[k] = beta * buffer[k - 1] + (1 - beta) * loss[k];
    } else {
      double average = 0, beta_power = 1; // beta^(k+1) after step k
      for (std::int32_t k = 0; k < n; ++k) {
        average = beta * average + (1 - beta) * loss[k];
        beta_power *= beta;
        buffer[k] = average / (1 - beta_power);
      }
    }
    l = buffer.data();
  }
  const std::int32_t begin = std::min(o.skip_begin, n);
  const std::int32_t end = std::max(begin, n - std::min(o.skip_end, n));
  return Curve{lr + begin, l + begin, end - begin};
}

// ---- the rules ----

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
  const std::size_t threads =
      std::max<std::size_t>(1, std::min<std::size_t>(std::thread::hardware_concurrency(), n / 256));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(work, n * t / threads, n * (t + 1) / threads);
  work(0, n / threads);
  for (std::thread &t : pool)
    t.join();
  batch.suggested_lr = batch.suggest[headline];
}

LinearReference linear_reference(const std::vector<double> &x) {
  double sum = 0;
  for (double v : x)
    sum += v * v;
  return LinearReference{x.empty() ? kNaN : sum / static_cast<double>(x.size())};
}

// ---- statistics ----

namespace detail {

namespace {

// The continued fraction of the incomplete beta function (modified Lentz), as in Numerical Recipes'
// betacf; it converges for x < (a + 1)/(a + b + 2) in O(sqrt(max(a, b))) terms.
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  const int max_terms = 1000 + static_cast<int>(20 * std::sqrt(std::max(a, b)));
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::fabs(d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m <= max_terms; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (std::fabs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = std::fabs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    d = 1 / (std::fabs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = std::fabs(c) < tiny ? tiny : c;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < eps)
      break;
  }
  return h;
}

// I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0)
    return 0;
  if (x >= 1)
    return 1;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2))
    return std::exp(log_front) * beta_fraction(a, b, x) / a;
  return 1 - std::exp(log_front) * beta_fraction(b, a, 1 - x) / b;
}

} // namespace

double binomial_tail(std::int64_t n, std::int64_t k, double p) {
  if (k <= 0)
    return 1;
  if (k > n)
    return 0;
  return incomplete_beta(static_cast<double>(k), static_cast<double>(n - k + 1), p);
}

} // namespace detail

double Distribution::centre(std::int64_t bin) {
  return std::pow(10.0, kLowDecade + (static_cast<double>(bin) + 0.5) / kBinsPerDecade);
}

void Distribution::add(double lr) {
  ++trials_;
  if (!(lr > 0) || std::isinf(lr))
    return;
  ++answered_;
  sum_ln_ += std::log(lr);
  constexpr std::int64_t bins = std::int64_t{kHighDecade - kLowDecade} * kBinsPerDecade;
  double pos = std::floor((std::log10(lr) - kLowDecade) * kBinsPerDecade);
  auto bin = static_cast<std::int64_t>(pos < 0 ? 0 : pos >= bins ? bins - 1 : pos);
  if (decades_.empty())
    decades_.resize(kHighDecade - kLowDecade);
  auto &decade = decades_[static_cast<std::size_t>(bin / kBinsPerDecade)];
  if (decade.empty())
    decade.resize(kBinsPerDecade, 0);
  ++decade[static_cast<std::size_t>(bin % kBinsPerDecade)];
}

void Distribution::merge(const Distribution &other) {
  trials_ += other.trials_;
  answered_ += other.answered_;
  sum_ln_ += other.sum_ln_;
  if (other.decades_.empty())
    return;
  if (decades_.empty())
    decades_.resize(other.decades_.size());
  for (std::size_t d = 0; d < other.decades_.size(); ++d) {
    if (other.decades_[d].empty())
      continue;
    if (decades_[d].empty())
      decades_[d].resize(kBinsPerDecade, 0);
    for (std::size_t b = 0; b < other.decades_[d].size(); ++b)
      decades_[d][b] += other.decades_[d][b];
  }
}

namespace {

// Calls f(bin, count, count at or below the bin) for every non-empty bin, in order, until f returns true.
template <class F> void for_bins(const std::vector<std::vector<std::int64_t>> &decades, F f) {
  std::int64_t seen = 0;
  for (std::size_t d = 0; d < decades.size(); ++d)
    for (std::size_t b = 0; b < decades[d].size(); ++b)
      if (decades[d][b] > 0) {
        seen += decades[d][b];
        if (f(static_cast<std::int64_t>(d * Distribution::kBinsPerDecade + b), seen))
          return;
      }
}

} // namespace

double Distribution::quantile(double q) const {
  if (answered_ == 0)
    return kNaN;
  // numpy's default: the virtual index h = q (N - 1) between the order statistics floor(h) and floor(h)+1.
  const double h = q * static_cast<double>(answered_ - 1);
  const auto lo = static_cast<std::int64_t>(std::floor(h));
  const std::int64_t hi = std::min(lo + 1, answered_ - 1);
  double value_lo = kNaN, value_hi = kNaN;
  for_bins(decades_, [&](std::int64_t bin, std::int64_t seen) {
    if (std::isnan(value_lo) && seen > lo)
      value_lo = centre(bin);
    if (seen > hi) {
      value_hi = centre(bin);
      return true;
    }
    return false;
  });
  return value_lo + (h - static_cast<double>(lo)) * (value_hi - value_lo);
}

double Distribution::geometric_mean() const {
  return answered_ == 0 ? kNaN : std::exp(sum_ln_ / static_cast<double>(answered_));
}

std::array<double, 2> Distribution::median_interval(double level) const {
  if (answered_ == 0)
    return {kNaN, kNaN};
  const std::int64_t n = answered_, k = (n + 1) / 2;             // the median is the k-th smallest
  std::vector<std::pair<std::int64_t, std::int64_t>> cumulative; // (bin, answers at or below it)
  for_bins(decades_, [&](std::int64_t bin, std::int64_t seen) {
    cumulative.emplace_back(bin, seen);
    return false;
  });
  // P(resampled median <= bin) rises with the bin: find where it first reaches each tail.
  auto first_reaching = [&](double p) {
    auto at = std::partition_point(cumulative.begin(), cumulative.end(), [&](const auto &entry) {
      return detail::binomial_tail(n, k, static_cast<double>(entry.second) / static_cast<double>(n)) < p;
    });
    return centre((at == cumulative.end() ? cumulative.back() : *at).first);
  };
  return {first_reaching((1 - level) / 2), first_reaching((1 + level) / 2)};
}

// ---- the summary ----

Summary::Summary(std::vector<std::string> rules)
    : rules_(std::move(rules)), is_headline_(rules_.size(), true) {}

void Summary::insert(Group group) {
  auto before = [](const Group &a, const Group &b) {
    // By scan, then factor; a scan's drawn group (NaN) last.
    if (a.scan != b.scan)
      return a.scan < b.scan;
    return std::isnan(b.factor) ? !std::isnan(a.factor) : a.factor < b.factor;
  };
  const Scan scan = group.scan;
  groups_.insert(std::upper_bound(groups_.begin(), groups_.end(), group, before), std::move(group));
  // More than kMaxFactors factors in one scan, or a drawn group beside others: the scan's factors are
  // drawn, and the scan becomes one group.
  std::int64_t count = 0;
  bool drawn = false;
  for (const Group &g : groups_)
    if (g.scan == scan) {
      ++count;
      drawn = drawn || std::isnan(g.factor);
    }
  if (count <= kMaxFactors && !(drawn && count > 1))
    return;
  Group all{scan, kNaN, std::vector<Distribution>(rules_.size())};
  std::vector<Group> kept;
  for (Group &g : groups_) {
    if (g.scan != scan) {
      kept.push_back(std::move(g));
      continue;
    }
    for (std::size_t r = 0; r < rules_.size(); ++r)
      all.rules[r].merge(g.rules[r]);
  }
  groups_ = std::move(kept);
  groups_.insert(std::upper_bound(groups_.begin(), groups_.end(), all, before), std::move(all));
}

Summary::Group &Summary::group_of(Scan scan, double factor) {
  auto matches = [&](const Group &g) {
    return g.scan == scan && (std::isnan(g.factor) || g.factor == factor);
  };
  if (last_ < groups_.size() && matches(groups_[last_]))
    return groups_[last_];
  for (std::size_t k = 0; k < groups_.size(); ++k)
    if (matches(groups_[k]))
      return groups_[last_ = k];
  insert(Group{scan, factor, std::vector<Distribution>(rules_.size())});
  for (std::size_t k = 0; k < groups_.size(); ++k)
    if (matches(groups_[k]))
      return groups_[last_ = k];
  return groups_.front(); // not reached: the group was just inserted
}

void Summary::add(const Batch &batch) {
  const auto n = static_cast<std::size_t>(batch.size());
  if (batch.suggest.size() != rules_.size())
    throw RunError("summary: the batch has " + std::to_string(batch.suggest.size()) + " rules, not " +
                   std::to_string(rules_.size()));
  for (std::size_t r = 0; r < rules_.size() && n > 0; ++r) // bitwise: NaN where both have no answer
    is_headline_[r] = is_headline_[r] && std::memcmp(batch.suggest[r].data(), batch.suggested_lr.data(),
                                                     n * sizeof(double)) == 0;
  for (std::size_t i = 0; i < n; ++i) {
    ++trials;
    steps += batch.steps[i];
    ++status[static_cast<std::size_t>(batch.status[i])];
    headline_.add(batch.suggested_lr[i]);
    Group &g = group_of(batch.scan[i], batch.factor[i]);
    for (std::size_t r = 0; r < rules_.size(); ++r)
      g.rules[r].add(batch.suggest[r][i]);
  }
  suggested = headline_.answered();
}

void Summary::merge(const Summary &other) {
  if (&other == this) {
    const Summary copy = other;
    merge(copy);
    return;
  }
  if (other.rules_ != rules_)
    throw RunError("summary: merging summaries of different rules");
  for (std::size_t r = 0; r < rules_.size(); ++r)
    is_headline_[r] = (is_headline_[r] || trials == 0) && (other.is_headline_[r] || other.trials == 0);
  trials += other.trials;
  steps += other.steps;
  for (std::size_t k = 0; k < status.size(); ++k)
    status[k] += other.status[k];
  headline_.merge(other.headline_);
  suggested = headline_.answered();
  for (const Group &g : other.groups_) {
    Group &mine = group_of(g.scan, g.factor);
    for (std::size_t r = 0; r < rules_.size(); ++r)
      mine.rules[r].merge(g.rules[r]);
  }
}

std::string Summary::headline_rule() const {
  for (std::size_t r = 0; r < rules_.size(); ++r)
    if (is_headline_[r] && trials > 0)
      return rules_[r];
  return "";
}

Distribution Summary::overall(std::size_t rule) const {
  Distribution all;
  for (const Group &g : groups_)
    all.merge(g.rules[rule]);
  return all;
}

} // namespace lrf
