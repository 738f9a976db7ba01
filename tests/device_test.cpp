// The device pipeline (kernels/pipeline.hpp) against the serial reference, byte for byte, and against the
// seed's golden bits, on each system it is built for: Thrust's OMP system on the host (suite DeviceHost,
// ctest label device-host: every machine) and the GPU (suite Cuda, label gpu: each test skips, with the
// reason, where no GPU is usable). Every run goes through the run loop with the rules, so each compares
// trajectories, steps, status and every rule's answer.
#include "golden.hpp"

#if defined(LRF_WITH_CUDA)
#include "cuda_backend.hpp"
#endif
#if defined(LRF_WITH_DEVICE_HOST)
#include "device_host.hpp"
#endif

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

namespace lrf::test {
namespace {

#if defined(LRF_WITH_CUDA)
// GPU ordinals the backend can use: 0, 1, ... up to the first that cuda_usable rejects.
int usable_devices() {
  int n = 0;
  while (cuda_usable({n}, nullptr))
    ++n;
  return n;
}
#endif

// The system a suite runs the pipeline on: "host" (Thrust OMP) or "cuda".
class Device : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    const std::string &system = GetParam();
#if defined(LRF_WITH_DEVICE_HOST)
    if (system == "host")
      device_ = make_device_host_backend();
#endif
#if defined(LRF_WITH_CUDA)
    if (system == "cuda") {
      std::string why;
      if (!cuda_usable({}, &why))
        GTEST_SKIP() << "no usable GPU: " << why;
      device_ = make_cuda_backend({});
    }
#endif
    ASSERT_TRUE(device_) << system << ": not built";
    serial_ = make_serial_backend();
  }

  // The device's output equals the serial reference's, byte for byte.
  void expect_same_as_serial(const Problem &p, const Plan &plan, std::int64_t batch = 0,
                             Backend *device = nullptr) {
    MemorySink want = run_all(p, plan, *serial_);
    MemorySink got = run_all(p, plan, device ? *device : *device_, batch);
    EXPECT_TRUE(same_bytes(got, want)) << plan.size() << " trials, batch " << batch << ", " << p.x.size()
                                       << " points, epochs " << p.config.epochs;
  }

  std::unique_ptr<Backend> device_, serial_;
};

TEST_P(Device, NamesItselfAndItsDevices) {
  if (GetParam() == "host") {
    EXPECT_EQ(device_->name(), "device-host");
    EXPECT_NE(device_->device().find("Thrust's OMP system"), std::string::npos) << device_->device();
    return;
  }
#if defined(LRF_WITH_CUDA)
  EXPECT_EQ(device_->name(), "cuda");
  EXPECT_NE(device_->device().find(" SMs) x"), std::string::npos) << device_->device();
  EXPECT_NE(cuda_devices_description().find("sm_"), std::string::npos) << cuda_devices_description();
#endif
}

TEST_P(Device, EqualsSerialOnMixedWorkloads) {
  Problem p = seed_problem();
  expect_same_as_serial(p, Plan(mixed(5000, 1)));
  expect_same_as_serial(p, Plan(mixed(777, 2)));
  PlanOptions defaults; // the seed's own scans: linear 5e-4, exp 1.1
  defaults.trials = 3000;
  expect_same_as_serial(p, Plan(defaults));
}

TEST_P(Device, EqualsSerialOnNoisyDataInBothSummationOrders) {
  // Small to large data (4096 points: 64 KiB, a GPU's constant memory), and numpy's two summation orders.
  for (std::int64_t n :
       {std::int64_t{129}, std::int64_t{3000}, std::int64_t{4096}, std::int64_t{4097}, std::int64_t{9001}})
    for (bool whole : {false, true}) {
      Problem p = noisy_problem(n, 120);
      p.sum_block = whole ? n : 8192;
      expect_same_as_serial(p, Plan(mixed(200, 5)));
    }
}

TEST_P(Device, EqualsSerialOnDataLargerThanConstantMemory) {
  for (std::int64_t block : {std::int64_t{8192}, std::int64_t{20011}}) {
    Problem p = noisy_problem(20011, 60);
    p.sum_block = block;
    expect_same_as_serial(p, Plan(mixed(300, 4)));
  }
}

TEST_P(Device, SameBytesForEveryBatchSize) {
  Problem p = seed_problem();
  Plan plan(mixed(5000, 6));
  MemorySink want = run_all(p, plan, *serial_);
  for (std::int64_t batch : {0, 1, 7, 128, 129, 1000, 4999, 5000})
    EXPECT_TRUE(same_bytes(run_all(p, plan, *device_, batch), want)) << "batch " << batch;
}

