#include "io/paths.hpp"

#include "core/errors.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace lrf {

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
