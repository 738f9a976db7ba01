// The serial reference: one thread, one trial after another, the plain loop. The benchmark's baseline, so
// it stays the obvious port of the seed and is not tuned.
#include "backends/backend.hpp"

#include <algorithm>
#include <vector>

namespace lrf {
namespace {

// Compiled also for x86-64-v3, chosen at load time, only so that --arith fma's fused multiply-adds are one
// instruction each where the CPU has them rather than a call to libm's fma (the same bits either way); the
// trial core is inlined into each build.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
#endif
void run_serial(const Problem &problem, Batch &batch, std::int64_t first, std::int64_t last,
                TrajectoryOut spare) {
  const DataView data = problem.data();
  const std::int64_t row = problem.row_length();
  auto at = [&](double *base, std::int64_t i) { return base ? base + (i - first) * row : nullptr; };
  for (std::int64_t i = first; i < last; ++i) {
    TrialResult r = run_trial(
        problem.config, data, batch.params(i),
        batch.out(i, row, TrajectoryOut{at(spare.loss, i), nullptr, at(spare.lr, i), 1}), batch.first + i);
    batch.steps[i] = r.steps;
    batch.status[i] = r.status;
  }
}

class SerialBackend final : public Backend {
public:
  std::string name() const override { return "serial"; }
  std::string device() const override { return "one CPU thread"; }
  void run(const Problem &problem, Batch &batch) override { run_serial(problem, batch, 0, batch.size(), {}); }
  // The rules follow each chunk of trials; the rows the batch does not keep live in spare rows meanwhile.
  void run_and_suggest(const Problem &problem, Batch &batch, const RuleRun &rules) override {
    constexpr std::int64_t kChunk = 64;
    const std::int64_t row = problem.row_length();
    std::vector<double> loss(batch.loss.empty() ? kChunk * row : 0), lr(batch.lr.empty() ? kChunk * row : 0);
    const TrajectoryOut spare{loss.empty() ? nullptr : loss.data(), nullptr, lr.empty() ? nullptr : lr.data(),
                              1};
    for (std::int64_t first = 0; first < batch.size(); first += kChunk) {
      const std::int64_t last = std::min(batch.size(), first + kChunk);
      run_serial(problem, batch, first, last, spare);
      suggest_range(rules, problem, batch, first, last, TrialRows::chunk(batch, spare, first, row));
      count_trials(last - first);
    }
  }
};

} // namespace

std::unique_ptr<Backend> make_serial_backend() {
  return std::make_unique<SerialBackend>();
}

} // namespace lrf
