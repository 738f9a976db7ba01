// How the rules read a trajectory: cut at the first non-finite value, smoothed, trimmed. The options that
// shape this (--smooth, --skip-begin, --skip-end, --suggest) travel as AnalysisOptions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// Smoothing of the loss before the rules read it: s_k = beta * s_{k-1} + (1 - beta) * loss_k, beta being
// the weight of the past (fastai's and Lightning's convention). `ema` starts from s_0 = loss_0
// (torch-lr-finder's smooth_f is 1 - beta); `ema_debiased` starts the average at 0 and divides by
// 1 - beta^(k+1) (fastai, Lightning).
struct Smoothing {
  enum class Kind { none, ema, ema_debiased };
  Kind kind = Kind::none;
  double beta = 0;
};

// "none", "ema:BETA" or "ema-debiased:BETA" with 0 <= BETA < 1; false if the text is none of these.
bool parse_smoothing(const std::string &text, Smoothing &out);
std::string to_string(const Smoothing &smoothing);

// How the rules read a trajectory (the `lrfinder run` options, see setup_analysis_options).
struct AnalysisOptions {
  std::string suggest = "steep"; // the rule behind /trials/suggested_lr and the run's headline
  Smoothing smooth;              // none: the loss is the exact full-data loss, there is no batch noise
  std::int32_t skip_begin = 0;   // points dropped from the start of every curve (after smoothing)
  std::int32_t skip_end = 0;     // points dropped from its end
};

// The options that decide the suggestions, canonically ("suggest=steep smooth=none skip=0,0"): a resumed
// run or a shard must match them.
std::string describe(const AnalysisOptions &options);

// A trajectory as the rules read it: points i = 0..n-1, loss[i] the loss after the update made at rate
// lr[i] (i = 0 in a stored row is the start, recorded with lr = base_lr).
struct Curve {
  const double *lr;
  const double *loss;
  std::int32_t n;
};

// The curve the rules read from a stored row of `steps + 1` points: cut before the first non-finite value
// (as fastai does), smoothed, then options.skip_begin points dropped from the start and skip_end from the
// end. A smoothed loss lives in `buffer`.
Curve prepare_curve(const double *loss, const double *lr, std::int32_t steps, const AnalysisOptions &options,
                    std::vector<double> &buffer);

} // namespace lrf
