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

// One trial as the rules read it: loss[k * stride] and lr[k * stride] for k = 0..steps.
struct TrialView {
  const double *loss;
  const double *lr;
  std::ptrdiff_t stride;
  std::int32_t steps;
  Status status;
  Scan scan;
  double factor;
  std::int32_t epochs;
};

// What the host computes once per run for every backend: debias[k] = 1 - 0.98**k (Python's float power,
// libm's pow) for k = 0..max(epochs, 6) + 1, the bias correction of fastai's and Lightning's smoothing
// (debias_table).
struct RuleTables {
  const double *debias;
};
// RuleTables::debias for a run of `epochs` (host code: core/rules.cpp).
std::vector<double> debias_table(std::int32_t epochs);
constexpr double kLibraryBeta = 0.98; // fastai AvgSmoothLoss(beta=0.98), Lightning _LRCallback(beta=0.98)

// Doubles of scratch a trial's rules need: three parts, each longer than any list a library records
// (fastai runs at least 6 iterations, ignite epochs + 1).
LRF_HD constexpr std::int32_t rule_scratch_part(std::int32_t epochs) {
  return (epochs < 6 ? 6 : epochs) + 2;
}
LRF_HD constexpr std::int64_t rule_scratch(std::int32_t epochs) {
  return 3 * static_cast<std::int64_t>(rule_scratch_part(epochs));
}

namespace rules {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

LRF_HD LRF_INLINE bool is_nan(double x) {
  return x != x;
}
LRF_HD LRF_INLINE bool is_finite(double x) {
  return x - x == 0; // false for NaN and +-inf
}

// numpy's and torch's argmin: the first NaN if there is one, else the first of the lowest. -1 if n == 0.
template <class F> LRF_HD std::int32_t argmin(F value, std::int32_t n) {
  std::int32_t best = -1;
  double low = 0;
  for (std::int32_t i = 0; i < n; ++i) {
    const double v = value(i);
    if (is_nan(v))
      return i;
    if (best < 0 || v < low) {
      best = i;
      low = v;
    }
  }
  return best;
}

// r_i, the rate of iteration i of a library (of update i + 1 of the row): lr[i + 1] inside the row, then
// the scan continued from its last entry by the same repeated operation.
LRF_HD inline double rate(const TrialView &t, std::int32_t i) {
  if (i < t.steps)
    return t.lr[static_cast<std::ptrdiff_t>(i + 1) * t.stride];
  double r = t.lr[static_cast<std::ptrdiff_t>(t.steps) * t.stride]; // r_(steps-1), or r_0 if steps == 0
  for (std::int32_t k = t.steps > 1 ? t.steps : 1; k <= i; ++k)
    r = t.scan == Scan::linear ? r + t.factor : r * t.factor;
  return r;
}

// Whether a library's iteration i has a loss to measure, and which.
LRF_HD LRF_INLINE bool measured(const TrialView &t, std::int32_t i, double &loss) {
  if (i <= t.steps) {
    loss = t.loss[static_cast<std::ptrdiff_t>(i) * t.stride];
    return true;
  }
  loss = kNaN;
  return t.status == Status::stalled;
}

// ---- lrfinder's own rule ----

// The curve lrfinder's rule reads, in scratch: points [0, n) of loss (smoothed or the row's own) and lr.
struct Curve {
  const double *lr;
  std::ptrdiff_t lr_stride;
  const double *loss;
  std::ptrdiff_t loss_stride;
  std::int32_t n;
};

LRF_HD inline Curve own_curve(const TrialView &t, const CurveOptions &o, double *scratch) {
  std::int32_t n = 0;
  while (n <= t.steps && is_finite(t.loss[n * t.stride]) && is_finite(t.lr[n * t.stride]))
    ++n;
  const double *loss = t.loss;
  std::ptrdiff_t loss_stride = t.stride;
  if (o.smooth.kind != Smoothing::Kind::none && n > 0) {
    const double beta = o.smooth.beta;
    if (o.smooth.kind == Smoothing::Kind::ema) {
      scratch[0] = t.loss[0];
      for (std::int32_t k = 1; k < n; ++k)
        scratch[k] = beta * scratch[k - 1] + (1 - beta) * t.loss[k * t.stride];
    } else {
      double average = 0, beta_power = 1; // beta^(k+1) after step k
      for (std::int32_t k = 0; k < n; ++k) {
        average = beta * average + (1 - beta) * t.loss[k * t.stride];
        beta_power *= beta;
        scratch[k] = average / (1 - beta_power);
      }
    }
    loss = scratch;
    loss_stride = 1;
  }
  const std::int32_t begin = o.skip_begin < n ? o.skip_begin : n;
  const std::int32_t skip_end = o.skip_end < n ? o.skip_end : n;
  const std::int32_t end = n - skip_end > begin ? n - skip_end : begin;
  return Curve{t.lr + begin * t.stride, t.stride, loss + begin * loss_stride, loss_stride, end - begin};
}

// The steepest drop per ln(lr), (loss[k] - loss[k-1]) / ln(lr[k] / lr[k-1]) < 0, over k = 1..(the lowest
// loss) where lr grew; the answer is lr[k], the rate whose update made that drop.
LRF_HD inline double steep(const Curve &c) {
  const std::int32_t lowest = argmin([&](std::int32_t i) { return c.loss[i * c.loss_stride]; }, c.n);
  double best_slope = 0, best_lr = kNaN;
  for (std::int32_t k = 1; k <= lowest; ++k) {
    const double lr = c.lr[k * c.lr_stride], before = c.lr[(k - 1) * c.lr_stride];
    const double rise = c.loss[k * c.loss_stride] - c.loss[(k - 1) * c.loss_stride];
    if (!(lr > before) || !(rise < 0))
      continue; // a stored row records base_lr twice: no change of rate, no slope
    const double slope = rise / ieee_log(lr / before);
    if (slope < best_slope) {
      best_slope = slope;
      best_lr = lr;
    }
  }
  return best_lr;
}

} // namespace rules

} // namespace lrf
