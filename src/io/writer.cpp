#include "io/writer.hpp"

#include "core/errors.hpp"
#include "io/layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace lrf {
namespace {


[[noreturn]] void fail(const std::string &file, const std::string &what) {
  throw RunError("cannot write " + file + ": " + what);
}

void put_attr(hid_t where, const char *name, hid_t type, const void *value) {
  if (H5Aexists(where, name) > 0)
    H5Adelete(where, name);
  h5::Id space(H5Screate(H5S_SCALAR), H5Sclose);
  h5::Id attr(H5Acreate2(where, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr || H5Awrite(attr.get(), type, value) < 0)
    throw RunError(std::string("attribute ") + name);
}

void put_attr(hid_t where, const char *name, const std::string &value) {
  h5::Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char *text = value.c_str();
  put_attr(where, name, type.get(), &text);
}

void put_attr(hid_t where, const char *name, std::int64_t value) {
  put_attr(where, name, H5T_NATIVE_INT64, &value);
}

// A chunked dataset of shape (rows, cols) (cols = 0: 1-D), NaN (floats) or all ones (integers: -1, 255)
// where never written. Trajectory chunks are kChunkSteps steps wide (core/batch.hpp): a batch writes only the columns its
// trials reached, and the chunks past them are never allocated, so a file grows with the steps taken.
h5::Id make_dataset(hid_t file, const Column &c, hsize_t rows, hsize_t cols, int deflate) {
  const int rank = cols ? 2 : 1;
  hsize_t dims[2] = {rows, cols};
  const hsize_t elem = H5Tget_size(c.file_type);
  const hsize_t chunk_cols = std::min<hsize_t>(std::max<hsize_t>(cols, 1), kChunkSteps);
  const auto chunk_rows = static_cast<hsize_t>(
      chunk_trials(static_cast<std::int64_t>(elem), static_cast<std::int64_t>(chunk_cols)));
  hsize_t chunk[2] = {std::clamp<hsize_t>(chunk_rows, 1, std::max<hsize_t>(rows, 1)),
                      chunk_cols};
  h5::Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), rank, chunk);
  if (deflate > 0) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate));
  }
  const double nan = NAN;
  unsigned char ones[16];
  std::memset(ones, 0xff, sizeof ones);
  if (H5Tget_class(c.file_type) == H5T_FLOAT)
    H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan);
  else
    H5Pset_fill_value(dcpl.get(), c.file_type, ones);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_IFSET);
  h5::Id set(H5Dcreate2(file, c.path.c_str(), c.file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
             H5Dclose);
  if (!set)
    throw RunError("dataset " + c.path);
  if (!c.attr_name.empty())
    put_attr(set.get(), c.attr_name.c_str(), c.attr_text);
  return set;
}

// No chunk cache for trajectories: a batch writes whole chunks (default batches are a multiple of the chunk
// rows), which go straight to disk, and a cache would only hold memory (64 MiB a dataset would make a run's
// memory grow with its trial count until full). Per-trial datasets keep a small one: a batch fills only
// part of their chunks.
h5::Id open_dataset(hid_t file, const Column &c) {
  h5::Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 10007, static_cast<std::size_t>((c.per_step ? 0 : 2) * kChunkBytes), 1.0);
  return h5::Id(H5Dopen2(file, c.path.c_str(), dapl.get()), H5Dclose);
}

