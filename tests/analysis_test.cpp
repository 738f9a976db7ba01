// The suggestion rules on hand-computed curves, smoothing and trimming, the statistics (quantiles,
// geometric mean, the exact bootstrap interval of the median) and the run summary.
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace lrf::test {
namespace {

// A trial view over a row given by hand (lrfinder's own rule reads the lr row as it is).
TrialView row(const std::vector<double> &lr, const std::vector<double> &loss) {
  EXPECT_EQ(lr.size(), loss.size());
  return trial_view(loss.data(), lr.data(), 1, static_cast<std::int32_t>(loss.size()) - 1, Status::diverged,
                    Scan::exp, 2, 500);
}

double own_steep(const std::vector<double> &lr, const std::vector<double> &loss, CurveOptions o = {}) {
  std::vector<double> scratch(2 * loss.size() + 8);
  return rules::steep(rules::own_curve(row(lr, loss), o, scratch.data()));
}

// An exp scan from 1 by `factor`: rate(i) = factor^i exactly for small powers of 2 or 10.
struct Scanned {
  std::vector<double> lr, loss;
  TrialView view;
  Scanned(double factor, std::vector<double> losses) : loss(std::move(losses)) {
    double r = 1;
    lr.push_back(r);
    for (std::size_t k = 1; k < loss.size(); ++k, r *= factor)
      lr.push_back(r);
    view = trial_view(loss.data(), lr.data(), 1, static_cast<std::int32_t>(loss.size()) - 1, Status::diverged,
                      Scan::exp, factor, 500);
  }
  // A fastai list over iterations [0, n) of the losses.
  rules::FastaiList<double> list() const {
    return rules::FastaiList<double>{view, loss.data(), 1, 0, view.steps + 1};
  }
};

TEST(IeeeLog, WithinOneUlpOfLibmAndExactWhereLibmIs) {
  std::mt19937_64 random(1);
  std::uniform_real_distribution<double> exponent(-700, 700);
  int off = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = std::exp(exponent(random)), mine = ieee_log(x), libm = std::log(x);
    if (mine != libm) {
      ++off;
      ASSERT_EQ(std::nextafter(mine, libm), libm) << x;
    }
  }
  EXPECT_LT(off, 6000); // about 4%
  // Inputs where it is 1 ulp off libm: the same bits as the numpy port's fdlibm_log (tests/ports).
  EXPECT_EQ(ieee_log(0x1.7126b931f15cep-1), -0x1.4ef80e94ffe8ep-2);
  EXPECT_EQ(ieee_log(0x1.4222d31e0d2dap-1), -0x1.da789b532faa6p-2);
  EXPECT_EQ(ieee_log(0x1.ae5342ce9436fp+0), 0x1.09ea0edb48b76p-1);
  EXPECT_EQ(ieee_log(1), 0);
  EXPECT_EQ(ieee_log(2), 0.69314718055994529);
  EXPECT_EQ(ieee_log(5e-324), -744.44007192138122);
  EXPECT_EQ(ieee_log(0), -INFINITY);
  EXPECT_TRUE(std::isnan(ieee_log(-1)));
  EXPECT_EQ(ieee_log(INFINITY), INFINITY);
}

// fdlibm's log10 and exp (core/ieee_log.hpp): within 1 ulp of glibc's, exact at powers of ten, and
// fdlibm's own answers where they are 1 ulp off (exp(1) is fdlibm's known 2.7182818284590455).
TEST(IeeeLog, Log10AndExpWithinOneUlpOfLibm) {
  std::mt19937_64 random(2);
  std::uniform_real_distribution<double> exponent(-700, 700);
  int log10_off = 0, exp_off = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = std::exp(exponent(random));
    if (const double mine = ieee_log10(x), libm = std::log10(x); mine != libm) {
      ++log10_off;
      ASSERT_EQ(std::nextafter(mine, libm), libm) << x;
    }
    const double e = exponent(random);
    if (const double mine = ieee_exp(e), libm = std::exp(e); mine != libm) {
      ++exp_off;
      ASSERT_EQ(std::nextafter(mine, libm), libm) << e;
    }
  }
  EXPECT_LT(log10_off, 1000);
  EXPECT_LT(exp_off, 15000);
  double ten = 1;
  for (int k = 0; k <= 22; ++k, ten *= 10)
    EXPECT_EQ(ieee_log10(ten), k);
  EXPECT_EQ(ieee_log10(5e-324), -323.30621534311580);
  EXPECT_EQ(ieee_log10(0), -INFINITY);
  EXPECT_TRUE(std::isnan(ieee_log10(-1)));
  EXPECT_EQ(ieee_exp(1), 2.7182818284590455);
  EXPECT_EQ(ieee_exp(0), 1);
  EXPECT_EQ(ieee_exp(-INFINITY), 0);
  EXPECT_EQ(ieee_exp(710), INFINITY);
  EXPECT_EQ(ieee_exp(-746), 0);
  EXPECT_EQ(ieee_exp(-740), std::exp(-740.0)); // subnormal
}

