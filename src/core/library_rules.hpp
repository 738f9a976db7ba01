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

// The losses fastai's Recorder keeps during `lr_find` (LRFinder callback), in out[0..n): after every batch
// AvgSmoothLoss accumulates val = torch.lerp(loss, val, 0.98) and records val / (1 - 0.98**count), count
// being the batches so far; then LRFinder keeps the best and cancels the fit once the smoothed loss exceeds
// 4x the best (stop_div) or train_iter reaches num_it, which LRFinder raises to 6 if lower. torch's CPU
// lerp kernel (AVX2 and AVX-512) computes a weight >= 0.5 as fmadd(weight - 1, end - start, end), one
// rounding: hence the explicit fma. The recorded rate of batch i is r_i.
LRF_HD inline std::int32_t fastai_record(const TrialView &t, const RuleTables &tables, double *out) {
  double val = 0, best = kInf;
  std::int32_t n = 0;
  const std::int32_t num_it = t.epochs < 6 ? 6 : t.epochs;
  for (std::int32_t i = 0; i < num_it; ++i) {
    double loss;
    if (!measured(t, i, loss))
      break;
    val = fma(kLibraryBeta - 1, val - loss, val);
    const double smooth = val / tables.debias[i + 1];
    out[n++] = smooth;
    if (smooth < best)
      best = smooth;
    if (smooth > 4 * best)
      break;
  }
  return n;
}

// lr_find's lists for the suggestion functions: [num_it // 10 : -5] with lr_find's own num_it (epochs, not
// the 6 LRFinder may raise it to), then cut before the first NaN.
struct FastaiList {
  const TrialView &t;
  const double *loss; // the trimmed losses, [0, n)
  std::int32_t first; // iteration of loss[0]
  std::int32_t n;
  LRF_HD double lr(std::int32_t j) const { return rate(t, first + j); }
};

LRF_HD inline FastaiList fastai_list(const TrialView &t, const RuleTables &tables, double *scratch) {
  const std::int32_t recorded = fastai_record(t, tables, scratch);
  const std::int32_t first = t.epochs / 10, last = recorded - 5;
  std::int32_t n = last > first ? last - first : 0;
  for (std::int32_t j = 0; j < n; ++j)
    if (is_nan(scratch[first + j])) {
      n = j;
      break;
    }
  return FastaiList{t, scratch + first, first, n};
}

// valley: the longest strictly decreasing subsequence of the losses (fastai's O(n^2) loop, here
// O(n log n) with the same lengths: tail[k] is the largest last value of a decreasing subsequence of
// length k + 1, a decreasing array); it ends at the first i of the longest, starts at max_end - lds, and
// the answer is lrs[start + int(third) + int(third / 2)], a negative index counting from the end.
LRF_HD inline double fastai_valley(const FastaiList &l, double *tail) {
  if (l.n == 0)
    return kNaN; // lrs[0] of an empty list raises
  std::int32_t length = 0, max_start = 0, max_end = 0, max_lds = 1;
  for (std::int32_t i = 0; i < l.n; ++i) {
    const double x = l.loss[i];
    std::int32_t lo = 0, hi = length; // the first entry of tail not greater than x
    while (lo < hi) {
      const std::int32_t mid = lo + (hi - lo) / 2;
      if (tail[mid] > x)
        lo = mid + 1;
      else
        hi = mid;
    }
    tail[lo] = x;
    if (lo == length)
      ++length;
    const std::int32_t lds = lo + 1;
    if (lds > max_lds) {
      max_lds = lds;
      max_end = i;
      max_start = i - lds;
    }
  }
  const double sections = (max_end - max_start) / 3.0;
  std::int32_t idx = max_start + static_cast<std::int32_t>(sections) + static_cast<std::int32_t>(sections / 2);
  if (idx < 0)
    idx += l.n;
  return l.lr(idx);
}

// numpy.gradient of the losses with unit spacing (edge_order 1): at least 2 points.
LRF_HD LRF_INLINE double unit_gradient(const double *f, std::int32_t n, std::int32_t i) {
  if (i == 0)
    return (f[1] - f[0]) / 1.0;
  if (i == n - 1)
    return (f[n - 1] - f[n - 2]) / 1.0;
  return (f[i + 1] - f[i - 1]) / 2.0;
}

