#include "io/layout.hpp"

#include "analysis/rules.hpp"
#include "core/errors.hpp"
#include "io/h5.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace lrf {
namespace {

// The dimension scales (root datasets of these names) and the named enum types, at the root, where
// netCDF's scoping lets every group use them.
constexpr const char *kTrialScale = "/trial", *kStepScale = "/step", *kPointScale = "/point";
constexpr const char *kScanType = "/scan_t", *kStatusType = "/status_t";

// An enum over one byte with the codes and names of Scan or Status (core/trial.hpp): as stored
// (little-endian) or in memory. Made once and kept for the process, as HDF5's predefined types are.
hid_t code_type(Column::Field field, bool native) {
  auto make = [](bool scan, bool in_memory) {
    const hid_t type = H5Tenum_create(in_memory ? H5T_NATIVE_UINT8 : H5T_STD_U8LE);
    for (std::uint8_t code = 0; code < (scan ? 2 : 4); ++code)
      H5Tenum_insert(type, scan ? scan_name(Scan{code}) : status_name(Status{code}), &code);
    return type;
  };
  static const hid_t types[2][2] = {{make(true, false), make(true, true)},
                                    {make(false, false), make(false, true)}};
  return types[field == Column::Field::status][native];
}

// The file's named type a column is stored as, or nullptr for a predefined one.
const char *named_type(const Column &c) {
  return c.field == Column::Field::scan     ? kScanType
         : c.field == Column::Field::status ? kStatusType
                                            : nullptr;
}

void describe(hid_t set, const std::string &description, const std::string &units) {
  h5::write_attr(set, "description", description);
  h5::write_attr(set, "units", units);
}

void write_contiguous(hid_t file, const char *name, const std::vector<double> &v) {
  hsize_t n = v.size();
  h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Id set(H5Dcreate2(file, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose);
  if (!set || H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw RunError(std::string("dataset ") + name);
}

// A dimension scale of the indices first .. first + n - 1, a coordinate, written chunk by chunk: a run of
// 1e9 trials has 1e9 of them, which compressed take a few bytes a chunk. Its chunks carry a checksum, as
// every per-trial chunk does.
void write_scale(hid_t file, const char *path, std::int64_t first, std::int64_t n, const char *description) {
  const auto size = static_cast<hsize_t>(n);
  const hsize_t chunk = std::clamp<hsize_t>(size, 1, hsize_t{1} << 20);
  h5::Id space(H5Screate_simple(1, &size, nullptr), H5Sclose);
  h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), 1, &chunk);
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), 1);
  }
  H5Pset_fletcher32(dcpl.get());
  h5::Id set(H5Dcreate2(file, path, H5T_STD_I64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
             H5Dclose);
  if (!set)
    throw RunError(std::string("dataset ") + path);
  std::vector<std::int64_t> values(static_cast<std::size_t>(std::min(chunk, size)));
  for (hsize_t at = 0; at < size; at += chunk) {
    hsize_t count = std::min(chunk, size - at);
    for (hsize_t i = 0; i < count; ++i)
      values[i] = first + static_cast<std::int64_t>(at + i);
    h5::Id file_space(H5Dget_space(set.get()), H5Sclose);
    h5::Id mem_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &at, nullptr, &count, nullptr) < 0 ||
        H5Dwrite(set.get(), H5T_NATIVE_INT64, mem_space.get(), file_space.get(), H5P_DEFAULT, values.data()) <
            0)
      throw RunError(std::string("dataset ") + path + ": write failed (disk full?)");
  }
  h5::make_scale(set.get(), path + 1);
  describe(set.get(), description, "");
}

h5::Id open_set(hid_t file, const char *path) {
  h5::Id set(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
  if (!set)
    throw RunError(std::string("dataset ") + path);
  return set;
}

} // namespace

