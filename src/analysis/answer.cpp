#include "analysis/answer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace lrf {

std::string group_name(const Summary::Group &g) {
  const char *scan = scan_name(g.scan);
  if (std::isnan(g.factor))
    return std::string(scan) + " drawn";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %.6g", scan, g.factor);
  return buf;
}

namespace {

constexpr int kFine = Distribution::kBinsPerDecade / 10; // histogram bins in a tenth of a decade
constexpr double kGapShare = 0.002, kModeShare = 0.05;

std::vector<Answer::Mode> modes(const Summary &s, const Distribution &d, std::size_t rule) {
  struct Tenth {
    std::int64_t tenth, count;
  };
  const auto bins = d.histogram();
  std::vector<Tenth> tenths;
  for (const auto &[bin, count] : bins) {
    if (tenths.empty() || tenths.back().tenth != bin / kFine)
      tenths.push_back({bin / kFine, 0});
    tenths.back().count += count;
  }
  const double answered = static_cast<double>(d.answered());
  // Clusters: runs of consecutive tenths, each at or above the gap share.
  struct Cluster {
    std::int64_t first, last, count; // tenths
  };
  std::vector<Cluster> clusters;
  for (const Tenth &t : tenths) {
    if (static_cast<double>(t.count) < kGapShare * answered)
      continue;
    if (!clusters.empty() && clusters.back().last + 1 == t.tenth) {
      clusters.back().last = t.tenth;
      clusters.back().count += t.count;
    } else {
      clusters.push_back({t.tenth, t.tenth, t.count});
    }
  }
  std::vector<Answer::Mode> found;
  for (const Cluster &c : clusters) {
    if (static_cast<double>(c.count) < kModeShare * answered)
      continue;
    // The cluster's median: the bin where half its answers are reached.
    std::int64_t seen = 0;
    double lr = std::numeric_limits<double>::quiet_NaN();
    for (const auto &[bin, count] : bins)
      if (bin / kFine >= c.first && bin / kFine <= c.last && (seen += count) * 2 >= c.count) {
        lr = Distribution::centre(bin);
        break;
      }
    Answer::Mode m{lr, c.count, {}};
    for (const Summary::Group &g : s.groups()) {
      const double median = g.rules[rule].quantile(0.5);
      if (!(median > 0))
        continue; // no answers in the group
      const auto tenth = static_cast<std::int64_t>(
          std::floor((std::log10(median) - Distribution::kLowDecade) * Distribution::kBinsPerDecade)) / kFine;
      if (tenth >= c.first && tenth <= c.last)
        m.groups.push_back(group_name(g));
    }
    found.push_back(std::move(m));
  }
  return found;
}

std::string scan_warning(const Summary &s, Scan scan) {
  std::int64_t trials = 0, completed = 0, stalled = 0;
  for (const Summary::Group &g : s.groups())
    if (g.scan == scan) {
      for (std::int64_t c : g.status)
        trials += c;
      completed += g.status[static_cast<std::size_t>(Status::completed)];
      stalled += g.status[static_cast<std::size_t>(Status::stalled)];
    }
  if (trials == 0 || 2 * (completed + stalled) <= trials)
    return "";
  const char *name = scan_name(scan);
  // A stalled trial's w stopped moving (it converged) before lr grew large: only a faster scan helps; a
  // completed one ran out of epochs.
  return std::to_string(completed + stalled) + " of the " + std::to_string(trials) + " " + name +
         " trials never diverged (completed " + std::to_string(completed) + ", stalled " +
         std::to_string(stalled) + "): the scan ended before the loss blew up, so their answers may be far " +
         "too low; scan faster (larger --" + name + "-factors, or --end-lr)" +
         (completed > 0 ? " or longer (--epochs)" : "");
}

} // namespace

Answer answer(const Summary &s) {
  Answer a;
  a.rule = s.headline_rule();
  const Distribution &d = s.headline();
  a.answered = d.answered();
  a.lr = std::numeric_limits<double>::quiet_NaN();
  a.ci = {a.lr, a.lr};
  const auto &names = s.rules();
  const auto rule = static_cast<std::size_t>(std::find(names.begin(), names.end(), a.rule) - names.begin());
  if (a.answered > 0) {
    if (rule < names.size())
      a.modes = modes(s, d, rule);
    if (a.modes.size() < 2) {
      a.modes.clear();
      a.lr = d.quantile(0.5);
      a.ci = d.median_interval();
    }
  }
  for (Scan scan : {Scan::linear, Scan::exp})
    if (std::string w = scan_warning(s, scan); !w.empty())
      a.warnings.push_back(std::move(w));
  return a;
}

} // namespace lrf