void write_contiguous(hid_t file, const char *name, const std::vector<double> &v) {
  hsize_t n = v.size();
  h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Id set(H5Dcreate2(file, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose);
  if (!set || H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw RunError(std::string("dataset ") + name);
}

// Rows [first, first + count) of a dataset from `data`, which holds `mem_cols` values a row (0: 1-D); only
// the first `cols` columns of each row are written.
void write_rows(const h5::Id &set, hid_t mem_type, std::int64_t first, std::int64_t count, hsize_t mem_cols,
                hsize_t cols, const void *data) {
  const int rank = mem_cols ? 2 : 1;
  hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  hsize_t size[2] = {static_cast<hsize_t>(count), cols};
  hsize_t mem_size[2] = {static_cast<hsize_t>(count), mem_cols};
  hsize_t origin[2] = {0, 0};
  h5::Id file_space(H5Dget_space(set.get()), H5Sclose);
  h5::Id mem_space(H5Screate_simple(rank, mem_size, nullptr), H5Sclose);
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) < 0 ||
      H5Sselect_hyperslab(mem_space.get(), H5S_SELECT_SET, origin, nullptr, size, nullptr) < 0 ||
      H5Dwrite(set.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw RunError("write failed (disk full?)");
}

// The root attributes that describe the run and the trials the file holds.
void write_run_attributes(hid_t f, const Problem &problem, const OutputInfo &info, const TrialRange &range,
                          std::int64_t done) {
  const RunConfig &c = problem.config;
  put_attr(f, "base_lr", H5T_NATIVE_DOUBLE, &c.base_lr);
  put_attr(f, "epochs", H5T_NATIVE_INT32, &c.epochs);
  put_attr(f, "diverge", H5T_NATIVE_DOUBLE, &c.diverge);
  put_attr(f, "seed", H5T_NATIVE_UINT64, &info.seed);
  put_attr(f, "w_min", H5T_NATIVE_DOUBLE, &info.w_min);
  put_attr(f, "w_max", H5T_NATIVE_DOUBLE, &info.w_max);
  put_attr(f, "sum_block", problem.data().sum_block);
  put_attr(f, "numpy_sum", info.numpy_sum);
  put_attr(f, "suggest", info.suggest);
  put_attr(f, "backend", info.backend);
  put_attr(f, "device", info.device);
  put_attr(f, "version", info.version);
  put_attr(f, "command_line", info.command_line);
  put_attr(f, "config", info.config);
  put_attr(f, "shard", info.shard);
  put_attr(f, "first_trial", range.first);
  put_attr(f, "trials", range.count);
  put_attr(f, "total_trials", range.total);
  put_attr(f, "trials_done", done);
  put_attr(f, "save", info.storage.save_text());
  put_attr(f, "precision", info.storage.precision_text());
  put_attr(f, "compress", info.storage.compress_text());
}

// The groups of the layout, then /data/x and /data/y.
void write_groups_and_data(hid_t f, const Problem &problem) {
  for (const std::string &g : result_groups()) {
    h5::Id group(H5Gcreate2(f, g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!group)
      throw RunError("group " + g);
  }
  write_contiguous(f, "/data/x", problem.x);
  write_contiguous(f, "/data/y", problem.y);
}

std::string partial_name(const std::string &final_path) {
  auto slash = final_path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : final_path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
  return dir + "." + base + ".partial";
}

} // namespace

H5Writer::H5Writer(std::string final_path, const Problem &problem, std::int64_t trials,
                   const OutputInfo &info)
    : H5Writer(std::move(final_path), problem, TrialRange{0, trials, trials}, info, false) {}

H5Writer::H5Writer(std::string final_path, const Problem &problem, TrialRange range, const OutputInfo &info,
                   bool resume)
    : final_path_(std::move(final_path)), partial_path_(partial_name(final_path_)),
      row_(problem.row_length()), range_(range), storage_(info.storage), columns_(result_columns(storage_)) {
  struct stat st {};
  const bool exists = ::stat(partial_path_.c_str(), &st) == 0;
  if (exists && resume && open_partial(info))
    return;
  if (exists)
    resume_note_ = resume ? "discarding " + partial_path_ + ": it is not a partial run of these settings"
                          : "replacing the partial file " + partial_path_;
  create(problem, info);
}

bool H5Writer::open_partial(const OutputInfo &info) {
  file_ = h5::Id(H5Fopen(partial_path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  if (!file_)
    return false;
  std::string config;
  std::int64_t first = -1, count = -1, total = -1, done = -1;
  const hid_t f = file_.get();
  if (!h5::read_attr(f, "config", config) || !h5::read_attr(f, "first_trial", first) ||
      !h5::read_attr(f, "trials", count) || !h5::read_attr(f, "total_trials", total) ||
      !h5::read_attr(f, "trials_done", done) || config != info.config || first != range_.first ||
      count != range_.count || total != range_.total || done < 0 || done > count) {
    file_.close();
    return false;
  }
  for (const Column &c : columns_) {
    sets_.push_back(open_dataset(f, c));
    if (!sets_.back()) {
      close_all();
      return false;
    }
  }
  done_ = done;
  resume_note_ = "resuming " + partial_path_ + " after " + std::to_string(done) + " of " +
                 std::to_string(count) + " trials";
  // The latest run describes the file: same results, perhaps another backend.
  put_attr(f, "backend", info.backend);
  put_attr(f, "device", info.device);
  put_attr(f, "command_line", info.command_line);
  return true;
}

void H5Writer::create(const Problem &problem, const OutputInfo &info) {
  file_ = h5::Id(H5Fcreate(partial_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file_)
    fail(final_path_, "cannot create " + partial_path_ + ": " + std::strerror(errno));
  try {
    const hid_t f = file_.get();
    write_run_attributes(f, problem, info, range_, 0);
    write_groups_and_data(f, problem);
    const auto n = static_cast<hsize_t>(range_.count), cols = static_cast<hsize_t>(row_);
    for (const Column &col : columns_) {
      make_dataset(f, col, n, col.per_step ? cols : 0, storage_.deflate);
      sets_.push_back(open_dataset(f, col));
    }
    if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0)
      throw RunError("flush failed (disk full?)");
  } catch (const RunError &e) {
    close_all();
    std::remove(partial_path_.c_str());
    fail(final_path_, e.what());
  }
}

bool H5Writer::close_all() {
  bool ok = true;
  for (h5::Id &set : sets_)
    ok = set.close() && ok;
  sets_.clear();
  return file_.close() && ok;
}

H5Writer::~H5Writer() {
  if (file_) {
    close_all();
    std::remove(partial_path_.c_str());
  }
}

void H5Writer::write(const Batch &b) {
  try {
    const std::int64_t at = b.first - range_.first;
    if (at != done_ || at + b.size() > range_.count)
      throw RunError("batch of trials " + std::to_string(b.first) + ".. out of order");
    // The steps any trial of the batch reached: columns past them stay unwritten (NaN, and no space).
    const auto used = static_cast<hsize_t>(std::max<std::int64_t>(b.columns_used(), 1));
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const hsize_t mem_cols = columns_[i].per_step ? static_cast<hsize_t>(row_) : 0;
      write_rows(sets_[i], columns_[i].mem_type, at, b.size(), mem_cols, columns_[i].per_step ? used : 0,
                 column_data(columns_[i], b));
    }
    done_ = at + b.size();
    // The checkpoint: data first, then the count that says it is there.
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0)
      throw RunError("flush failed (disk full?)");
    put_attr(file_.get(), "trials_done", done_);
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0)
      throw RunError("flush failed (disk full?)");
  } catch (const RunError &e) {
    fail(partial_path_, e.what());
  }
}

void H5Writer::commit() {
  if (!close_all()) {
    std::remove(partial_path_.c_str());
    fail(partial_path_, "closing the file failed (disk full?)");
  }
  if (std::rename(partial_path_.c_str(), final_path_.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(partial_path_.c_str());
    fail(final_path_, "rename from " + partial_path_ + " failed: " + why);
  }
}

void H5Writer::keep() {
  close_all();
}

void write_virtual(const std::string &final_path, const Problem &problem, const OutputInfo &info,
                   std::int64_t total, const std::vector<VirtualSource> &sources) {
  const std::string partial = partial_name(final_path);
  h5::Id file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file)
    fail(final_path, "cannot create " + partial + ": " + std::strerror(errno));
  try {
    const hid_t f = file.get();
    write_run_attributes(f, problem, info, TrialRange{0, total, total}, total);
    write_groups_and_data(f, problem);
    const auto cols = static_cast<hsize_t>(problem.row_length());
    for (const Column &c : result_columns(info.storage)) {
      const int rank = c.per_step ? 2 : 1;
      hsize_t dims[2] = {static_cast<hsize_t>(total), cols};
      h5::Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
      h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
      for (const VirtualSource &src : sources) {
        hsize_t start[2] = {static_cast<hsize_t>(src.range.first), 0};
        hsize_t size[2] = {static_cast<hsize_t>(src.range.count), cols};
        h5::Id src_space(H5Screate_simple(rank, size, nullptr), H5Sclose);
        H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr);
        if (H5Pset_virtual(dcpl.get(), space.get(), src.file.c_str(), c.path.c_str(), src_space.get()) < 0)
          throw RunError("virtual mapping of " + c.path + " to " + src.file);
      }
      H5Sselect_all(space.get());
      h5::Id set(
          H5Dcreate2(f, c.path.c_str(), c.file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
          H5Dclose);
      if (!set)
        throw RunError("dataset " + c.path);
      if (!c.attr_name.empty())
        put_attr(set.get(), c.attr_name.c_str(), c.attr_text);
    }
  } catch (const RunError &e) {
    file.close();
    std::remove(partial.c_str());
    fail(final_path, e.what());
  }
  if (!file.close() || std::rename(partial.c_str(), final_path.c_str()) != 0) {
    std::remove(partial.c_str());
    fail(final_path, "closing or renaming " + partial + " failed");
  }
}

} // namespace lrf
