#include "io/layout.hpp"

#include "analysis/rules.hpp"

namespace lrf {

std::vector<Column> result_columns(const Storage &storage) {
  using F = Column::Field;
  const hid_t f64 = H5T_IEEE_F64LE, u8 = H5T_STD_U8LE, i32 = H5T_STD_I32LE;
  const hid_t d = H5T_NATIVE_DOUBLE;
  const hid_t traj = storage.f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  std::vector<Column> c;
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
                "0: diverged (loss > diverge), 1: completed (ran all epochs), 2: stalled (w stopped moving)",
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

const std::vector<std::string> &result_groups() {
  static const std::vector<std::string> groups{"/trials", "/trials/suggest", "/data"};
  return groups;
}

void size_batch(Batch &b, std::int64_t count, std::int64_t row) {
  const auto n = static_cast<std::size_t>(count);
  b.start_weight.resize(n);
  b.scan.resize(n);
  b.factor.resize(n);
  b.size_outputs(row);
  b.suggest.resize(rule_names().size());
  for (auto &values : b.suggest)
    values.resize(n);
}

} // namespace lrf
