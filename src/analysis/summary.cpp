#include "analysis/summary.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace lrf {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
} // namespace

Summary::Summary(std::vector<std::string> rules)
    : rules_(std::move(rules)), is_headline_(rules_.size(), true) {}

void Summary::insert(Group group) {
  auto before = [](const Group &a, const Group &b) {
    // By scan, then factor; a scan's drawn group (NaN) last.
    if (a.scan != b.scan)
      return a.scan < b.scan;
    return std::isnan(b.factor) ? !std::isnan(a.factor) : a.factor < b.factor;
  };
  const Scan scan = group.scan;
  groups_.insert(std::upper_bound(groups_.begin(), groups_.end(), group, before), std::move(group));
  // More than kMaxFactors factors in one scan, or a drawn group beside others: the scan's factors are
  // drawn, and the scan becomes one group.
  std::int64_t count = 0;
  bool drawn = false;
  for (const Group &g : groups_)
    if (g.scan == scan) {
      ++count;
      drawn = drawn || std::isnan(g.factor);
    }
  if (count <= kMaxFactors && !(drawn && count > 1))
    return;
  Group all{scan, kNaN, std::vector<Distribution>(rules_.size())};
  std::vector<Group> kept;
  for (Group &g : groups_) {
    if (g.scan != scan) {
      kept.push_back(std::move(g));
      continue;
    }
    for (std::size_t r = 0; r < rules_.size(); ++r)
      all.rules[r].merge(g.rules[r]);
    for (std::size_t k = 0; k < all.status.size(); ++k)
      all.status[k] += g.status[k];
  }
  groups_ = std::move(kept);
  groups_.insert(std::upper_bound(groups_.begin(), groups_.end(), all, before), std::move(all));
}

Summary::Group &Summary::group_of(Scan scan, double factor) {
  auto matches = [&](const Group &g) {
    return g.scan == scan && (std::isnan(g.factor) || g.factor == factor);
  };
  if (last_ < groups_.size() && matches(groups_[last_]))
    return groups_[last_];
  for (std::size_t k = 0; k < groups_.size(); ++k)
    if (matches(groups_[k]))
      return groups_[last_ = k];
  insert(Group{scan, factor, std::vector<Distribution>(rules_.size())});
  for (std::size_t k = 0; k < groups_.size(); ++k)
    if (matches(groups_[k]))
      return groups_[last_ = k];
  return groups_.front(); // not reached: the group was just inserted
}

Summary::Group &Summary::combo_group(const PlanCombo &combo) {
  return group_of(combo.scan, combo.drawn ? kNaN : combo.factor);
}

void Summary::add_reduced(const Batch::Reduced &reduced, const std::vector<PlanCombo> &combos) {
  if (rules_.size() != static_cast<std::size_t>(kRuleCount))
    throw RunError("summary: reduced statistics hold " + std::to_string(kRuleCount) + " rules, not " +
                   std::to_string(rules_.size()));
  for (const StatsEntry &e : reduced.entries) {
    const StatsKey k = stats_key_parts(e.key);
    if (k.combo < 0 || k.combo >= static_cast<std::int64_t>(combos.size()))
      throw RunError("summary: reduced statistics name plan combo " + std::to_string(k.combo) + " of " +
                     std::to_string(combos.size()));
    Group &g = combo_group(combos[static_cast<std::size_t>(k.combo)]);
    if (k.slot == kStatusSlot) {
      trials += e.count;
      steps += static_cast<std::int64_t>(e.units);
      status[static_cast<std::size_t>(k.bin)] += e.count;
      g.status[static_cast<std::size_t>(k.bin)] += e.count;
      continue;
    }
    const auto r = static_cast<std::size_t>(k.slot);
    is_headline_[r] = is_headline_[r] && !k.differs;
    Distribution &d = g.rules[r];
    if (k.bin == kNoAnswerBin)
      d.add_unanswered(e.count);
    else
      d.add_bin(k.bin, e.count, e.units);
    if (k.slot == reduced.headline) {
      if (k.bin == kNoAnswerBin)
        headline_.add_unanswered(e.count);
      else
        headline_.add_bin(k.bin, e.count, e.units);
    }
  }
  suggested = headline_.answered();
}

