// The one way the tool spreads work over threads: spawn, work, join; and how many CPUs it may use.
#pragma once

#include <exception>
#include <thread>
#include <vector>

namespace lrf {

// Calls work(k) for k = 0 .. workers - 1, each on a thread of its own (k = 0 on the calling thread), and
// returns when every call has; the first exception any of them threw is then rethrown.
template <class Work> void run_parallel(int workers, const Work &work) {
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(workers > 1 ? workers : 1));
  auto guarded = [&](int k) {
    try {
      work(k);
    } catch (...) {
      errors[static_cast<std::size_t>(k)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int k = 1; k < workers; ++k)
    pool.emplace_back(guarded, k);
  guarded(0);
  for (std::thread &t : pool)
    t.join();
  for (const std::exception_ptr &e : errors)
    if (e)
      std::rethrow_exception(e);
}

// The CPUs this process may use, at least 1: those of its affinity mask (taskset, a SLURM or container
// cpuset), and no more than its cgroup's CPU quota allows (cpu.max, or cfs_quota_us / cfs_period_us),
// rounded up. What `--threads 0` means, so that a job never runs more threads than it was given.
int usable_cpus();

} // namespace lrf