TEST(Rules, SteepIsTheSteepestDropPerLnLrUpToTheLowestLoss) {
  // lr:   1e-3 1e-3 1e-2 1e-1 1    10
  // loss: 10   9.9  9    5    1    100
  // slopes per ln(lr) from k=2: -0.9/ln10, -4/ln10, -4/ln10 (tie: the first wins), then past the minimum.
  const std::vector<double> lr{1e-3, 1e-3, 1e-2, 1e-1, 1, 10};
  EXPECT_EQ(own_steep(lr, {10, 9.9, 9, 5, 1, 100}), 1e-1);
  // A loss that never falls has no answer; nor one whose only drop is at the repeated base_lr.
  EXPECT_TRUE(std::isnan(own_steep(lr, {1, 2, 3, 4, 5, 6})));
  EXPECT_TRUE(std::isnan(own_steep(lr, {10, 1, 2, 3, 4, 5})));
  // Cut before the first non-finite loss: the drop after it is not read.
  EXPECT_TRUE(std::isnan(own_steep(lr, {10, 10, NAN, 1, 2, 3})));
}

TEST(Rules, FastaiSteepAnswersTheRateBeforeTheDrop) {
  // rates double; grads per ln2 between neighbours: -2, -5, +17, -15: the steepest is the last pair, and
  // fastai answers lrs[argmin] = the rate of its first point, 8 (lrfinder's steep stops at the lowest loss).
  Scanned s(2, {10, 8, 3, 20, 5});
  EXPECT_EQ(rules::fastai_steep(s.list()), 8);
  // fastai answers even where the loss only rises: the least positive slope (a tie: the first).
  EXPECT_EQ(rules::fastai_steep(Scanned(2, {1, 2, 3}).list()), 1);
  EXPECT_TRUE(std::isnan(rules::fastai_steep(Scanned(2, {1}).list())));
}

TEST(Rules, FastaiMinimumIsTheRateAtTheLowestLossOverTen) {
  EXPECT_DOUBLE_EQ(rules::fastai_minimum(Scanned(2, {10, 8, 3, 20, 5}).list()), 0.4);
  EXPECT_DOUBLE_EQ(rules::fastai_minimum(Scanned(2, {5, 3, 3}).list()), 0.2); // a tie: the first
  EXPECT_DOUBLE_EQ(rules::fastai_minimum(Scanned(2, {1, 2}).list()), 0.1);    // fastai answers even so
}

TEST(Rules, FastaiValleyByHand) {
  // losses 5 4 6 3 2 7 1 8: the longest strictly decreasing subsequences ending at each point have lengths
  // lds = 1 2 1 3 4 1 5 1 (5 4 3 2 1 ends at i = 6). fastai: max_end = 6, max_start = 6 - 5 = 1,
  // sections = 5/3, idx = 1 + int(5/3) + int(5/6) = 2: lrs[2] = 100.
  std::vector<double> tail(16);
  EXPECT_EQ(rules::fastai_valley(Scanned(10, {5, 4, 6, 3, 2, 7, 1, 8}).list(), tail.data()), 100);
  // fastai's quirk: a longest run of 2 at the start gives max_start = -1 and idx = -1, the last rate.
  EXPECT_EQ(rules::fastai_valley(Scanned(10, {2, 1, 3, 4, 5}).list(), tail.data()), 1e4);
  EXPECT_EQ(rules::fastai_valley(Scanned(10, {3}).list(), tail.data()), 1);
}

