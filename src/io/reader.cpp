#include "io/reader.hpp"

#include "core/errors.hpp"
#include "io/layout.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace lrf {
namespace {

void read_rows(hid_t file, const Column &c, std::int64_t row, std::int64_t count, std::int64_t cols,
               void *data, const std::string &path) {
  h5::Id set(H5Dopen2(file, c.path.c_str(), H5P_DEFAULT), H5Dclose);
  const int rank = c.per_step ? 2 : 1;
  hsize_t start[2] = {static_cast<hsize_t>(row), 0};
  hsize_t size[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(cols)};
  h5::Id file_space(set ? H5Dget_space(set.get()) : H5I_INVALID_HID, H5Sclose);
  h5::Id mem_space(H5Screate_simple(rank, size, nullptr), H5Sclose);
  if (!set || H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) < 0 ||
      H5Dread(set.get(), c.mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw InputError(path + ": cannot read " + c.path + " (corrupt or truncated?)");
}

} // namespace

ResultFile::ResultFile(const std::string &path) : path_(path) {
  file_ = h5::open_read(path);
  if (!file_)
    throw InputError(path + ": cannot open as HDF5 (missing, corrupt or truncated?)");
  const hid_t f = file_.get();
  auto need = [&](bool ok, const char *what) {
    if (!ok)
      throw InputError(path + ": not an lrfinder result (no " + std::string(what) + ")");
  };
  std::int64_t epochs = 0, block = 0, seed = 0;
  need(h5::read_attr(f, "config", info_.config), "config attribute");
  need(h5::read_attr(f, "first_trial", range_.first) && h5::read_attr(f, "trials", range_.count) &&
           h5::read_attr(f, "total_trials", range_.total) && h5::read_attr(f, "trials_done", done_),
       "trial range attributes");
  need(h5::read_attr(f, "epochs", epochs) && h5::read_attr(f, "base_lr", problem_.config.base_lr) &&
           h5::read_attr(f, "diverge", problem_.config.diverge) && h5::read_attr(f, "sum_block", block) &&
           h5::read_attr(f, "seed", seed),
       "run attributes");
  problem_.config.epochs = static_cast<std::int32_t>(epochs);
  info_.seed = static_cast<std::uint64_t>(seed);
  h5::read_attr(f, "shard", info_.shard);
  h5::read_attr(f, "backend", info_.backend);
  h5::read_attr(f, "device", info_.device);
  h5::read_attr(f, "version", info_.version);
  h5::read_attr(f, "command_line", info_.command_line);
  h5::read_attr(f, "numpy_sum", info_.numpy_sum);
  h5::read_attr(f, "suggest", info_.suggest);
  h5::read_attr(f, "w_min", info_.w_min);
  h5::read_attr(f, "w_max", info_.w_max);
  // Files from before --save, --precision and --compress lack these: they kept everything, f64, uncompressed.
  const std::pair<const char *, std::string (*)(const std::string &, Storage &)> storage_attrs[] = {
      {"save", parse_save}, {"precision", parse_precision}, {"compress", parse_compress}};
  for (const auto &[name, parse] : storage_attrs) {
    std::string text;
    if (!h5::read_attr(f, name, text))
      continue;
    const std::string problem = parse(text, info_.storage);
    if (!problem.empty())
      throw InputError(path + ": not an lrfinder result (attribute " + name + ": " + problem + ")");
  }
  for (const char *name : {"/data/x", "/data/y"}) {
    std::string problem = h5::read_vector(f, name, name[6] == 'x' ? problem_.x : problem_.y);
    if (!problem.empty())
      throw InputError(path + ": " + name + ": " + problem);
  }
  problem_.sum_block = block;
  for (const Column &c : result_columns(info_.storage))
    need(h5::exists(f, c.path), c.path.c_str());
}

Summary ResultFile::summary(std::int64_t trials) const {
  if (trials < 0)
    trials = done_;
  Summary summary;
  Batch batch;
  constexpr std::int64_t kBlock = std::int64_t{1} << 20;
  for (std::int64_t row = 0; row < trials; row += kBlock) {
    read(row, std::min(kBlock, trials - row), batch, false);
    summary.add(batch);
  }
  return summary;
}

void ResultFile::read(std::int64_t row, std::int64_t count, Batch &batch, bool trajectories) const {
  const std::int64_t cols = problem_.row_length();
  size_batch(batch, count, trajectories ? cols : 0);
  batch.first = range_.first + row;
  for (Column &c : result_columns(info_.storage))
    if (trajectories || !c.per_step)
      read_rows(file_.get(), c, row, count, c.per_step ? cols : 0, column_data(c, batch), path_);
}

} // namespace lrf
