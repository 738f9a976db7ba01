#include "cli/options.hpp"

#include "core/errors.hpp"
#include "core/format.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

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
  return CLI::Validator([](std::string &s) { return s.empty() ? std::string("the path is empty") : ""; }, "PATH");
}

void check_output(const std::string &path, bool overwrite) {
  if (path.empty())
    throw InputError("--output: the path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw InputError("--output " + path + ": is a folder");
  if (::lstat(path.c_str(), &st) == 0) { // anything there, a dangling link included
    if (!overwrite)
      throw InputError("--output " + path + ": exists (use --overwrite to replace it)");
    if (!S_ISREG(st.st_mode))
      throw InputError("--output " + path + ": is not a regular file (" +
                       (S_ISLNK(st.st_mode) ? "a symbolic link" : "a device, FIFO or socket") +
                       "); --overwrite replaces only a result file");
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError("--output " + path + ": folder '" + dir + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError("--output " + path + ": folder '" + dir + "' is not writable");
}

void check_input(const std::string &label, const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(label + ": cannot open: " + std::strerror(errno));
}

} // namespace lrf
