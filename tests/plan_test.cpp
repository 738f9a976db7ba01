// The plan: Philox known answers, start weights keyed by (seed, trial index), scans and factors.
#include "core/philox.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

namespace lrf::test {
namespace {

TEST(Philox, KnownAnswersOfRandom123) {
  // Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
  using A4 = Philox4;
  EXPECT_EQ(philox4x32_10({{0, 0, 0, 0}}, {{0, 0}}), (A4{{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}));
  EXPECT_EQ(philox4x32_10({{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}}),
            (A4{{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}));
  EXPECT_EQ(philox4x32_10({{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}}),
            (A4{{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}));
}

TEST(Plan, StartWeightsAreUniformInRangeAndDependOnSeedAndIndexOnly) {
  PlanOptions o;
  o.trials = 20000;
  o.seed = 42;
  Plan plan(o);
  double lo = 1e300, hi = -1e300, sum = 0;
  for (std::int64_t i = 0; i < plan.size(); ++i) {
    double w = plan.trial(i).start_weight;
    lo = std::min(lo, w);
    hi = std::max(hi, w);
    sum += w;
  }
  EXPECT_GE(lo, -5.0);
  EXPECT_LT(hi, 10.0);
  EXPECT_NEAR(sum / static_cast<double>(plan.size()), 2.5, 0.1); // mean of U(-5, 10); 5 sigma is 0.15
  EXPECT_LT(lo, -4.99);
  EXPECT_GT(hi, 9.99);

  // Trial 12345 is the same in a plan of another size, filled from another batch start.
  PlanOptions small = o;
  small.trials = 12346;
  Batch a, b;
  Plan(small).fill(12340, 6, a);
  plan.fill(12345, 1, b);
  EXPECT_EQ(a.start_weight[5], b.start_weight[0]);
  EXPECT_EQ(a.first, 12340);
  // Another seed, other weights.
  PlanOptions other = o;
  other.seed = 43;
  EXPECT_NE(Plan(other).trial(12345).start_weight, b.start_weight[0]);
}

TEST(Plan, BothScansAlternateAndListsCycle) {
  PlanOptions o;
  o.trials = 10;
  o.linear_factors = FactorSpec{{1e-4, 2e-4}};
  o.exp_factors = FactorSpec{{1.1}};
  Plan plan(o);
  const Scan scans[] = {Scan::linear, Scan::linear, Scan::exp};
  const double factors[] = {1e-4, 2e-4, 1.1};
  for (std::int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(plan.trial(i).scan, scans[i % 3]);
    EXPECT_EQ(plan.trial(i).factor, factors[i % 3]);
  }
  o.exp = false;
  EXPECT_EQ(Plan(o).trial(1).factor, 2e-4);
  EXPECT_EQ(Plan(o).trial(2).scan, Scan::linear);
}

TEST(Plan, RangesDrawLogUniformFactors) {
  PlanOptions o;
  o.trials = 4000;
  o.linear = false;
  o.exp_factors = FactorSpec{{}, 1.01, 2.0};
  Plan plan(o);
  int below_geometric_mean = 0;
  for (std::int64_t i = 0; i < plan.size(); ++i) {
    double f = plan.trial(i).factor;
    ASSERT_GE(f, 1.01);
    ASSERT_LE(f, 2.0);
    below_geometric_mean += f < std::sqrt(1.01 * 2.0);
  }
  EXPECT_NEAR(below_geometric_mean, 2000, 160); // log-uniform: half below the geometric mean
}

TEST(Plan, ExplicitTrialsRunAsGiven) {
  PlanOptions o;
  o.explicit_trials = {{1.5, Scan::exp, 1.2}, {-2, Scan::linear, 3e-4}};
  Plan plan(o);
  ASSERT_EQ(plan.size(), 2);
  EXPECT_EQ(plan.trial(1).start_weight, -2);
  EXPECT_EQ(plan.trial(1).scan, Scan::linear);
  EXPECT_EQ(plan.trial(0).factor, 1.2);
}

} // namespace
} // namespace lrf::test
