// The suggestion rules, written once for every backend: plain functions of one trial's trajectory (a view
// with a stride) and a scratch area bounded by the epochs, with no allocation, exceptions or I/O, so that
// the host's analysis, the cpu backend and a CUDA thread (LRF_HD) compute the same bits. The only
// transcendental function is the logarithm, core/ieee_log.hpp's; powers a library takes with `**` come
// from a table the host fills once (RuleTables).
//
// Two kinds of rule:
// - lrfinder's own `steep`, on the seed's pairing (the rate of an update with the loss after it), shaped by
//   --smooth, --skip-begin and --skip-end (CurveOptions);
// - the rules named after a library, each that library's answer for the trial as its default call would
//   give it: the library's recording (which rate goes with which loss), smoothing, relative stop, trims,
//   NaN handling and tie-breaking, in float64 (README "Suggestion rules" names each source and commit).
//   The options above do not touch them.
//
// How a library sees a trial: its iteration i measures the loss of the current weights, L(w_i), and then
// updates them at rate r_i, lrfinder's scan (r_0 = base lr, then + or * the factor). A trajectory row holds
// loss[k] = L(w_k) and lr[k] = r_(k-1) (lr[0] = r_0) for k = 0..steps, so iteration i reads loss[i]. Past
// the row a stalled trial's loss is NaN (the seed's loop continued would compute NaN ever after); a diverged
// or completed trial has no more losses, and the library's list ends there. Every library runs `epochs`
// iterations, its num_it/num_training/num_iter.
#pragma once

#include "core/ieee_log.hpp"
#include "core/lanes.hpp"
#include "core/trial.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace lrf {

enum class Rule : std::uint8_t {
  steep,           // lrfinder: steepest drop per ln(lr), up to the lowest loss
  fastai_valley,   // fastai lr_find, SuggestionMethod.Valley (its default)
  fastai_slide,    // fastai lr_find, SuggestionMethod.Slide
  fastai_steep,    // fastai lr_find, SuggestionMethod.Steep
  fastai_minimum,  // fastai lr_find, SuggestionMethod.Minimum
  lightning,       // Lightning Tuner.lr_find, _LRFinder.suggestion()
  torch_lr_finder, // torch-lr-finder LRFinder.range_test, plot()'s suggestion
  ignite,          // pytorch-ignite FastaiLRFinder, lr_suggestion()
};
constexpr int kRuleCount = 8;

// The names files, options and reports use, in the order of Rule (and of /trials/suggest/<rule>).
constexpr const char *rule_name(Rule r) {
  constexpr const char *names[kRuleCount] = {"steep",          "fastai-valley", "fastai-slide",
                                             "fastai-steep",   "fastai-minimum", "lightning",
                                             "torch-lr-finder", "ignite"};
  return names[static_cast<int>(r)];
}

// Smoothing of the loss before lrfinder's own rule reads it: s_k = beta * s_(k-1) + (1 - beta) * loss_k.
// `ema` starts from s_0 = loss_0; `ema_debiased` starts the average at 0 and divides by 1 - beta^(k+1)
// (beta^(k+1) by repeated multiplication).
struct Smoothing {
  enum class Kind : std::uint8_t { none, ema, ema_debiased };
  Kind kind = Kind::none;
  double beta = 0;
};

// How lrfinder's own rule reads a trajectory: cut before the first non-finite value, smoothed, then
// skip_begin points dropped from the start and skip_end from the end.
struct CurveOptions {
  Smoothing smooth;
  std::int32_t skip_begin = 0;
  std::int32_t skip_end = 0;
};

namespace rules {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
} // namespace rules

