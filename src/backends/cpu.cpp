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
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

namespace lrf {
namespace {

constexpr std::int64_t kChunk = 64; // trials a thread takes at a time
// Lane groups a thread steps in turns (run_groups): two measured about 15% faster than one on Zen 3, three
// slower.
constexpr int kGroups = 2;

// The trials of one chunk, handed out in order to the lanes that need one. A trial records into the
// batch's rows, and the arrays the batch does not keep into `spare`'s (trial `first`'s rows, then the next
// trial's; null: not recorded).
struct ChunkTrials {
  Batch &batch;
  std::int64_t row, next, end;
  TrajectoryOut spare;
  std::int64_t first;
  bool records; // whether any trial of the chunk records any value

  TrajectoryOut out(std::int64_t t) const {
    auto at = [&](double *base) { return base ? base + (t - first) * row : nullptr; };
    return batch.out(t, row, TrajectoryOut{at(spare.loss), nullptr, at(spare.lr), 1});
  }
};

// N trials in the lanes of one vector: the state of TrialState, one trial per lane.
template <int N> struct LaneGroup {
  using V = typename VectorOf<N>::V;
  using I = typename VectorOf<N>::I;
  std::int64_t trial[N]; // -1: idle
  TrajectoryOut out[N];
  V w = {}, loss = {}, lr = {}, dldw = {}, lowest = {}, factor = {}, start = {};
  I step = {}, linear = {}, started = {}, active = {}; // masks are 0 / -1

  // Lane j takes the chunk's next trial, if there is one; its first evaluation is the start weight's.
  LRF_INLINE void take_next(ChunkTrials &trials, int j) {
    trial[j] = trials.next < trials.end ? trials.next++ : -1;
    started[j] = 0;
    active[j] = trial[j] >= 0 ? -1 : 0;
    if (trial[j] < 0)
      return;
    const auto t = static_cast<std::size_t>(trial[j]);
    out[j] = trials.out(trial[j]);
    start[j] = trials.batch.start_weight[t];
    factor[j] = trials.batch.factor[t];
    linear[j] = trials.batch.scan[t] == Scan::linear ? -1 : 0;
  }

  LRF_INLINE bool any_active() const { return !none(active); }

  // Whether every lane of mask m is 0: the lanes ORed together by halves, in vector registers.
  static LRF_INLINE bool none(I m) {
    if constexpr (N == 1) {
      return m[0] == 0;
    } else {
      using Half = typename VectorOf<N / 2>::I;
      Half lo, hi;
      std::memcpy(&lo, &m, sizeof lo);
      std::memcpy(&hi, reinterpret_cast<const char *>(&m) + sizeof lo, sizeof hi);
      return LaneGroup<N / 2>::none(lo | hi);
    }
  }

  // The loss F at w_new in every lane, on the points of D; a minibatch view draws each lane's points for its
  // own trial and evaluation (evaluation_loss's).
  template <class F, class D>
  LRF_INLINE V loss_at(const F &f, const D &data, V w_new, const ChunkTrials &trials) const {
    if constexpr (std::is_same_v<D, MinibatchView<V>>) {
      D m = data;
      for (int j = 0; j < N; ++j) {
        m.trial[j] = trials.batch.first + (trial[j] < 0 ? 0 : trial[j]);
        m.eval[j] = started[j] ? static_cast<std::int32_t>(step[j] + 1) : 0;
      }
      return mean_loss(f, m, w_new);
    } else {
      return mean_loss(f, data, w_new);
    }
  }

  // The weight each lane evaluates next: started lanes move to w - lr * dldw (next_weight); fresh ones
  // evaluate their start weight.
  LRF_INLINE V next_weight() const {
    const V moved = w - lr * dldw;
    return started ? moved : start;
  }

  // One evaluation in every lane: trial_step where a lane's trial has started, trial_start where it has not.
  template <class F, class D>
  LRF_INLINE void step_once(const F &f, const D &data, const RunConfig &c, ChunkTrials &trials) {
    const V w_new = next_weight();
    step_at(f, data, c, trials, w_new, loss_at(f, data, w_new, trials));
  }

  // The rest of step_once, given the loss at w_new.
  template <class F, class D>
  LRF_INLINE void step_at(const F &f, const D &data, const RunConfig &c, ChunkTrials &trials, V w_new,
                          V loss_new) {
    const I stepping = started & active;
    // trial_step, on every lane; kept where the lane steps. A minibatch's secant is on its own points.
    const I stalled = w_new == w;
    const V before = std::is_same_v<D, MinibatchView<V>> ? loss_at(f, data, w, trials) : loss;
    const V dldw_new = (loss_new - before) / (w_new - w);
    const I step_new = step + 1;
    if (trials.records)
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
    if (none(fresh | ended)) // the common case: every lane goes on stepping its trial
      return;
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
        trials.batch.steps[t] = static_cast<std::int32_t>(step[j]);
        trials.batch.status[t] = diverged[j]  ? Status::diverged
                                 : rose[j]    ? Status::rose
                                 : stalled[j] ? Status::stalled
                                              : Status::completed;
        take_next(trials, j);
      }
    }
  }
};

