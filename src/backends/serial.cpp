// The serial reference: one thread, one trial after another, the plain loop. The benchmark's baseline, so
// it stays the obvious port of the seed and is not tuned.
#include "backends/backend.hpp"

namespace lrf {
namespace {

// Compiled also for x86-64-v3, chosen at load time, only so that --arith fma's fused multiply-adds are one
// instruction each where the CPU has them rather than a call to libm's fma (the same bits either way); the
// trial core is inlined into each build.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
#endif
void run_serial(const Problem &problem, Batch &batch) {
  const DataView data = problem.data();
  const std::int64_t row = problem.row_length();
  for (std::int64_t i = 0; i < batch.size(); ++i) {
    TrialResult r = run_trial(problem.config, data, batch.params(i), batch.out(i, row));
    batch.steps[i] = r.steps;
    batch.status[i] = r.status;
  }
}

class SerialBackend final : public Backend {
public:
  std::string name() const override { return "serial"; }
  std::string device() const override { return "one CPU thread"; }
  void run(const Problem &problem, Batch &batch) override { run_serial(problem, batch); }
};

} // namespace

std::unique_ptr<Backend> make_serial_backend() {
  return std::make_unique<SerialBackend>();
}

} // namespace lrf
