// The trial core: the seed's learning-rate range test for one trial, written once for every backend.
//
// Plain data in, plain data out: no allocation, exceptions, virtuals or I/O, so the same code runs in the
// serial reference, the SIMD CPU backend (V = a vector of trials) and a CUDA thread (LRF_HD).
//
// Bit-exactness with the seed (numpy, float64) rests on doing the same IEEE operations in the same order:
// the loss is np.mean((y - w*x)**2) with numpy's pairwise summation, lr grows by repeated + or *, and the
// build turns off fused multiply-add (-ffp-contract=off, nvcc --fmad=false). --arith fma is the one
// departure: each point as two explicit fused multiply-adds in the same order, the same bits on every
// backend, but not numpy's.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define LRF_HD __host__ __device__
#define LRF_INLINE __forceinline__
#else
#define LRF_HD
#define LRF_INLINE inline __attribute__((always_inline))
#endif

namespace lrf {

enum class Scan : std::uint8_t { linear = 0, exp = 1 };
// How a trial ended: a loss above --diverge; all epochs run; w stopped moving; a loss above --stop-factor
// times the lowest so far.
enum class Status : std::uint8_t { diverged = 0, completed = 1, stalled = 2, rose = 3 };
constexpr int kStatusCount = 4;

// "linear", "exp"; "diverged", "completed", "stalled", "rose": the names reports and files use.
constexpr const char *scan_name(Scan s) {
  return s == Scan::linear ? "linear" : "exp";
}
constexpr const char *status_name(Status s) {
  return s == Status::diverged    ? "diverged"
         : s == Status::completed ? "completed"
         : s == Status::stalled   ? "stalled"
                                  : "rose";
}

// How a point's squared error is computed and summed: exact, numpy's multiply, subtract, multiply and add;
// fma, e = fma(-w, x, y) and acc = fma(e, e, acc) (one rounding each instead of two).
enum class Arith : std::uint8_t { exact = 0, fma = 1 };
constexpr const char *arith_name(Arith a) {
  return a == Arith::exact ? "exact" : "fma";
}

struct RunConfig {
  double base_lr = 1e-7;     // first learning rate
  std::int32_t epochs = 500; // most updates per trial
  double diverge = 1e7;      // a recorded loss above this ends the trial
  double stop_factor = 0;    // > 0: a recorded loss above this times the lowest so far ends the trial
  Arith arith = Arith::exact;
};

// The data set, float64, n >= 1 points, and how numpy splits its sum: numpy before 2.3 reduces a
// contiguous array in buffers of 8192 elements added left to right (sum_block = 8192); numpy 2.3 and
// later sums the whole array pairwise (sum_block = n).
// T is double; the cpu backend also reads the data as vectors of one value in every lane (T = its vector
// type), which its instructions take straight from memory.
template <class T> struct BasicDataView {
  const T *x;
  const T *y;
  std::int64_t n;
  std::int64_t sum_block;
};
using DataView = BasicDataView<double>;

struct TrialParams {
  double start_weight;
  Scan scan;
  double factor; // added to lr each step (linear) or multiplied into it (exp)
};

// Where one trial's trajectory goes: element k (k = 0 is the start) lives at ptr[k * stride].
// A null pointer means that array is not kept.
struct TrajectoryOut {
  double *loss;
  double *weight;
  double *lr;
  std::ptrdiff_t stride;
};

struct TrialResult {
  std::int32_t steps; // updates performed; the trajectory has steps + 1 entries
  Status status;
};

namespace detail {

// numpy's pairwise summation sums at most this many elements with eight partial sums, else splits.
constexpr std::int64_t kPairwiseLeaf = 128;

// v in every lane of V (V is double or a vector of doubles); keeps the sign of zero.
template <class V> LRF_HD LRF_INLINE V splat(double v) {
  return v - V{};
}

// a * b + c with one rounding, lane by lane (a vector FMA instruction where the target has one, else
// libm's correctly rounded fma).
LRF_HD LRF_INLINE double fused(double a, double b, double c) {
  return fma(a, b, c);
}
template <class V> LRF_HD LRF_INLINE V fused(V a, V b, V c) {
  V r;
  for (int j = 0; j < static_cast<int>(sizeof(V) / sizeof(double)); ++j)
    r[j] = __builtin_fma(a[j], b[j], c[j]);
  return r;
}
template <class V> LRF_HD LRF_INLINE V fused(V a, double b, double c) {
  V r;
  for (int j = 0; j < static_cast<int>(sizeof(V) / sizeof(double)); ++j)
    r[j] = __builtin_fma(a[j], b, c);
  return r;
}

// Point i's error as `A` evaluates it, up to its sign (only its square is used): exact, w*x - y, a multiply
// then a subtract: rounding to nearest is symmetric, so this is exactly -(y - w*x) as numpy computes it,
// and the order lets a vector instruction take both x and y from memory; fma, fma(-w, x, y).
template <Arith A, class D, class V> LRF_HD LRF_INLINE V error(const D &d, std::int64_t i, V w) {
  if constexpr (A == Arith::fma)
    return fused(-w, d.x[i], d.y[i]);
  else
    return w * d.x[i] - d.y[i];
}
// acc + e**2: numpy's square then add, or fma(e, e, acc).
template <Arith A, class V> LRF_HD LRF_INLINE V add_square(V acc, V e) {
  if constexpr (A == Arith::fma)
    return fused(e, e, acc);
  else
    return acc + e * e;
}
// The square starting a partial sum (a product on its own: one rounding either way).
template <Arith A, class D, class V> LRF_HD LRF_INLINE V square(const D &d, std::int64_t i, V w) {
  const V e = error<A>(d, i, w);
  return e * e;
}

// numpy's pairwise_sum of the squared errors for n <= kPairwiseLeaf elements starting at lo.
template <Arith A, class D, class V>
LRF_HD LRF_INLINE V pairwise_leaf(const D &d, std::int64_t lo, std::int64_t n, V w) {
  if (n < 8) {
    V res = splat<V>(-0.0); // numpy's start value
    for (std::int64_t i = 0; i < n; ++i)
      res = add_square<A>(res, error<A>(d, lo + i, w));
    return res;
  }
  V r0 = square<A>(d, lo + 0, w), r1 = square<A>(d, lo + 1, w);
  V r2 = square<A>(d, lo + 2, w), r3 = square<A>(d, lo + 3, w);
  V r4 = square<A>(d, lo + 4, w), r5 = square<A>(d, lo + 5, w);
  V r6 = square<A>(d, lo + 6, w), r7 = square<A>(d, lo + 7, w);
  std::int64_t i = 8;
  for (; i < n - (n % 8); i += 8) {
    r0 = add_square<A>(r0, error<A>(d, lo + i + 0, w));
    r1 = add_square<A>(r1, error<A>(d, lo + i + 1, w));
    r2 = add_square<A>(r2, error<A>(d, lo + i + 2, w));
    r3 = add_square<A>(r3, error<A>(d, lo + i + 3, w));
    r4 = add_square<A>(r4, error<A>(d, lo + i + 4, w));
    r5 = add_square<A>(r5, error<A>(d, lo + i + 5, w));
    r6 = add_square<A>(r6, error<A>(d, lo + i + 6, w));
    r7 = add_square<A>(r7, error<A>(d, lo + i + 7, w));
  }
  V res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
  for (; i < n; ++i)
    res = add_square<A>(res, error<A>(d, lo + i, w));
  return res;
}

// numpy's pairwise_sum for any n: above the leaf size it splits at n/2 rounded down to a multiple of 8
// and adds the two halves' sums. Written with an explicit stack (each split adds one level; 56 levels at
// most for a 64-bit n) so that it inlines and runs on a GPU thread.
template <Arith A, class D, class V>
LRF_HD LRF_INLINE V pairwise_sum(const D &d, std::int64_t lo, std::int64_t n, V w) {
  if (n <= kPairwiseLeaf)
    return pairwise_leaf<A>(d, lo, n, w);
  struct Task {
    std::int64_t lo, n; // n < 0: add the two values on top of the value stack
  };
  Task tasks[2 * 56 + 2];
  V values[56 + 2];
  int ntasks = 0, nvalues = 0;
  tasks[ntasks++] = {lo, n};
  while (ntasks > 0) {
    Task t = tasks[--ntasks];
    if (t.n < 0) {
      V right = values[--nvalues];
      values[nvalues - 1] = values[nvalues - 1] + right;
    } else if (t.n <= kPairwiseLeaf) {
      values[nvalues++] = pairwise_leaf<A>(d, t.lo, t.n, w);
    } else {
      std::int64_t n2 = t.n / 2;
      n2 -= n2 % 8;
      tasks[ntasks++] = {0, -1};
      tasks[ntasks++] = {t.lo + n2, t.n - n2};
      tasks[ntasks++] = {t.lo, n2};
    }
  }
  return values[0];
}

} // namespace detail

// The seed's loss, np.mean((y - w*x)**2), bit for bit (A = exact): numpy's (blocked) pairwise sum, then
// / n. V is double, or a vector of doubles holding one trial's weight per lane.
template <Arith A = Arith::exact, class D, class V> LRF_HD LRF_INLINE V mean_squared_error(const D &d, V w) {
  V acc = detail::splat<V>(0.0); // numpy's reduction starts from the identity
  for (std::int64_t lo = 0; lo < d.n; lo += d.sum_block) {
    std::int64_t n = d.n - lo < d.sum_block ? d.n - lo : d.sum_block;
    acc += detail::pairwise_sum<A>(d, lo, n, w);
  }
  return acc / static_cast<double>(d.n);
}
// The loss with the run's arithmetic.
LRF_HD LRF_INLINE double trial_loss(const RunConfig &c, const DataView &d, double w) {
  return c.arith == Arith::fma ? mean_squared_error<Arith::fma>(d, w)
                               : mean_squared_error<Arith::exact>(d, w);
}

// The state the seed's loop carries from one step to the next.
struct TrialState {
  double w;    // current weight
  double loss; // loss at w
  double lr;   // learning rate for the next update
  double dldw;   // gradient estimate for the next update (the secant of the last step; 1 at the start)
  double lowest; // the lowest loss recorded so far
  std::int32_t step;
};

LRF_HD LRF_INLINE void record(const TrajectoryOut &out, std::int32_t k, double lr, double loss, double w) {
  std::ptrdiff_t at = static_cast<std::ptrdiff_t>(k) * out.stride;
  if (out.loss)
    out.loss[at] = loss;
  if (out.weight)
    out.weight[at] = w;
  if (out.lr)
    out.lr[at] = lr;
}

// Index 0 of the trajectory: the start weight and its loss, at base_lr.
LRF_HD LRF_INLINE TrialState trial_start(const RunConfig &c, double w0, double loss0,
                                         const TrajectoryOut &out) {
  record(out, 0, c.base_lr, loss0, w0);
  return TrialState{w0, loss0, c.base_lr, 1.0, loss0, 0};
}

// The weight the next update moves to: w -= lr * dldw.
LRF_HD LRF_INLINE double next_weight(const TrialState &s) {
  return s.w - s.lr * s.dldw;
}

// One step of the seed's loop, given the new weight and its loss: secant gradient, record, grow lr, then
// the stop rules (the seed's --diverge, then --stop-factor if set, a stalled w, the epochs). Returns false when the trial has ended and sets *status.
LRF_HD LRF_INLINE bool trial_step(TrialState &s, const RunConfig &c, Scan scan, double factor, double w,
                                  double loss, const TrajectoryOut &out, Status *status) {
  bool stalled = w == s.w; // w did not move: the seed's secant is 0/0 and NaN from here on
  double dldw = (loss - s.loss) / (w - s.w);
  s.step += 1;
  record(out, s.step, s.lr, loss, w);
  s.lr = scan == Scan::linear ? s.lr + factor : s.lr * factor;
  s.w = w;
  s.loss = loss;
  s.dldw = dldw;
  if (loss < s.lowest)
    s.lowest = loss;
  if (loss > c.diverge) {
    *status = Status::diverged;
    return false;
  }
  if (c.stop_factor > 0 && loss > c.stop_factor * s.lowest) {
    *status = Status::rose;
    return false;
  }
  if (stalled) {
    *status = Status::stalled;
    return false;
  }
  if (s.step >= c.epochs) {
    *status = Status::completed;
    return false;
  }
  return true;
}

// One whole trial, the plain loop: what the serial reference and a CUDA thread run. Entries after the
// last recorded step are left as they are (the runner sets them to NaN where a file will hold them).
LRF_HD inline TrialResult run_trial(const RunConfig &c, const DataView &d, const TrialParams &p,
                                    const TrajectoryOut &out) {
  TrialState s = trial_start(c, p.start_weight, trial_loss(c, d, p.start_weight), out);
  Status status = Status::completed;
  for (;;) {
    double w = next_weight(s);
    if (!trial_step(s, c, p.scan, p.factor, w, trial_loss(c, d, w), out, &status))
      break;
  }
  return TrialResult{s.step, status};
}

} // namespace lrf
