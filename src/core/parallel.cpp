#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sched.h>
#include <string>

namespace lrf {
namespace {

// The CPU quota of this process's cgroup, in CPUs (0: none): cgroup v2 "QUOTA PERIOD" in cpu.max, or v1
// cpu.cfs_quota_us over cpu.cfs_period_us. A cgroup's line in /proc/self/cgroup is "0::/path" (v2) or
// "N:cpu,cpuacct:/path" (v1).
double cgroup_cpu_quota() {
  std::ifstream cgroups("/proc/self/cgroup");
  double quota_cpus = 0;
  for (std::string line; std::getline(cgroups, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    double quota = 0, period = 0;
    if (controllers.empty()) {
      std::ifstream max("/sys/fs/cgroup" + path + "/cpu.max");
      std::string q;
      if (max >> q >> period && q != "max")
        quota = std::stod(q);
    } else if (("," + controllers + ",").find(",cpu,") != std::string::npos) {
      for (const char *dir : {"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"}) {
        std::ifstream q(std::string(dir) + path + "/cpu.cfs_quota_us"), p(std::string(dir) + path + "/cpu.cfs_period_us");
        if (q >> quota && p >> period)
          break;
      }
    }
    if (quota > 0 && period > 0) {
      const double cpus = quota / period;
      quota_cpus = quota_cpus > 0 ? std::min(quota_cpus, cpus) : cpus;
    }
  }
  return quota_cpus;
}

} // namespace

int usable_cpus() {
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof mask, &mask) == 0)
    cpus = CPU_COUNT(&mask);
  const double quota = cgroup_cpu_quota();
  if (quota > 0)
    cpus = std::min(cpus, static_cast<int>(std::ceil(quota)));
  return std::max(cpus, 1);
}

} // namespace lrf