// slide(lr_diff=15, thresh=0.005, adjust_value=1): from the end, slide a window of 15 points left while
// the loss gradients at its two ends differ by more than thresh; the answer is the rate at its left end.
LRF_HD inline double fastai_slide(const FastaiList &l) {
  constexpr std::int32_t lr_diff = 15;
  constexpr double thresh = 0.005, adjust_value = 1.0;
  if (l.n < 2 || l.n < lr_diff + 1)
    return kNaN; // np.gradient needs 2 points; lrs[-16] needs 16
  std::int32_t r = l.n - 1, left = r - lr_diff; // Python's r_idx = -1, l_idx = r_idx - lr_diff
  double local_min_lr = l.lr(left);
  while (left >= 0) {
    const double d = unit_gradient(l.loss, l.n, r) - unit_gradient(l.loss, l.n, left);
    if (!((d < 0 ? -d : d) > thresh))
      break;
    local_min_lr = l.lr(left);
    --r;
    --left;
  }
  return local_min_lr * adjust_value;
}

// steep: grads = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log()), the answer lrs[argmin].
LRF_HD inline double fastai_steep(const FastaiList &l) {
  if (l.n < 2)
    return kNaN; // argmin of an empty tensor raises
  std::int32_t best = -1;
  double low = 0, log_before = ieee_log(l.lr(0));
  for (std::int32_t j = 0; j + 1 < l.n; ++j) {
    const double log_after = ieee_log(l.lr(j + 1));
    const double g = (l.loss[j + 1] - l.loss[j]) / (log_after - log_before);
    log_before = log_after;
    if (is_nan(g))
      return l.lr(j);
    if (best < 0 || g < low) {
      best = j;
      low = g;
    }
  }
  return l.lr(best);
}

// minimum: lrs[losses.argmin()] / 10.
LRF_HD inline double fastai_minimum(const FastaiList &l) {
  if (l.n == 0)
    return kNaN;
  return l.lr(argmin([&](std::int32_t j) { return l.loss[j]; }, l.n)) / 10;
}

// ---- Lightning (Lightning-AI/pytorch-lightning: src/lightning/pytorch/tuner/lr_finder.py at 00127827) ----

// _LRCallback: at the end of batch i (trainer.global_step = i + 1 by then) avg_loss = 0.98 * avg_loss +
// 0.02 * loss, smoothed = avg_loss / (1 - 0.98**(global_step + 1)); from global_step 2 on, a smoothed loss
// above 4x the best stops the fit (the point is still recorded); the best is the smoothed loss of step 1
// and every lower one after. The rate recorded at the batch's start is r_i. Then suggestion(skip_begin=10,
// skip_end=1): losses[10:-1] and lrs[10:-1], the finite ones, torch.gradient(losses, spacing=[lrs]) and the
// rate at its argmin; fewer than 2 points: no answer.
LRF_HD inline double lightning(const TrialView &t, const RuleTables &tables, double *scratch) {
  double avg = 0, best = 0;
  std::int32_t n = 0;
  for (std::int32_t i = 0; i < t.epochs; ++i) {
    double loss;
    if (!measured(t, i, loss))
      break;
    const std::int32_t step = i + 1;
    avg = kLibraryBeta * avg + (1 - kLibraryBeta) * loss;
    const double smoothed = avg / tables.debias[step + 1];
    const bool stop = step > 1 && smoothed > 4.0 * best;
    if (smoothed < best || step == 1)
      best = smoothed;
    scratch[n++] = smoothed;
    if (stop)
      break;
  }
  // [skip_begin:-skip_end], then the finite points (in place: f), with their rates (x, the second part
  // of scratch).
  const std::int32_t first = 10, last = n - 1;
  double *f = scratch, *x = scratch + rule_scratch_part(t.epochs);
  std::int32_t m = 0;
  for (std::int32_t i = first; i < last; ++i)
    if (is_finite(scratch[i])) {
      x[m] = rate(t, i);
      f[m++] = scratch[i];
    }
  if (m < 2)
    return kNaN;
  // torch.gradient with coordinates: dx = diff(x); interior a*f[i-1] + b*f[i] + c*f[i+1] with
  // a = -dx2 / (dx1 * (dx1 + dx2)), b = (dx2 - dx1) / (dx1 * dx2), c = dx1 / (dx2 * (dx1 + dx2));
  // ends (f[1] - f[0]) / dx[0] and (f[-1] - f[-2]) / dx[-1]. Into the third part of scratch, in a loop
  // without dependences between points, which the compiler vectorizes (the same operations per point).
  double *g = x + rule_scratch_part(t.epochs);
  g[0] = (f[1] - f[0]) / (x[1] - x[0]);
  g[m - 1] = (f[m - 1] - f[m - 2]) / (x[m - 1] - x[m - 2]);
  for (std::int32_t j = 1; j < m - 1; ++j) {
    const double dx1 = x[j] - x[j - 1], dx2 = x[j + 1] - x[j];
    const double a = -dx2 / (dx1 * (dx1 + dx2)), b = (dx2 - dx1) / (dx1 * dx2), c = dx1 / (dx2 * (dx1 + dx2));
    g[j] = a * f[j - 1] + b * f[j] + c * f[j + 1];
  }
  return x[argmin([&](std::int32_t j) { return g[j]; }, m)];
}

