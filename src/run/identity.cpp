#include "run/identity.hpp"

#include "core/format.hpp"

#include <cstdint>
#include <cstdio>

namespace lrf {
namespace {

// 64-bit FNV-1a of some bytes: names the data or trial list in the run's config.
std::uint64_t fnv1a(const void *bytes, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
  const auto *p = static_cast<const unsigned char *>(bytes);
  for (std::size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

std::string hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

} // namespace

std::string describe(const FactorSpec &f) {
  if (f.is_range())
    return shortest(f.lo) + ":" + shortest(f.hi);
  std::string s;
  for (double v : f.values)
    s += (s.empty() ? "" : ",") + shortest(v);
  return s;
}

std::string run_config(const Problem &p, NumpySum numpy_sum, const PlanOptions &plan,
                       const AnalysisOptions &analysis, const Storage &storage) {
  const RunConfig &rc = p.config;
  std::string c =
      "epochs=" + std::to_string(rc.epochs) + " base_lr=" + shortest(rc.base_lr) +
      " diverge=" + shortest(rc.diverge) +
      (rc.stop_factor > 0 ? " stop_factor=" + shortest(rc.stop_factor) : "") +
      (rc.arith != Arith::exact ? std::string(" arith=") + arith_name(rc.arith) : "") +
      (rc.loss != Loss::mse ? " loss=" + loss_text(rc) : "") +
      (rc.minibatch > 0
           ? " minibatch=" + std::to_string(rc.minibatch) + " minibatch_seed=" + std::to_string(rc.seed)
           : "") +
      " numpy_sum=" + numpy_sum_name(numpy_sum) + " " + describe(analysis) + " save=" + storage.save_text() +
      " precision=" + storage.precision_text() + " data=" + std::to_string(p.x.size()) + ":" +
      hex(fnv1a(p.y.data(), p.y.size() * sizeof(double), fnv1a(p.x.data(), p.x.size() * sizeof(double))));
  if (!plan.explicit_trials.empty()) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const TrialParams &t : plan.explicit_trials) {
      h = fnv1a(&t.start_weight, sizeof t.start_weight, h);
      h = fnv1a(&t.scan, sizeof t.scan, h);
      h = fnv1a(&t.factor, sizeof t.factor, h);
    }
    return c + " trials_from=" + std::to_string(plan.explicit_trials.size()) + ":" + hex(h);
  }
  const char *scan = plan.linear && plan.exp ? "both" : plan.linear ? "linear" : "exp";
  return c + " trials=" + std::to_string(plan.trials) + " seed=" + std::to_string(plan.seed) + " w=[" +
         shortest(plan.w_min) + "," + shortest(plan.w_max) + ") scan=" + scan +
         (plan.linear ? " linear_factors=" + describe(plan.linear_factors) : "") +
         (plan.exp ? " exp_factors=" + describe(plan.exp_factors) : "");
}

} // namespace lrf
