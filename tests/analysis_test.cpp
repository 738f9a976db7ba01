// Suggested learning rates and the run summary.
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace lrf::test {
namespace {

TEST(Suggestion, SteepestDropAgainstLogLrBeforeTheMinimum) {
  // lr:   1e-3 1e-3 1e-2 1e-1 1    10
  // loss: 10   9.9  9    5    1    100
  // slopes per ln(lr) from k=2: -0.9/ln10, -4/ln10, -4/ln10 (tie: first wins), then past the minimum.
  const double lr[] = {1e-3, 1e-3, 1e-2, 1e-1, 1, 10};
  const double loss[] = {10, 9.9, 9, 5, 1, 100};
  EXPECT_EQ(suggested_lr(loss, lr, 5), 1e-1);
  // The rise after the minimum is never searched; a loss that never falls has no suggestion.
  const double rising[] = {1, 2, 3, 4, 5, 6};
  EXPECT_TRUE(std::isnan(suggested_lr(rising, lr, 5)));
  // The first step (the seed records base_lr twice) has no slope: it is skipped even if it drops.
  const double first_only[] = {10, 1, 2, 3, 4, 5};
  EXPECT_TRUE(std::isnan(suggested_lr(first_only, lr, 5)));
}

TEST(Summary, CountsAndQuantilesMatchTheTrials) {
  Problem p = seed_problem();
  PlanOptions o;
  o.trials = 3000;
  o.seed = 5;
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
  std::sort(suggestions.begin(), suggestions.end());
  for (double q : {0.25, 0.5, 0.75}) {
    double exact = suggestions[static_cast<std::size_t>(std::floor(q * (suggestions.size() - 1)))];
    // Within half a histogram bin (a factor 10^(1/2000)) of the exact order statistic.
    EXPECT_NEAR(std::log10(s.quantile(q)), std::log10(exact), 0.5 / Summary::kBinsPerDecade) << "q=" << q;
  }
}

TEST(Summary, MergeEqualsOneSummaryOfEverything) {
  Batch b;
  PlanOptions o;
  o.trials = 50;
  Plan(o).fill(0, 50, b);
  Problem p = seed_problem();
  b.size_outputs(p.row_length());
  make_cpu_backend(1)->run(p, b);
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
}

} // namespace
} // namespace lrf::test
