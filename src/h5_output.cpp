#include "h5_output.hpp"

#include "analysis.hpp"
#include "errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace lrf {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20; // ~1 MiB chunks: h5py reads rows fast

[[noreturn]] void fail(const std::string &file, const std::string &what) {
  throw RunError("cannot write " + file + ": " + what);
}

void put_attr(hid_t where, const char *name, hid_t type, const void *value) {
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

// A chunked dataset of shape (rows, cols) (cols = 0: 1-D) filled with `fill` where never written.
h5::Id make_dataset(hid_t parent, const char *name, hid_t type, hsize_t rows, hsize_t cols,
                    const void *fill) {
  const int rank = cols ? 2 : 1;
  hsize_t dims[2] = {rows, cols};
  const hsize_t elem = H5Tget_size(type);
  hsize_t chunk_rows = std::max<hsize_t>(1, kChunkBytes / (elem * std::max<hsize_t>(cols, 1)));
  hsize_t chunk[2] = {std::min(rows, chunk_rows), cols};
  h5::Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), rank, chunk);
  H5Pset_fill_value(dcpl.get(), type, fill);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_IFSET);
  h5::Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 10007, 64 * kChunkBytes, 1.0); // batch edges split chunks: keep them
  h5::Id set(H5Dcreate2(parent, name, type, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()), H5Dclose);
  if (!set)
    throw RunError(std::string("dataset ") + name);
  return set;
}

