// The cuda backend against the serial reference, byte for byte, and against the seed's golden bits. Built
// whenever the CUDA backend is (so it compile-checks without a GPU); each test that needs a device skips,
// with the reason, where none is usable.
#include "golden.hpp"

#include "cuda_backend.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

namespace lrf::test {
namespace {

// GPU ordinals the backend can use: 0, 1, ... up to the first that cuda_usable rejects.
int usable_devices() {
  int n = 0;
  while (cuda_usable({n}, nullptr))
    ++n;
  return n;
}

class Cuda : public ::testing::Test {
protected:
  void SetUp() override {
    std::string why;
    if (!cuda_usable({}, &why))
      GTEST_SKIP() << "no usable GPU: " << why;
    cuda_ = make_cuda_backend({});
    serial_ = make_serial_backend();
  }

  // The cuda backend's output equals the serial reference's, byte for byte.
  void expect_same_as_serial(const Problem &p, const Plan &plan, std::int64_t batch = 0,
                             Backend *cuda = nullptr) {
    MemorySink want = run_all(p, plan, *serial_);
    MemorySink got = run_all(p, plan, cuda ? *cuda : *cuda_, batch);
    EXPECT_TRUE(same_bytes(got, want)) << plan.size() << " trials, batch " << batch << ", " << p.x.size()
                                       << " points, epochs " << p.config.epochs;
  }

