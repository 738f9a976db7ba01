// A run's statistics as HDF5 tables (the file of a `--save stats` run holds these instead of per-trial
// rows): exactly the Summary, integer counts and sums, so that reading them back, resuming and merging give
// the same bits as the trials one by one would.
//
//   /stats              attributes: trials, steps, rules (the rules in order, comma-separated),
//                       same_as_headline (the rules whose answers were the headline's in every trial)
//   /stats/groups       one row a group: scan (0 linear, 1 exp), factor (NaN: drawn), and its trials by
//                       status: diverged, completed, stalled, rose
//   /stats/distributions one row a (group, rule): trials, answered, and the sum of log10(answer) in units
//                       of 2^-52 as two 64-bit halves: log10_sum = (log10_sum_hi * 2^64 + log10_sum_lo) /
//                       2^52
//   /stats/histogram    one row a non-empty bin: distribution (its row), bin, count; bin b holds log10(lr) in
//                       [-324 + b/1000, -324 + (b + 1)/1000)
//
// A run writes them at every checkpoint, in turn to /stats and /stats.next (the one not holding the last
// checkpoint; each records its trials), and keeps the last as /stats when it completes.
#pragma once

#include "analysis/summary.hpp"

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace lrf {

constexpr const char *kStatsGroup = "/stats";
constexpr const char *kStatsNext = "/stats.next";

// Writes the summary to `group` (created, or its tables rewritten in place); RunError on failure.
void write_stats(hid_t file, const char *group, const Summary &summary);

// Reads `group` into `summary` (a fresh Summary), with `headline` the run's headline rule (its
// distribution is the headline's). Returns "" or what is wrong.
std::string read_stats(hid_t file, const char *group, const std::string &headline, Summary &summary);

// /stats.next for /stats, /stats for /stats.next: where the checkpoint after `group`'s goes.
const char *other_stats_group(const char *group);

// The group of the file's statistics that holds `trials` trials (/stats or /stats.next), or nullptr.
const char *stats_group_of(hid_t file, std::int64_t trials);

// The run's last statistics as /stats (the other group removed), from `current`, the group written last.
void keep_stats(hid_t file, const char *current);

} // namespace lrf