void write_contiguous(hid_t parent, const char *name, const std::vector<double> &v) {
  hsize_t n = v.size();
  h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Id set(H5Dcreate2(parent, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose);
  if (!set || H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw RunError(std::string("dataset ") + name);
}

// Rows [first, first + count) of a dataset from `data`.
void write_rows(const h5::Id &set, hid_t mem_type, std::int64_t first, std::int64_t count, hsize_t cols,
                const void *data) {
  const int rank = cols ? 2 : 1;
  hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  hsize_t size[2] = {static_cast<hsize_t>(count), cols};
  h5::Id file_space(H5Dget_space(set.get()), H5Sclose);
  h5::Id mem_space(H5Screate_simple(rank, size, nullptr), H5Sclose);
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) < 0 ||
      H5Dwrite(set.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw RunError("write failed (disk full?)");
}

std::string temp_name(const std::string &final_path) {
  auto slash = final_path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : final_path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
  return dir + "." + base + ".tmp" + std::to_string(::getpid());
}

} // namespace

H5Writer::H5Writer(std::string final_path, const Problem &problem, std::int64_t trials,
                   const OutputInfo &info)
    : final_path_(std::move(final_path)), temp_path_(temp_name(final_path_)), row_(problem.row_length()) {
  file_ = h5::Id(H5Fcreate(temp_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file_)
    fail(final_path_, "cannot create " + temp_path_ + ": " + std::strerror(errno));
  try {
    const hid_t f = file_.get();
    const RunConfig &c = problem.config;
    put_attr(f, "base_lr", H5T_NATIVE_DOUBLE, &c.base_lr);
    put_attr(f, "epochs", H5T_NATIVE_INT32, &c.epochs);
    put_attr(f, "diverge", H5T_NATIVE_DOUBLE, &c.diverge);
    put_attr(f, "seed", H5T_NATIVE_UINT64, &info.seed);
    put_attr(f, "w_min", H5T_NATIVE_DOUBLE, &info.w_min);
    put_attr(f, "w_max", H5T_NATIVE_DOUBLE, &info.w_max);
    const std::int64_t block = problem.data().sum_block;
    put_attr(f, "sum_block", H5T_NATIVE_INT64, &block);
    put_attr(f, "numpy_sum", info.numpy_sum);
    put_attr(f, "backend", info.backend);
    put_attr(f, "device", info.device);
    put_attr(f, "version", info.version);
    put_attr(f, "command_line", info.command_line);

    const double nan = NAN;
    const auto n = static_cast<hsize_t>(trials), cols = static_cast<hsize_t>(row_);
    loss_ = make_dataset(f, "/loss", H5T_IEEE_F64LE, n, cols, &nan);
    weight_ = make_dataset(f, "/weight", H5T_IEEE_F64LE, n, cols, &nan);
    lr_ = make_dataset(f, "/lr", H5T_IEEE_F64LE, n, cols, &nan);

    h5::Id trials_group(H5Gcreate2(f, "/trials", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    h5::Id data_group(H5Gcreate2(f, "/data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!trials_group || !data_group)
      throw RunError("groups");
    const hid_t t = trials_group.get();
    const std::uint8_t u8_fill = 255;
    const std::int32_t i32_fill = -1;
    start_weight_ = make_dataset(t, "start_weight", H5T_IEEE_F64LE, n, 0, &nan);
    scan_ = make_dataset(t, "scan", H5T_STD_U8LE, n, 0, &u8_fill);
    put_attr(scan_.get(), "codes", "0: linear (lr += factor), 1: exp (lr *= factor)");
    factor_ = make_dataset(t, "factor", H5T_IEEE_F64LE, n, 0, &nan);
    steps_ = make_dataset(t, "steps", H5T_STD_I32LE, n, 0, &i32_fill);
    put_attr(steps_.get(), "meaning", "updates performed; the trajectory has steps + 1 entries");
    status_ = make_dataset(t, "status", H5T_STD_U8LE, n, 0, &u8_fill);
    put_attr(status_.get(), "codes",
             "0: diverged (loss > diverge), 1: completed (ran all epochs), 2: stalled (w stopped moving)");
    suggested_ = make_dataset(t, "suggested_lr", H5T_IEEE_F64LE, n, 0, &nan);
    put_attr(suggested_.get(), "meaning",
             "lr at the steepest descent of loss against ln(lr) before the minimum");
    h5::Id rules_group(H5Gcreate2(t, "suggest", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!rules_group)
      throw RunError("groups");
    for (const std::string &rule : rule_names())
      rules_.push_back(make_dataset(rules_group.get(), rule.c_str(), H5T_IEEE_F64LE, n, 0, &nan));
    write_contiguous(data_group.get(), "x", problem.x);
    write_contiguous(data_group.get(), "y", problem.y);
  } catch (const RunError &e) {
    file_.close();
    std::remove(temp_path_.c_str());
    fail(final_path_, e.what());
  }
}

bool H5Writer::close_all() {
  bool ok = true;
  for (h5::Id &set : rules_)
    ok = set.close() && ok;
  for (h5::Id *set :
       {&loss_, &weight_, &lr_, &start_weight_, &scan_, &factor_, &steps_, &status_, &suggested_})
    ok = set->close() && ok;
  return file_.close() && ok;
}

H5Writer::~H5Writer() {
  if (file_) {
    close_all();
    std::remove(temp_path_.c_str());
  }
}

void H5Writer::write(const Batch &b) {
  static_assert(sizeof(Scan) == 1 && sizeof(Status) == 1, "stored as u8");
  try {
    const auto cols = static_cast<hsize_t>(row_);
    write_rows(loss_, H5T_NATIVE_DOUBLE, b.first, b.size(), cols, b.loss.data());
    write_rows(weight_, H5T_NATIVE_DOUBLE, b.first, b.size(), cols, b.weight.data());
    write_rows(lr_, H5T_NATIVE_DOUBLE, b.first, b.size(), cols, b.lr.data());
    write_rows(start_weight_, H5T_NATIVE_DOUBLE, b.first, b.size(), 0, b.start_weight.data());
    write_rows(scan_, H5T_NATIVE_UINT8, b.first, b.size(), 0, b.scan.data());
    write_rows(factor_, H5T_NATIVE_DOUBLE, b.first, b.size(), 0, b.factor.data());
    write_rows(steps_, H5T_NATIVE_INT32, b.first, b.size(), 0, b.steps.data());
    write_rows(status_, H5T_NATIVE_UINT8, b.first, b.size(), 0, b.status.data());
    write_rows(suggested_, H5T_NATIVE_DOUBLE, b.first, b.size(), 0, b.suggested_lr.data());
    for (std::size_t r = 0; r < rules_.size(); ++r)
      write_rows(rules_[r], H5T_NATIVE_DOUBLE, b.first, b.size(), 0, b.suggest[r].data());
  } catch (const RunError &e) {
    fail(temp_path_, e.what());
  }
}

void H5Writer::commit() {
  if (!close_all()) {
    std::remove(temp_path_.c_str());
    fail(temp_path_, "closing the file failed (disk full?)");
  }
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(temp_path_.c_str());
    fail(final_path_, "rename from " + temp_path_ + " failed: " + why);
  }
}

} // namespace lrf
