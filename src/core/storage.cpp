#include "core/storage.hpp"

#include <utility>

namespace lrf {

std::string Storage::save_text() const {
  if (!rows)
    return "stats";
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

std::string parse_save(const std::string &text, Storage &storage) {
  Storage s = storage;
  s.loss = s.weight = s.lr = false;
  s.rows = text != "stats";
  if (text != "none" && text != "stats")
    for (std::size_t at = 0;;) {
      auto comma = text.find(',', at);
      const std::string name = text.substr(at, comma - at);
      bool *flag = name == "loss" ? &s.loss : name == "weight" ? &s.weight : name == "lr" ? &s.lr : nullptr;
      if (!flag)
        return "'" + name + "' in '" + text + "' is not loss, weight or lr (or none, or stats)";
      *flag = true;
      if (comma == std::string::npos)
        break;
      at = comma + 1;
    }
  storage = s;
  return "";
}

std::string parse_precision(const std::string &text, Storage &storage) {
  if (text != "f64" && text != "f32")
    return "'" + text + "' is not f64 or f32";
  storage.f32 = text == "f32";
  return "";
}

std::string parse_compress(const std::string &text, Storage &storage) {
  if (text == "none") {
    storage.deflate = 0;
    return "";
  }
  const std::string prefix = "deflate:";
  const std::string level = text.compare(0, prefix.size(), prefix) == 0 ? text.substr(prefix.size()) : "";
  if (level.size() != 1 || level[0] < '1' || level[0] > '9')
    return "'" + text + "' is not none or deflate:N with N in 1..9";
  storage.deflate = level[0] - '0';
  return "";
}

} // namespace lrf
