// The rules' two ways of running: one trial at a time (a CUDA thread, the serial reference) and four in
// SIMD lanes (core/suggest.hpp, the cpu backend) give the same bits on batches chosen to split the lanes'
// paths; the vector logarithm equals the scalar one; and the steep rules, which skip logarithms that a
// bound shows cannot matter, equal their plain loops on curves with ties, flat stretches and rates an ulp
// apart.
#include "test_util.hpp"

#include "core/lanes.hpp"
#include "core/library_rules.hpp"
#include "core/suggest.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace lrf::test {
namespace {

// Every rule for every trial through suggest_batch, against suggest_all on that trial alone.
void expect_lanes_equal_one_trial(const Problem &p, const PlanOptions &plan, const CurveOptions &own,
                                  const std::string &what) {
  Batch b;
  Plan(plan).fill(0, plan.trials, b);
  b.size_outputs(p.row_length());
  make_serial_backend()->run(p, b);
  const RuleRun rules(p, own);
  size_suggestions(b);
  suggest_batch(rules, p, b);
  std::vector<double> scratch(static_cast<std::size_t>(rule_scratch(p.config.epochs)));
  const auto row = static_cast<std::size_t>(p.row_length());
  std::int64_t differ = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(b.size()); ++i) {
    const TrialView t = trial_view(&b.loss[i * row], &b.lr[i * row], 1, b.steps[i], b.status[i], b.scan[i],
                                   b.factor[i], p.config.epochs);
    double want[kRuleCount];
    suggest_all(t, own, rules.tables(), scratch.data(), want);
    for (int r = 0; r < kRuleCount; ++r)
      if (std::memcmp(&want[r], &b.suggest[static_cast<std::size_t>(r)][i], sizeof(double)) != 0 && differ++ < 5)
        ADD_FAILURE() << what << ": trial " << i << " rule " << rule_name(static_cast<Rule>(r)) << ": one trial "
                      << want[r] << ", lanes " << b.suggest[static_cast<std::size_t>(r)][i];
  }
  EXPECT_EQ(differ, 0) << what;
}

TEST(Lanes, EqualOneTrialAtATimeOnMixedNoisyAndShortRuns) {
  // Drawn factors of both scans, far and near starts: diverged, completed and stalled trials of every
  // length in one batch, 1001 trials (not a multiple of the lanes).
  expect_lanes_equal_one_trial(seed_problem(), mixed(1001, 3), {}, "seed data, mixed plan");
  expect_lanes_equal_one_trial(noisy_problem(300, 120), mixed(1001, 4), {}, "noisy data");
  // Epochs below fastai's 6 and Lightning's and torch-lr-finder's trims: lists of 0..3 points.
  expect_lanes_equal_one_trial(noisy_problem(50, 3), mixed(203, 5), {}, "3 epochs");
  expect_lanes_equal_one_trial(seed_problem(14), mixed(203, 6), {}, "14 epochs");
  // lrfinder's rule with every option: smoothing and trims that empty some lanes' curves.
  CurveOptions o;
  o.smooth = Smoothing{Smoothing::Kind::ema_debiased, 0.9};
  o.skip_begin = 40;
  o.skip_end = 3;
  expect_lanes_equal_one_trial(noisy_problem(300, 120), mixed(501, 7), o, "debiased, skips");
  o.smooth = Smoothing{Smoothing::Kind::ema, 0.5};
  o.skip_begin = 0;
  o.skip_end = 200;
  expect_lanes_equal_one_trial(seed_problem(), mixed(501, 8), o, "ema, skip_end past the curve");
}

TEST(Lanes, EqualOneTrialWithRelativeStopsAndInfiniteLosses) {
  // --stop-factor ends trials early (status rose); a tiny --diverge makes losses overflow to inf first.
  Problem p = noisy_problem(300, 200);
  p.config.stop_factor = 1.5;
  expect_lanes_equal_one_trial(p, mixed(501, 9), {}, "stop factor");
  Problem q = seed_problem();
  q.config.diverge = 1e308;
  PlanOptions wide = mixed(301, 10);
  wide.exp_factors = FactorSpec{{}, 1.5, 4};
  expect_lanes_equal_one_trial(q, wide, {}, "losses to inf");
}

TEST(Lanes, VectorLogEqualsScalarLog) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> exponent(-745, 710);
  std::int64_t differ = 0;
  for (int it = 0; it < 200000; ++it) {
    RuleVec x;
    for (int j = 0; j < kRuleLanes; ++j) {
      const auto kind = random() % 6;
      if (kind == 0)
        x[j] = lanes::double_of(random()); // any bits: NaN, inf, negative, subnormal
      else if (kind == 1)
        x[j] = 1 + static_cast<double>(random() % 2001) * 0x1p-30 - 0x1p-20; // near 1 (fdlibm's |f| < 2^-20)
      else if (kind == 2)
        x[j] = std::ldexp(1.0, static_cast<int>(random() % 2000) - 1000); // powers of two
      else
        x[j] = std::exp(exponent(random));
    }
    const RuleVec got = ieee_log(x);
    for (int j = 0; j < kRuleLanes; ++j) {
      const double want = ieee_log(x[j]);
      if (std::memcmp(&want, &got[j], sizeof want) != 0 && differ++ < 5)
        ADD_FAILURE() << std::hexfloat << "log(" << x[j] << "): " << want << " vs lanes " << got[j];
    }
  }
  EXPECT_EQ(differ, 0);
}