// Two lane groups' weights as one value of the point loss: each operation is done on both, so that one
// pass over the points evaluates both groups' losses, each in its own order (the bits of two passes), with
// each point loaded once.
template <class V> struct Both { V a, b; };
template <class V> LRF_INLINE Both<V> operator+(Both<V> p, Both<V> q) {
  return {p.a + q.a, p.b + q.b};
}
template <class V> LRF_INLINE Both<V> &operator+=(Both<V> &p, Both<V> q) {
  return p = p + q;
}
template <class V> LRF_INLINE Both<V> operator-(Both<V> p) {
  return {-p.a, -p.b};
}
template <class V> LRF_INLINE Both<V> operator-(double v, Both<V> p) {
  return {v - p.a, v - p.b};
}
template <class V, class X> LRF_INLINE Both<V> operator-(Both<V> p, X x) {
  return {p.a - x, p.b - x};
}
template <class V> LRF_INLINE Both<V> operator*(Both<V> p, Both<V> q) {
  return {p.a * q.a, p.b * q.b};
}
template <class V, class X> LRF_INLINE Both<V> operator*(Both<V> p, X x) {
  return {p.a * x, p.b * x};
}
template <class V> LRF_INLINE Both<V> operator/(Both<V> p, double d) {
  return {p.a / d, p.b / d};
}
template <class V> LRF_INLINE Both<V> fused(Both<V> p, V x, V y) {
  return {detail::fused(p.a, x, y), detail::fused(p.b, x, y)};
}
template <class V> LRF_INLINE Both<V> fused(Both<V> p, double x, double y) {
  return {detail::fused(p.a, x, y), detail::fused(p.b, x, y)};
}
template <class V> LRF_INLINE Both<V> fused(Both<V> p, Both<V> q, Both<V> r) {
  return {detail::fused(p.a, q.a, r.a), detail::fused(p.b, q.b, r.b)};
}

// Whether two groups' losses are evaluated in one pass: the squared error on data too large to copy into
// the lanes, whose points are broadcast from memory (with --arith fma, two loads a point for its two fused
// multiply-adds), where the two groups' 16 partial sums fit in registers (32 of them: AVX-512). Each point
// is loaded once for both groups: fma ran 1.15 to 1.4 times as fast on 1e4 points (exact, bound by its
// arithmetic, the same within noise). Data copied into the lanes keeps the groups in turns, which overlaps
// one group's end of step with the other's loss (in one pass, fma on the seed's 100 points ran 12% slower).
template <int N, int G, class F, class D>
constexpr bool kBothInOnePass = G == 2 &&
                                sizeof(typename VectorOf<N>::V) == 64 && std::is_same_v<D, DataView> &&
                                (std::is_same_v<F, PointLoss<Loss::mse, Arith::exact>> ||
                                 std::is_same_v<F, PointLoss<Loss::mse, Arith::fma>>);

