#include "io/layout.hpp"

#include "analysis/rules.hpp"
#include "core/errors.hpp"
#include "io/h5.hpp"

namespace lrf {
namespace {

void write_contiguous(hid_t file, const char *name, const std::vector<double> &v) {
  hsize_t n = v.size();
  h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Id set(H5Dcreate2(file, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose);
  if (!set || H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw RunError(std::string("dataset ") + name);
}

} // namespace

std::vector<Column> result_columns(const Storage &storage) {
  using F = Column::Field;
  const hid_t f64 = H5T_IEEE_F64LE, u8 = H5T_STD_U8LE, i32 = H5T_STD_I32LE;
  const hid_t d = H5T_NATIVE_DOUBLE;
  const hid_t traj = storage.f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  std::vector<Column> c;
  if (!storage.rows)
    return c;
  if (storage.loss)
    c.push_back({"/loss", traj, d, true, "", "", F::loss});
  if (storage.weight)
    c.push_back({"/weight", traj, d, true, "", "", F::weight});
  if (storage.lr)
    c.push_back({"/lr", traj, d, true, "", "", F::lr});
  c.insert(c.end(),
           {
               {"/trials/start_weight", f64, d, false, "", "", F::start_weight},
               {"/trials/scan", u8, H5T_NATIVE_UINT8, false, "codes",
                "0: linear (lr += factor), 1: exp (lr *= factor)", F::scan},
               {"/trials/factor", f64, d, false, "", "", F::factor},
               {"/trials/steps", i32, H5T_NATIVE_INT32, false, "meaning",
                "updates performed; the trajectory has steps + 1 entries", F::steps},
               {"/trials/status", u8, H5T_NATIVE_UINT8, false, "codes",
                "0: diverged (loss > diverge), 1: completed (ran all epochs), 2: stalled (w stopped moving), "
                "3: rose (loss > stop_factor times the lowest loss so far)",
                F::status},
               {"/trials/suggested_lr", f64, d, false, "meaning",
                "the suggestion of the run's headline rule (attribute suggest)", F::suggested_lr},
           });
  const auto &rules = rule_names();
  for (std::size_t r = 0; r < rules.size(); ++r)
    c.push_back({"/trials/suggest/" + rules[r], f64, d, false, "", "", F::suggest, r});
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
}

void write_groups_and_data(hid_t f, const Problem &problem, const Storage &storage) {
  std::vector<std::string> groups{"/data"};
  if (storage.rows)
    groups.insert(groups.begin(), {"/trials", "/trials/suggest"});
  for (const std::string &g : groups) {
    h5::Id group(H5Gcreate2(f, g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!group)
      throw RunError("group " + g);
  }
  write_contiguous(f, "/data/x", problem.x);
  write_contiguous(f, "/data/y", problem.y);
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
