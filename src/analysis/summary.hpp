// The run's statistics: counts, steps and every rule's distribution of suggestions, overall and per group
// of trials, built batch by batch and mergeable across shards.
#pragma once

#include "analysis/distribution.hpp"
#include "analysis/rules.hpp"
#include "core/batch.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// Counts, steps and the suggestions of every rule, overall and per group of trials, over every trial seen.
// A group is one (scan, factor) of a factor list; a scan with more than kMaxFactors distinct factors (a
// drawn range LO:HI, every trial its own factor) is one group, its factor NaN.
class Summary {
public:
  static constexpr int kMaxFactors = 16;

  struct Group {
    Scan scan;
    double factor; // NaN: the scan's factors are drawn
    std::vector<Distribution> rules;
    std::array<std::int64_t, kStatusCount> status{}; // its trials by Status
  };

  explicit Summary(std::vector<std::string> rules = rule_names());
  // A batch with the plan (scan, factor), steps, status, suggest and suggested_lr; no trajectories needed.
  // With `combos` (the plan's, Plan::combos), each trial's group is its combo's (combo_group): a drawn
  // scan is one group from its first trial. A reduced batch (batch.reduced.on) needs them: its entries
  // name combos.
  void add(const Batch &batch, const std::vector<PlanCombo> *combos = nullptr);
  void merge(const Summary &other);
  // A group's counts and distributions, added to the group of its (scan, factor); for reading a
  // summary back from a file (io/stats.hpp), with the totals below and set_headline.
  void add_group(const Group &group);
  // The headline's distribution, and for each rule whether its answers equalled the headline's in every
  // trial.
  void set_headline(const Distribution &headline, const std::vector<bool> &is_headline);
  const std::vector<bool> &is_headline() const { return is_headline_; }
  bool operator==(const Summary &other) const;

  std::int64_t trials = 0;
  std::int64_t steps = 0;                          // updates performed, all trials
  std::array<std::int64_t, kStatusCount> status{}; // by Status: diverged, completed, stalled, rose
  std::int64_t suggested = 0;                      // trials with a headline suggestion

  // The q-quantile (0..1) of the headline suggestions (/trials/suggested_lr); NaN if none.
  double quantile(double q) const { return headline_.quantile(q); }
  const Distribution &headline() const { return headline_; }
  // The headline rule: the one named by set_headline_rule (the run's --suggest, a file's `suggest`) where
  // its answers are the headline's in every trial seen; else the first rule whose answers are, or "".
  std::string headline_rule() const;
  void set_headline_rule(std::string name) { headline_name_ = std::move(name); }

  const std::vector<std::string> &rules() const { return rules_; }
  const std::vector<Group> &groups() const { return groups_; } // by scan, then factor
  Distribution overall(std::size_t rule) const;                // every group together

private:
  Group &group_of(Scan scan, double factor);
  Group &combo_group(const PlanCombo &combo);
  void add_reduced(const Batch::Reduced &reduced, const std::vector<PlanCombo> &combos);
  void insert(Group group);

  std::vector<std::string> rules_;
  std::vector<Group> groups_;
  std::size_t last_ = 0; // the group of the trial before: batches cycle through few groups
  Distribution headline_;
  std::vector<bool> is_headline_; // rule r's answers equalled suggested_lr in every batch so far
  std::string headline_name_;
};

} // namespace lrf
