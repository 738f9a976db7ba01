#include "io/stats.hpp"

#include "core/errors.hpp"
#include "io/data.hpp"
#include "io/h5.hpp"
#include "run/resources.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace lrf {
namespace {

struct GroupRow {
  std::uint8_t scan;
  double factor;
  std::int64_t diverged, completed, stalled, rose; // in the order of Status
};
struct DistributionRow {
  std::int64_t group, rule, trials, answered, log10_sum_hi;
  std::uint64_t log10_sum_lo;
};
struct BinRow {
  std::int64_t distribution, bin, count;
};

struct Member {
  const char *name;
  std::size_t offset;
  hid_t type;
};

// A compound type of these members: native (memory) or little-endian and packed (file).
h5::Id compound(std::size_t size, const std::vector<Member> &members, bool file) {
  h5::Id t(H5Tcreate(H5T_COMPOUND, size), H5Tclose);
  for (const Member &m : members)
    H5Tinsert(t.get(), m.name, m.offset, m.type);
  if (!file)
    return t;
  std::size_t packed = 0;
  for (const Member &m : members)
    packed += H5Tget_size(m.type);
  h5::Id f(H5Tcreate(H5T_COMPOUND, packed), H5Tclose);
  std::size_t at = 0;
  for (const Member &m : members) {
    const hid_t le = H5Tget_class(m.type) == H5T_FLOAT     ? H5T_IEEE_F64LE
                     : H5Tget_size(m.type) == 1            ? H5T_STD_U8LE
                     : H5Tget_sign(m.type) == H5T_SGN_NONE ? H5T_STD_U64LE
                                                           : H5T_STD_I64LE;
    H5Tinsert(f.get(), m.name, at, le);
    at += H5Tget_size(m.type);
  }
  return f;
}

h5::Id group_type(bool file) {
  return compound(sizeof(GroupRow),
                  {{"scan", offsetof(GroupRow, scan), H5T_NATIVE_UINT8},
                   {"factor", offsetof(GroupRow, factor), H5T_NATIVE_DOUBLE},
                   {"diverged", offsetof(GroupRow, diverged), H5T_NATIVE_INT64},
                   {"completed", offsetof(GroupRow, completed), H5T_NATIVE_INT64},
                   {"stalled", offsetof(GroupRow, stalled), H5T_NATIVE_INT64},
                   {"rose", offsetof(GroupRow, rose), H5T_NATIVE_INT64}},
                  file);
}
h5::Id distribution_type(bool file) {
  return compound(sizeof(DistributionRow),
                  {{"group", offsetof(DistributionRow, group), H5T_NATIVE_INT64},
                   {"rule", offsetof(DistributionRow, rule), H5T_NATIVE_INT64},
                   {"trials", offsetof(DistributionRow, trials), H5T_NATIVE_INT64},
                   {"answered", offsetof(DistributionRow, answered), H5T_NATIVE_INT64},
                   {"log10_sum_hi", offsetof(DistributionRow, log10_sum_hi), H5T_NATIVE_INT64},
                   {"log10_sum_lo", offsetof(DistributionRow, log10_sum_lo), H5T_NATIVE_UINT64}},
                  file);
}
h5::Id bin_type(bool file) {
  return compound(sizeof(BinRow),
                  {{"distribution", offsetof(BinRow, distribution), H5T_NATIVE_INT64},
                   {"bin", offsetof(BinRow, bin), H5T_NATIVE_INT64},
                   {"count", offsetof(BinRow, count), H5T_NATIVE_INT64}},
                  file);
}

constexpr const char *kGroupsMeaning =
    "one row a group of trials: scan (0: linear, 1: exp), factor (NaN: drawn from a range), and its trials "
    "by status";
constexpr const char *kDistributionsMeaning =
    "one row a (group, rule): trials, answered, and the sum of log10(answer) over the answers, exactly: "
    "(log10_sum_hi * 2^64 + log10_sum_lo) * 2^-52; rule indexes the attribute rules of /stats";
constexpr const char *kHistogramMeaning =
    "one row a non-empty bin of a distribution (its row in distributions): bin b holds log10(lr) in "
    "[-324 + b/1000, -324 + (b + 1)/1000)";

// Each table's description (units "": its rows are counts, codes and indices).
constexpr const char *kGroupsDescription = "the trials of each group of the plan (scan, factor) by status";
constexpr const char *kDistributionsDescription =
    "each (group, rule): its trials, answers and exact sum of log10(answer)";
constexpr const char *kHistogramDescription = "the answers of each distribution by bin of log10(lr)";

// Writes `rows` rows into the table `name` of `group`: a chunked dataset that grows and shrinks, rewritten
// in place (a checkpoint's tables take no new space unless they grow). Chunks carry checksums.
void put_table(hid_t group, const char *name, const char *description, const char *meaning, hid_t mem_type,
               hid_t file_type, hsize_t rows, const void *data) {
  h5::Id set;
  if (H5Lexists(group, name, H5P_DEFAULT) > 0) {
    set = h5::Id(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
    if (!set || H5Dset_extent(set.get(), &rows) < 0)
      throw RunError(std::string("stats table ") + name);
  } else {
    const hsize_t unlimited = H5S_UNLIMITED, chunk = 128;
    h5::Id space(H5Screate_simple(1, &rows, &unlimited), H5Sclose);
    h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    H5Pset_fletcher32(dcpl.get());
    set = h5::Id(H5Dcreate2(group, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                 H5Dclose);
    if (!set)
      throw RunError(std::string("stats table ") + name);
    h5::write_attr(set.get(), "description", description);
    h5::write_attr(set.get(), "units", "");
    h5::write_attr(set.get(), "meaning", meaning);
  }
  if (rows > 0 && H5Dwrite(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw RunError(std::string("stats table ") + name + ": write failed (disk full, or the file damaged?)");
}

// Reads a table written by put_table; "" or what is wrong.
template <class Row>
std::string get_table(hid_t group, const char *name, hid_t mem_type, std::vector<Row> &rows) {
  h5::Id set(H5Lexists(group, name, H5P_DEFAULT) > 0 ? H5Dopen2(group, name, H5P_DEFAULT) : H5I_INVALID_HID,
             H5Dclose);
  if (!set)
    return std::string("no table ") + name;
  h5::Id space(H5Dget_space(set.get()), H5Sclose);
  hsize_t n = 0;
  if (H5Sget_simple_extent_ndims(space.get()) != 1 || H5Sget_simple_extent_dims(space.get(), &n, nullptr) < 0)
    return std::string("table ") + name + " is not 1-D";
  if (static_cast<double>(n) * sizeof(Row) > usable_memory() / 4)
    return std::string("table ") + name + " holds more rows than memory allows";
  rows.resize(static_cast<std::size_t>(n));
  if (n > 0 && H5Dread(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) < 0)
    return std::string("table ") + name + " does not read back (damaged?)";
  return "";
}

std::string join(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "" : ",") + n;
  return s;
}

} // namespace

void write_stats(hid_t file, const char *name, const Summary &s) {
  h5::Id group(H5Lexists(file, name, H5P_DEFAULT) > 0
                   ? H5Gopen2(file, name, H5P_DEFAULT)
                   : H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               H5Gclose);
  if (!group)
    throw RunError(std::string("group ") + name);
  // Invalid until every table is written: a run killed while rewriting them leaves a group that no
  // checkpoint claims.
  h5::write_attr(group.get(), "trials", std::int64_t{-1});
  std::vector<GroupRow> groups;
  std::vector<DistributionRow> distributions;
  std::vector<BinRow> bins;
  for (const Summary::Group &g : s.groups()) {
    groups.push_back(GroupRow{static_cast<std::uint8_t>(g.scan), g.factor, g.status[0], g.status[1],
                              g.status[2], g.status[3]});
    for (std::size_t r = 0; r < g.rules.size(); ++r) {
      const Distribution &d = g.rules[r];
      const auto units = static_cast<UInt128>(d.sum_units());
      const auto row = static_cast<std::int64_t>(distributions.size());
      distributions.push_back(DistributionRow{
          static_cast<std::int64_t>(groups.size() - 1), static_cast<std::int64_t>(r), d.trials(),
          d.answered(), static_cast<std::int64_t>(d.sum_units() >> 64), static_cast<std::uint64_t>(units)});
      for (const auto &[bin, count] : d.histogram())
        bins.push_back(BinRow{row, bin, count});
    }
  }
  put_table(group.get(), "groups", kGroupsDescription, kGroupsMeaning, group_type(false).get(),
            group_type(true).get(), groups.size(), groups.data());
  put_table(group.get(), "distributions", kDistributionsDescription, kDistributionsMeaning,
            distribution_type(false).get(), distribution_type(true).get(), distributions.size(),
            distributions.data());
  put_table(group.get(), "histogram", kHistogramDescription, kHistogramMeaning, bin_type(false).get(),
            bin_type(true).get(), bins.size(), bins.data());
  std::vector<std::string> same;
  for (std::size_t r = 0; r < s.rules().size(); ++r)
    if (s.is_headline()[r])
      same.push_back(s.rules()[r]);
  h5::write_attr(group.get(), "rules", join(s.rules()));
  h5::write_attr(group.get(), "same_as_headline", join(same));
  h5::write_attr(group.get(), "steps", s.steps);
  h5::write_attr(group.get(), "trials", s.trials);
}

std::string read_stats(hid_t file, const char *name, const std::string &headline, Summary &s) {
  h5::Id group(H5Lexists(file, name, H5P_DEFAULT) > 0 ? H5Gopen2(file, name, H5P_DEFAULT) : H5I_INVALID_HID,
               H5Gclose);
  if (!group)
    return std::string("no group ") + name;
  std::int64_t trials = -1, steps = -1;
  std::string rules_text, same_text;
  if (!h5::read_attr(group.get(), "trials", trials) || !h5::read_attr(group.get(), "steps", steps) ||
      !h5::read_attr(group.get(), "rules", rules_text) ||
      !h5::read_attr(group.get(), "same_as_headline", same_text))
    return std::string(name) + " lacks its attributes (trials, steps, rules, same_as_headline)";
  if (split(rules_text) != s.rules())
    return std::string(name) + ": its rules (" + rules_text + ") are not this version's";
  std::vector<GroupRow> groups;
  std::vector<DistributionRow> distributions;
  std::vector<BinRow> bins;
  for (std::string problem :
       {get_table(group.get(), "groups", group_type(false).get(), groups),
        get_table(group.get(), "distributions", distribution_type(false).get(), distributions),
        get_table(group.get(), "histogram", bin_type(false).get(), bins)})
    if (!problem.empty())
      return std::string(name) + ": " + problem;
  const std::size_t rules = s.rules().size();
  if (distributions.size() != groups.size() * rules)
    return std::string(name) + ": " + std::to_string(distributions.size()) + " distributions for " +
           std::to_string(groups.size()) + " groups of " + std::to_string(rules) + " rules";
  std::vector<std::int64_t> binned(distributions.size(), 0);
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> of(distributions.size());
  for (const BinRow &b : bins) {
    if (b.distribution < 0 || b.distribution >= static_cast<std::int64_t>(distributions.size()) ||
        b.bin < 0 || b.bin >= kBins || b.count <= 0)
      return std::string(name) + ": histogram row (" + std::to_string(b.distribution) + ", " +
             std::to_string(b.bin) + ", " + std::to_string(b.count) + ") is out of range";
    of[static_cast<std::size_t>(b.distribution)].emplace_back(b.bin, b.count);
    binned[static_cast<std::size_t>(b.distribution)] += b.count;
  }
  std::int64_t total = 0;
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const GroupRow &row = groups[k];
    if (row.scan > 1 || row.diverged < 0 || row.completed < 0 || row.stalled < 0 || row.rose < 0)
      return std::string(name) + ": group " + std::to_string(k) + " is out of range";
    Summary::Group g{static_cast<Scan>(row.scan),
                     row.factor,
                     std::vector<Distribution>(rules),
                     {row.diverged, row.completed, row.stalled, row.rose}};
    const std::int64_t group_trials = row.diverged + row.completed + row.stalled + row.rose;
    total += group_trials;
    for (std::size_t r = 0; r < rules; ++r) {
      const std::size_t at = k * rules + r;
      const DistributionRow &d = distributions[at];
      if (d.group != static_cast<std::int64_t>(k) || d.rule != static_cast<std::int64_t>(r) ||
          d.trials != group_trials || d.answered != binned[at] || d.answered > d.trials)
        return std::string(name) + ": distribution " + std::to_string(at) +
               " does not match its group's counts";
      const Int128 units = static_cast<Int128>(
          (static_cast<UInt128>(static_cast<std::uint64_t>(d.log10_sum_hi)) << 64) | d.log10_sum_lo);
      Distribution &dist = g.rules[r];
      bool first = true;
      for (const auto &[bin, count] : of[at]) {
        dist.add_bin(bin, count, first ? units : 0);
        first = false;
      }
      dist.add_unanswered(d.trials - d.answered);
    }
    s.add_group(g);
  }
  if (total != trials)
    return std::string(name) + ": its groups hold " + std::to_string(total) + " trials, not " +
           std::to_string(trials);
  s.trials = trials;
  s.steps = steps;
  for (const Summary::Group &g : s.groups())
    for (std::size_t k = 0; k < s.status.size(); ++k)
      s.status[k] += g.status[k];
  const auto same = split(same_text);
  std::vector<bool> is_headline(rules, false);
  Distribution head;
  for (std::size_t r = 0; r < rules; ++r) {
    is_headline[r] = std::find(same.begin(), same.end(), s.rules()[r]) != same.end();
    if (s.rules()[r] == headline)
      head = s.overall(r);
  }
  if (head.trials() != trials)
    head.add_unanswered(trials - head.trials()); // no rule of that name: no headline answers
  s.set_headline(head, is_headline);
  return "";
}

const char *stats_group_of(hid_t file, std::int64_t trials) {
  for (const char *name : {kStatsGroup, kStatsNext}) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
      continue;
    h5::Id group(H5Gopen2(file, name, H5P_DEFAULT), H5Gclose);
    std::int64_t held = -1;
    if (group && h5::read_attr(group.get(), "trials", held) && held == trials)
      return name;
  }
  return nullptr;
}

const char *other_stats_group(const char *group) {
  return std::string(group) == kStatsGroup ? kStatsNext : kStatsGroup;
}

void keep_stats(hid_t file, const char *current) {
  const bool next = std::string(current) == kStatsNext;
  const char *other = other_stats_group(current);
  if (H5Lexists(file, other, H5P_DEFAULT) > 0 && H5Ldelete(file, other, H5P_DEFAULT) < 0)
    throw RunError(std::string("cannot remove ") + other);
  if (next && H5Lmove(file, kStatsNext, file, kStatsGroup, H5P_DEFAULT, H5P_DEFAULT) < 0)
    throw RunError(std::string("cannot rename ") + kStatsNext + " to " + kStatsGroup);
}

} // namespace lrf