std::vector<Column> result_columns(const Storage &storage) {
  using F = Column::Field;
  const hid_t f64 = H5T_IEEE_F64LE, i32 = H5T_STD_I32LE;
  const hid_t d = H5T_NATIVE_DOUBLE;
  const hid_t traj = storage.f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  const std::string past_end = "; NaN past the trial's end (step > /trials/steps)";
  std::vector<Column> c;
  if (!storage.rows)
    return c;
  if (storage.loss)
    c.push_back({"/loss", traj, d, true, F::loss,
                 "loss (root attribute loss) after `step` updates (step 0: at start_weight)" + past_end,
                 "1"});
  if (storage.weight)
    c.push_back({"/weight", traj, d, true, F::weight,
                 "weight w after `step` updates (step 0: start_weight)" + past_end, "1"});
  if (storage.lr)
    c.push_back({"/lr", traj, d, true, F::lr,
                 "learning rate of update `step` (step 0: base_lr, the rate of update 1)" + past_end, "1"});
  c.insert(c.end(),
           {
               {"/trials/start_weight", f64, d, false, F::start_weight, "start weight w0 of the trial", "1"},
               {"/trials/scan", code_type(F::scan, false), code_type(F::scan, true), false, F::scan,
                "how the learning rate grows after each update: linear (lr += factor) or exp (lr *= factor)",
                "", "codes", "0: linear (lr += factor), 1: exp (lr *= factor)"},
               {"/trials/factor", f64, d, false, F::factor,
                "the scan's factor: added to (linear) or multiplied into (exp) the learning rate after each "
                "update",
                "1"},
               {"/trials/steps", i32, H5T_NATIVE_INT32, false, F::steps,
                "updates performed; the trial's trajectory has steps + 1 entries", "", "meaning",
                "updates performed; the trajectory has steps + 1 entries"},
               {"/trials/status", code_type(F::status, false), code_type(F::status, true), false, F::status,
                "how the trial ended: diverged (loss > diverge), completed (ran all epochs), stalled (w "
                "stopped moving), rose (loss > stop_factor times the lowest loss so far)",
                "", "codes",
                "0: diverged (loss > diverge), 1: completed (ran all epochs), 2: stalled (w stopped moving), "
                "3: rose (loss > stop_factor times the lowest loss so far)"},
               {"/trials/suggested_lr", f64, d, false, F::suggested_lr,
                "learning rate the run's headline rule (root attribute suggest) suggests; NaN where it has "
                "none",
                "1", "meaning", "the suggestion of the run's headline rule (attribute suggest)"},
           });
  const auto &rules = rule_names();
  for (std::size_t r = 0; r < rules.size(); ++r)
    c.push_back({"/trials/suggest/" + rules[r], f64, d, false, F::suggest,
                 "learning rate the rule " + rules[r] + " suggests; NaN where it has none", "1", "", "", r});
  return c;
}

const void *column_data(const Column &c, const Batch &b) {
  static_assert(sizeof(Scan) == 1 && sizeof(Status) == 1, "stored as u8");
  switch (c.field) {
  case Column::Field::loss:
    return b.loss.data();
  case Column::Field::weight:
    return b.weight.data();
  case Column::Field::lr:
    return b.lr.data();
  case Column::Field::start_weight:
    return b.start_weight.data();
  case Column::Field::scan:
    return b.scan.data();
  case Column::Field::factor:
    return b.factor.data();
  case Column::Field::steps:
    return b.steps.data();
  case Column::Field::status:
    return b.status.data();
  case Column::Field::suggested_lr:
    return b.suggested_lr.data();
  case Column::Field::suggest:
    return b.suggest[c.rule].data();
  }
  return nullptr;
}

void *column_data(const Column &c, Batch &b) {
  // The same array; the batch is ours to change.
  return const_cast<void *>(column_data(c, static_cast<const Batch &>(b)));
}

void write_run_attributes(hid_t f, const Problem &problem, const OutputInfo &info, const TrialRange &range,
                          std::int64_t done) {
  const RunConfig &c = problem.config;
  h5::write_attr(f, "base_lr", H5T_NATIVE_DOUBLE, &c.base_lr);
  h5::write_attr(f, "epochs", H5T_NATIVE_INT32, &c.epochs);
  h5::write_attr(f, "diverge", H5T_NATIVE_DOUBLE, &c.diverge);
  h5::write_attr(f, "stop_factor", H5T_NATIVE_DOUBLE, &c.stop_factor);
  h5::write_attr(f, "arith", std::string(arith_name(c.arith)));
  h5::write_attr(f, "loss", std::string(loss_name(c.loss)));
  h5::write_attr(f, "huber_delta", H5T_NATIVE_DOUBLE, &c.huber_delta);
  h5::write_attr(f, "minibatch", c.minibatch);
  h5::write_attr(f, "seed", H5T_NATIVE_UINT64, &info.seed);
  h5::write_attr(f, "w_min", H5T_NATIVE_DOUBLE, &info.w_min);
  h5::write_attr(f, "w_max", H5T_NATIVE_DOUBLE, &info.w_max);
  h5::write_attr(f, "sum_block", problem.data().sum_block);
  h5::write_attr(f, "numpy_sum", info.numpy_sum);
  h5::write_attr(f, "suggest", info.suggest);
  h5::write_attr(f, "backend", info.backend);
  h5::write_attr(f, "device", info.device);
  h5::write_attr(f, "version", info.version);
  h5::write_attr(f, "command_line", info.command_line);
  h5::write_attr(f, "config", info.config);
  h5::write_attr(f, "shard", info.shard);
  h5::write_attr(f, "first_trial", range.first);
  h5::write_attr(f, "trials", range.count);
  h5::write_attr(f, "total_trials", range.total);
  h5::write_attr(f, "trials_done", done);
  h5::write_attr(f, "save", info.storage.save_text());
  h5::write_attr(f, "precision", info.storage.precision_text());
  h5::write_attr(f, "compress", info.storage.compress_text());
  h5::write_attr(f, "layout_version", kLayoutVersion);
}