  std::unique_ptr<Backend> cuda_, serial_;
};

TEST_F(Cuda, NamesItselfAndItsDevices) {
  EXPECT_EQ(cuda_->name(), "cuda");
  EXPECT_NE(cuda_->device().find(" SMs) x"), std::string::npos) << cuda_->device();
  EXPECT_NE(cuda_devices_description().find("sm_"), std::string::npos) << cuda_devices_description();
}

TEST_F(Cuda, EqualsSerialOnMixedWorkloads) {
  Problem p = seed_problem();
  expect_same_as_serial(p, Plan(mixed(5000, 1)));
  expect_same_as_serial(p, Plan(mixed(777, 2)));
  PlanOptions defaults; // the seed's own scans: linear 5e-4, exp 1.1
  defaults.trials = 3000;
  expect_same_as_serial(p, Plan(defaults));
}

TEST_F(Cuda, EqualsSerialOnNoisyDataInBothSummationOrders) {
  // Around the constant-memory limit (4096 points), and numpy's two summation orders where they differ.
  for (std::int64_t n :
       {std::int64_t{129}, std::int64_t{3000}, std::int64_t{4096}, std::int64_t{4097}, std::int64_t{9001}})
    for (bool whole : {false, true}) {
      Problem p = noisy_problem(n, 120);
      p.sum_block = whole ? n : 8192;
      expect_same_as_serial(p, Plan(mixed(200, 5)));
    }
}

TEST_F(Cuda, EqualsSerialOnDataLargerThanConstantMemory) {
  for (std::int64_t block : {std::int64_t{8192}, std::int64_t{20011}}) {
    Problem p = noisy_problem(20011, 60);
    p.sum_block = block;
    expect_same_as_serial(p, Plan(mixed(300, 4)));
  }
}

TEST_F(Cuda, SameBytesForEveryBatchSize) {
  Problem p = seed_problem();
  Plan plan(mixed(5000, 6));
  MemorySink want = run_all(p, plan, *serial_);
  for (std::int64_t batch : {0, 1, 7, 128, 129, 1000, 4999, 5000})
    EXPECT_TRUE(same_bytes(run_all(p, plan, *cuda_, batch), want)) << "batch " << batch;
}

TEST_F(Cuda, TrialCountsThatAreNotAMultipleOfTheBlock) {
  Problem p = seed_problem();
  for (std::int64_t trials : {1, 2, 31, 33, 127, 129, 1001, 4099})
    expect_same_as_serial(p, Plan(mixed(trials, 7)));
}

TEST_F(Cuda, OneBackendAcrossProblemsOfEveryShape) {
  // Buffers and constant memory are kept between runs: changing the epochs or the data must not leak.
  Problem seed500 = seed_problem(500), seed40 = seed_problem(40), big = noisy_problem(20011, 30);
  Plan plan(mixed(700, 8));
  for (const Problem *p : {&seed500, &seed40, &big, &seed500, &big, &seed40})
    expect_same_as_serial(*p, plan, 300);
}

TEST_F(Cuda, EveryDeviceAloneAndAllTogether) {
  Problem p = seed_problem();
  Plan plan(mixed(3000, 9));
  const int n = usable_devices();
  ASSERT_GE(n, 1);
  for (int d = 0; d < n; ++d) {
    auto one = make_cuda_backend({d});
    SCOPED_TRACE("device " + std::to_string(d));
    expect_same_as_serial(p, plan, 0, one.get());
  }
  if (n < 2)
    GTEST_SKIP() << "one GPU: the multi-GPU split is not exercised";
  for (std::int64_t batch : {0, 1, 5, 1000})
    expect_same_as_serial(p, plan, batch);
}

class CudaGolden : public Cuda, public ::testing::WithParamInterface<GoldenCase> {};

TEST_P(CudaGolden, MatchesTheSeedBitForBit) {
  const GoldenCase &g = GetParam();
  Problem p = golden_problem(g);
  // 300 copies next to other trials, so that the case runs in several warps and blocks, beside trials that
  // end at other steps.
  PlanOptions o;
  o.explicit_trials.assign(300, g.params());
  for (std::size_t i = 3; i < o.explicit_trials.size(); i += 37)
    o.explicit_trials[i] = TrialParams{1.0, Scan::exp, 1.3};
  Plan plan(o);
  MemorySink out = run_all(p, plan, *cuda_);
  for (std::int64_t i = 0; i < plan.size(); ++i) {
    if (i % 37 == 3)
      continue;
    SCOPED_TRACE("trial " + std::to_string(i));
    ASSERT_EQ(out.steps[i], g.steps);
    ASSERT_EQ(static_cast<int>(out.status[i]), g.status);
    expect_row(g, "lr", g.lr, &out.lr[i * p.row_length()]);
    expect_row(g, "loss", g.loss, &out.loss[i * p.row_length()]);
    expect_row(g, "weight", g.weight, &out.weight[i * p.row_length()]);
  }
  EXPECT_TRUE(same_bytes(out, run_all(p, plan, *serial_)));
}

INSTANTIATE_TEST_SUITE_P(SeedLoop, CudaGolden, ::testing::ValuesIn(kGolden),
                         [](const auto &test) { return std::string(test.param.name); });

// These run with or without a GPU.
// The rules on the device (the host's own code, one trial per thread) give the host's bits for every rule,
// on noisy data with drawn factors (stalled trials among them), with lrfinder's smoothing and trims set.
TEST_F(Cuda, RulesOnTheDeviceGiveTheHostsBits) {
  for (std::int32_t epochs : {3, 120}) {
    Problem p = noisy_problem(300, epochs);
    const Plan plan(mixed(3000, 9));
    Batch b;
    plan.fill(0, plan.size(), b);
    b.size_outputs(p.row_length());
    serial_->run(p, b);
    b.pad_tails(p.row_length());
    AnalysisOptions o;
    o.smooth = Smoothing{Smoothing::Kind::ema_debiased, 0.9};
    o.skip_begin = 2;
    suggest(p, o, b);
    const auto device = cuda_suggest(p, o.curve(), b, 0);
    for (std::size_t r = 0; r < rule_names().size(); ++r)
      EXPECT_EQ(std::memcmp(device[r].data(), b.suggest[r].data(), b.suggest[r].size() * sizeof(double)), 0)
          << rule_names()[r] << ", epochs " << epochs;
  }
}

TEST(CudaDevices, RejectsOrdinalsThatDoNotExistOrRepeat) {
  std::string why;
  EXPECT_FALSE(cuda_usable({12345}, &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(cuda_usable({-1}, nullptr));
  if (usable_devices() == 0)
    return; // the reason is the missing GPU, checked below
  EXPECT_NE(why.find("device 12345 does not exist"), std::string::npos) << why;
  EXPECT_FALSE(cuda_usable({0, 0}, &why));
  EXPECT_NE(why.find("listed twice"), std::string::npos) << why;
}

TEST(CudaDevices, WithoutAGpuAutomaticFallsBackToCpuAndSaysWhy) {
  std::string why;
  if (cuda_usable({}, &why))
    GTEST_SKIP() << "a GPU is usable here";
  EXPECT_FALSE(why.empty());
  std::string note;
  auto b = make_backend(BackendKind::automatic, {}, &note);
  EXPECT_EQ(b->name(), "cpu");
  EXPECT_NE(note.find("no usable GPU (" + why + ")"), std::string::npos) << note;
  EXPECT_THROW(make_backend(BackendKind::cuda, {}, nullptr), InputError);
  EXPECT_EQ(cuda_devices_description(), "no usable GPU (" + why + ")");
}

} // namespace
} // namespace lrf::test