// fastai's valley as written (O(n^2), max_start updated inside the inner loop), to check the O(n log n)
// version on random curves with many ties.
double quadratic_valley(const std::vector<double> &lrs, const std::vector<double> &losses) {
  const int n = static_cast<int>(losses.size());
  int max_start = 0, max_end = 0;
  std::vector<int> lds(n, 1);
  for (int i = 1; i < n; ++i)
    for (int j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1)
        lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = max_end - lds[max_end];
      }
    }
  const double sections = (max_end - max_start) / 3.0;
  int idx = max_start + static_cast<int>(sections) + static_cast<int>(sections / 2);
  return lrs[idx < 0 ? idx + n : idx];
}

TEST(Rules, FastaiValleyEqualsItsQuadraticLoop) {
  std::mt19937 random(7);
  std::vector<double> tail(64);
  for (int trial = 0; trial < 2000; ++trial) {
    const int n = 1 + static_cast<int>(random() % 60);
    std::vector<double> loss;
    for (int i = 0; i < n; ++i)
      loss.push_back(static_cast<double>(random() % 12)); // few values: many ties
    Scanned s(1.5, loss);
    std::vector<double> rates;
    for (int i = 0; i < n; ++i)
      rates.push_back(rules::rate(s.view, i));
    ASSERT_EQ(rules::fastai_valley(s.list(), tail.data()), quadratic_valley(rates, loss))
        << "trial " << trial;
  }
}

TEST(Rules, RatesContinueTheScanPastTheRow) {
  // Row lr = 1, 1, 3 (linear, factor 2, two steps): r_0 = 1, r_1 = 3, then 5, 7 by the same additions.
  const std::vector<double> lr{1, 1, 3}, loss{3, 2, 1};
  TrialView t = trial_view(loss.data(), lr.data(), 1, 2, Status::stalled, Scan::linear, 2, 10);
  EXPECT_EQ(rules::rate(t, 0), 1);
  EXPECT_EQ(rules::rate(t, 1), 3);
  EXPECT_EQ(rules::rate(t, 2), 5);
  EXPECT_EQ(rules::rate(t, 3), 7);
  // The same rates walked one by one.
  rules::RateWalk<double> walk(t, 0);
  for (double want : {1, 3, 5, 7}) {
    EXPECT_EQ(walk.r, want);
    walk.next();
  }
  // A stalled trial's losses past the row are NaN; a diverged one has none.
  EXPECT_TRUE(rules::measured(t, 3) && std::isnan(t.loss_at(3)));
  t.stalled = false;
  EXPECT_FALSE(rules::measured(t, 3));
}

TEST(Rules, IgniteAnswersTheRateOfTheNextIteration) {
  // The first loss as it is, then 0.05 * loss + 0.95 * previous: 100, 99.5, 98.525, 97.09875, 95.2438...;
  // the lowest is the last, and the grads 0.5 * (next - previous) at the inner points 1..3 are -0.7375,
  // -1.200625, -1.640...: point 3, and ignite answers the rate logged with it, r_(3+1) = 16 (rates double).
  Scanned s(2, {100, 90, 80, 70, 60});
  const std::vector<double> debias = debias_table(500);
  std::vector<double> scratch(static_cast<std::size_t>(rule_scratch(500)));
  double *smoothed = scratch.data() + 2 * rule_scratch_part(500);
  auto record = [&](const TrialView &t) {
    return rules::record_all(t, RuleTables{debias.data()}, scratch.data(), scratch.data() + rule_scratch_part(500),
                             smoothed);
  };
  const rules::Recorded<double> r = record(s.view);
  ASSERT_EQ(r.smoothed, 5);
  EXPECT_EQ(r.lowest, 4);
  EXPECT_EQ(smoothed[1], 0.05 * 90 + (1 - 0.05) * 100);
  EXPECT_EQ(rules::ignite(s.view, smoothed, r.lowest), 16);
  // Fewer than 3 points up to the lowest: ignite raises; no answer.
  Scanned early(2, {100, 1, 1000, 1000}); // smoothed 100, 95.05, 140.3, 183.3
  EXPECT_TRUE(std::isnan(rules::ignite(early.view, smoothed, record(early.view).lowest)));
}