// Runs trials [begin, end) of the batch in G groups of N lanes, with the point loss F. The groups step in
// turns: one group's steps depend on each other, the groups' do not, so the core overlaps one group's
// end of step (sums, divisions) with the next group's loss. Where kBothInOnePass, two groups that both
// step evaluate their losses together.
template <int N, int G, class F, class D>
LRF_INLINE void run_groups(const Problem &problem, const F &f, const D &data, Batch &batch,
                           std::int64_t begin, std::int64_t end, TrajectoryOut spare) {
  using V = typename VectorOf<N>::V;
  const bool records = batch.kept().arrays() != 0 || spare.loss || spare.weight || spare.lr;
  ChunkTrials trials{batch, problem.row_length(), begin, end, spare, begin, records};
  LaneGroup<N> groups[G];
  for (LaneGroup<N> &g : groups)
    for (int j = 0; j < N; ++j)
      g.take_next(trials, j);
  for (bool any = true; any;) {
    if constexpr (kBothInOnePass<N, G, F, D>) {
      if (groups[0].any_active() && groups[1].any_active()) {
        const Both<V> w{groups[0].next_weight(), groups[1].next_weight()};
        const Both<V> loss = mean_loss(f, data, w);
        groups[0].step_at(f, data, problem.config, trials, w.a, loss.a);
        groups[1].step_at(f, data, problem.config, trials, w.b, loss.b);
        continue;
      }
    }
    any = false;
    for (LaneGroup<N> &g : groups)
      if (g.any_active()) {
        g.step_once(f, data, problem.config, trials);
        any = true;
      }
  }
}

// Data up to this size (x and y as vectors) is first copied into every lane, so that each point costs
// its arithmetic and no broadcasts; larger data is read as it is, and a minibatch's points are gathered
// lane by lane.
constexpr std::size_t kSplatDataBytes = std::size_t{256} << 10;

template <int N, int G, class F>
LRF_INLINE void run_lanes(const Problem &problem, const F &f, Batch &batch, std::int64_t begin,
                          std::int64_t end, TrajectoryOut spare) {
  using V = typename VectorOf<N>::V;
  const DataView data = problem.data();
  const auto n = static_cast<std::size_t>(data.n);
  if (problem.config.minibatch > 0)
    return run_groups<N, G>(problem, f, minibatch_view<V>(problem.config, data), batch, begin, end, spare);
  if (2 * n * sizeof(V) > kSplatDataBytes)
    return run_groups<N, G>(problem, f, data, batch, begin, end, spare);
  // Plain doubles, aligned by hand: a standard container of V would call code built for the baseline
  // instruction set with V by value, whose calling convention differs from this build's.
  thread_local std::vector<double> copies;
  copies.resize(2 * n * N + 64 / sizeof(double));
  const auto misaligned = reinterpret_cast<std::uintptr_t>(copies.data()) % 64;
  double *lanes = copies.data() + (misaligned == 0 ? 0 : (64 - misaligned) / sizeof(double));
  for (std::size_t i = 0; i < n; ++i)
    for (int j = 0; j < N; ++j) {
      lanes[i * N + static_cast<std::size_t>(j)] = data.x[i];
      lanes[(n + i) * N + static_cast<std::size_t>(j)] = data.y[i];
    }
  const V *x = reinterpret_cast<const V *>(lanes), *y = x + n;
  run_groups<N, G>(problem, f, BasicDataView<V>{x, y, data.n, data.sum_block}, batch, begin, end, spare);
}

using RunRange = void (*)(const Problem &, Batch &, std::int64_t, std::int64_t, TrajectoryOut);

