// Backends agree byte for byte: serial and cpu, any thread count, any batch size; and the stop rules.
#include "test_util.hpp"

#if defined(LRF_WITH_CUDA)
#include "cuda_backend.hpp"
#endif

#include <gtest/gtest.h>

#include <cmath>

namespace lrf::test {
namespace {

TEST(Backends, CpuEqualsSerialForEveryThreadCountAndBatchSize) {
  Problem p = seed_problem();
  Plan plan(mixed(1000, 1));
  auto serial = make_serial_backend();
  MemorySink want = run_all(p, plan, *serial);
  for (int threads : {1, 2, 3, 8})
    for (std::int64_t batch : {0, 1, 7, 64, 333}) {
      auto cpu = make_cpu_backend(threads);
      EXPECT_TRUE(same_bytes(run_all(p, plan, *cpu, batch), want)) << threads << " threads, batch " << batch;
    }
  // The serial reference does not depend on the batch size either.
  EXPECT_TRUE(same_bytes(run_all(p, plan, *serial, 13), want));
}

TEST(Backends, CpuEqualsSerialOnLargerNoisyDataInBothSummationOrders) {
  for (std::int64_t block : {std::int64_t{8192}, std::int64_t{9001}}) {
    Problem p = noisy_problem(9001, 120);
    p.sum_block = block;
    Plan plan(mixed(37, 2));
    auto serial = make_serial_backend();
    auto cpu = make_cpu_backend(2);
    MemorySink a = run_all(p, plan, *serial), b = run_all(p, plan, *cpu, 10);
    EXPECT_TRUE(same_bytes(a, b)) << "sum block " << block;
  }
}

TEST(Backends, AutomaticFallsBackToCpuAndSaysSoWithoutAGpu) {
#if defined(LRF_WITH_CUDA)
  std::string why;
  if (cuda_usable({}, &why))
    GTEST_SKIP() << "a GPU is usable here: auto picks cuda";
#endif
  std::string note;
  auto b = make_backend(BackendKind::automatic, {}, &note);
  EXPECT_EQ(b->name(), "cpu");
  EXPECT_EQ(note.rfind("no usable GPU (", 0), 0u) << note;
  EXPECT_NE(note.find("); running on the cpu backend"), std::string::npos) << note;
  EXPECT_THROW(make_backend(BackendKind::cuda, {}, nullptr), InputError);
}

TEST(StopRules, DivergesRightAfterRecordingTheFirstLossAboveTheThreshold) {
  Problem p = seed_problem();
  Plan plan(mixed(300, 3));
  auto cpu = make_cpu_backend(2);
  MemorySink out = run_all(p, plan, *cpu);
  int diverged = 0;
  for (std::int64_t i = 0; i < plan.size(); ++i) {
    if (out.status[i] != Status::diverged)
      continue;
    ++diverged;
    const double *loss = &out.loss[i * out.row];
    const int s = out.steps[i];
    ASSERT_GT(loss[s], p.config.diverge);
    for (int k = 1; k < s; ++k)
      ASSERT_LE(loss[k], p.config.diverge) << "trial " << i << " went on after diverging at step " << k;
    ASSERT_TRUE(std::isnan(loss[s + 1]) || s == p.config.epochs);
  }
  EXPECT_GT(diverged, 100);
}

TEST(StopRules, StallsWhenTheWeightStopsMoving) {
  // Starting a hair from the true weight 2.5 of y = 2.5x: the secant step lands on 2.5 exactly, where the
  // loss is 0, and the next update leaves w where it is.
  Problem p = seed_problem();
  TrialParams t{2.5000001, Scan::exp, 1.001};
  std::vector<double> loss(p.row_length(), NAN), weight(p.row_length(), NAN), lr(p.row_length(), NAN);
  TrialResult r = run_trial(p.config, p.data(), t, TrajectoryOut{loss.data(), weight.data(), lr.data(), 1});
  ASSERT_EQ(r.status, Status::stalled);
  EXPECT_EQ(weight[r.steps], weight[r.steps - 1]) << "the last recorded update did not move w";
  EXPECT_TRUE(std::isnan(weight[r.steps + 1]));
  for (int k = 0; k <= r.steps; ++k)
    EXPECT_TRUE(std::isfinite(loss[k]) && std::isfinite(weight[k]));
}

TEST(StopRules, RunsAllEpochsWhenNothingStopsIt) {
  Problem p = seed_problem(25);
  TrialParams t{9.0, Scan::exp, 1.01}; // lr stays tiny for 25 steps: no divergence, no stall
  std::vector<double> loss(p.row_length());
  TrialResult r = run_trial(p.config, p.data(), t, TrajectoryOut{loss.data(), nullptr, nullptr, 1});
  EXPECT_EQ(r.status, Status::completed);
  EXPECT_EQ(r.steps, 25);
  EXPECT_TRUE(std::isfinite(loss[25]));
}

} // namespace
} // namespace lrf::test
