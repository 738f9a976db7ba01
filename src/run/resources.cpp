#include "run/resources.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace lrf {

double usable_memory() {
  double bytes =
      static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    bytes = std::min(bytes, static_cast<double>(limit.rlim_cur));
  // Lines "0::/path" (cgroup v2) or "N:memory:/path" (v1); "max" or an unreadable file: no limit.
  std::ifstream cgroups("/proc/self/cgroup");
  for (std::string line; std::getline(cgroups, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    const std::string file = controllers.empty() ? "/sys/fs/cgroup" + path + "/memory.max"
                             : controllers == "memory"
                                 ? "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes"
                                 : "";
    double value = 0;
    if (!file.empty() && (std::ifstream(file) >> value) && value > 0)
      bytes = std::min(bytes, value);
  }
  return bytes;
}

void check_size(const Problem &problem, std::int64_t batch_option, const TrialRange &range,
                const Kept &kept) {
  auto gib = [](double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    return std::string(text);
  };
  const double row = static_cast<double>(problem.row_length());
  const auto per_trial = static_cast<double>(problem.trial_bytes());
  const double memory = usable_memory();
  if (per_trial > memory / 2)
    throw InputError("--epochs " + std::to_string(problem.config.epochs) + ": one trial's trajectory needs " +
                     gib(per_trial) + " (3 x " + std::to_string(problem.row_length()) +
                     " float64), more than half of the " + gib(memory) + " of memory this process may use");
  const double batch = static_cast<double>(std::min(batch_option, range.count));
  // Two batches: one computing while the other is written.
  const auto batch_bytes = 2 * static_cast<double>(problem.trial_bytes(kept)) * batch;
  if (batch_option > 0 && batch_bytes > memory / 2)
    throw InputError("--batch " + std::to_string(batch_option) +
                     ": two batches (one computing, one being written) need " + gib(batch_bytes) +
                     ", more than half of the " + gib(memory) + " of memory this process may use");
  if (kept.rows && static_cast<double>(range.count) * row * sizeof(double) >= 0x1p63) // a file of rows
    throw InputError("--trials " + std::to_string(range.count) + ": " + std::to_string(range.count) + " x " +
                     std::to_string(problem.row_length()) +
                     " float64 are more than an HDF5 file can address");
}

} // namespace lrf
