// The CPU backend: every core, and SIMD across trials. Each thread takes chunks of the batch; within a
// chunk eight trials run in lockstep, one per vector lane, through the same trial core as the serial
// reference (V = a vector of eight doubles): lane j does exactly trial j's operations in the seed's order,
// so results are bit-identical to serial. A lane whose trial ends takes the chunk's next trial. With rules
// (run_and_suggest), each chunk's suggestions follow its trials on the same thread.
#include "backends/backend.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>

namespace lrf {
namespace {

constexpr int kLanes = 8;
typedef double Lanes __attribute__((vector_size(kLanes * sizeof(double))));
constexpr std::int64_t kChunk = 64; // trials a thread takes at a time

struct Lane {
  std::int64_t trial = -1; // -1: idle
  bool started = false;    // false: the next evaluation is the start weight's loss
  TrialState state{};
};

// Runs trials [begin, end) of the batch. Compiled for AVX-512, AVX2 and baseline x86-64, chosen at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void run_range(const Problem& problem, Batch& batch, std::int64_t begin, std::int64_t end) {
  const DataView data = problem.data();
  const RunConfig &config = problem.config;
  const std::int64_t row = problem.row_length();
  Lane lanes[kLanes];
  std::int64_t next = begin;
  int active = 0;
  for (Lane &lane : lanes)
    if (next < end) {
      lane.trial = next++;
      ++active;
    }
  while (active > 0) {
    Lanes w = {};
    for (int j = 0; j < kLanes; ++j) {
      const Lane &lane = lanes[j];
      if (lane.trial >= 0)
        w[j] = lane.started ? next_weight(lane.state) : batch.start_weight[lane.trial];
    }
    Lanes loss = mean_squared_error(data, w);
    for (int j = 0; j < kLanes; ++j) {
      Lane &lane = lanes[j];
      const std::int64_t t = lane.trial;
      if (t < 0)
        continue;
      TrajectoryOut out = batch.out(t, row);
      if (!lane.started) {
        lane.state = trial_start(config, w[j], loss[j], out);
        lane.started = true;
        continue;
      }
      Status status;
      if (trial_step(lane.state, config, batch.scan[t], batch.factor[t], w[j], loss[j], out, &status))
        continue;
      batch.steps[t] = lane.state.step;
      batch.status[t] = status;
      lane.started = false;
      if (next < end) {
        lane.trial = next++;
      } else {
        lane.trial = -1;
        --active;
      }
    }
  }
}

class CpuBackend final : public Backend {
public:
  explicit CpuBackend(int threads)
      : threads_(threads > 0 ? threads : usable_cpus()) {}

  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return std::to_string(threads_) + " CPU thread" + (threads_ == 1 ? "" : "s") + ", " +
           std::to_string(kLanes) + " trials per SIMD vector";
  }

  void run(const Problem &problem, Batch &batch) override { run_chunks(problem, batch, nullptr); }
  void run_and_suggest(const Problem &problem, Batch &batch, const RuleRun &rules) override {
    run_chunks(problem, batch, &rules);
  }

private:
  // Every thread takes chunks of the batch, and where rules are given, runs them on each chunk as it ends.
  void run_chunks(const Problem &problem, Batch &batch, const RuleRun *rules) const {
    const std::int64_t n = batch.size();
    std::atomic<std::int64_t> next{0};
    auto work = [&] {
      for (std::int64_t begin; (begin = next.fetch_add(kChunk)) < n;) {
        const std::int64_t end = std::min(n, begin + kChunk);
        run_range(problem, batch, begin, end);
        if (rules)
          suggest_range(*rules, problem, batch, begin, end);
      }
    };
    run_parallel(static_cast<int>(std::min<std::int64_t>(threads_, (n + kChunk - 1) / kChunk)),
                 [&](int) { work(); });
  }

  int threads_;
};

} // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<CpuBackend>(threads);
}

} // namespace lrf