// run_lanes with the run's loss and arithmetic; each build below is this with its lane width, for its target.
template <int N, int G>
LRF_INLINE void run_lanes_for(const Problem &p, Batch &b, std::int64_t first, std::int64_t last,
                              TrajectoryOut spare) {
  const RunConfig &c = p.config;
  switch (c.loss) {
  case Loss::mae:
    return run_lanes<N, G>(p, point_loss<Loss::mae, Arith::exact>(c), b, first, last, spare);
  case Loss::huber:
    return run_lanes<N, G>(p, point_loss<Loss::huber, Arith::exact>(c), b, first, last, spare);
  case Loss::logistic:
    return run_lanes<N, G>(p, point_loss<Loss::logistic, Arith::exact>(c), b, first, last, spare);
  case Loss::mse:
    break;
  }
  if (c.arith == Arith::fma)
    run_lanes<N, G>(p, point_loss<Loss::mse, Arith::fma>(c), b, first, last, spare);
  else
    run_lanes<N, G>(p, point_loss<Loss::mse, Arith::exact>(c), b, first, last, spare);
}
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,fma"))) void run_range_avx512(const Problem &p, Batch &b, std::int64_t first,
                                                             std::int64_t last, TrajectoryOut spare) {
  run_lanes_for<8, kGroups>(p, b, first, last, spare);
}
__attribute__((target("avx2,fma"))) void run_range_avx2(const Problem &p, Batch &b, std::int64_t first,
                                                        std::int64_t last, TrajectoryOut spare) {
  run_lanes_for<4, kGroups>(p, b, first, last, spare);
}
#endif
void run_range_baseline(const Problem &p, Batch &b, std::int64_t first, std::int64_t last,
                        TrajectoryOut spare) {
  run_lanes_for<2, kGroups>(p, b, first, last, spare);
}

struct IsaBuild {
  CpuIsa isa;
  RunRange run;
};

std::vector<IsaBuild> isa_builds() {
  std::vector<IsaBuild> builds;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  const bool fma = __builtin_cpu_supports("fma");
  builds.push_back({{"avx512", 8, __builtin_cpu_supports("avx512f") && fma}, run_range_avx512});
  builds.push_back({{"avx2", 4, __builtin_cpu_supports("avx2") && fma}, run_range_avx2});
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
    return std::to_string(threads_) + " CPU thread" + (threads_ == 1 ? "" : "s") + ", " + build_.isa.name +
           ", " + std::to_string(build_.isa.lanes) + " trials per SIMD vector";
  }

  void run(const Problem &problem, Batch &batch) override { run_chunks(problem, batch, nullptr); }
  void run_and_suggest(const Problem &problem, Batch &batch, const RuleRun &rules) override {
    run_chunks(problem, batch, &rules);
  }

private:
  // Every thread takes chunks of the batch, and where rules are given, runs them on each chunk as it ends,
  // the rows the batch does not keep in the thread's own spare rows (in cache, and reused by its next chunk).
  void run_chunks(const Problem &problem, Batch &batch, const RuleRun *rules) const {
    const std::int64_t n = batch.size(), row = problem.row_length();
    std::atomic<std::int64_t> next{0};
    auto work = [&] {
      thread_local std::vector<double> spare_loss, spare_lr;
      TrajectoryOut spare{};
      if (rules && batch.loss.empty())
        spare_loss.resize(static_cast<std::size_t>(kChunk * row)), spare.loss = spare_loss.data();
      if (rules && batch.lr.empty())
        spare_lr.resize(static_cast<std::size_t>(kChunk * row)), spare.lr = spare_lr.data();
      for (std::int64_t begin; (begin = next.fetch_add(kChunk)) < n;) {
        const std::int64_t end = std::min(n, begin + kChunk);
        build_.run(problem, batch, begin, end, spare);
        if (rules)
          suggest_range(*rules, problem, batch, begin, end, TrialRows::chunk(batch, spare, begin, row));
        count_trials(end - begin);
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
