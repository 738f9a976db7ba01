// A merged file without a copy: its per-trial datasets are HDF5 virtual datasets over the shards' own.
#pragma once

#include "io/layout.hpp"

#include <string>
#include <vector>

namespace lrf {

// One shard's place in a merged file: its path as the merged file will name it, and its trials.
struct VirtualSource {
  std::string file;
  TrialRange range;
};

// Writes a merged file of `total` trials whose per-trial datasets are HDF5 virtual datasets mapping the
// shards' datasets (no copy); attributes, /data and the dimension scales (write_structure) are the file's
// own. Same discipline as H5Writer: a
// partial file (io/partial.hpp), published when complete; `overwrite` as there.
void write_virtual(const std::string &final_path, const Problem &problem, const OutputInfo &info,
                   std::int64_t total, const std::vector<VirtualSource> &sources, bool overwrite);

} // namespace lrf