TEST(Smoothing, ParsesTheThreeForms) {
  Smoothing s;
  ASSERT_TRUE(parse_smoothing("ema-debiased:0.98", s));
  EXPECT_EQ(s.kind, Smoothing::Kind::ema_debiased);
  EXPECT_EQ(s.beta, 0.98);
  EXPECT_EQ(to_string(s), "ema-debiased:0.98");
  ASSERT_TRUE(parse_smoothing("ema:0.95", s));
  EXPECT_EQ(s.kind, Smoothing::Kind::ema);
  EXPECT_EQ(to_string(s), "ema:0.95");
  ASSERT_TRUE(parse_smoothing("none", s));
  EXPECT_EQ(s.kind, Smoothing::Kind::none);
  for (const char *bad :
       {"ema:1", "ema:2", "ema:-0.1", "ema:", "ema:x", "ema", "debiased:0.5", "ema:nan", ""})
    EXPECT_FALSE(parse_smoothing(bad, s)) << bad;
}

TEST(Smoothing, DebiasedAndPlainEmaByHand) {
  const std::vector<double> loss{4, 2, 8}, lr{1, 1, 2};
  std::vector<double> scratch(16);
  CurveOptions o;
  // Debiased, beta 0.5: averages 2, 2, 5 over 1 - 0.5^(k+1) = 0.5, 0.75, 0.875: 4, 8/3, 40/7.
  o.smooth = Smoothing{Smoothing::Kind::ema_debiased, 0.5};
  rules::Curve<double> c = rules::own_curve(row(lr, loss), o, scratch.data());
  ASSERT_EQ(c.n, 3);
  EXPECT_DOUBLE_EQ(c.loss[0], 4);
  EXPECT_DOUBLE_EQ(c.loss[1], 8.0 / 3);
  EXPECT_DOUBLE_EQ(c.loss[2], 40.0 / 7);
  // Plain, beta 0.5, from the first loss: 4, 3, 5.5.
  o.smooth = Smoothing{Smoothing::Kind::ema, 0.5};
  c = rules::own_curve(row(lr, loss), o, scratch.data());
  EXPECT_EQ(std::vector<double>(c.loss, c.loss + 3), (std::vector<double>{4, 3, 5.5}));
  // None: the stored row itself.
  o.smooth = Smoothing{};
  EXPECT_EQ(rules::own_curve(row(lr, loss), o, scratch.data()).loss, loss.data());
}

TEST(Smoothing, CutAtTheFirstNonFiniteThenSkip) {
  const std::vector<double> lr{1, 1, 2, 3, 4, 5}, loss{6, 5, 4, NAN, 2, 1};
  std::vector<double> scratch(16);
  CurveOptions o;
  rules::Curve<double> c = rules::own_curve(row(lr, loss), o, scratch.data());
  EXPECT_EQ(c.n, 3); // before the NaN
  o.skip_begin = 1;
  o.skip_end = 1;
  c = rules::own_curve(row(lr, loss), o, scratch.data());
  ASSERT_EQ(c.n, 1);
  EXPECT_EQ(c.lr, lr.data() + 1);
  EXPECT_EQ(c.loss[0], 5);
  o.skip_begin = 5; // more than there is: an empty curve, and no answer
  c = rules::own_curve(row(lr, loss), o, scratch.data());
  EXPECT_EQ(c.n, 0);
  EXPECT_TRUE(std::isnan(rules::steep(c)));
}

TEST(Statistics, QuantilesAreNumpysPercentiles) {
  Distribution d;
  for (double v : {4e-3, 1e-3, double(NAN), 3e-3, 0.0, 2e-3, -1.0})
    d.add(v);
  EXPECT_EQ(d.trials(), 7);
  EXPECT_EQ(d.answered(), 4);
  // numpy.percentile([1, 2, 3, 4] ms, [5, 25, 50, 95]) = 1.15, 1.75, 2.5, 3.85 ms; each answer is read as
  // its bin's centre, within half a bin (a factor 10^0.0005: 0.115%).
  const double tolerance = 1.2e-3;
  EXPECT_NEAR(d.quantile(0.05) / 1.15e-3, 1, tolerance);
  EXPECT_NEAR(d.quantile(0.25) / 1.75e-3, 1, tolerance);
  EXPECT_NEAR(d.quantile(0.5) / 2.5e-3, 1, tolerance);
  EXPECT_NEAR(d.quantile(0.95) / 3.85e-3, 1, tolerance);
  EXPECT_NEAR(d.quantile(0) / 1e-3, 1, tolerance);
  EXPECT_NEAR(d.quantile(1) / 4e-3, 1, tolerance);
  // The geometric mean is exact: 24^(1/4) ms.
  EXPECT_NEAR(d.geometric_mean() / (std::pow(24.0, 0.25) * 1e-3), 1, 1e-14);
  Distribution none;
  none.add(NAN);
  EXPECT_TRUE(std::isnan(none.quantile(0.5)));
  EXPECT_TRUE(std::isnan(none.geometric_mean()));
  EXPECT_TRUE(std::isnan(none.median_interval()[0]));
}