TEST_P(Device, TrialCountsThatAreNotAMultipleOfTheBlock) {
  Problem p = seed_problem();
  for (std::int64_t trials : {1, 2, 31, 33, 127, 129, 1001, 4099})
    expect_same_as_serial(p, Plan(mixed(trials, 7)));
}

TEST_P(Device, OneBackendAcrossProblemsOfEveryShape) {
  // Buffers are kept between runs: changing the epochs or the data must not leak.
  Problem seed500 = seed_problem(500), seed40 = seed_problem(40), big = noisy_problem(20011, 30);
  Plan plan(mixed(700, 8));
  for (const Problem *p : {&seed500, &seed40, &big, &seed500, &big, &seed40})
    expect_same_as_serial(*p, plan, 300);
}

#if defined(LRF_WITH_CUDA)
TEST_P(Device, EveryDeviceAloneAndAllTogether) {
  if (GetParam() != "cuda")
    GTEST_SKIP() << "one system: the host";
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
#endif

// Every loss, on all points and on minibatches: the serial reference's bits, rules' answers included.
TEST_P(Device, EveryLossAndMinibatchGivesTheSerialBits) {
  Plan plan(mixed(600, 4));
  for (Loss loss : {Loss::mse, Loss::mae, Loss::huber, Loss::logistic})
    for (std::int64_t minibatch : {0, 16}) {
      Problem p = noisy_problem(300, 100);
      for (std::size_t i = 0; i < p.x.size(); ++i)
        p.y[i] = (p.x[i] > 1) != (i % 7 == 0) ? 1.0 : 0.0;
      p.config.loss = loss;
      p.config.huber_delta = 0.3;
      p.config.minibatch = minibatch;
      p.config.seed = 5;
      RunControl control;
      control.batch = 250;
      MemorySink want(p, plan.size()), got(p, plan.size());
      run_trials(p, plan, *serial_, want, control);
      run_trials(p, plan, *device_, got, control);
      EXPECT_TRUE(same_bytes(got, want)) << loss_name(loss) << ", minibatch " << minibatch;
    }
}

// Only the trajectories the sink keeps come back, and the same rows, steps, status and answers for each
// of the eight choices (with none kept, no trajectory leaves the device).
TEST_P(Device, EverySaveChoice) {
  Problem p = noisy_problem(300, 120);
  Plan plan(mixed(1500, 3));
  MemorySink want = run_all(p, plan, *serial_);
  auto all_nan = [](const std::vector<double> &v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
  };
  for (int choice = 0; choice < 8; ++choice) {
    MemorySink got(p, plan.size());
    got.keeps = Kept{(choice & 1) != 0, (choice & 2) != 0, (choice & 4) != 0};
    RunControl control;
    control.batch = 700;
    run_trials(p, plan, *device_, got, control);
    SCOPED_TRACE("choice " + std::to_string(choice));
    EXPECT_TRUE(got.keeps.loss ? same_bytes(got.loss, want.loss) : all_nan(got.loss));
    EXPECT_TRUE(got.keeps.weight ? same_bytes(got.weight, want.weight) : all_nan(got.weight));
    EXPECT_TRUE(got.keeps.lr ? same_bytes(got.lr, want.lr) : all_nan(got.lr));
    EXPECT_TRUE(same_bytes(got.suggest, want.suggest));
    EXPECT_TRUE(same_bytes(got.steps, want.steps));
    EXPECT_TRUE(same_bytes(got.status, want.status));
  }
}

// The rules on the device with lrfinder's smoothing and trims set, on noisy data with drawn factors
// (stalled trials among them), at 3 epochs (the shortest lists) and 120.
TEST_P(Device, RulesWithSmoothingAndTrimsGiveTheHostsBits) {
  for (std::int32_t epochs : {3, 120}) {
    Problem p = noisy_problem(300, epochs);
    const Plan plan(mixed(3000, 9));
    RunControl control;
    control.analysis.smooth = Smoothing{Smoothing::Kind::ema_debiased, 0.9};
    control.analysis.skip_begin = 2;
    MemorySink want(p, plan.size()), got(p, plan.size());
    run_trials(p, plan, *serial_, want, control);
    run_trials(p, plan, *device_, got, control);
    EXPECT_TRUE(same_bytes(got, want)) << "epochs " << epochs;
  }
}

// A statistics-only run (--save stats): the device makes each trial's plan and reduces the statistics
// itself, and the summary is the serial reference's, bit for bit: fixed and drawn factors, several factors
// a scan, noisy data, the shortest trials, ragged trial counts and batches, smoothing. Where the factors are
// fixed, it is also the summary of the same run with per-trial rows.
TEST_P(Device, StatisticsReducedOnTheDeviceAreTheSerialReferences) {
  PlanOptions seed_plan;
  seed_plan.trials = 3000;
  PlanOptions lists = seed_plan;
  lists.trials = 4099;
  lists.w_min = -30;
  lists.linear_factors.values = {1e-4, 5e-4, 2e-3};
  lists.exp_factors.values = {1.05, 1.1, 1.2, 1.1};
  PlanOptions few = mixed(5, 2); // drawn scans with fewer trials than Summary::kMaxFactors
  struct Case {
    Problem p;
    PlanOptions plan;
    std::int64_t batch;
    bool smooth;
  };
  const Case cases[] = {{seed_problem(), mixed(5000, 1), 0, false},
                        {seed_problem(), seed_plan, 1000, false},
                        {seed_problem(), lists, 777, true},
                        {seed_problem(), few, 0, false},
                        {noisy_problem(300, 120), mixed(1501, 3), 700, true},
                        {noisy_problem(129, 3), lists, 0, false}};
  for (const Case &c : cases) {
    const Plan plan(c.plan);
    RunControl control;
    control.batch = c.batch;
    if (c.smooth)
      control.analysis.smooth = Smoothing{Smoothing::Kind::ema, 0.9};
    MemorySink want(c.p, plan.size()), got(c.p, plan.size()), rows(c.p, plan.size());
    want.keeps.rows = got.keeps.rows = false;
    const Summary serial = run_trials(c.p, plan, *serial_, want, control).summary;
    const Summary device = run_trials(c.p, plan, *device_, got, control).summary;
    SCOPED_TRACE(std::to_string(plan.size()) + " trials, batch " + std::to_string(c.batch));
    EXPECT_EQ(want.reduced_batches, 0);
    EXPECT_GT(got.reduced_batches, 0);
    EXPECT_EQ(device.trials, plan.size());
    EXPECT_TRUE(device == serial);
    if (c.plan.linear_factors.is_range())
      continue;
    EXPECT_TRUE(run_trials(c.p, plan, *serial_, rows, control).summary == device);
  }
}

// --trials-from names no combos: a statistics-only run then reads the device's trials one by one, as
// serial does, and groups them by factor.
TEST_P(Device, StatisticsOfExplicitTrialsAreNotReduced) {
  Problem p = seed_problem();
  PlanOptions o;
  for (int i = 0; i < 300; ++i)
    o.explicit_trials.push_back(
        TrialParams{-3.0 + 0.05 * i, i % 2 ? Scan::exp : Scan::linear, i % 2 ? 1.1 : 5e-4});
  const Plan plan(o);
  MemorySink want(p, plan.size()), got(p, plan.size());
  want.keeps.rows = got.keeps.rows = false;
  const Summary serial = run_trials(p, plan, *serial_, want).summary;
  EXPECT_TRUE(run_trials(p, plan, *device_, got).summary == serial);
  EXPECT_EQ(got.reduced_batches, 0);
}

// Each golden case, 300 copies of it among other trials, on each system.
class DeviceGolden : public Device {};

TEST_P(DeviceGolden, MatchesTheSeedBitForBit) {
  for (const GoldenCase &g : kGolden) {
    SCOPED_TRACE(g.name);
    Problem p = golden_problem(g);
    // 300 copies next to other trials, so that the case runs in several warps and blocks, beside trials that
    // end at other steps.
    PlanOptions o;
    o.explicit_trials.assign(300, g.params());
    for (std::size_t i = 3; i < o.explicit_trials.size(); i += 37)
      o.explicit_trials[i] = TrialParams{1.0, Scan::exp, 1.3};
    Plan plan(o);
    MemorySink out = run_all(p, plan, *device_);
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
}

std::vector<std::string> systems() {
  std::vector<std::string> s;
#if defined(LRF_WITH_DEVICE_HOST)
  s.push_back("host");
#endif
#if defined(LRF_WITH_CUDA)
  s.push_back("cuda");
#endif
  return s;
}
auto system_name = [](const ::testing::TestParamInfo<std::string> &info) { return info.param; };
INSTANTIATE_TEST_SUITE_P(On, Device, ::testing::ValuesIn(systems()), system_name);
INSTANTIATE_TEST_SUITE_P(On, DeviceGolden, ::testing::ValuesIn(systems()), system_name);

#if defined(LRF_WITH_CUDA)
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
  EXPECT_EQ(note, "no usable GPU: " + why + "; running on the cpu backend");
  EXPECT_THROW(make_backend(BackendKind::cuda, {}, nullptr), InputError);
  EXPECT_EQ(cuda_devices_description(), "no usable GPU: " + why);
  // Without a GPU here: the reason in words, not the runtime's error name.
  EXPECT_EQ(why.find("cuda"), std::string::npos) << why;
}

#endif

} // namespace
} // namespace lrf::test
