// The answer a user acts on, from a run's summary: one learning rate (the headline rule's median, with its
// 95% interval), or the modes where the answers split (one per scan on the seed's data, where the overall
// median is a value no trial gave), and warnings where a scan's trials mostly never diverged.
#pragma once

#include "analysis/summary.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

struct Answer {
  struct Mode {
    double lr;                       // the median of the answers in it
    std::int64_t trials;             // answers in it
    std::vector<std::string> groups; // the groups whose median lies in it ("linear 0.0005")
  };
  std::string rule;               // the headline rule ("" where no rule equals it)
  std::int64_t answered = 0;      // trials with a headline answer
  double lr = 0;                  // the median; NaN where the answers split or there are none
  std::array<double, 2> ci{};     // its 95% interval
  std::vector<Mode> modes;        // two or more where the answers split, else empty
  std::vector<std::string> warnings;
};

// Where the headline answers split: log10(lr) in tenths of a decade, clusters of tenths each holding at
// least 0.2% of the answers, separated by at least one tenth holding less; a cluster with at least 5% of
// the answers is a mode. A scan whose trials mostly (more than half) never diverged gets a warning that
// says what to change.
Answer answer(const Summary &summary);

// "linear 0.0005", "exp drawn": a group as reports name it.
std::string group_name(const Summary::Group &g);

} // namespace lrf
