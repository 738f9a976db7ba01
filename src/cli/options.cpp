#include "cli/options.hpp"

#include "core/format.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace lrf {

CLI::Validator finite_number(const char *what) {
  return CLI::Validator(
      [what](std::string &s) -> std::string {
        char *end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v))
          return "'" + s + "' is not " + what;
        return "";
      },
      "NUMBER");
}

CLI::Validator number_above(double lo) {
  return CLI::Validator(
      [lo](std::string &s) -> std::string {
        char *end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v) || !(v > lo))
          return "'" + s + "' is not a number > " + shortest(lo);
        return "";
      },
      "X>" + shortest(lo));
}

CLI::Validator count_at_least(long long lo) {
  return CLI::Validator(
      [lo](std::string &s) -> std::string {
        char *end = nullptr;
        errno = 0;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0' || errno == ERANGE || v < lo)
          return "'" + s + "' is not a whole number >= " + std::to_string(lo);
        return "";
      },
      "N>=" + std::to_string(lo));
}

CLI::Validator non_empty_path() {
  return CLI::Validator([](std::string &s) { return s.empty() ? std::string("the path is empty") : ""; },
                        "PATH");
}

} // namespace lrf