void write_structure(hid_t f, const Problem &problem, const Storage &storage, const TrialRange &range) {
  std::vector<std::string> groups{"/data"};
  if (storage.rows)
    groups.insert(groups.begin(), {"/trials", "/trials/suggest"});
  for (const std::string &g : groups) {
    h5::Id group(H5Gcreate2(f, g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!group)
      throw RunError("group " + g);
  }
  if (storage.rows)
    for (const auto &[path, field] :
         {std::pair{kScanType, Column::Field::scan}, {kStatusType, Column::Field::status}}) {
      h5::Id type(H5Tcopy(code_type(field, false)), H5Tclose);
      if (H5Tcommit2(f, path, type.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) < 0)
        throw RunError(std::string("named type ") + path);
    }
  write_contiguous(f, "/data/x", problem.x);
  write_contiguous(f, "/data/y", problem.y);
  write_scale(f, kPointScale, 0, static_cast<std::int64_t>(problem.x.size()),
              "index of a data point in /data/x and /data/y");
  const h5::Id point = open_set(f, kPointScale);
  for (const auto &[path, text] : {std::pair{"/data/x", "x of each data point; the model is y = w * x"},
                                   {"/data/y", "y of each data point"}}) {
    const h5::Id set = open_set(f, path);
    describe(set.get(), text, "1");
    h5::attach_scales(set.get(), {point.get()});
  }
  if (!storage.rows)
    return;
  write_scale(f, kTrialScale, range.first, range.count,
              "index of the trial in the run: row i of the file is trial first_trial + i");
  for (const char *link : {"/trials/trial", "/trials/suggest/trial"})
    if (H5Lcreate_hard(f, kTrialScale, f, link, H5P_DEFAULT, H5P_DEFAULT) < 0)
      throw RunError(std::string("link ") + link);
  if (storage.trajectories())
    write_scale(f, kStepScale, 0, problem.row_length(),
                "entry of a trajectory: after `step` updates (0: the start)");
}

h5::Id create_column(hid_t f, const Column &c, hid_t space, hid_t dcpl) {
  // Never written: NaN (floats) or all ones (integers: -1, 255, which no code is).
  const double nan = NAN;
  unsigned char ones[16];
  std::memset(ones, 0xff, sizeof ones);
  const bool real = H5Tget_class(c.file_type) == H5T_FLOAT;
  if (real)
    H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
  else
    H5Pset_fill_value(dcpl, c.file_type, ones);
  const char *named = named_type(c);
  h5::Id type(named ? H5Topen2(f, named, H5P_DEFAULT) : H5I_INVALID_HID, H5Tclose);
  if (named && !type)
    throw RunError(std::string("named type ") + named);
  h5::Id set(
      H5Dcreate2(f, c.path.c_str(), named ? type.get() : c.file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
      H5Dclose);
  if (!set)
    throw RunError("dataset " + c.path);
  describe(set.get(), c.description, c.units);
  if (c.per_step) { // netCDF's missing value, of the variable's own type
    const float nan32 = NAN;
    if (H5Tget_size(c.file_type) == sizeof nan32)
      h5::write_attr(set.get(), "_FillValue", H5T_NATIVE_FLOAT, &nan32);
    else
      h5::write_attr(set.get(), "_FillValue", H5T_NATIVE_DOUBLE, &nan);
  }
  if (!c.attr_name.empty())
    h5::write_attr(set.get(), c.attr_name.c_str(), c.attr_text);
  const h5::Id trial = open_set(f, kTrialScale);
  if (c.per_step)
    h5::attach_scales(set.get(), {trial.get(), open_set(f, kStepScale).get()});
  else
    h5::attach_scales(set.get(), {trial.get()});
  return set;
}

void size_batch(Batch &b, std::int64_t count, std::int64_t row) {
  const auto n = static_cast<std::size_t>(count);
  b.count = static_cast<std::int64_t>(n);
  b.reduced.on = false;
  b.start_weight.resize(n);
  b.scan.resize(n);
  b.factor.resize(n);
  b.size_outputs(row);
  b.suggest.resize(rule_names().size());
  for (auto &values : b.suggest)
    values.resize(n);
}

} // namespace lrf
