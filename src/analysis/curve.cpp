#include "analysis/curve.hpp"

#include "core/format.hpp"

#include <algorithm>
#include <cmath>
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

Curve prepare_curve(const double *loss, const double *lr, std::int32_t steps, const AnalysisOptions &o,
                    std::vector<double> &buffer) {
  std::int32_t n = 0;
  while (n <= steps && std::isfinite(loss[n]) && std::isfinite(lr[n]))
    ++n;
  const double *l = loss;
  if (o.smooth.kind != Smoothing::Kind::none && n > 0) {
    const double beta = o.smooth.beta;
    buffer.resize(static_cast<std::size_t>(n));
    if (o.smooth.kind == Smoothing::Kind::ema) {
      buffer[0] = loss[0];
      for (std::int32_t k = 1; k < n; ++k)
        buffer[k] = beta * buffer[k - 1] + (1 - beta) * loss[k];
    } else {
      double average = 0, beta_power = 1; // beta^(k+1) after step k
      for (std::int32_t k = 0; k < n; ++k) {
        average = beta * average + (1 - beta) * loss[k];
        beta_power *= beta;
        buffer[k] = average / (1 - beta_power);
      }
    }
    l = buffer.data();
  }
  const std::int32_t begin = std::min(o.skip_begin, n);
  const std::int32_t end = std::max(begin, n - std::min(o.skip_end, n));
  return Curve{lr + begin, l + begin, end - begin};
}

} // namespace lrf
