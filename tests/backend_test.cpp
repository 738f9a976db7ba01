// Backends agree byte for byte: serial and cpu, any thread count, any batch size; and the stop rules.
#include "test_util.hpp"

#if defined(LRF_WITH_CUDA)
#include "cuda_backend.hpp"
#endif

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace lrf::test {
namespace {

// The InputError f throws says exactly `message`.
template <class F> void expect_input_error(F f, const std::string &message) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const InputError &e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

// The cpu backend's builds this CPU runs (every one the tests compare), named in the test's output.
std::vector<std::string> runnable_isas() {
  std::vector<std::string> names;
  for (const CpuIsa &isa : cpu_isas())
    if (isa.runs_here)
      names.push_back(isa.name);
  std::string list;
  for (const auto &n : names)
    list += " " + n;
  std::printf("cpu builds compared here:%s\n", list.c_str());
  return names;
}

TEST(Backends, CpuEqualsSerialForEveryBuildThreadCountAndBatchSize) {
  Problem p = seed_problem();
  Plan plan(mixed(1000, 1));
  auto serial = make_serial_backend();
  MemorySink want = run_all(p, plan, *serial);
  for (const std::string &isa : runnable_isas())
    for (int threads : {1, 2, 3, 8})
      for (std::int64_t batch : {0, 1, 7, 64, 333}) {
        auto cpu = make_cpu_backend(threads, isa);
        EXPECT_TRUE(same_bytes(run_all(p, plan, *cpu, batch), want))
            << isa << ", " << threads << " threads, batch " << batch;
      }
  // The serial reference does not depend on the batch size either.
  EXPECT_TRUE(same_bytes(run_all(p, plan, *serial, 13), want));
}

// 3000 points: the cpu backend copies the data into every lane first; 9001: it reads them as they are,
// in both of numpy's summation orders.
TEST(Backends, CpuEqualsSerialOnLargerNoisyDataInBothSummationOrders) {
  for (const std::string &isa : runnable_isas())
    for (auto [n, block] : {std::pair<std::int64_t, std::int64_t>{3000, 3000}, {9001, 8192}, {9001, 9001}}) {
      Problem p = noisy_problem(n, 120);
      p.sum_block = block;
      Plan plan(mixed(37, 2));
      auto serial = make_serial_backend();
      auto cpu = make_cpu_backend(2, isa);
      MemorySink a = run_all(p, plan, *serial), b = run_all(p, plan, *cpu, 10);
      EXPECT_TRUE(same_bytes(a, b)) << isa << ", " << n << " points, sum block " << block;
    }
}

// --arith fma: the same bits from serial and every cpu build, on data copied into lanes or not; not
// numpy's bits, and within a few roundings of them.
TEST(Backends, FmaGivesTheSameBitsOnEveryBackendButNotNumpys) {
  for (auto [n, block] : {std::pair<std::int64_t, std::int64_t>{100, 100}, {3000, 3000}, {9001, 8192}}) {
    Problem p = n == 100 ? seed_problem(200) : noisy_problem(n, 120);
    p.sum_block = block;
    Plan plan(mixed(61, 5));
    auto serial = make_serial_backend();
    p.config.arith = Arith::exact;
    MemorySink exact = run_all(p, plan, *serial);
    p.config.arith = Arith::fma;
    MemorySink fused = run_all(p, plan, *serial);
    EXPECT_FALSE(same_bytes(exact, fused)) << n << " points: fma gave numpy's bits";
    for (std::int64_t i = 0; i < plan.size(); ++i) // the start weights' losses
      EXPECT_NEAR(fused.loss[i * fused.row], exact.loss[i * exact.row], 1e-13 * exact.loss[i * exact.row])
          << i;
    for (const std::string &isa : runnable_isas()) {
      auto cpu = make_cpu_backend(2, isa);
      EXPECT_TRUE(same_bytes(run_all(p, plan, *cpu, 20), fused)) << isa << ", " << n << " points";
    }
  }
}

// Labels 0 or 1 on 300 points, a noisy step at x = 1: data for every loss (the logistic loss's labels).
Problem labelled_problem(std::int32_t epochs) {
  Problem p = noisy_problem(300, epochs);
  for (std::size_t i = 0; i < p.x.size(); ++i)
    p.y[i] = (p.x[i] > 1) != (i % 7 == 0) ? 1.0 : 0.0;
  p.sum_block = static_cast<std::int64_t>(p.x.size());
  return p;
}

// Every loss, on all points and on minibatches (fewer than numpy's 8 partial sums, a leaf, past the leaf),
// gives the same bits on serial and every cpu build, whatever the batch size (the draws are keyed by the
// trial's index in the run, not in its batch).
TEST(Backends, EveryLossAndMinibatchGivesTheSameBitsOnEveryBackend) {
  Plan plan(mixed(150, 8));
  auto serial = make_serial_backend();
  for (Loss loss : {Loss::mse, Loss::mae, Loss::huber, Loss::logistic})
    for (std::int64_t minibatch : {0, 5, 16, 200}) {
      Problem p = labelled_problem(150);
      p.config.loss = loss;
      p.config.huber_delta = 0.3;
      p.config.minibatch = minibatch;
      p.config.seed = 99;
      MemorySink want = run_all(p, plan, *serial);
      EXPECT_TRUE(same_bytes(run_all(p, plan, *serial, 7), want));
      for (const std::string &isa : runnable_isas()) {
        auto cpu = make_cpu_backend(2, isa);
        EXPECT_TRUE(same_bytes(run_all(p, plan, *cpu, 33), want))
            << isa << ", " << loss_name(loss) << ", minibatch " << minibatch;
      }
    }
}

// Every way a trial ends, in lanes that end at different steps: diverged, rose (--stop-factor), stalled
// (a start weight whose first secant step lands on the minimum) and completed.
TEST(Backends, CpuEqualsSerialWhereTrialsEndEveryWay) {
  PlanOptions o = mixed(203, 4);
  const Plan drawn(o);
  for (std::int64_t i = 0; i < drawn.size(); ++i)
    o.explicit_trials.push_back(drawn.trial(i));
  for (std::ptrdiff_t k = 0; k < 9; ++k)
    o.explicit_trials.insert(o.explicit_trials.begin() + 20 * k, TrialParams{2.5000001, Scan::exp, 1.001});
  const Plan plan(o);
  int seen[kStatusCount] = {};
  for (double stop_factor : {0.0, 1e4}) {
    Problem p = seed_problem(60);
    p.config.stop_factor = stop_factor;
    auto serial = make_serial_backend();
    MemorySink want = run_all(p, plan, *serial);
    for (std::int64_t i = 0; i < plan.size(); ++i)
      ++seen[static_cast<int>(want.status[i])];
    for (const std::string &isa : runnable_isas()) {
      auto cpu = make_cpu_backend(2, isa);
      EXPECT_TRUE(same_bytes(run_all(p, plan, *cpu, 50), want)) << isa << ", stop factor " << stop_factor;
    }
  }
  for (int s = 0; s < kStatusCount; ++s)
    EXPECT_GT(seen[s], 0) << status_name(static_cast<Status>(s)) << ": no trial ended this way";
}

// A sink gets only the trajectories it keeps (the others empty in every batch: the rules' rows live only
// while their chunk is in flight), and the same kept rows, steps, status and every rule's answers from
// every backend, for each of the eight choices.
TEST(Backends, OnlyKeptTrajectoriesAndTheSameAnswersForEveryChoice) {
  Problem p = seed_problem(200);
  Plan plan(mixed(300, 6));
  auto serial = make_serial_backend();
  MemorySink want = run_all(p, plan, *serial, 64);
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(make_serial_backend());
  for (const std::string &isa : runnable_isas())
    backends.push_back(make_cpu_backend(2, isa));
  struct Checked : MemorySink {
    using MemorySink::MemorySink;
    void write(const Batch &b, const Summary &stats) override {
      EXPECT_EQ(b.loss.empty(), !keeps.loss);
      EXPECT_EQ(b.weight.empty(), !keeps.weight);
      EXPECT_EQ(b.lr.empty(), !keeps.lr);
      MemorySink::write(b, stats);
    }
  };
  auto all_nan = [](const std::vector<double> &v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
  };
  for (int choice = 0; choice < 8; ++choice) {
    const Kept keeps{(choice & 1) != 0, (choice & 2) != 0, (choice & 4) != 0};
    for (auto &backend : backends) {
      Checked sink(p, plan.size());
      sink.keeps = keeps;
      RunControl control;
      control.batch = 64;
      run_trials(p, plan, *backend, sink, control);
      const std::string what = backend->device() + ", choice " + std::to_string(choice);
      EXPECT_TRUE(keeps.loss ? same_bytes(sink.loss, want.loss) : all_nan(sink.loss)) << what;
      EXPECT_TRUE(keeps.weight ? same_bytes(sink.weight, want.weight) : all_nan(sink.weight)) << what;
      EXPECT_TRUE(keeps.lr ? same_bytes(sink.lr, want.lr) : all_nan(sink.lr)) << what;
      EXPECT_TRUE(same_bytes(sink.suggest, want.suggest)) << what;
      EXPECT_TRUE(same_bytes(sink.suggested_lr, want.suggested_lr)) << what;
      EXPECT_EQ(sink.steps, want.steps) << what;
      EXPECT_TRUE(same_bytes(sink.status, want.status)) << what;
    }
  }
}

TEST(Backends, CpuIsaNamesABuildOrSaysWhyNot) {
  std::string known;
  for (const CpuIsa &isa : cpu_isas()) {
    known += (known.empty() ? "" : ", ") + std::string(isa.name);
    if (!isa.runs_here)
      expect_input_error([&] { make_cpu_backend(1, isa.name); },
                         std::string("LRF_CPU_ISA=") + isa.name + ": this CPU does not support " + isa.name);
    else
      EXPECT_EQ(chosen_cpu_isa(isa.name).name, std::string(isa.name));
  }
  expect_input_error([&] { make_cpu_backend(1, "avx1024"); },
                     "LRF_CPU_ISA=avx1024: unknown; this build has " + known);
  // Unset, the widest this CPU runs.
  const std::vector<std::string> runnable = runnable_isas();
  ASSERT_EQ(unsetenv("LRF_CPU_ISA"), 0);
  EXPECT_EQ(chosen_cpu_isa().name, runnable.front());
  ASSERT_EQ(setenv("LRF_CPU_ISA", runnable.back().c_str(), 1), 0);
  EXPECT_EQ(make_cpu_backend(1)->device(), "1 CPU thread, " + runnable.back() + ", 2 trials per SIMD vector");
  ASSERT_EQ(unsetenv("LRF_CPU_ISA"), 0);
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
  EXPECT_EQ(note.rfind("no usable GPU: ", 0), 0u) << note;
  EXPECT_NE(note.find("; running on the cpu backend"), std::string::npos) << note;
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