// One trial as the rules read it (V = double, TrialView), or kRuleLanes trials in SIMD lanes (V = RuleVec):
// loss[k * stride] and lr[k * stride] for k < stored, the trial's entries k = 0..steps (NaN in a lane past
// its own steps).
template <class V> struct TrialLanes {
  const V *loss;
  const V *lr;
  std::ptrdiff_t stride;
  std::int32_t stored;
  LaneI<V> steps;
  LaneM<V> stalled; // status == stalled
  LaneM<V> linear;  // scan == linear
  V factor;
  std::int32_t epochs;

  LRF_HD V loss_at(std::int64_t k) const {
    return k < stored ? loss[k * stride] : splat<V>(rules::kNaN);
  }
  LRF_HD V lr_at(std::int64_t k) const {
    return k < stored ? lr[k * stride] : splat<V>(rules::kNaN);
  }
};
using TrialView = TrialLanes<double>;

// One trial's row: loss[k * stride], lr[k * stride] for k = 0..steps.
LRF_HD inline TrialView trial_view(const double *loss, const double *lr, std::ptrdiff_t stride, std::int32_t steps,
                                   Status status, Scan scan, double factor, std::int32_t epochs) {
  return TrialView{loss, lr, stride, steps + 1, steps, status == Status::stalled, scan == Scan::linear, factor,
                   epochs};
}

// What the host computes once per run for every backend: debias[k] = 1 - 0.98**k (Python's float power,
// libm's pow) for k = 0..max(epochs, 6) + 1, the bias correction of fastai's and Lightning's smoothing
// (debias_table).
struct RuleTables {
  const double *debias;
};
// RuleTables::debias for a run of `epochs` (host code: core/rules.cpp).
std::vector<double> debias_table(std::int32_t epochs);
constexpr double kLibraryBeta = 0.98; // fastai AvgSmoothLoss(beta=0.98), Lightning _LRCallback(beta=0.98)

// Scratch the rules need, in values of V: five parts (suggest_all), each longer than any list a library
// records (fastai runs at least 6 iterations, ignite epochs + 1).
LRF_HD constexpr std::int32_t rule_scratch_part(std::int32_t epochs) {
  return (epochs < 6 ? 6 : epochs) + 2;
}
LRF_HD constexpr std::int64_t rule_scratch(std::int32_t epochs) {
  return 5 * static_cast<std::int64_t>(rule_scratch_part(epochs));
}

