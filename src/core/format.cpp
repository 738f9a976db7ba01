#include "core/format.hpp"

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

} // namespace lrf