// The plain loops the steep rules skip logarithms in.
double plain_steep(const std::vector<double> &lr, const std::vector<double> &loss) {
  std::int64_t lowest = 0;
  for (std::size_t i = 1; i < loss.size(); ++i)
    if (loss[i] < loss[static_cast<std::size_t>(lowest)])
      lowest = static_cast<std::int64_t>(i);
  double best_slope = 0, best_lr = NAN;
  for (std::int64_t k = 1; k <= lowest; ++k) {
    const auto u = static_cast<std::size_t>(k);
    const double rise = loss[u] - loss[u - 1];
    if (!(lr[u] > lr[u - 1]) || !(rise < 0))
      continue;
    const double slope = rise / ieee_log(lr[u] / lr[u - 1]);
    if (slope < best_slope) {
      best_slope = slope;
      best_lr = lr[u];
    }
  }
  return best_lr;
}
double plain_fastai_steep(const std::vector<double> &lr, const std::vector<double> &loss) {
  std::int64_t best = -1;
  double low = 0;
  for (std::size_t j = 0; j + 1 < loss.size(); ++j) {
    const double g = (loss[j + 1] - loss[j]) / (ieee_log(lr[j + 1]) - ieee_log(lr[j]));
    if (std::isnan(g))
      return lr[j];
    if (best < 0 || g < low) {
      best = static_cast<std::int64_t>(j);
      low = g;
    }
  }
  return lr[static_cast<std::size_t>(best)];
}

// Both steep rules on one curve (lrfinder's on the row, fastai's on the row's rates shifted by one), each
// against its plain loop; returns how many differ.
int steep_rules_differ(const std::vector<double> &lr, const std::vector<double> &loss, const std::string &what) {
  const std::size_t n = lr.size();
  const TrialView t = trial_view(loss.data(), lr.data(), 1, static_cast<std::int32_t>(n) - 1, Status::diverged,
                                 Scan::exp, 2, 500);
  std::vector<double> scratch(4 * n + 16);
  const double own = rules::steep(rules::own_curve(t, CurveOptions{}, scratch.data()));
  const double want_own = plain_steep(lr, loss);
  // fastai's list over the row's rates r_0.. = lr[1..]: the same rates, shifted by one.
  const std::vector<double> rates(lr.begin() + 1, lr.end()), losses(loss.begin(), loss.end() - 1);
  const rules::FastaiList<double> list{t, losses.data(), 1, 0, static_cast<std::int64_t>(losses.size())};
  const double fastai = rules::fastai_steep(list);
  const double want_fastai = losses.size() < 2 ? NAN : plain_fastai_steep(rates, losses);
  int differ = 0;
  for (const auto &[got, want, name] : {std::tuple{own, want_own, "steep"}, std::tuple{fastai, want_fastai, "fastai-steep"}})
    if (std::memcmp(&got, &want, sizeof got) != 0 && differ++ < 5)
      ADD_FAILURE() << name << " " << what << ": " << got << " vs plain " << want;
  return differ;
}

TEST(Lanes, SteepRulesKeepEveryLogarithmAtTheEdgesOfTheBound) {
  const double u = 0x1p-1074, e = 2.718281828459045;
  // rates that turn negative (a NaN logarithm), 2 (b - a) past the largest double, products that underflow
  // (losses of a few u), a rise of -inf.
  EXPECT_EQ(steep_rules_differ({1e-3, 1e-3, 2e-3, -1, 1e-2}, {1, 1, 0.9, 0.8, 0.7}, "negative rate"), 0);
  EXPECT_EQ(steep_rules_differ({1e306, 1e306, 1e307, 1e308}, {10, 10, 9, 0}, "huge rates"), 0);
  EXPECT_EQ(steep_rules_differ({1, e, e * 1.35}, {10 * u, 8 * u, 7 * u}, "tiny losses"), 0);
  EXPECT_EQ(steep_rules_differ({1, 1, e, e * 1.35}, {10 * u, 10 * u, 8 * u, 7 * u}, "tiny losses, fastai"), 0);
  EXPECT_EQ(steep_rules_differ({1, e, 20 * e}, {1.7e308, 0.7e308, -1.7e308}, "rise of -inf"), 0);
}

TEST(Lanes, SteepRulesSkipOnlyLogarithmsThatCannotMatter) {
  std::mt19937_64 random(12);
  std::int64_t differ = 0;
  for (int it = 0; it < 20000; ++it) {
    const std::size_t n = 2 + random() % 60;
    std::vector<double> lr(n), loss(n);
    double r = std::ldexp(1.0, static_cast<int>(random() % 40) - 30), l = 100;
    const int kind = static_cast<int>(random() % 4);
    for (std::size_t k = 0; k < n; ++k) {
      lr[k] = r;
      loss[k] = l;
      switch (kind) {
      case 0: r = std::nextafter(r, INFINITY); break;                                  // rates an ulp apart
      case 1: r *= 1 + static_cast<double>(random() % 3) * 0x1p-44; break;             // nearly equal, some equal
      default: r *= 1 + static_cast<double>(random() % 1000) / 500; break;             // up to 3x a step
      }
      const int step = static_cast<int>(random() % 8);
      l += step == 0 ? 0 : step == 1 ? -1 : step < 5 ? -std::ldexp(1.0, -static_cast<int>(random() % 50)) : 0.25 * static_cast<double>(step - 5);
    }
    differ += steep_rules_differ(lr, loss, "curve " + std::to_string(it));
  }
  EXPECT_EQ(differ, 0);
}

} // namespace
} // namespace lrf::test
