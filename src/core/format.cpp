#include "core/format.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lrf {

std::string shortest(double v) {
  std::string best;
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if ((std::strtod(buf, nullptr) == v || v != v) && (best.empty() || std::string(buf).size() < best.size()))
      best = buf;
  }
  return best;
}

std::string loss_text(const RunConfig &c) {
  return c.loss == Loss::huber ? "huber:" + shortest(c.huber_delta) : loss_name(c.loss);
}

std::string parse_loss(const std::string &text, RunConfig &c) {
  for (Loss l : {Loss::mse, Loss::mae, Loss::logistic})
    if (text == loss_name(l)) {
      c.loss = l;
      return "";
    }
  if (text == "huber" || text.rfind("huber:", 0) == 0) {
    double delta = 1.0; // torch.nn.HuberLoss's default
    if (text != "huber") {
      const std::string d = text.substr(6);
      char *end = nullptr;
      delta = std::strtod(d.c_str(), &end);
      if (d.empty() || *end != '\0' || !(delta > 0) || !std::isfinite(delta))
        return "'" + text + "': DELTA must be a positive finite number";
    }
    c.loss = Loss::huber;
    c.huber_delta = delta;
    return "";
  }
  return "'" + text + "' is not one of mse, mae, huber[:DELTA], logistic";
}

} // namespace lrf