TEST(Statistics, BinomialTail) {
  // P(Binomial(3, 2/3) >= 2) = 3 (2/3)^2 (1/3) + (2/3)^3 = 20/27; with p = 1/3: 7/27.
  EXPECT_NEAR(detail::binomial_tail(3, 2, 2.0 / 3), 20.0 / 27, 1e-13);
  EXPECT_NEAR(detail::binomial_tail(3, 2, 1.0 / 3), 7.0 / 27, 1e-13);
  EXPECT_EQ(detail::binomial_tail(10, 0, 0.3), 1);
  EXPECT_EQ(detail::binomial_tail(10, 11, 0.3), 0);
  EXPECT_EQ(detail::binomial_tail(10, 3, 1.0), 1);
  // Large n against the normal approximation: P(X >= n/2 + 1000) for n = 1e6, p = 1/2 is
  // 1 - Phi(999.5/500) = 0.02281.
  EXPECT_NEAR(detail::binomial_tail(1000000, 501000, 0.5), 0.02281, 2e-4);
  // n = 1e9 (a billion trials): P(X >= n/2) = 1/2 + P(X = n/2)/2 = 0.5 + 1.3e-5.
  EXPECT_NEAR(detail::binomial_tail(1000000000, 500000000, 0.5), 0.5, 1e-4);
}

TEST(Statistics, MedianIntervalByHand) {
  // Answers 1, 10, 100: a resample's median is <= 1 when at least 2 of its 3 draws are 1:
  // P = 7/27 = 0.259; <= 10 with P = 20/27 = 0.741; <= 100 with P = 1.
  Distribution d;
  for (double v : {1.0, 10.0, 100.0})
    d.add(v);
  auto near = [](double got, double want) { return std::fabs(got / want - 1) < 1.2e-3; };
  auto ci = d.median_interval(0.95); // 0.025 and 0.975: 1 and 100
  EXPECT_TRUE(near(ci[0], 1) && near(ci[1], 100)) << ci[0] << " " << ci[1];
  ci = d.median_interval(0.4); // 0.3 and 0.7: 10 and 10
  EXPECT_TRUE(near(ci[0], 10) && near(ci[1], 10)) << ci[0] << " " << ci[1];
  ci = d.median_interval(0.5); // 0.25 and 0.75: 1 and 100
  EXPECT_TRUE(near(ci[0], 1) && near(ci[1], 100)) << ci[0] << " " << ci[1];
}

TEST(Statistics, MedianIntervalMatchesResampling) {
  // 41 answers 10^(k/10): the exact bootstrap against 20000 seeded resamples, as P(median <= answer k).
  std::vector<double> answers;
  Distribution d;
  for (int k = 0; k <= 40; ++k) {
    answers.push_back(std::pow(10.0, k / 10.0 - 3));
    d.add(answers.back());
  }
  std::mt19937_64 random(1);
  std::uniform_int_distribution<int> pick(0, 40);
  std::vector<int> median_at(41, 0);
  const int replicates = 20000;
  for (int b = 0; b < replicates; ++b) {
    std::vector<int> draw(41);
    for (int &v : draw)
      v = pick(random);
    std::nth_element(draw.begin(), draw.begin() + 20, draw.end());
    ++median_at[draw[20]];
  }
  int below = 0;
  for (int k = 0; k <= 40; ++k) {
    below += median_at[k];
    const double exact = detail::binomial_tail(41, 21, (k + 1) / 41.0);
    EXPECT_NEAR(static_cast<double>(below) / replicates, exact, 0.012) << "k=" << k;
  }
  // Reproducible, and around the median.
  auto ci = d.median_interval();
  EXPECT_EQ(ci, d.median_interval());
  EXPECT_LE(ci[0], d.quantile(0.5));
  EXPECT_GE(ci[1], d.quantile(0.5));
  EXPECT_LT(ci[0], ci[1]);
}