void Summary::add(const Batch &batch, const std::vector<PlanCombo> *combos) {
  if (batch.reduced.on) {
    if (!combos)
      throw RunError("summary: a reduced batch without its plan's combos");
    add_reduced(batch.reduced, *combos);
    return;
  }
  const auto n = static_cast<std::size_t>(batch.size());
  if (batch.suggest.size() != rules_.size())
    throw RunError("summary: the batch has " + std::to_string(batch.suggest.size()) + " rules, not " +
                   std::to_string(rules_.size()));
  for (std::size_t r = 0; r < rules_.size() && n > 0; ++r) // bitwise: NaN where both have no answer
    is_headline_[r] = is_headline_[r] && std::memcmp(batch.suggest[r].data(), batch.suggested_lr.data(),
                                                     n * sizeof(double)) == 0;
  for (std::size_t i = 0; i < n; ++i) {
    ++trials;
    steps += batch.steps[i];
    ++status[static_cast<std::size_t>(batch.status[i])];
    headline_.add(batch.suggested_lr[i]);
    Group &g =
        combos ? combo_group((*combos)[static_cast<std::size_t>(batch.first + static_cast<std::int64_t>(i)) %
                                       combos->size()])
               : group_of(batch.scan[i], batch.factor[i]);
    ++g.status[static_cast<std::size_t>(batch.status[i])];
    for (std::size_t r = 0; r < rules_.size(); ++r)
      g.rules[r].add(batch.suggest[r][i]);
  }
  suggested = headline_.answered();
}

void Summary::merge(const Summary &other) {
  if (&other == this) {
    const Summary copy = other;
    merge(copy);
    return;
  }
  if (other.rules_ != rules_)
    throw RunError("summary: merging summaries of different rules");
  for (std::size_t r = 0; r < rules_.size(); ++r)
    is_headline_[r] = (is_headline_[r] || trials == 0) && (other.is_headline_[r] || other.trials == 0);
  trials += other.trials;
  steps += other.steps;
  for (std::size_t k = 0; k < status.size(); ++k)
    status[k] += other.status[k];
  headline_.merge(other.headline_);
  suggested = headline_.answered();
  for (const Group &g : other.groups_) {
    Group &mine = group_of(g.scan, g.factor);
    for (std::size_t k = 0; k < mine.status.size(); ++k)
      mine.status[k] += g.status[k];
    for (std::size_t r = 0; r < rules_.size(); ++r)
      mine.rules[r].merge(g.rules[r]);
  }
}

void Summary::add_group(const Group &group) {
  Group &mine = group_of(group.scan, group.factor);
  for (std::size_t k = 0; k < mine.status.size(); ++k)
    mine.status[k] += group.status[k];
  for (std::size_t r = 0; r < rules_.size() && r < group.rules.size(); ++r)
    mine.rules[r].merge(group.rules[r]);
}

void Summary::set_headline(const Distribution &headline, const std::vector<bool> &is_headline) {
  headline_ = headline;
  suggested = headline_.answered();
  if (is_headline.size() == is_headline_.size())
    is_headline_ = is_headline;
}

bool Summary::operator==(const Summary &o) const {
  auto same_groups = [&] {
    if (groups_.size() != o.groups_.size())
      return false;
    for (std::size_t k = 0; k < groups_.size(); ++k) {
      const Group &a = groups_[k], &b = o.groups_[k];
      if (a.scan != b.scan || std::memcmp(&a.factor, &b.factor, sizeof a.factor) != 0 ||
          a.status != b.status || a.rules != b.rules)
        return false;
    }
    return true;
  };
  return rules_ == o.rules_ && trials == o.trials && steps == o.steps && status == o.status &&
         suggested == o.suggested && headline_ == o.headline_ && is_headline_ == o.is_headline_ &&
         same_groups();
}

std::string Summary::headline_rule() const {
  // Several rules can give the same answers (all NaN, or the same rate): the name says which is meant.
  for (std::size_t r = 0; r < rules_.size(); ++r)
    if (rules_[r] == headline_name_ && (is_headline_[r] || trials == 0))
      return rules_[r];
  for (std::size_t r = 0; r < rules_.size(); ++r)
    if (is_headline_[r] && trials > 0)
      return rules_[r];
  return "";
}

Distribution Summary::overall(std::size_t rule) const {
  Distribution all;
  for (const Group &g : groups_)
    all.merge(g.rules[rule]);
  return all;
}

} // namespace lrf
