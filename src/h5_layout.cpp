#include "h5_layout.hpp"

#include "analysis.hpp"

namespace lrf {

std::vector<Column> result_columns() {
  const hid_t f64 = H5T_IEEE_F64LE, u8 = H5T_STD_U8LE, i32 = H5T_STD_I32LE;
  const hid_t d = H5T_NATIVE_DOUBLE;
  std::vector<Column> c{
      {"/loss", f64, d, true, "", "", [](Batch &b) -> void * { return b.loss.data(); }},
      {"/weight", f64, d, true, "", "", [](Batch &b) -> void * { return b.weight.data(); }},
      {"/lr", f64, d, true, "", "", [](Batch &b) -> void * { return b.lr.data(); }},
      {"/trials/start_weight", f64, d, false, "", "",
       [](Batch &b) -> void * { return b.start_weight.data(); }},
      {"/trials/scan", u8, H5T_NATIVE_UINT8, false, "codes",
       "0: linear (lr += factor), 1: exp (lr *= factor)", [](Batch &b) -> void * { return b.scan.data(); }},
      {"/trials/factor", f64, d, false, "", "", [](Batch &b) -> void * { return b.factor.data(); }},
      {"/trials/steps", i32, H5T_NATIVE_INT32, false, "meaning",
       "updates performed; the trajectory has steps + 1 entries",
       [](Batch &b) -> void * { return b.steps.data(); }},
      {"/trials/status", u8, H5T_NATIVE_UINT8, false, "codes",
       "0: diverged (loss > diverge), 1: completed (ran all epochs), 2: stalled (w stopped moving)",
       [](Batch &b) -> void * { return b.status.data(); }},
      {"/trials/suggested_lr", f64, d, false, "meaning",
       "the suggestion of the run's headline rule (attribute suggest)",
       [](Batch &b) -> void * { return b.suggested_lr.data(); }},
  };
  const auto &rules = rule_names();
  for (std::size_t r = 0; r < rules.size(); ++r)
    c.push_back({"/trials/suggest/" + rules[r], f64, d, false, "", "",
                 [r](Batch &b) -> void * { return b.suggest[r].data(); }});
  return c;
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
