#include "core/suggest.hpp"

#include "core/library_rules.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>

namespace lrf {
namespace {

// n vectors, zeroed, aligned for any instruction set (std::vector would drop RuleVec's alignment).
class VecBuffer {
public:
  explicit VecBuffer(std::int64_t n)
      : data_(static_cast<RuleVec *>(::operator new(static_cast<std::size_t>(n) * sizeof(RuleVec), kAlign))) {
    std::fill(data_, data_ + n, RuleVec{});
  }
  ~VecBuffer() { ::operator delete(data_, kAlign); }
  VecBuffer(const VecBuffer &) = delete;
  VecBuffer &operator=(const VecBuffer &) = delete;
  RuleVec *data() const { return data_; }
  RuleVec &operator[](std::int64_t i) const { return data_[i]; }

private:
  static constexpr std::align_val_t kAlign{64};
  RuleVec *data_;
};

// Lane-major copies of up to kRuleLanes trials' rows (entry k of lane j at [k][j], NaN past a lane's
// steps), and the rules' scratch: one per thread, kept while the row length stays (no group's answers
// depend on what an earlier group left there).
struct LaneRows {
  std::int64_t row;
  std::int32_t epochs;
  VecBuffer loss, lr, scratch;
  LaneRows(std::int64_t row_length, std::int32_t run_epochs)
      : row(row_length), epochs(run_epochs), loss(row_length), lr(row_length),
        scratch(rule_scratch(run_epochs)) {}

  static LaneRows &for_this_thread(const Problem &problem) {
    thread_local std::unique_ptr<LaneRows> rows;
    if (!rows || rows->row != problem.row_length() || rows->epochs != problem.config.epochs)
      rows = std::make_unique<LaneRows>(problem.row_length(), problem.config.epochs);
    return *rows;
  }
};

// out[i][j] = row[j][k + i] for i, j < 4.
static_assert(kRuleLanes == 4, "transpose4 makes vectors of four lanes");
inline void transpose4(const double *const *row, std::int64_t k, RuleVec *out) {
  RuleVec a, b, c, d;
  std::memcpy(&a, row[0] + k, sizeof a);
  std::memcpy(&b, row[1] + k, sizeof b);
  std::memcpy(&c, row[2] + k, sizeof c);
  std::memcpy(&d, row[3] + k, sizeof d);
  const RuleVec ab_even = __builtin_shufflevector(a, b, 0, 4, 2, 6), ab_odd = __builtin_shufflevector(a, b, 1, 5, 3, 7);
  const RuleVec cd_even = __builtin_shufflevector(c, d, 0, 4, 2, 6), cd_odd = __builtin_shufflevector(c, d, 1, 5, 3, 7);
  out[0] = __builtin_shufflevector(ab_even, cd_even, 0, 1, 4, 5);
  out[1] = __builtin_shufflevector(ab_odd, cd_odd, 0, 1, 4, 5);
  out[2] = __builtin_shufflevector(ab_even, cd_even, 2, 3, 6, 7);
  out[3] = __builtin_shufflevector(ab_odd, cd_odd, 2, 3, 6, 7);
}

// The rules for trials ids[0..count) (count <= kRuleLanes), one per lane; idle lanes repeat the last trial.
// Compiled for AVX-512, AVX2 with FMA and baseline x86-64, chosen at load time, with every rule inlined
// into each.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), flatten))
#endif
void suggest_group(const RuleRun &rules, const Problem &problem, Batch &b, const std::int64_t *ids, int count,
                   const TrialRows &from, LaneRows &rows) {
  const std::int64_t row = problem.row_length();
  std::int64_t id[kRuleLanes];
  RuleVecI steps, stalled, linear;
  RuleVec factor;
  std::int64_t stored = 0;
  for (int j = 0; j < kRuleLanes; ++j) {
    id[j] = ids[j < count ? j : count - 1];
    const auto i = static_cast<std::size_t>(id[j]);
    steps[j] = b.steps[i];
    stalled[j] = b.status[i] == Status::stalled ? -1 : 0;
    linear[j] = b.scan[i] == Scan::linear ? -1 : 0;
    factor[j] = b.factor[i];
    stored = std::max<std::int64_t>(stored, b.steps[i] + 1);
  }
  const double *loss[kRuleLanes], *lr[kRuleLanes];
  std::int64_t inside = stored; // entries every lane has
  for (int j = 0; j < kRuleLanes; ++j) {
    loss[j] = from.loss + (id[j] - from.first) * row;
    lr[j] = from.lr + (id[j] - from.first) * row;
    inside = std::min<std::int64_t>(inside, steps[j] + 1);
  }
  // Entries every lane has, four at a time: four rows' runs transposed into four lane vectors.
  std::int64_t k = 0;
  for (; k + 4 <= inside; k += 4) {
    transpose4(loss, k, &rows.loss[k]);
    transpose4(lr, k, &rows.lr[k]);
  }
  for (; k < stored; ++k) {
    RuleVec l, r;
    for (int j = 0; j < kRuleLanes; ++j) {
      const bool in = k < inside || k <= steps[j];
      l[j] = in ? loss[j][k] : rules::kNaN;
      r[j] = in ? lr[j][k] : rules::kNaN;
    }
    rows.loss[k] = l;
    rows.lr[k] = r;
  }
  const TrialLanes<RuleVec> t{
      rows.loss.data(), rows.lr.data(),       1, static_cast<std::int32_t>(stored), steps, stalled, linear,
      factor,           problem.config.epochs};
  RuleVec out[kRuleCount];
  suggest_all(t, rules.own, rules.tables(), rows.scratch.data(), out);
  for (int r = 0; r < kRuleCount; ++r)
    for (int j = 0; j < count; ++j)
      b.suggest[static_cast<std::size_t>(r)][static_cast<std::size_t>(id[j])] = out[r][j];
}

} // namespace

void size_suggestions(Batch &batch) {
  batch.suggest.resize(kRuleCount);
  for (auto &values : batch.suggest)
    values.resize(static_cast<std::size_t>(batch.size()));
}

void suggest_range(const RuleRun &rules, const Problem &problem, Batch &batch, std::int64_t first,
                   std::int64_t last, const TrialRows &from) {
  if (last <= first)
    return;
  std::vector<std::int64_t> order(static_cast<std::size_t>(last - first));
  std::iota(order.begin(), order.end(), first);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t c) {
    const auto i = static_cast<std::size_t>(a), k = static_cast<std::size_t>(c);
    return batch.scan[i] != batch.scan[k] ? batch.scan[i] < batch.scan[k] : batch.steps[i] < batch.steps[k];
  });
  LaneRows &rows = LaneRows::for_this_thread(problem);
  for (std::size_t g = 0; g < order.size(); g += kRuleLanes)
    suggest_group(rules, problem, batch, &order[g],
                  static_cast<int>(std::min<std::size_t>(kRuleLanes, order.size() - g)), from, rows);
}

void suggest_batch(const RuleRun &rules, const Problem &problem, Batch &batch) {
  const std::int64_t n = batch.size();
  const int threads =
      static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(usable_cpus(), n / 256)));
  run_parallel(threads, [&](int k) {
    suggest_range(rules, problem, batch, n * k / threads, n * (k + 1) / threads, TrialRows::of(batch));
  });
}

} // namespace lrf