Batch planned_batch(const Problem &p, std::int64_t trials, std::uint64_t seed = 0) {
  Batch b;
  PlanOptions o;
  o.trials = trials;
  o.seed = seed;
  Plan(o).fill(0, trials, b);
  b.size_outputs(p.row_length());
  make_cpu_backend(1)->run(p, b);
  return b;
}

TEST(Suggest, FillsEveryRuleAndTheHeadline) {
  Problem p = seed_problem();
  Batch b = planned_batch(p, 40);
  AnalysisOptions o;
  o.suggest = "fastai-valley";
  o.smooth = Smoothing{Smoothing::Kind::ema_debiased, 0.9};
  o.skip_begin = 2;
  suggest(p, o, b);
  ASSERT_EQ(b.suggest.size(), rule_names().size());
  const auto row_length = static_cast<std::size_t>(p.row_length());
  const std::vector<double> debias = debias_table(p.config.epochs);
  std::vector<double> scratch(static_cast<std::size_t>(rule_scratch(p.config.epochs)));
  for (std::size_t i = 0; i < 40; ++i) {
    const TrialView t = trial_view(&b.loss[i * row_length], &b.lr[i * row_length], 1, b.steps[i], b.status[i],
                                   b.scan[i], b.factor[i], p.config.epochs);
    double want[kRuleCount];
    suggest_all(t, o.curve(), RuleTables{debias.data()}, scratch.data(), want);
    for (std::size_t r = 0; r < rule_names().size(); ++r)
      EXPECT_EQ(std::memcmp(&b.suggest[r][i], &want[r], sizeof(double)), 0) << rule_names()[r];
  }
  EXPECT_EQ(b.suggested_lr, b.suggest[static_cast<int>(Rule::fastai_valley)]);
  Summary s;
  s.add(b);
  EXPECT_EQ(s.headline_rule(), "fastai-valley");
  o.suggest = "nonsense";
  EXPECT_THROW(suggest(p, o, b), InputError);
}

TEST(Summary, CountsAndQuantilesMatchTheTrials) {
  Problem p = seed_problem();
  PlanOptions o;
  o.trials = 3000;
  o.seed = 5;
  o.exp_factors.values = {1.1, 1.05};
  Plan plan(o);
  auto cpu = make_cpu_backend(2);
  MemorySink out(p, plan.size());
  RunControl control;
  control.batch = 700;
  RunResult r = run_trials(p, plan, *cpu, out, control);
  const Summary &s = r.summary;
  EXPECT_EQ(s.trials, 3000);
  std::int64_t steps = 0;
  std::vector<double> suggestions;
  for (std::int64_t i = 0; i < 3000; ++i) {
    steps += out.steps[i];
    if (out.suggested_lr[i] > 0)
      suggestions.push_back(out.suggested_lr[i]);
  }
  EXPECT_EQ(s.steps, steps);
  EXPECT_EQ(s.status[0] + s.status[1] + s.status[2], 3000);
  ASSERT_EQ(s.suggested, static_cast<std::int64_t>(suggestions.size()));
  ASSERT_GT(s.suggested, 2000);
  EXPECT_EQ(s.headline_rule(), "steep");
  std::sort(suggestions.begin(), suggestions.end());
  for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    const double h = q * static_cast<double>(suggestions.size() - 1);
    const auto lo = static_cast<std::size_t>(h);
    const double exact =
        suggestions[lo] + (h - static_cast<double>(lo)) *
                              (suggestions[std::min(lo + 1, suggestions.size() - 1)] - suggestions[lo]);
    EXPECT_NEAR(s.quantile(q) / exact, 1, 1.2e-3) << "q=" << q;
  }
  // Three groups: linear 5e-4, exp 1.05, exp 1.1 (trials cycle through them), 1000 trials each.
  ASSERT_EQ(s.groups().size(), 3u);
  EXPECT_EQ(s.groups()[0].scan, Scan::linear);
  EXPECT_EQ(s.groups()[0].factor, 5e-4);
  EXPECT_EQ(s.groups()[1].factor, 1.05);
  EXPECT_EQ(s.groups()[2].factor, 1.1);
  for (const auto &g : s.groups())
    EXPECT_EQ(g.rules[0].trials(), 1000);
  EXPECT_EQ(s.overall(0).answered(), s.suggested);
}

