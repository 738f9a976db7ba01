#include "h5_layout.hpp"

#include "analysis.hpp"
#include "errors.hpp"

namespace lrf {

std::string Storage::save_text() const {
  std::string s;
  for (auto [keep, name] : {std::pair{loss, "loss"}, std::pair{weight, "weight"}, std::pair{lr, "lr"}})
    if (keep)
      s += (s.empty() ? "" : ",") + std::string(name);
  return s.empty() ? "none" : s;
}

std::string Storage::precision_text() const {
  return f32 ? "f32" : "f64";
}

std::string Storage::compress_text() const {
  return deflate ? "deflate:" + std::to_string(deflate) : "none";
}

Storage parse_storage(const std::string &save, const std::string &precision, const std::string &compress) {
  Storage s;
  if (save != "none") {
    s.loss = s.weight = s.lr = false;
    std::size_t at = 0;
    for (;;) {
      auto comma = save.find(',', at);
      const std::string name = save.substr(at, comma - at);
      bool *flag = name == "loss" ? &s.loss : name == "weight" ? &s.weight : name == "lr" ? &s.lr : nullptr;
      if (!flag)
        throw InputError("--save: '" + name + "' in '" + save + "' is not loss, weight or lr (or none)");
      *flag = true;
      if (comma == std::string::npos)
        break;
      at = comma + 1;
    }
  } else {
    s.loss = s.weight = s.lr = false;
  }
  if (precision != "f64" && precision != "f32")
    throw InputError("--precision: '" + precision + "' is not f64 or f32");
  s.f32 = precision == "f32";
  if (compress != "none") {
    const std::string prefix = "deflate:";
    const std::string level =
        compress.compare(0, prefix.size(), prefix) == 0 ? compress.substr(prefix.size()) : "";
    if (level.size() != 1 || level[0] < '1' || level[0] > '9')
      throw InputError("--compress: '" + compress + "' is not none or deflate:N with N in 1..9");
    s.deflate = level[0] - '0';
  }
  return s;
}

std::vector<Column> result_columns(const Storage &storage) {
  const hid_t f64 = H5T_IEEE_F64LE, u8 = H5T_STD_U8LE, i32 = H5T_STD_I32LE;
  const hid_t d = H5T_NATIVE_DOUBLE;
  const hid_t traj = storage.f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  std::vector<Column> c;
  if (storage.loss)
    c.push_back({"/loss", traj, d, true, "", "", [](Batch &b) -> void * { return b.loss.data(); }});
  if (storage.weight)
    c.push_back({"/weight", traj, d, true, "", "", [](Batch &b) -> void * { return b.weight.data(); }});
  if (storage.lr)
    c.push_back({"/lr", traj, d, true, "", "", [](Batch &b) -> void * { return b.lr.data(); }});
  c.insert(c.end(),
           {
               {"/trials/start_weight", f64, d, false, "", "",
                [](Batch &b) -> void * { return b.start_weight.data(); }},
               {"/trials/scan", u8, H5T_NATIVE_UINT8, false, "codes",
                "0: linear (lr += factor), 1: exp (lr *= factor)",
                [](Batch &b) -> void * { return b.scan.data(); }},
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
           });
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
