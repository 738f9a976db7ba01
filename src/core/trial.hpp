// The trial core: the seed's learning-rate range test for one trial, written once for every backend.
//
// Plain data in, plain data out: no allocation, exceptions, virtuals or I/O, so the same code runs in the
// serial reference, the SIMD CPU backend (V = a vector of trials) and a CUDA thread (LRF_HD).
//
// Bit-exactness with the seed (numpy, float64) rests on doing the same IEEE operations in the same order:
// the loss is np.mean((y - w*x)**2) with numpy's pairwise summation (or another loss's numpy expression,
// on all the data or on a minibatch drawn for each evaluation), lr grows by repeated + or *, and the build
// turns off fused multiply-add (-ffp-contract=off, nvcc --fmad=false). --arith fma is the one departure:
// each point as two explicit fused multiply-adds in the same order, the same bits on every backend, but
// not numpy's; and the logistic loss takes fdlibm's exp and log1p, the same bits on every backend, within
// an ulp or two of numpy's.
#pragma once

#include "core/fdlibm.hpp"
#include "core/hd.hpp"
#include "core/philox.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

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

// The loss of weight w on points (x, y), with r = y - w*x: mse, np.mean(r**2) (the seed's); mae,
// np.mean(np.abs(r)); huber, np.mean(np.where(np.abs(r) <= delta, 0.5*r*r, delta*(np.abs(r) - 0.5*delta)));
// logistic (labels y of 0 or 1), with z = w*x, np.mean(np.maximum(z, 0) - z*y +
// np.log1p(np.exp(-np.abs(z)))), the binary cross-entropy of sigmoid(z) in its stable form, with fdlibm's exp
// and log1p (core/fdlibm.hpp).
enum class Loss : std::uint8_t { mse = 0, mae = 1, huber = 2, logistic = 3 };
constexpr const char *loss_name(Loss l) {
  return l == Loss::mse ? "mse" : l == Loss::mae ? "mae" : l == Loss::huber ? "huber" : "logistic";
}

struct RunConfig {
  double base_lr = 1e-7;     // first learning rate
  std::int32_t epochs = 500; // most updates per trial
  double diverge = 1e7;      // a recorded loss above this ends the trial
  double stop_factor = 0;    // > 0: a recorded loss above this times the lowest so far ends the trial
  Arith arith = Arith::exact;
  Loss loss = Loss::mse;
  double huber_delta = 1.0; // huber: residuals up to this are squared, beyond it linear
  std::int64_t minibatch =
      0;                  // > 0: every evaluation of the loss is on this many points drawn (minibatch_point)
  std::uint64_t seed = 0; // the run's seed, which keys the minibatch draws
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
  using Value = T; // what load gives: a double, which arithmetic with a vector broadcasts, or a vector
  LRF_HD LRF_INLINE void load(std::int64_t i, T &xi, T &yi) const {
    xi = x[i];
    yi = y[i];
  }
};
using DataView = BasicDataView<double>;