TEST(Summary, DrawnFactorsAreOneGroupPerScan) {
  Problem p = seed_problem(60);
  Batch b;
  PlanOptions o;
  o.trials = 200;
  o.linear_factors = FactorSpec{{}, 1e-4, 1e-3}; // drawn: every linear trial its own factor
  o.exp_factors.values = {1.1, 1.2};
  Plan(o).fill(0, 200, b);
  b.size_outputs(p.row_length());
  make_cpu_backend(1)->run(p, b);
  suggest(p, {}, b);
  Summary all;
  all.add(b);
  ASSERT_EQ(all.groups().size(), 3u);
  EXPECT_EQ(all.groups()[0].scan, Scan::linear);
  EXPECT_TRUE(std::isnan(all.groups()[0].factor));
  EXPECT_EQ(all.groups()[0].rules[0].trials(), 67); // trials 0, 3, 6, ..
  EXPECT_EQ(all.groups()[1].factor, 1.1);
  EXPECT_EQ(all.groups()[2].factor, 1.2);
  // The same from pieces merged in any order, a piece too small to see the factors drawn included.
  Batch first, rest;
  Plan(o).fill(0, 6, first);
  Plan(o).fill(6, 194, rest);
  for (Batch *part : {&first, &rest}) {
    part->size_outputs(p.row_length());
    make_cpu_backend(1)->run(p, *part);
    suggest(p, {}, *part);
  }
  Summary a, c;
  a.add(first);
  EXPECT_EQ(a.groups().size(), 4u); // 2 linear factors seen so far, not yet more than kMaxFactors
  c.add(rest);
  c.merge(a);
  ASSERT_EQ(c.groups().size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(c.groups()[k].rules[0].trials(), all.groups()[k].rules[0].trials());
    EXPECT_EQ(c.groups()[k].rules[0].quantile(0.5), all.groups()[k].rules[0].quantile(0.5));
  }
}

TEST(Summary, MergeEqualsOneSummaryOfEverything) {
  Problem p = seed_problem();
  Batch b = planned_batch(p, 50);
  suggest(p, {}, b);
  Summary all, half1, half2;
  all.add(b);
  all.add(b);
  half1.add(b);
  half2.add(b);
  half1.merge(half2);
  EXPECT_EQ(half1.trials, all.trials);
  EXPECT_EQ(half1.steps, all.steps);
  EXPECT_EQ(half1.quantile(0.5), all.quantile(0.5));
  EXPECT_EQ(half1.headline_rule(), "steep");
  for (std::size_t r = 0; r < rule_names().size(); ++r) {
    EXPECT_EQ(half1.overall(r).quantile(0.5), all.overall(r).quantile(0.5));
    EXPECT_EQ(half1.overall(r).median_interval(), all.overall(r).median_interval());
    EXPECT_TRUE(half1.overall(r) == all.overall(r)); // integer sums: the same bits in any order
  }
}

TEST(Summary, SeedDataSteepMedianBetweenLrStarOver100AndDivergence) {
  // The seed's default workload (4096 trials, half linear 5e-4, half exp 1.1): c = mean(x^2) = 33.50,
  // lr* = 1/(2c) = 0.01492, divergence above 1/c = 0.02985.
  Problem p = seed_problem();
  const LinearReference ref = linear_reference(p.x, Loss::mse);
  EXPECT_NEAR(ref.c, 328350.0 / 9801, 1e-12); // sum of i^2 (i < 100) * (10/99)^2 / 100
  PlanOptions o;
  Plan plan(o);
  auto cpu = make_cpu_backend(2);
  MemorySink out(p, plan.size());
  const Summary s = run_trials(p, plan, *cpu, out).summary;
  const double median = s.overall(0).quantile(0.5);
  EXPECT_GT(median, ref.lr_star() / 100);
  EXPECT_LT(median, ref.lr_diverge());
  auto ci = s.overall(0).median_interval();
  EXPECT_GT(ci[0], ref.lr_star() / 100);
  EXPECT_LT(ci[1], ref.lr_diverge());
}

} // namespace
} // namespace lrf::test
