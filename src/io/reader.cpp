#include "io/reader.hpp"

#include "core/errors.hpp"
#include "core/format.hpp"
#include "io/layout.hpp"
#include "io/stats.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
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
  // Layout version 1 stored the codes (scan, status) as plain bytes, which HDF5 converts to no enum.
  h5::Id file_type(set ? H5Dget_type(set.get()) : H5I_INVALID_HID, H5Tclose);
  const hid_t mem_type = H5Tget_class(c.mem_type) == H5T_ENUM && H5Tget_class(file_type.get()) == H5T_INTEGER
                             ? H5T_NATIVE_UINT8
                             : c.mem_type;
  if (!set || H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) < 0 ||
      H5Dread(set.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw InputError(path + ": cannot read " + c.path + " (corrupt or truncated?)");
}

// Whether another process holds the writer's lock on the file (a shared lock is refused while it does).
bool is_being_written(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && (errno == EWOULDBLOCK || errno == EAGAIN);
  ::close(fd);
  return locked;
}

} // namespace

ResultFile::ResultFile(const std::string &path, bool writer_is_us) : path_(path) {
  if (!writer_is_us && is_being_written(path))
    throw InputError(path + ": a running lrfinder is writing it; read it once that run has stopped or ended");
  file_ = h5::Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, h5::file_access().get()), H5Fclose);
  if (!file_ && h5::marked_open(path))
    throw InputError(path + ": the run writing it was killed; run the same command again to continue it "
                            "(h5clear -s makes it readable as it is)");
  if (!file_)
    throw InputError(path + ": cannot open as HDF5 (missing, corrupt or truncated?)");
  const hid_t f = file_.get();
  // Version 1 (no attribute) reads as it is; a newer layout may mean anything.
  if (H5Aexists(f, "layout_version") > 0 && !h5::read_attr(f, "layout_version", layout_))
    throw InputError(path + ": not an lrfinder result (attribute layout_version is not an integer)");
  if (layout_ > kLayoutVersion)
    throw InputError(path + ": layout version " + std::to_string(layout_) +
                     " is newer than this lrfinder reads (up to " + std::to_string(kLayoutVersion) +
                     "); read it with a newer lrfinder");
  if (layout_ < 1)
    throw InputError(path + ": not an lrfinder result (layout_version " + std::to_string(layout_) + ")");
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
  h5::read_attr(f, "stop_factor", problem_.config.stop_factor); // 0 (off) in files before it existed
  std::string arith = "exact";                                  // files before --arith: numpy's arithmetic
  h5::read_attr(f, "arith", arith);
  if (arith == "fma")
    problem_.config.arith = Arith::fma;
  else if (arith != "exact")
    throw InputError(path + ": not an lrfinder result (attribute arith: \"" + arith +
                     "\" is neither exact nor fma)");
  std::string loss = "mse"; // files before --loss and --minibatch: the seed's loss on all points
  h5::read_attr(f, "loss", loss);
  if (RunConfig c; !parse_loss(loss, c).empty() || loss.rfind("huber:", 0) == 0)
    throw InputError(path + ": not an lrfinder result (attribute loss: \"" + loss +
                     "\" is not one of mse, mae, huber, logistic)");
  else
    problem_.config.loss = c.loss;
  h5::read_attr(f, "huber_delta", problem_.config.huber_delta);
  h5::read_attr(f, "minibatch", problem_.config.minibatch);
  problem_.config.seed = info_.seed;
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
  for (const Column &c : result_columns(info_.storage)) {
    // A file of an lrfinder whose rules were others: say so, rather than that it is no result at all.
    if (!h5::exists(f, c.path) && c.path.rfind("/trials/suggest/", 0) == 0 &&
        h5::exists(f, "/trials/suggest/steep"))
      throw InputError(path + ": written by lrfinder " +
                       (info_.version.empty() ? "(unknown)" : info_.version) +
                       ", whose suggestion rules are not this version's (no " + c.path +
                       "); run it again with this lrfinder");
    need(h5::exists(f, c.path), c.path.c_str());
  }
  if (!info_.storage.rows && !stats_group_of(f, done_))
    throw InputError(path + ": not an lrfinder result (no statistics of its " + std::to_string(done_) +
                     " trials: a statistics-only file holds them in /stats)");
  check_virtual_sources();
}

