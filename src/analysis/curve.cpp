#include "analysis/curve.hpp"

#include "core/format.hpp"

#include <cstdlib>

namespace lrf {

bool parse_smoothing(const std::string &text, Smoothing &out) {
  if (text == "none") {
    out = Smoothing{};
    return true;
  }
  auto colon = text.find(':');
  if (colon == std::string::npos)
    return false;
  const std::string kind = text.substr(0, colon), number = text.substr(colon + 1);
  char *end = nullptr;
  double beta = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || !(beta >= 0 && beta < 1))
    return false;
  if (kind == "ema")
    out = Smoothing{Smoothing::Kind::ema, beta};
  else if (kind == "ema-debiased")
    out = Smoothing{Smoothing::Kind::ema_debiased, beta};
  else
    return false;
  return true;
}

std::string to_string(const Smoothing &s) {
  if (s.kind == Smoothing::Kind::none)
    return "none";
  return (s.kind == Smoothing::Kind::ema ? "ema:" : "ema-debiased:") + shortest(s.beta);
}

std::string describe(const AnalysisOptions &o) {
  return "suggest=" + o.suggest + " smooth=" + to_string(o.smooth) + " skip=" + std::to_string(o.skip_begin) +
         "," + std::to_string(o.skip_end);
}

} // namespace lrf
