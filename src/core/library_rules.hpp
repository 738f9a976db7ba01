// The rules named after a library, ported operation by operation from the library's source (the commit
// of each is named at its section, and in README "Suggestion rules"; tests/ports/ holds the numpy ports
// the tests hold these to). Each first rebuilds the lists the
// library records over the trial (core/rules.hpp says how a library sees a trial), cut where its own stop
// ends the scan, then applies the library's suggestion code to them. Where that code would raise (too few
// points), the answer is NaN.
#pragma once

#include "core/rules.hpp"

namespace lrf {
namespace rules {

// ---- fastai (fastai/fastai: fastai/callback/schedule.py at 0a049e8a, fastai/learner.py at 5bc369c2) ----

// The losses fastai's Recorder keeps during `lr_find` (LRFinder callback), recorded by record_all below:
// after every batch AvgSmoothLoss accumulates val = torch.lerp(loss, val, 0.98) and records
// val / (1 - 0.98**count), count being the batches so far; then LRFinder keeps the best and cancels the fit
// once the smoothed loss exceeds 4x the best (stop_div) or train_iter reaches num_it, which LRFinder raises
// to 6 if lower. torch's CPU lerp kernel (AVX2 and AVX-512) computes a weight >= 0.5 as
// fmadd(weight - 1, end - start, end), one rounding: hence the explicit fma. The recorded rate of batch i
// is r_i.
LRF_HD constexpr std::int32_t fastai_iterations(std::int32_t epochs) {
  return epochs < 6 ? 6 : epochs;
}

// lr_find's lists for the suggestion functions: [num_it // 10 : -5] with lr_find's own num_it (epochs, not
// the 6 LRFinder may raise it to), then cut before the first NaN. loss[j * stride] for j < n.
template <class V> struct FastaiList {
  TrialLanes<V> t;
  const V *loss;
  std::ptrdiff_t stride;
  std::int32_t first; // iteration of loss[0]
  LaneI<V> n;
};
// The rate of point j of one trial's list.
LRF_HD inline double list_lr(const FastaiList<double> &l, std::int64_t j) {
  return rate(l.t, l.first + j);
}
#if !defined(__CUDACC__)
inline FastaiList<double> lane(const FastaiList<RuleVec> &l, int j) {
  return FastaiList<double>{lane(l.t, j), reinterpret_cast<const double *>(l.loss) + j, l.stride * kRuleLanes,
                            l.first, l.n[j]};
}
#endif

// `recorded` points, the first NaN from point epochs / 10 on at `nan` (-1: none), in `smoothed`.
template <class V>
LRF_HD FastaiList<V> fastai_list(const TrialLanes<V> &t, LaneI<V> recorded, LaneI<V> nan, const V *smoothed) {
  using I = LaneI<V>;
  const std::int32_t first = t.epochs / 10;
  const I length = recorded - 5 - first;
  const I n = lanes::select(length > 0, length, splat_i<V>(0));
  const LaneM<V> cut = (nan >= 0) & (nan - first < n);
  return FastaiList<V>{t, smoothed + first, 1, first, lanes::select(cut, nan - first, n)};
}

// The first entry of tail[0..length) not greater than x, where tail decreases: by galloping out from
// `hint`, so that a curve that moves little between points finds it in a few steps (a binary search's
// answer, in O(log distance)).
LRF_HD inline std::int64_t first_not_greater(const double *tail, std::int64_t length, double x, std::int64_t hint) {
  std::int64_t lo, hi; // the answer is in [lo, hi]
  if (hint < length && tail[hint] > x) {
    lo = hint + 1;
    std::int64_t step = 1, probe = lo;
    while (probe < length && tail[probe] > x) {
      lo = probe + 1;
      probe = lo + step;
      step *= 2;
    }
    hi = probe < length ? probe : length;
  } else {
    hi = hint;
    std::int64_t step = 1, probe = hint - 1;
    while (probe >= 0 && !(tail[probe] > x)) {
      hi = probe;
      probe = hi - step;
      step *= 2;
    }
    lo = probe < 0 ? 0 : probe + 1;
  }
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (tail[mid] > x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// valley: the longest strictly decreasing subsequence of the losses (fastai's O(n^2) loop, here
// O(n log n) with the same lengths: tail[k] is the largest last value of a decreasing subsequence of
// length k + 1, a decreasing array); it ends at the first i of the longest, starts at max_end - lds, and
// the answer is lrs[start + int(third) + int(third / 2)], a negative index counting from the end. One
// trial at a time: each takes its own path through its tail.
LRF_HD inline double fastai_valley(const FastaiList<double> &l, double *tail) {
  if (l.n == 0)
    return kNaN; // lrs[0] of an empty list raises
  std::int64_t length = 0, at = 0, max_start = 0, max_end = 0, max_lds = 1;
  for (std::int64_t i = 0; i < l.n; ++i) {
    const double x = l.loss[i * l.stride];
    at = first_not_greater(tail, length, x, at);
    tail[at] = x;
    if (at == length)
      ++length;
    const std::int64_t lds = at + 1;
    if (lds > max_lds) {
      max_lds = lds;
      max_end = i;
      max_start = i - lds;
    }
  }
  const double sections = static_cast<double>(max_end - max_start) / 3.0;
  std::int64_t idx = max_start + static_cast<std::int64_t>(sections) + static_cast<std::int64_t>(sections / 2);
  if (idx < 0)
    idx += l.n;
  return list_lr(l, idx);
}

// slide(lr_diff=15, thresh=0.005, adjust_value=1): from the end, slide a window of 15 points left while
// the loss gradients (numpy.gradient, unit spacing) at its two ends differ by more than thresh; the answer
// is the rate at its left end. Here in one pass over the window's right end r: the highest r where the
// slide stops (r = n - 1: at once, the left end n - 16; lower: the left end r - 14; none: 0).
template <class V> struct SlideScan {
  static constexpr std::int64_t lr_diff = 15;
  FastaiList<V> l;
  LaneM<V> valid = (l.n >= 2) & (l.n >= lr_diff + 1); // np.gradient needs 2 points; lrs[-16] needs 16
  LaneI<V> stop = splat_i<V>(-1);
  std::int64_t most = lanes::count_max(l.n);
  LRF_HD LaneM<V> open(std::int64_t r) const { return valid & (r < l.n); }
  LRF_HD V f(std::int64_t i) const { return l.loss[i * l.stride]; }
  LRF_HD void step(std::int64_t r) {
    constexpr double thresh = 0.005;
    if (r < lr_diff)
      return;
    const V right = lanes::select(r == l.n - 1, (f(r) - f(r - 1)) / 1.0, (f(r + 1) - f(r - 1)) / 2.0);
    const std::int64_t left = r - lr_diff;
    const V at_left = left == 0 ? (f(1) - f(0)) / 1.0 : (f(left + 1) - f(left - 1)) / 2.0;
    const V d = right - at_left;
    const LaneM<V> stops = open(r) & lanes::not_(lanes::select(d < 0, -d, d) > thresh);
    stop = lanes::select(stops, splat_i<V>(r), stop);
  }
  LRF_HD V answer() const {
    constexpr double adjust_value = 1.0;
    const LaneI<V> n = l.n;
    const LaneI<V> left =
        lanes::select(stop < 0, splat_i<V>(0), lanes::select(stop == n - 1, n - 1 - lr_diff, stop - lr_diff + 1));
    return lanes::select(valid, rate_at(l.t, lanes::select(valid, left + l.first, splat_i<V>(-1))) * adjust_value,
                         splat<V>(kNaN));
  }
};
template <class V> LRF_HD V fastai_slide(const FastaiList<V> &l) {
  SlideScan<V> scan{l};
  scan_together(scan);
  return scan.answer();
}

#if !defined(__CUDACC__)
// valley lane by lane; tail: kRuleLanes * rule_scratch_part(epochs) doubles.
inline RuleVec fastai_valley(const FastaiList<RuleVec> &l, RuleVec *tail) {
  RuleVec r;
  for (int j = 0; j < kRuleLanes; ++j)
    r[j] = fastai_valley(lane(l, j), reinterpret_cast<double *>(tail) + j * rule_scratch_part(l.t.epochs));
  return r;
}
#endif

// steep: grads = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log()), the answer lrs[argmin].
// Once a negative gradient is the lowest, a point whose gradient cannot be lower (a finite rise >= 0 over
// growing positive rates, or cannot_beat) needs no logarithms.
template <class V> LRF_HD V fastai_steep(const FastaiList<V> &l) {
  RunningArgmin<V> m{l.n >= 2}; // argmin of an empty tensor raises
  if (!lanes::any(m.open))
    return m.answer;
  RateWalk<V> walk(l.t, l.first);
  V rate_before = walk.r, log_before = splat<V>(0);
  bool have_log_before = false;
  const std::int64_t most = lanes::count_max(l.n) - 1;
  for (std::int64_t j = 0; j < most; ++j) {
    const LaneM<V> at = m.open & (j + 1 < l.n);
    if (lanes::done(at, j))
      break;
    walk.next();
    const V rise = l.loss[(j + 1) * l.stride] - l.loss[j * l.stride];
    const V floor = log_ratio_floor(rate_before, walk.r);
    const LaneM<V> nonnegative = (rate_before > 0) & (walk.r > rate_before) & (floor > 0) & is_finite(rise) &
                                 (rise >= 0); // a gradient >= 0: not below low < 0
    const LaneM<V> beaten =
        (m.best >= 0) & (m.low < 0) & (nonnegative | cannot_beat(rise, m.low, floor, rate_before, walk.r));
    const LaneM<V> live = at & lanes::not_(beaten);
    if (!lanes::any(live)) {
      have_log_before = false;
      rate_before = walk.r;
      continue;
    }
    if (!have_log_before)
      log_before = ieee_log(rate_before);
    const V log_after = ieee_log(walk.r);
    m.consider(live, splat_i<V>(j), rise / (log_after - log_before), rate_before);
    log_before = log_after;
    have_log_before = true;
    rate_before = walk.r;
  }
  return m.answer;
}

// minimum: lrs[losses.argmin()] / 10; `best`, the argmin (minimum_scan's).
template <class V> LRF_HD auto minimum_scan(const FastaiList<V> &l) {
  return argmin_scan<V>(Strided<V>{l.loss, l.stride}, l.n);
}
template <class V> LRF_HD V fastai_minimum(const FastaiList<V> &l, LaneI<V> best) {
  return lanes::select(best < 0, splat<V>(kNaN), rate_at(l.t, lanes::select(best < 0, best, best + l.first)) / 10);
}
template <class V> LRF_HD V fastai_minimum(const FastaiList<V> &l) {
  auto scan = minimum_scan(l);
  scan_together(scan);
  return fastai_minimum(l, scan.m.best);
}

// ---- Lightning (Lightning-AI/pytorch-lightning: src/lightning/pytorch/tuner/lr_finder.py at 00127827) ----

// torch.gradient(f, spacing=[x]) at its argmin, x[argmin], over points [0, m) (NaN where m < 2): dx =
// diff(x); interior a*f[i-1] + b*f[i] + c*f[i+1] with a = -dx2 / (dx1 * (dx1 + dx2)),
// b = (dx2 - dx1) / (dx1 * dx2), c = dx1 / (dx2 * (dx1 + dx2)); ends (f[1] - f[0]) / dx[0] and
// (f[-1] - f[-2]) / dx[-1]. f[j * f_stride], x[j].
template <class V> struct GradientScan {
  const V *f;
  std::ptrdiff_t f_stride;
  const V *x;
  LaneI<V> m;
  RunningArgmin<V> lowest{m >= 2};
  std::int64_t most = lanes::count_max(m) - 1; // points 0..m-2: the left end, then the interior
  LRF_HD LaneM<V> open(std::int64_t j) const { return lowest.open & (j < m - 1); }
  LRF_HD void step(std::int64_t j) {
    if (j == 0) {
      lowest.consider(open(0), splat_i<V>(0), (f[f_stride] - f[0]) / (x[1] - x[0]), x[0]);
      return;
    }
    const V dx1 = x[j] - x[j - 1], dx2 = x[j + 1] - x[j];
    const V a = -dx2 / (dx1 * (dx1 + dx2)), b = (dx2 - dx1) / (dx1 * dx2), c = dx1 / (dx2 * (dx1 + dx2));
    lowest.consider(open(j), splat_i<V>(j),
                    a * f[(j - 1) * f_stride] + b * f[j * f_stride] + c * f[(j + 1) * f_stride], x[j]);
  }
  // The right end, point m - 1 of each lane; then the answer.
  LRF_HD V finish() {
    const LaneI<V> last = lanes::select(lowest.open, m - 1, splat_i<V>(1));
    const V g = (lanes::gather(f, f_stride, last) - lanes::gather(f, f_stride, last - 1)) /
                (lanes::gather(x, 1, last) - lanes::gather(x, 1, last - 1));
    lowest.consider(lowest.open, last, g, lanes::gather(x, 1, last));
    return lowest.answer;
  }
};
template <class V> LRF_HD V gradient_argmin(const V *f, std::ptrdiff_t f_stride, const V *x, LaneI<V> m) {
  GradientScan<V> scan{f, f_stride, x, m};
  scan_together(scan);
  return scan.finish();
}

// Lightning's suggestion for one trial whose list holds a non-finite point: the finite points of
// smoothed[first..last) (stride apart), with their rates, gathered into f and x first.
LRF_HD inline double lightning_sparse(const TrialView &t, const double *smoothed, std::ptrdiff_t stride,
                                      std::int64_t first, std::int64_t last, double *f, double *x) {
  std::int64_t m = 0;
  for (std::int64_t i = first; i < last; ++i)
    if (is_finite(smoothed[i * stride])) {
      x[m] = rate(t, i);
      f[m++] = smoothed[i * stride];
    }
  return gradient_argmin<double>(f, 1, x, m);
}

// _LRCallback, recorded by record_all below: at the end of batch i (trainer.global_step = i + 1 by then)
// avg_loss = 0.98 * avg_loss + 0.02 * loss, smoothed = avg_loss / (1 - 0.98**(global_step + 1)); from
// global_step 2 on, a smoothed loss above 4x the best stops the fit (the point is still recorded); the
// best is the smoothed loss of step 1 and every lower one after. The rate recorded at the batch's start is
// r_i. Then suggestion(skip_begin=10, skip_end=1): losses[10:-1] and lrs[10:-1], the finite ones,
// torch.gradient(losses, spacing=[lrs]) and the rate at its argmin; fewer than 2 points: no answer.
// [skip_begin:-skip_end]: points [10, n - 1). Where they are all finite (`dense`), their rates go to
// `rates` (a part of scratch) and every such lane's pass is `gradient`; answer() gathers the finite points
// of any other lane (into `sparse`, two parts of scratch) and takes them one lane at a time.
template <class V> struct Lightning {
  static constexpr std::int64_t first = 10;
  const TrialLanes<V> &t;
  const V *smoothed;
  LaneI<V> m;
  LaneM<V> dense;
  GradientScan<V> gradient;
  LRF_HD Lightning(const TrialLanes<V> &trials, const V *list, LaneI<V> n, LaneI<V> bad, V *rates)
      : t(trials), smoothed(list), m(lanes::select(n - 1 - first > 0, n - 1 - first, splat_i<V>(0))),
        dense((bad < 0) | (bad >= n - 1)),
        gradient{list + first, 1, rates, lanes::select(dense, m, splat_i<V>(0))} {
    if (lanes::any(dense)) {
      RateWalk<V> walk(t, first);
      const std::int64_t most = lanes::count_max(m);
      for (std::int64_t j = 0; j < most; ++j, walk.next())
        rates[j] = walk.r;
    }
  }
  LRF_HD V answer(V *sparse) {
    V answer = gradient.finish();
    if (lanes::any(lanes::not_(dense))) {
      double *f = reinterpret_cast<double *>(sparse);
      double *x = reinterpret_cast<double *>(sparse + rule_scratch_part(t.epochs));
      for (int j = 0; j < LaneTypes<V>::count; ++j)
        if (!lanes::at(dense, j))
          lanes::set_at(answer, j,
                        lightning_sparse(lane(t, j), reinterpret_cast<const double *>(smoothed) + j,
                                         LaneTypes<V>::count, first, first + lanes::at(m, j), f, x));
    }
    return answer;
  }
};
// `smoothed` holds n points, the first non-finite from point 10 on at `bad` (-1: none); `part` is scratch
// of two parts (rule_scratch_part).
template <class V>
LRF_HD V lightning(const TrialLanes<V> &t, const V *smoothed, LaneI<V> n, LaneI<V> bad, V *part) {
  Lightning<V> rule(t, smoothed, n, bad, part + rule_scratch_part(t.epochs));
  scan_together(rule.gradient);
  return rule.answer(part);
}

// ---- torch-lr-finder and ignite: the same smoothing and stop ----

// The losses both record (torch-lr-finder range_test(smooth_f=0.05, diverge_th=5), ignite
// FastaiLRFinder(smooth_f=0.05, diverge_th=5.0)), by record_all below: the first loss as it is and the
// best; then loss = smooth_f * loss + (1 - smooth_f) * previous, the best kept, and the run stops once a
// recorded loss exceeds 5x the best. torch-lr-finder's loop runs `epochs` iterations, ignite's one more.

// numpy.gradient of f[0..m) with unit spacing (edge_order 1), at point j of each lane.
template <class V> LRF_HD LRF_INLINE V unit_gradient(const V *f, LaneI<V> m, std::int64_t j) {
  if (j == 0)
    return (f[1] - f[0]) / 1.0;
  const V inner = (f[j + 1] - f[j - 1]) / 2.0;
  return lanes::select(j == m - 1, (f[j] - f[j - 1]) / 1.0, inner);
}

// torch-lr-finder (davidtvs/pytorch-lr-finder: torch_lr_finder/lr_finder.py at 00abb907): range_test
// records r_i with the loss of iteration i; plot(skip_start=10, skip_end=5) suggests
// lrs[argmin(np.gradient(losses))] over [10:-5]; fewer than 2 points: np.gradient raises. `loss` is the
// smoothed losses recorded over `epochs` iterations, n points.
// Its pass: torch_scan, whose argmin is `best`.
template <class V> struct UnitGradient {
  const V *f;
  LaneI<V> m;
  LRF_HD V operator()(std::int64_t j) const { return unit_gradient(f, m, j); }
};
constexpr std::int64_t kTorchSkipStart = 10;
template <class V> LRF_HD auto torch_scan(const V *loss, LaneI<V> n) {
  const LaneI<V> m = n - 5 - kTorchSkipStart;
  return argmin_scan<V>(UnitGradient<V>{loss + kTorchSkipStart, m}, lanes::select(m < 2, splat_i<V>(0), m));
}
template <class V> LRF_HD V torch_lr_finder(const TrialLanes<V> &t, LaneI<V> best) {
  return rate_at(t, lanes::select(best < 0, best, best + kTorchSkipStart));
}
template <class V> LRF_HD V torch_lr_finder(const TrialLanes<V> &t, const V *loss, LaneI<V> n) {
  auto scan = torch_scan(loss, n);
  scan_together(scan);
  return torch_lr_finder(t, scan.m.best);
}

// ignite (pytorch/ignite: ignite/handlers/lr_finder.py at 036765e0): FastaiLRFinder logs, after iteration
// i, the rate its scheduler is about to set for the next one, r_(i+1) (get_param runs before the
// scheduler's handler);
// its _reached_num_iterations ends the run only once `iteration > num_iter`, so the list holds num_iter + 1
// points (the losses of iterations 0..epochs, where the row has them). lr_suggestion() takes the losses up
// to and including the lowest (at least 3, else it raises), grads[i] = 0.5 * (loss[i+1] - loss[i-1]) for
// the inner points and the rate at argmin + 1. `loss` is the smoothed losses recorded over epochs + 1
// iterations, the lowest of them (numpy's argmin) at `lowest`.
// Its pass: ignite_scan, whose argmin is `best`.
template <class V> struct HalfCentral {
  const V *f;
  LRF_HD V operator()(std::int64_t i) const { return 0.5 * (f[i + 2] - f[i]); }
};
template <class V> LRF_HD auto ignite_scan(const V *loss, LaneI<V> lowest) {
  const LaneI<V> m = lowest + 1;
  return argmin_scan<V>(HalfCentral<V>{loss}, lanes::select(m < 3, splat_i<V>(0), m - 2));
}
template <class V> LRF_HD V ignite(const TrialLanes<V> &t, LaneI<V> best) {
  return rate_at(t, lanes::select(best < 0, best, best + 2));
}
template <class V> LRF_HD V ignite(const TrialLanes<V> &t, const V *loss, LaneI<V> lowest) {
  auto scan = ignite_scan(loss, lowest);
  scan_together(scan);
  return ignite(t, scan.m.best);
}

// ---- What every library records, in one pass ----

// The lengths of the lists record_all writes, and what it finds on the way.
template <class V> struct Recorded {
  LaneI<V> fastai, fastai_nan;       // fastai: points; the first NaN from point epochs / 10 on (-1: none)
  LaneI<V> lightning, lightning_bad; // Lightning: points; the first non-finite from point 10 on (-1: none)
  LaneI<V> smoothed, lowest;         // torch-lr-finder and ignite (epochs + 1 iterations): points; argmin
  LaneI<V> finite;                   // lrfinder's own rule: the leading finite points, up to the steps
};

// The lists the libraries record over the trial, each cut where its own stop ends the scan (the sections
// above say how): fastai's into `fastai`, Lightning's into `lightning`, the one torch-lr-finder and ignite
// share into `smoothed`, each rule_scratch_part(epochs) values long. One pass over the iterations, so that
// the three running averages (each a chain of dependent operations) overlap, every lane's own stops and
// lengths kept apart; an iteration past a list's end changes nothing of it.
template <class V>
LRF_HD Recorded<V> record_all(const TrialLanes<V> &t, const RuleTables &tables, V *fastai, V *lightning,
                              V *smoothed) {
  using I = LaneI<V>;
  using M = LaneM<V>;
  const I none = splat_i<V>(-1), zero = splat_i<V>(0);
  const M all = zero == 0, off = zero != 0;
  Recorded<V> r{zero, none, zero, none, zero, none, zero};
  const std::int32_t fastai_n = fastai_iterations(t.epochs), fastai_first = t.epochs / 10;
  const std::int32_t smoothed_n = t.epochs + 1;
  const std::int32_t iterations = fastai_n > smoothed_n ? fastai_n : smoothed_n;
  M on_fastai = all, on_lightning = all, on_smoothed = all, on_finite = all;
  V val = splat<V>(0), fastai_best = splat<V>(kInf);          // fastai
  V average = splat<V>(0), lightning_best = splat<V>(0);      // Lightning
  V previous = splat<V>(0), smoothed_best = splat<V>(0);      // torch-lr-finder and ignite
  RunningArgmin<V> lowest{all};
  for (std::int32_t i = 0; i < iterations; ++i) {
    const M m = measured(t, i);
    const V loss = t.loss_at(i);
    on_fastai = i < fastai_n ? on_fastai & m : off;
    on_lightning = i < t.epochs ? on_lightning & m : off;
    on_smoothed = i < smoothed_n ? on_smoothed & m : off;
    on_finite = on_finite & (i <= t.steps) & is_finite(loss) & is_finite(t.lr_at(i));
    if (lanes::done(on_fastai | on_lightning | on_smoothed | on_finite, i))
      break;
    r.finite = lanes::select(on_finite, splat_i<V>(i + 1), r.finite);
    if (i < fastai_n) {
      val = lanes::fused_multiply_add(splat<V>(kLibraryBeta - 1), val - loss, val);
      const V smooth = val / tables.debias[i + 1];
      fastai[i] = smooth;
      r.fastai = lanes::select(on_fastai, splat_i<V>(i + 1), r.fastai);
      if (i >= fastai_first)
        r.fastai_nan = lanes::select(on_fastai & (r.fastai_nan < 0) & is_nan(smooth), splat_i<V>(i), r.fastai_nan);
      fastai_best = lanes::select(on_fastai & (smooth < fastai_best), smooth, fastai_best);
      on_fastai = on_fastai & lanes::not_(smooth > 4 * fastai_best);
    }
    if (i < t.epochs) {
      const std::int32_t step = i + 1;
      average = kLibraryBeta * average + (1 - kLibraryBeta) * loss;
      const V smooth = average / tables.debias[step + 1];
      const M stop = smooth > 4.0 * lightning_best;
      lightning_best =
          step == 1 ? smooth : lanes::select(on_lightning & (smooth < lightning_best), smooth, lightning_best);
      lightning[i] = smooth;
      r.lightning = lanes::select(on_lightning, splat_i<V>(step), r.lightning);
      if (i >= Lightning<V>::first)
        r.lightning_bad = lanes::select(on_lightning & (r.lightning_bad < 0) & lanes::not_(is_finite(smooth)),
                                        splat_i<V>(i), r.lightning_bad);
      if (step > 1)
        on_lightning = on_lightning & lanes::not_(stop);
    }
    if (i < smoothed_n) {
      constexpr double smooth_f = 0.05, diverge_th = 5;
      V smooth = loss;
      if (i == 0)
        smoothed_best = loss;
      else {
        smooth = smooth_f * loss + (1 - smooth_f) * previous;
        smoothed_best = lanes::select(on_smoothed & (smooth < smoothed_best), smooth, smoothed_best);
      }
      smoothed[i] = smooth;
      previous = smooth;
      r.smoothed = lanes::select(on_smoothed, splat_i<V>(i + 1), r.smoothed);
      lowest.consider(lowest.open & on_smoothed, splat_i<V>(i), smooth, smooth);
      on_smoothed = on_smoothed & lanes::not_(smooth > diverge_th * smoothed_best);
    }
  }
  r.lowest = lowest.best;
  return r;
}

} // namespace rules

// Every rule's answer for the trial (or each lane's trial), out[r] for Rule r (NaN where a rule has none);
// scratch holds rule_scratch(t.epochs) values of V: the three lists record_all writes, then two parts for
// lrfinder's smoothing, Lightning's rates, valley's tails and Lightning's sparse points. The fastai rules
// share one list, torch-lr-finder and ignite another. Passes without a logarithm run two by two where
// that measured faster (lrfinder's lowest loss with fastai's minimum, torch-lr-finder's with ignite's).
template <class V>
LRF_HD void suggest_all(const TrialLanes<V> &t, const CurveOptions &own, const RuleTables &tables, V *scratch, V *out) {
  const std::int32_t part = rule_scratch_part(t.epochs);
  V *fastai = scratch, *lightning = scratch + part, *smoothed = scratch + 2 * part, *work = scratch + 3 * part;
  const rules::Recorded<V> r = rules::record_all(t, tables, fastai, lightning, smoothed);
  const rules::Curve<V> curve = rules::own_curve(t, own, r.finite, work);
  const rules::FastaiList<V> list = rules::fastai_list(t, r.fastai, r.fastai_nan, fastai);
  // torch-lr-finder's list is the first `epochs` points of the one ignite records, one iteration longer.
  const LaneI<V> torch_n = lanes::select(r.smoothed < t.epochs, r.smoothed, splat_i<V>(t.epochs));
  auto lowest = rules::lowest_of(curve);
  auto minimum = rules::minimum_scan(list);
  rules::SlideScan<V> slide{list};
  rules::Lightning<V> lightning_rule(t, lightning, r.lightning, r.lightning_bad, work + part);
  auto torch = rules::torch_scan(smoothed, torch_n);
  auto ignite = rules::ignite_scan(smoothed, r.lowest);
  rules::scan_together(lowest, minimum);
  rules::scan_together(slide);
  rules::scan_together(lightning_rule.gradient);
  rules::scan_together(torch, ignite);
  out[static_cast<int>(Rule::steep)] = rules::steep(curve, lowest.m.best);
  out[static_cast<int>(Rule::fastai_slide)] = slide.answer();
  out[static_cast<int>(Rule::fastai_steep)] = rules::fastai_steep(list);
  out[static_cast<int>(Rule::fastai_minimum)] = rules::fastai_minimum(list, minimum.m.best);
  out[static_cast<int>(Rule::fastai_valley)] = rules::fastai_valley(list, work);
  out[static_cast<int>(Rule::lightning)] = lightning_rule.answer(work);
  out[static_cast<int>(Rule::torch_lr_finder)] = rules::torch_lr_finder(t, torch.m.best);
  out[static_cast<int>(Rule::ignite)] = rules::ignite(t, ignite.m.best);
}

} // namespace lrf