// Point i of evaluation `eval` (0: the start weight's loss; k: the loss after update k) of trial `trial`
// in a run seeded `seed`, for a minibatch drawn from `points` points with replacement: Philox4x32-10 with
// counter (trial, eval, i/2 + 1) and the seed as key (the start weights' draws use counter (trial, 0, 0)),
// 64 bits of it, and the index (u * points) >> 64. Each point a pure function of its place, so a draw needs
// no state and is the same on every backend, thread count and shard.
LRF_HD LRF_INLINE std::int64_t minibatch_point(std::uint64_t seed, std::int64_t trial, std::int32_t eval,
                                               std::int64_t i, std::int64_t points) {
  const auto t = static_cast<std::uint64_t>(trial);
  const Philox4 r =
      philox4x32_10(Philox4{{static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(t >> 32),
                             static_cast<std::uint32_t>(eval), static_cast<std::uint32_t>((i >> 1) + 1)}},
                    PhiloxKey{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
  const std::uint64_t u =
      (i & 1) ? (std::uint64_t{r.v[2]} << 32) | r.v[3] : (std::uint64_t{r.v[0]} << 32) | r.v[1];
#if defined(__CUDA_ARCH__)
  return static_cast<std::int64_t>(__umul64hi(u, static_cast<std::uint64_t>(points)));
#else
  __extension__ typedef unsigned __int128 Wide;
  return static_cast<std::int64_t>((static_cast<Wide>(u) * static_cast<std::uint64_t>(points)) >> 64);
#endif
}

// The points of one evaluation of a minibatch run: n = the minibatch's size, drawn from the data's `points`
// by minibatch_point, summed as numpy sums them (sum_block as DataView's, of the n drawn points). V is
// double, or a vector with one trial per lane, each lane with its own trial and evaluation.
template <class V> struct MinibatchView {
  static constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(double));
  const double *x;
  const double *y;
  std::int64_t points;
  std::int64_t n;
  std::int64_t sum_block;
  std::uint64_t seed;
  std::int64_t trial[kLanes];
  std::int32_t eval[kLanes];
  using Value = V;
  LRF_HD LRF_INLINE void load(std::int64_t i, V &xi, V &yi) const {
    if constexpr (kLanes == 1) {
      const std::int64_t at = minibatch_point(seed, trial[0], eval[0], i, points);
      xi = x[at];
      yi = y[at];
    } else {
      xi = V{};
      yi = V{};
      for (int j = 0; j < kLanes; ++j) {
        const std::int64_t at = minibatch_point(seed, trial[j], eval[j], i, points);
        xi[j] = x[at];
        yi[j] = y[at];
      }
    }
  }
};
// The minibatch view of the run's data (trial and evaluation still to set).
template <class V> LRF_HD LRF_INLINE MinibatchView<V> minibatch_view(const RunConfig &c, const DataView &d) {
  MinibatchView<V> m{};
  m.x = d.x;
  m.y = d.y;
  m.points = d.n;
  m.n = c.minibatch;
  m.sum_block = d.sum_block < c.minibatch ? d.sum_block : c.minibatch;
  m.seed = c.seed;
  return m;
}

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

// |v| (clears the sign bit, as np.abs does).
LRF_HD LRF_INLINE double absolute(double v) {
  return fabs(v);
}
template <class V> LRF_HD LRF_INLINE V absolute(V v) {
  using U = decltype(v < v); // the int64 vector of V's width
  return (V)((U)v & static_cast<std::int64_t>(0x7fffffffffffffffll));
}

// One point's term of the logistic loss, numpy's np.maximum(z, 0) - z*y + np.log1p(np.exp(-np.abs(z))).
LRF_HD LRF_INLINE double logistic_term(double z, double y) {
  const double positive = z < 0 ? 0.0 : z; // np.maximum: z where z >= 0 or NaN
  return (positive - z * y) + fdlibm::log1p(fdlibm::exp(-absolute(z)));
}

// The loss L's term for one point, computed with arithmetic A (fma only for mse), and how numpy's sum adds
// it: `term` is the point's value, `add` is acc + term (mse with fma: fma(e, e, acc)).
template <Loss L, Arith A> struct PointLoss {
  double delta = 1.0, half_delta = 0.5; // huber's delta and 0.5 * delta, as numpy computes it

  // The residual up to its sign (only |r| and r*r are used): exact, w*x - y, a multiply then a subtract:
  // rounding to nearest is symmetric, so this is exactly -(y - w*x) as numpy computes it, and the order lets
  // a vector instruction take both x and y from memory; fma, fma(-w, x, y).
  // X is V, or a double that the arithmetic broadcasts (a vector instruction's broadcast operand).
  template <class V, class X> LRF_HD LRF_INLINE V residual(V w, X xi, X yi) const {
    if constexpr (A == Arith::fma)
      return fused(-w, xi, yi);
    else
      return w * xi - yi;
  }
  template <class V, class X> LRF_HD LRF_INLINE V value(V w, X xi, X yi) const {
    if constexpr (L == Loss::logistic) {
      const V z = w * xi;
      if constexpr (sizeof(V) == sizeof(double)) {
        return logistic_term(z, yi);
      } else {
        V r;
        for (int j = 0; j < static_cast<int>(sizeof(V) / sizeof(double)); ++j) {
          if constexpr (sizeof(X) == sizeof(double))
            r[j] = logistic_term(z[j], yi);
          else
            r[j] = logistic_term(z[j], yi[j]);
        }
        return r;
      }
    } else {
      const V e = residual(w, xi, yi);
      if constexpr (L == Loss::mse)
        return e * e;
      else if constexpr (L == Loss::mae)
        return absolute(e);
      else // huber: 0.5*r*r is (0.5*r)*r, the same bits for -r
        return absolute(e) <= delta ? (0.5 * e) * e : delta * (absolute(e) - half_delta);
    }
  }
  template <class D, class V> LRF_HD LRF_INLINE V term(const D &d, std::int64_t i, V w) const {
    typename D::Value xi, yi;
    d.load(i, xi, yi);
    return value(w, xi, yi);
  }
  template <class D, class V> LRF_HD LRF_INLINE V add(V acc, const D &d, std::int64_t i, V w) const {
    if constexpr (L == Loss::mse && A == Arith::fma) {
      typename D::Value xi, yi;
      d.load(i, xi, yi);
      const V e = residual(w, xi, yi);
      return fused(e, e, acc);
    } else {
      return acc + term(d, i, w);
    }
  }
};

// numpy's pairwise_sum of the points' terms for n <= kPairwiseLeaf elements starting at lo.
template <class F, class D, class V>
LRF_HD LRF_INLINE V pairwise_leaf(const F &f, const D &d, std::int64_t lo, std::int64_t n, V w) {
  if (n < 8) {
    V res = splat<V>(-0.0); // numpy's start value
    for (std::int64_t i = 0; i < n; ++i)
      res = f.add(res, d, lo + i, w);
    return res;
  }
  V r0 = f.term(d, lo + 0, w), r1 = f.term(d, lo + 1, w);
  V r2 = f.term(d, lo + 2, w), r3 = f.term(d, lo + 3, w);
  V r4 = f.term(d, lo + 4, w), r5 = f.term(d, lo + 5, w);
  V r6 = f.term(d, lo + 6, w), r7 = f.term(d, lo + 7, w);
  std::int64_t i = 8;
  for (; i < n - (n % 8); i += 8) {
    r0 = f.add(r0, d, lo + i + 0, w);
    r1 = f.add(r1, d, lo + i + 1, w);
    r2 = f.add(r2, d, lo + i + 2, w);
    r3 = f.add(r3, d, lo + i + 3, w);
    r4 = f.add(r4, d, lo + i + 4, w);
    r5 = f.add(r5, d, lo + i + 5, w);
    r6 = f.add(r6, d, lo + i + 6, w);
    r7 = f.add(r7, d, lo + i + 7, w);
  }
  V res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
  for (; i < n; ++i)
    res = f.add(res, d, lo + i, w);
  return res;
}

// numpy's pairwise_sum for any n: above the leaf size it splits at n/2 rounded down to a multiple of 8
// and adds the two halves' sums. Written with an explicit stack (each split adds one level; 56 levels at
// most for a 64-bit n) so that it inlines and runs on a GPU thread.
template <class F, class D, class V>
LRF_HD LRF_INLINE V pairwise_sum(const F &f, const D &d, std::int64_t lo, std::int64_t n, V w) {
  if (n <= kPairwiseLeaf)
    return pairwise_leaf(f, d, lo, n, w);
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
      values[nvalues++] = pairwise_leaf(f, d, t.lo, t.n, w);
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

using detail::PointLoss;

// The point loss of the run's settings.
template <Loss L, Arith A> LRF_HD LRF_INLINE PointLoss<L, A> point_loss(const RunConfig &c) {
  return PointLoss<L, A>{c.huber_delta, 0.5 * c.huber_delta};
}

// np.mean of the points' terms, bit for bit (A = exact): numpy's (blocked) pairwise sum, then / n. D is a
// DataView or a MinibatchView; V is double, or a vector of doubles holding one trial's weight per lane.
template <class F, class D, class V> LRF_HD LRF_INLINE V mean_loss(const F &f, const D &d, V w) {
  V acc = detail::splat<V>(0.0); // numpy's reduction starts from the identity
  for (std::int64_t lo = 0; lo < d.n; lo += d.sum_block) {
    std::int64_t n = d.n - lo < d.sum_block ? d.n - lo : d.sum_block;
    acc += detail::pairwise_sum(f, d, lo, n, w);
  }
  return acc / static_cast<double>(d.n);
}
// The seed's loss, np.mean((y - w*x)**2).
template <Arith A = Arith::exact, class D, class V> LRF_HD LRF_INLINE V mean_squared_error(const D &d, V w) {
  return mean_loss(PointLoss<Loss::mse, A>{}, d, w);
}

// The run's loss and arithmetic on the points of d.
template <class D, class V> LRF_HD LRF_INLINE V run_loss(const RunConfig &c, const D &d, V w) {
  switch (c.loss) {
  case Loss::mae:
    return mean_loss(point_loss<Loss::mae, Arith::exact>(c), d, w);
  case Loss::huber:
    return mean_loss(point_loss<Loss::huber, Arith::exact>(c), d, w);
  case Loss::logistic:
    return mean_loss(point_loss<Loss::logistic, Arith::exact>(c), d, w);
  case Loss::mse:
    break;
  }
  return c.arith == Arith::fma ? mean_squared_error<Arith::fma>(d, w)
                               : mean_squared_error<Arith::exact>(d, w);
}
// The run's loss at w on all the data.
LRF_HD LRF_INLINE double trial_loss(const RunConfig &c, const DataView &d, double w) {
  return run_loss(c, d, w);
}
// The loss that evaluation `eval` of trial `trial` sees: on all the data, or on its minibatch.
LRF_HD LRF_INLINE double evaluation_loss(const RunConfig &c, const DataView &d, double w, std::int64_t trial,
                                         std::int32_t eval) {
  if (c.minibatch <= 0)
    return run_loss(c, d, w);
  MinibatchView<double> m = minibatch_view<double>(c, d);
  m.trial[0] = trial;
  m.eval[0] = eval;
  return run_loss(c, m, w);
}

// The state the seed's loop carries from one step to the next.
struct TrialState {
  double w;      // current weight
  double loss;   // loss at w
  double lr;     // learning rate for the next update
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

// One step of the seed's loop, given the new weight, its loss and `before`, the last weight's loss on the
// same points (s.loss, or on a minibatch this step's draw): secant gradient, record, grow lr, then the stop
// rules (the seed's --diverge, then --stop-factor if set, a stalled w, the epochs). Returns false when the
// trial has ended and sets *status.
LRF_HD LRF_INLINE bool trial_step(TrialState &s, const RunConfig &c, Scan scan, double factor, double w,
                                  double loss, double before, const TrajectoryOut &out, Status *status) {
  bool stalled = w == s.w; // w did not move: the seed's secant is 0/0 and NaN from here on
  double dldw = (loss - before) / (w - s.w);
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
// `trial` is the trial's index in the run (it keys the minibatch draws).
LRF_HD inline TrialResult run_trial(const RunConfig &c, const DataView &d, const TrialParams &p,
                                    const TrajectoryOut &out, std::int64_t trial = 0) {
  TrialState s = trial_start(c, p.start_weight, evaluation_loss(c, d, p.start_weight, trial, 0), out);
  Status status = Status::completed;
  for (;;) {
    const double w = next_weight(s);
    const std::int32_t eval = s.step + 1;
    const double before = c.minibatch > 0 ? evaluation_loss(c, d, s.w, trial, eval) : s.loss;
    if (!trial_step(s, c, p.scan, p.factor, w, evaluation_loss(c, d, w, trial, eval), before, out, &status))
      break;
  }
  return TrialResult{s.step, status};
}

} // namespace lrf
