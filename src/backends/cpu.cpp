// The CPU backend: every core, and SIMD across trials. Each thread takes chunks of the batch; within a
// chunk one trial runs in each vector lane, in lockstep, through the same trial core as the serial reference
// (V = a vector of doubles): lane j does exactly trial j's operations in the seed's order, so results are
// bit-identical to serial. The step's bookkeeping (secant, rate, lowest loss, stop rules) runs on whole
// vectors too, with masks; only recording a lane's entry, and a trial's start and end, go lane by lane. A
// lane whose trial ends takes the chunk's next trial. With rules (run_and_suggest), each chunk's
// suggestions follow its trials on the same thread.
//
// One build per instruction set, each with the lane width that keeps numpy's eight partial sums in
// registers (AVX-512: 8 doubles, AVX2: 4, SSE2 and NEON: 2); the widest this CPU runs is chosen at start,
// or the one LRF_CPU_ISA names.
#include "backends/backend.hpp"
#include "core/errors.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>

namespace lrf {
namespace {

template <int N> struct CpuLanes {
  typedef double V __attribute__((vector_size(N * sizeof(double))));
  typedef std::int64_t I __attribute__((vector_size(N * sizeof(std::int64_t))));
};

constexpr std::int64_t kChunk = 64; // trials a thread takes at a time

// Runs trials [begin, end) of the batch, N at a time.
template <int N>
LRF_INLINE void run_lanes(const Problem &problem, Batch &batch, std::int64_t begin, std::int64_t end) {
  using V = typename CpuLanes<N>::V;
  using I = typename CpuLanes<N>::I;
  const DataView data = problem.data();
  const RunConfig &c = problem.config;
  const std::int64_t row = problem.row_length();
  // Lane j's trial (-1: idle) and where its rows go; the state of TrialState, one trial per lane.
  std::int64_t trial[N];
  TrajectoryOut out[N];
  V w = {}, loss = {}, lr = {}, dldw = {}, lowest = {}, factor = {}, start = {};
  I step = {}, linear = {}, started = {}, active = {}; // masks are 0 / -1
  std::int64_t next = begin;
  auto take_next = [&](int j) {
    trial[j] = next < end ? next++ : -1;
    started[j] = 0;
    active[j] = trial[j] >= 0 ? -1 : 0;
    if (trial[j] >= 0) {
      const auto t = static_cast<std::size_t>(trial[j]);
      out[j] = batch.out(trial[j], row);
      start[j] = batch.start_weight[t];
      factor[j] = batch.factor[t];
      linear[j] = batch.scan[t] == Scan::linear ? -1 : 0;
    }
  };
  for (int j = 0; j < N; ++j)
    take_next(j);
  for (;;) {
    bool any_active = false;
    for (int j = 0; j < N; ++j)
      any_active |= active[j] != 0;
    if (!any_active)
      return;
    // Started lanes move to w - lr * dldw (next_weight); fresh ones evaluate their start weight.
    const V moved = w - lr * dldw;
    const V w_new = started ? moved : start;
    const V loss_new = mean_squared_error(data, w_new);
    const I stepping = started & active;
    // trial_step, on every lane; kept where the lane steps.
    const I stalled = w_new == w;
    const V dldw_new = (loss_new - loss) / (w_new - w);
    const I step_new = step + 1;
    for (int j = 0; j < N; ++j)
      if (stepping[j])
        record(out[j], static_cast<std::int32_t>(step_new[j]), lr[j], loss_new[j], w_new[j]);
    const V lr_new = linear ? lr + factor : lr * factor;
    const V lowest_new = loss_new < lowest ? loss_new : lowest;
    step = stepping ? step_new : step;
    lr = stepping ? lr_new : lr;
    w = stepping ? w_new : w;
    loss = stepping ? loss_new : loss;
    dldw = stepping ? dldw_new : dldw;
    lowest = stepping ? lowest_new : lowest;
    const I diverged = loss_new > c.diverge;
    const I rose = c.stop_factor > 0 ? loss_new > c.stop_factor * lowest_new : I{};
    const I completed = step_new >= c.epochs;
    const I ended = stepping & (diverged | rose | stalled | completed);
    const I fresh = active & ~started;
    for (int j = 0; j < N; ++j) {
      if (fresh[j]) { // trial_start
        record(out[j], 0, c.base_lr, loss_new[j], w_new[j]);
        w[j] = w_new[j];
        loss[j] = loss_new[j];
        lr[j] = c.base_lr;
        dldw[j] = 1.0;
        lowest[j] = loss_new[j];
        step[j] = 0;
        started[j] = -1;
      } else if (ended[j]) { // the order of trial_step's stop rules
        const auto t = static_cast<std::size_t>(trial[j]);
        batch.steps[t] = static_cast<std::int32_t>(step[j]);
        batch.status[t] = diverged[j] ? Status::diverged
                          : rose[j]   ? Status::rose
                          : stalled[j] ? Status::stalled
                                       : Status::completed;
        take_next(j);
      }
    }
  }
}

using RunRange = void (*)(const Problem &, Batch &, std::int64_t, std::int64_t);

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) void run_range_avx512(const Problem &p, Batch &b, std::int64_t first,
                                                          std::int64_t last) {
  run_lanes<8>(p, b, first, last);
}
__attribute__((target("avx2,fma"))) void run_range_avx2(const Problem &p, Batch &b, std::int64_t first,
                                                         std::int64_t last) {
  run_lanes<4>(p, b, first, last);
}
#endif
void run_range_baseline(const Problem &p, Batch &b, std::int64_t first, std::int64_t last) {
  run_lanes<2>(p, b, first, last);
}

struct IsaBuild {
  CpuIsa isa;
  RunRange run;
};

std::vector<IsaBuild> isa_builds() {
  std::vector<IsaBuild> builds;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  builds.push_back({{"avx512", 8, __builtin_cpu_supports("avx512f") != 0}, run_range_avx512});
  builds.push_back({{"avx2", 4, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")}, run_range_avx2});
  builds.push_back({{"sse2", 2, true}, run_range_baseline});
#elif defined(__aarch64__)
  builds.push_back({{"neon", 2, true}, run_range_baseline});
#else
  builds.push_back({{"generic", 2, true}, run_range_baseline});
#endif
  return builds;
}

IsaBuild chosen_build(std::string name) {
  if (name.empty())
    name = cpu_isa_requested();
  const std::vector<IsaBuild> builds = isa_builds();
  std::string known;
  for (const IsaBuild &b : builds) {
    known += (known.empty() ? "" : ", ") + std::string(b.isa.name);
    if (name.empty() && b.isa.runs_here)
      return b;
    if (name == b.isa.name) {
      if (!b.isa.runs_here)
        throw InputError("LRF_CPU_ISA=" + name + ": this CPU does not support " + name);
      return b;
    }
  }
  throw InputError("LRF_CPU_ISA=" + name + ": unknown; this build has " + known);
}

class CpuBackend final : public Backend {
public:
  CpuBackend(int threads, const IsaBuild &build)
      : threads_(threads > 0 ? threads : usable_cpus()), build_(build) {}

  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return std::to_string(threads_) + " CPU thread" + (threads_ == 1 ? "" : "s") + ", " + build_.isa.name + ", " +
           std::to_string(build_.isa.lanes) + " trials per SIMD vector";
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
        build_.run(problem, batch, begin, end);
        if (rules)
          suggest_range(*rules, problem, batch, begin, end);
      }
    };
    run_parallel(static_cast<int>(std::min<std::int64_t>(threads_, (n + kChunk - 1) / kChunk)),
                 [&](int) { work(); });
  }

  int threads_;
  IsaBuild build_;
};

} // namespace

std::vector<CpuIsa> cpu_isas() {
  std::vector<CpuIsa> isas;
  for (const IsaBuild &b : isa_builds())
    isas.push_back(b.isa);
  return isas;
}

std::string cpu_isa_requested() {
  const char *env = std::getenv("LRF_CPU_ISA");
  return env ? env : "";
}

CpuIsa chosen_cpu_isa(const std::string &name) {
  return chosen_build(name).isa;
}

std::unique_ptr<Backend> make_cpu_backend(int threads, const std::string &isa) {
  return std::make_unique<CpuBackend>(threads, chosen_build(isa));
}

} // namespace lrf