namespace rules {

template <class V> LRF_HD LRF_INLINE LaneM<V> is_nan(V x) {
  return x != x;
}
template <class V> LRF_HD LRF_INLINE LaneM<V> is_finite(V x) {
  return x - x == 0; // false for NaN and +-inf
}

// numpy's and torch's argmin over points taken in order, lane by lane: the first NaN if there is one, else
// the first of the lowest. `answer` is what the caller pairs with the point taken (NaN until one is);
// `open`, the lanes still looking (a NaN closes one). The lowest so far is a running minimum (x86's minpd
// is `a < b ? a : b`), so that a point's comparison is off the chain of dependent operations from one
// point to the next.
template <class V> struct RunningArgmin {
  LaneM<V> open;
  LaneI<V> best = splat_i<V>(-1);
  V low = splat<V>(kInf);
  V answer = splat<V>(kNaN);
  LaneM<V> fresh = open; // no point taken yet: the first is taken whatever its value (+inf included)
  // Point j, value v, paired answer a, in the lanes `at` (open ones).
  LRF_HD void consider(LaneM<V> at, LaneI<V> j, V v, V a) {
    const V seen = lanes::select(at, v, splat<V>(kInf)); // +inf changes no minimum
    const LaneM<V> nan = at & is_nan(v);
    const LaneM<V> take = (seen < low) | (at & fresh) | nan;
    low = lanes::select(seen < low, seen, low);
    best = lanes::select(take, j, best);
    answer = lanes::select(take, a, answer);
    fresh = fresh & lanes::not_(at);
    open = open & lanes::not_(nan);
  }
};

// A pass of a rule over points i = 0, 1, ... as an object, so that several passes run in one loop
// (scan_together) and their chains of dependent operations overlap: `most` points at most, step(i) for
// each, and open(i), the lanes that still look at point i (a pass ends early where no lane does).
//
// The argmin of value(i) over i < n, lane by lane: `m.best`, -1 where n <= 0.
template <class V, class F> struct ArgminScan {
  F value;
  LaneI<V> n;
  RunningArgmin<V> m;
  std::int64_t most;
  LRF_HD ArgminScan(F f, LaneI<V> count) : value(f), n(count), m{count > 0}, most(lanes::count_max(count)) {}
  LRF_HD LaneM<V> open(std::int64_t i) const { return m.open & (i < n); }
  LRF_HD void step(std::int64_t i) { m.consider(open(i), splat_i<V>(i), value(i), value(i)); }
};
template <class V, class F> LRF_HD ArgminScan<V, F> argmin_scan(F value, LaneI<V> n) {
  return ArgminScan<V, F>(value, n);
}

// value(i) = p[i * stride].
template <class V> struct Strided {
  const V *p;
  std::ptrdiff_t stride;
  LRF_HD V operator()(std::int64_t i) const { return p[i * stride]; }
};

// Steps every pass over its points, all in one loop.
template <class S, class... Rest> LRF_HD void scan_together(S &first, Rest &...rest) {
  std::int64_t most = first.most;
  ((most = rest.most > most ? rest.most : most), ...);
  const decltype(first.open(0)) off{}; // no lane
  for (std::int64_t i = 0; i < most; ++i) {
    const auto open = (i < first.most ? first.open(i) : off) | ((i < rest.most ? rest.open(i) : off) | ... | off);
    if (lanes::done(open, i))
      break;
    if (i < first.most)
      first.step(i);
    ((i < rest.most ? rest.step(i) : void()), ...);
  }
}

// The argmin of value(i) over i < n, lane by lane; -1 where n <= 0.
template <class V, class F> LRF_HD LaneI<V> argmin(F value, LaneI<V> n) {
  ArgminScan<V, F> scan(value, n);
  scan_together(scan);
  return scan.m.best;
}

// r_i, the rate of iteration i of a library (of update i + 1 of the row): lr[i + 1] inside the row, then
// the scan continued from its last entry by the same repeated operation.
LRF_HD inline double rate(const TrialView &t, std::int64_t i) {
  if (i < t.steps)
    return t.lr[(i + 1) * t.stride];
  double r = t.lr[t.steps * t.stride]; // r_(steps-1), or r_0 if steps == 0
  for (std::int64_t k = t.steps > 1 ? t.steps : 1; k <= i; ++k)
    r = t.linear ? r + t.factor : r * t.factor;
  return r;
}

// Lane j of a vector of trials, as one trial (one trial is its own only lane).
LRF_HD inline TrialView lane(const TrialView &t, int) {
  return t;
}
#if !defined(__CUDACC__)
inline TrialView lane(const TrialLanes<RuleVec> &t, int j) {
  const auto steps = static_cast<std::int32_t>(t.steps[j]);
  return TrialView{reinterpret_cast<const double *>(t.loss) + j, reinterpret_cast<const double *>(t.lr) + j,
                   t.stride * kRuleLanes, steps + 1, steps, t.stalled[j] != 0, t.linear[j] != 0, t.factor[j],
                   t.epochs};
}
inline RuleVec rate_at(const TrialLanes<RuleVec> &t, RuleVecI i) {
  RuleVec r;
  for (int j = 0; j < kRuleLanes; ++j)
    r[j] = i[j] < 0 ? kNaN : rate(lane(t, j), i[j]);
  return r;
}
#endif
// rate(i) lane by lane; NaN where i < 0.
LRF_HD inline double rate_at(const TrialView &t, std::int64_t i) {
  return i < 0 ? kNaN : rate(t, i);
}

// r_i for i = start, start + 1, ... (next()), by the operations rate() does.
template <class V> struct RateWalk {
  const TrialLanes<V> &t;
  std::int64_t i;
  V r;
  LRF_HD RateWalk(const TrialLanes<V> &trials, std::int64_t start)
      : t(trials), i(start), r(rate_at(trials, splat_i<V>(start))) {}
  LRF_HD void next() {
    ++i;
    const V continued = lanes::select(t.linear, r + t.factor, r * t.factor);
    r = lanes::select(i < t.steps, t.lr_at(i + 1), continued);
  }
};

// Whether a library's iteration i has a loss to measure (its loss is t.loss_at(i)): inside the row, or
// past a stalled trial's end (NaN).
template <class V> LRF_HD LRF_INLINE LaneM<V> measured(const TrialLanes<V> &t, std::int64_t i) {
  return (i <= t.steps) | t.stalled;
}

// ---- lrfinder's own rule ----

// The curve lrfinder's rule reads: points [0, n) of loss (smoothed in scratch, or the row's own) and lr.
template <class V> struct Curve {
  const V *lr;
  std::ptrdiff_t lr_stride;
  const V *loss;
  std::ptrdiff_t loss_stride;
  LaneI<V> n;
};

// The leading points of the trial whose loss and lr are finite, up to its steps (core/library_rules.hpp's
// record_all finds the same on its pass).
template <class V> LRF_HD LaneI<V> leading_finite(const TrialLanes<V> &t) {
  LaneI<V> n = splat_i<V>(0);
  LaneM<V> open = splat_i<V>(0) == 0;
  for (std::int64_t k = 0; k < t.stored; ++k) {
    open = open & (k <= t.steps) & is_finite(t.loss[k * t.stride]) & is_finite(t.lr[k * t.stride]);
    if (lanes::done(open, k))
      break;
    n = lanes::select(open, splat_i<V>(k + 1), n);
  }
  return n;
}

// The curve of the trial's leading_finite points n.
template <class V>
LRF_HD Curve<V> own_curve(const TrialLanes<V> &t, const CurveOptions &o, LaneI<V> n, V *scratch) {
  using I = LaneI<V>;
  const std::int64_t most = lanes::count_max(n);
  const V *loss = t.loss;
  std::ptrdiff_t loss_stride = t.stride;
  if (o.smooth.kind != Smoothing::Kind::none && most > 0) {
    const double beta = o.smooth.beta;
    if (o.smooth.kind == Smoothing::Kind::ema) {
      scratch[0] = t.loss[0];
      for (std::int64_t k = 1; k < most; ++k)
        scratch[k] = beta * scratch[k - 1] + (1 - beta) * t.loss[k * t.stride];
    } else {
      V average = splat<V>(0);
      double beta_power = 1; // beta^(k+1) after step k
      for (std::int64_t k = 0; k < most; ++k) {
        average = beta * average + (1 - beta) * t.loss[k * t.stride];
        beta_power *= beta;
        scratch[k] = average / (1 - beta_power);
      }
    }
    loss = scratch;
    loss_stride = 1;
  }
  // skip_begin points from the start and skip_end from the end; a lane with no more than skip_begin points
  // keeps none, so every other lane starts at skip_begin.
  const I begin = lanes::select(n < o.skip_begin, n, splat_i<V>(o.skip_begin));
  const I end_cut = lanes::select(n < o.skip_end, n, splat_i<V>(o.skip_end));
  const I end = lanes::select(n - end_cut > begin, n - end_cut, begin);
  const std::int64_t offset = o.skip_begin < t.stored ? o.skip_begin : t.stored;
  return Curve<V>{t.lr + offset * t.stride, t.stride, loss + offset * loss_stride, loss_stride, end - begin};
}
template <class V> LRF_HD Curve<V> own_curve(const TrialLanes<V> &t, const CurveOptions &o, V *scratch) {
  return own_curve(t, o, leading_finite(t), scratch);
}

// A lower bound on ln(b / a) as either of the rules computes it, ieee_log(b / a) or ieee_log(b) -
// ieee_log(a), for 0 < a < b: 2 (b - a) / (b + a) <= ln(b / a), less margins (2^-40 relative, 2^-40
// absolute) far above the roundings and the logarithms' error (below 2^-42 absolute: |ln x| < 1024).
// Non-positive where it tells nothing.
template <class V> LRF_HD LRF_INLINE V log_ratio_floor(V a, V b) {
  return (b - a) / (b + a) * 2 * (1 - 0x1p-40) - 0x1p-40;
}

// Whether rise / D >= best for every D >= floor > 0 (b > a > 0): rise >= best * floor, where that
// product is normal (below 2^-1000 the margins would not hold) and rise finite.
template <class V> LRF_HD LRF_INLINE LaneM<V> cannot_beat(V rise, V best, V floor, V a, V b) {
  const V limit = best * floor;
  return (a > 0) & (b > a) & (floor > 0) & is_finite(rise) & (limit < -0x1p-1000) & (rise >= limit);
}

// The steepest drop per ln(lr), (loss[k] - loss[k-1]) / ln(lr[k] / lr[k-1]) < 0, over k = 1..(the lowest
// loss) where lr grew; the answer is lr[k], the rate whose update made that drop. Two shortcuts, neither of
// which changes a bit: a point whose slope cannot beat the best so far (slope >= rise / log_ratio_floor)
// needs no logarithm, and the logarithms of the last two distinct ratios are kept (an exp scan's ratio
// lr[k] / lr[k-1] takes one to three values).
// The pass that finds the curve's lowest loss; steep's `lowest` is its argmin.
template <class V> LRF_HD auto lowest_of(const Curve<V> &c) {
  return argmin_scan<V>(Strided<V>{c.loss, c.loss_stride}, c.n);
}
template <class V> LRF_HD V steep(const Curve<V> &c, LaneI<V> lowest) {
  V best_slope = splat<V>(0), best_lr = splat<V>(kNaN);
  V ratio0 = splat<V>(kNaN), log0 = splat<V>(kNaN), ratio1 = ratio0, log1 = log0; // the kept logarithms
  const std::int64_t most = lanes::count_max(lowest);
  for (std::int64_t k = 1; k <= most; ++k) {
    const V lr = c.lr[k * c.lr_stride], before = c.lr[(k - 1) * c.lr_stride];
    const V rise = c.loss[k * c.loss_stride] - c.loss[(k - 1) * c.loss_stride];
    // a stored row records base_lr twice: no change of rate, no slope
    const LaneM<V> ok = (k <= lowest) & (lr > before) & (rise < 0);
    const LaneM<V> open = ok & lanes::not_(cannot_beat(rise, best_slope, log_ratio_floor(before, lr), before, lr));
    if (!lanes::any(open))
      continue;
    const V ratio = lr / before;
    const LaneM<V> kept0 = ratio == ratio0, kept1 = ratio == ratio1;
    V log = lanes::select(kept0, log0, log1);
    if (lanes::any(open & lanes::not_(kept0 | kept1))) {
      const V fresh = ieee_log(ratio);
      const LaneM<V> kept = kept0 | kept1;
      log = lanes::select(kept, log, fresh);
      ratio1 = lanes::select(kept, ratio1, ratio0);
      log1 = lanes::select(kept, log1, log0);
      ratio0 = lanes::select(kept, ratio0, ratio);
      log0 = lanes::select(kept, log0, fresh);
    }
    const V slope = rise / log; // in the open lanes: the others keep no logarithm of their ratio
    const LaneM<V> better = open & (slope < best_slope);
    best_slope = lanes::select(better, slope, best_slope);
    best_lr = lanes::select(better, lr, best_lr);
  }
  return best_lr;
}
template <class V> LRF_HD V steep(const Curve<V> &c) {
  auto lowest = lowest_of(c);
  scan_together(lowest);
  return steep(c, lowest.m.best);
}

} // namespace rules

} // namespace lrf