// ---- torch-lr-finder and ignite: the same smoothing and stop ----

// The losses both record (torch-lr-finder range_test(smooth_f=0.05, diverge_th=5), ignite
// FastaiLRFinder(smooth_f=0.05, diverge_th=5.0)): the first loss as it is and the best; then
// loss = smooth_f * loss + (1 - smooth_f) * previous, the best kept, and the run stops once a recorded loss
// exceeds 5x the best. `iterations` is how many the loop may run.
LRF_HD inline std::int32_t exp_smoothed_record(const TrialView &t, std::int32_t iterations, double *out) {
  constexpr double smooth_f = 0.05, diverge_th = 5;
  double best = 0;
  std::int32_t n = 0;
  for (std::int32_t i = 0; i < iterations; ++i) {
    double loss;
    if (!measured(t, i, loss))
      break;
    if (i == 0) {
      best = loss;
    } else {
      loss = smooth_f * loss + (1 - smooth_f) * out[n - 1];
      if (loss < best)
        best = loss;
    }
    out[n++] = loss;
    if (loss > diverge_th * best)
      break;
  }
  return n;
}

// torch-lr-finder (davidtvs/pytorch-lr-finder: torch_lr_finder/lr_finder.py at 00abb907): range_test
// records r_i with the loss of iteration i; plot(skip_start=10, skip_end=5) suggests
// lrs[argmin(np.gradient(losses))] over [10:-5]; fewer than 2 points: np.gradient raises. `loss` is
// exp_smoothed_record's, n points.
LRF_HD inline double torch_lr_finder(const TrialView &t, const double *loss, std::int32_t n) {
  const std::int32_t first = 10, m = n - 5 - first;
  if (m < 2)
    return kNaN;
  const double *f = loss + first;
  return rate(t, first + argmin([&](std::int32_t j) { return unit_gradient(f, m, j); }, m));
}

// ignite (pytorch/ignite: ignite/handlers/lr_finder.py at 036765e0): FastaiLRFinder logs, after iteration
// i, the rate its scheduler is about to set for the next one, r_(i+1) (get_param runs before the
// scheduler's handler);
// its _reached_num_iterations ends the run only once `iteration > num_iter`, so the list holds num_iter + 1
// points (the losses of iterations 0..epochs, where the row has them). lr_suggestion() takes the losses up
// to and including the lowest (at least 3, else it raises), grads[i] = 0.5 * (loss[i+1] - loss[i-1]) for
// the inner points and the rate at argmin + 1. `loss` is exp_smoothed_record's over epochs + 1
// iterations, n points.
LRF_HD inline double ignite(const TrialView &t, const double *loss, std::int32_t n) {
  if (n == 0)
    return kNaN;
  const std::int32_t m = argmin([&](std::int32_t i) { return loss[i]; }, n) + 1;
  if (m < 3)
    return kNaN;
  const std::int32_t best = argmin([&](std::int32_t i) { return 0.5 * (loss[i + 2] - loss[i]); }, m - 2) + 1;
  return rate(t, best + 1);
}

} // namespace rules

// Every rule's answer for the trial, out[r] for Rule r (NaN where a rule has none); scratch holds
// rule_scratch(t.epochs) doubles. The fastai rules share one list, torch-lr-finder and ignite another.
LRF_HD inline void suggest_all(const TrialView &t, const CurveOptions &own, const RuleTables &tables,
                               double *scratch, double *out) {
  double *upper = scratch + rule_scratch_part(t.epochs); // the second part of scratch
  out[static_cast<int>(Rule::steep)] = rules::steep(rules::own_curve(t, own, scratch));
  const rules::FastaiList list = rules::fastai_list(t, tables, scratch);
  out[static_cast<int>(Rule::fastai_slide)] = rules::fastai_slide(list);
  out[static_cast<int>(Rule::fastai_steep)] = rules::fastai_steep(list);
  out[static_cast<int>(Rule::fastai_minimum)] = rules::fastai_minimum(list);
  out[static_cast<int>(Rule::fastai_valley)] = rules::fastai_valley(list, upper);
  out[static_cast<int>(Rule::lightning)] = rules::lightning(t, tables, scratch);
  // ignite's list runs one iteration longer (rules::ignite); torch-lr-finder's is its first `epochs` points.
  const std::int32_t n = rules::exp_smoothed_record(t, t.epochs + 1, scratch);
  out[static_cast<int>(Rule::torch_lr_finder)] = rules::torch_lr_finder(t, scratch, n < t.epochs ? n : t.epochs);
  out[static_cast<int>(Rule::ignite)] = rules::ignite(t, scratch, n);
}

} // namespace lrf
