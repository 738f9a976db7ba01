// A batch's statistics reduced where its trials ran (--save stats on a device): instead of every trial's
// steps, status and answers, a short list of (key, count, units) entries that a sort and a reduce by key
// make on the device. The key says which plan combo, which rule (or the status), which histogram bin;
// analysis/summary.cpp reads the entries back into the same Summary that the trials one by one would give.
#pragma once

#include "core/histogram.hpp"
#include "core/rules.hpp"

#include <cstdint>

namespace lrf {

// `count` trials of one key, their log10(answer) (a rule's slot) or their steps (the status slot) summing
// to `units`.
struct StatsEntry {
  std::int64_t key;
  std::int64_t count;
  Int128 units;
};

// What a key holds. Slot s < kRuleCount: rule s answered in histogram bin `bin`, or bin kNoAnswerBin for no
// answer; `differs`: its answer's bits are not the headline rule's (Summary::headline_rule reads it). Slot
// kStatusSlot: the trials that ended with status `bin`.
struct StatsKey {
  std::int64_t combo; // the trial's plan combo (PlanCombo): index % combo_count
  int slot;
  bool differs;
  std::int64_t bin;
};
constexpr int kStatusSlot = kRuleCount;
constexpr int kStatsSlots = kRuleCount + 1;
constexpr std::int64_t kNoAnswerBin = kBins;
constexpr std::int64_t kKeyBins = kBins + 1;

LRF_HD inline std::int64_t stats_key(const StatsKey &k) {
  return ((k.combo * kStatsSlots + k.slot) * 2 + (k.differs ? 1 : 0)) * kKeyBins + k.bin;
}
LRF_HD inline StatsKey stats_key_parts(std::int64_t key) {
  const std::int64_t bin = key % kKeyBins, rest = key / kKeyBins;
  const std::int64_t slot_of_combo = rest / 2;
  return StatsKey{slot_of_combo / kStatsSlots, static_cast<int>(slot_of_combo % kStatsSlots), rest % 2 != 0,
                  bin};
}

} // namespace lrf
