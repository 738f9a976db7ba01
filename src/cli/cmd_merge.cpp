// `lrfinder merge -o all.h5 shard_*.h5`: the shards of one run into one result, checked first: same
// settings, every trial covered once. A copy by default, or HDF5 virtual datasets over the shards; of
// statistics-only shards (--save stats), the sum of their statistics.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/errors.hpp"
#include "io/paths.hpp"
#include "io/reader.hpp"
#include "io/virtual.hpp"
#include "io/writer.hpp"
#include "run/runner.hpp"
#include "version.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sys/stat.h>

namespace lrf {
namespace {

namespace fs = std::filesystem;

struct MergeOptions {
  std::string output;
  std::vector<std::string> inputs;
  bool virtual_datasets = false;
  bool overwrite = false;
  bool quiet = false;
};

std::string trials_text(std::int64_t a, std::int64_t b) {
  return "trials [" + std::to_string(a) + ", " + std::to_string(b) + ")";
}

// The path by which the merged file names a shard: as given where absolute, else relative to the merged
// file's folder (where HDF5 looks for a relative source), so that the two can move together.
std::string source_name(const std::string &output, const std::string &input) {
  if (!input.empty() && input[0] == '/')
    return input;
  const fs::path here = fs::current_path();
  const fs::path folder = (here / output).lexically_normal().parent_path();
  return (here / input).lexically_normal().lexically_relative(folder).string();
}

// An output that is one of the shards would destroy it: refused, whatever the mode.
void check_not_an_input(const MergeOptions &o) {
  struct stat out {};
  if (::stat(o.output.c_str(), &out) != 0)
    return;
  for (const std::string &input : o.inputs) {
    struct stat in {};
    if (::stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      throw InputError("--output " + o.output + ": is also one of the shards to merge (" + input +
                       "); choose another output");
  }
}

int run_merge(const MergeOptions &o) {
  check_output(o.output, o.overwrite);
  check_not_an_input(o);
  std::vector<std::unique_ptr<ResultFile>> shards;
  for (const std::string &path : o.inputs)
    shards.push_back(std::make_unique<ResultFile>(path));
  const ResultFile &first = *shards.front();
  for (const auto &s : shards) {
    if (s->trials_done() != s->range().count)
      throw InputError(s->path() + ": incomplete (" + std::to_string(s->trials_done()) + " of " +
                       std::to_string(s->range().count) + " trials)");
    if (s->info().config != first.info().config || s->range().total != first.range().total)
      throw InputError(s->path() + ": not a shard of the same run as " + first.path() +
                       " (its settings differ)");
  }
  std::sort(shards.begin(), shards.end(),
            [](const auto &a, const auto &b) { return a->range().first < b->range().first; });
  const std::int64_t total = first.range().total;
  std::int64_t covered = 0;
  const ResultFile *previous = nullptr;
  for (const auto &s : shards) {
    const TrialRange &r = s->range();
    if (r.first > covered)
      throw InputError(trials_text(covered, r.first) + " are missing: no shard holds them");
    if (r.first < covered)
      throw InputError(trials_text(r.first, std::min(covered, r.first + r.count)) + " are in both " +
                       previous->path() + " and " + s->path());
    covered = r.first + r.count;
    previous = s.get();
  }
  if (covered != total)
    throw InputError(trials_text(covered, total) + " are missing: no shard holds them");

  OutputInfo info = first.info();
  info.shard = "";
  info.version = LRF_VERSION;
  info.command_line = "merge of " + std::to_string(shards.size()) + " shards";
  const Problem &problem = first.problem();
  const bool stats_only = !info.storage.rows;
  if (stats_only && o.virtual_datasets)
    throw InputError("--virtual: the shards are statistics-only (--save stats) and hold no datasets to map; "
                     "merge them without --virtual");
  // A virtual merge keeps the shards' own datasets, and so their layout: it must be this lrfinder's. A copy
  // reads any layout and writes this one.
  for (const auto &s : shards)
    if (o.virtual_datasets && s->layout_version() != kLayoutVersion)
      throw InputError("--virtual: " + s->path() + " is of layout version " +
                       std::to_string(s->layout_version()) + " (an older lrfinder's), this lrfinder's is " +
                       std::to_string(kLayoutVersion) +
                       "; merge without --virtual, which copies it into this layout");
  if (stats_only) {
    // Statistics add up exactly (integer counts and sums): the merge is their sum.
    Summary all;
    for (const auto &s : shards)
      all.merge(s->summary());
    H5Writer writer(o.output, problem, TrialRange{0, total, total}, info,
                    WriteOptions{false, o.overwrite, 0});
    Batch batch;
    batch.count = total;
    writer.write(batch, all);
    writer.commit();
  } else if (o.virtual_datasets) {
    std::vector<VirtualSource> sources;
    for (const auto &s : shards)
      sources.push_back({source_name(o.output, s->path()), s->range()});
    write_virtual(o.output, problem, info, total, sources, o.overwrite);
  } else {
    const std::int64_t block = default_batch(problem, total);
    H5Writer writer(o.output, problem, TrialRange{0, total, total}, info,
                    WriteOptions{false, o.overwrite, block});
    Batch batch;
    for (const auto &s : shards)
      for (std::int64_t row = 0; row < s->range().count; row += block) {
        if (g_signal)
          throw RunError("interrupted");
        s->read(row, std::min(block, s->range().count - row), batch, true);
        writer.write(batch, Summary()); // a file of rows reads its statistics from them
      }
    writer.commit();
  }
  if (!o.quiet)
    std::printf("lrfinder: merged %lld trials from %zu shards into %s%s\n", static_cast<long long>(total),
                shards.size(), o.output.c_str(), o.virtual_datasets ? " (virtual datasets)" : "");
  return 0;
}

} // namespace

Command setup_merge(CLI::App &app) {
  auto o = std::make_shared<MergeOptions>();
  app.add_option("-o,--output", o->output, "the merged HDF5 file")->required();
  app.add_option("shards", o->inputs, "the shard files of one run, in any order")->required();
  app.add_flag(
      "--virtual", o->virtual_datasets,
      "map the shards with HDF5 virtual datasets instead of copying (the shards must stay beside it)");
  app.add_flag("--overwrite", o->overwrite, "replace an existing output file");
  app.add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  return [o] { return run_merge(*o); };
}

} // namespace lrf