// The shard files a virtual merge maps, where HDF5 looks for them: a relative name in the merged file's
// folder (HDF5 then tries the working folder too).
std::vector<std::string> ResultFile::virtual_sources() const {
  std::vector<std::string> files;
  h5::Id set(H5Dopen2(file_.get(), "/trials/steps", H5P_DEFAULT), H5Dclose);
  h5::Id dcpl(set ? H5Dget_create_plist(set.get()) : H5I_INVALID_HID, H5Pclose);
  if (!dcpl || H5Pget_layout(dcpl.get()) != H5D_VIRTUAL)
    return files;
  size_t count = 0;
  H5Pget_virtual_count(dcpl.get(), &count);
  const auto slash = path_.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
  for (size_t i = 0; i < count; ++i) {
    const ssize_t n = H5Pget_virtual_filename(dcpl.get(), i, nullptr, 0);
    std::string name(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
    if (n > 0)
      H5Pget_virtual_filename(dcpl.get(), i, name.data(), name.size() + 1);
    struct stat st {};
    if (!name.empty() && name[0] != '/' && ::stat((folder + name).c_str(), &st) == 0)
      name = folder + name;
    files.push_back(name);
  }
  return files;
}

// A virtual merge is only as good as its shards: each must be there, complete, of this run, and not the
// merged file itself. HDF5 would read a missing shard as fill values (a run with no answers) and a shard
// of another run as if it were this one's.
void ResultFile::check_virtual_sources() const {
  struct stat self {};
  ::stat(path_.c_str(), &self);
  for (const std::string &name : virtual_sources()) {
    struct stat st {};
    if (::stat(name.c_str(), &st) != 0)
      throw InputError(path_ + ": its shard " + name +
                       " is missing (a virtual merge reads its shards in place)");
    if (st.st_dev == self.st_dev && st.st_ino == self.st_ino)
      throw InputError(path_ + ": a virtual merge that maps itself, not a result");
    const ResultFile shard(name);
    if (!shard.virtual_sources().empty())
      throw InputError(path_ + ": its shard " + name + " is itself a virtual merge");
    if (shard.info().config != info_.config || shard.range().total != range_.total)
      throw InputError(path_ + ": its shard " + name + " is not a shard of this run (its settings differ)");
    if (shard.trials_done() != shard.range().count)
      throw InputError(path_ + ": its shard " + name + " is incomplete");
  }
}

Summary ResultFile::summary(std::int64_t trials) const {
  if (trials < 0)
    trials = done_;
  Summary summary;
  summary.set_headline_rule(info_.suggest);
  if (!info_.storage.rows) {
    const char *group = stats_group_of(file_.get(), trials);
    const std::string problem = group ? read_stats(file_.get(), group, info_.suggest, summary)
                                      : "no statistics of " + std::to_string(trials) + " trials";
    if (!problem.empty())
      throw InputError(path_ + ": " + problem);
    return summary;
  }
  Batch batch;
  constexpr std::int64_t kBlock = std::int64_t{1} << 20;
  for (std::int64_t row = 0; row < trials; row += kBlock) {
    read(row, std::min(kBlock, trials - row), batch, false);
    summary.add(batch);
  }
  return summary;
}

void ResultFile::read(std::int64_t row, std::int64_t count, Batch &batch, bool trajectories) const {
  if (!info_.storage.rows)
    throw InputError(path_ + ": a statistics-only file (--save stats) holds no per-trial rows");
  const std::int64_t cols = problem_.row_length();
  size_batch(batch, count, trajectories ? cols : 0);
  batch.first = range_.first + row;
  for (Column &c : result_columns(info_.storage))
    if (trajectories || !c.per_step)
      read_rows(file_.get(), c, row, count, c.per_step ? cols : 0, column_data(c, batch), path_);
}

} // namespace lrf
