// Backends: where a batch's trials run. They differ only in that; every one runs the trial core.
#pragma once

#include "core/batch.hpp"
#include "core/suggest.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lrf {

enum class BackendKind { automatic, serial, cpu, cuda };

struct BackendOptions {
  int threads = 0;          // cpu: worker threads, 0 = every core
  std::vector<int> devices; // cuda: device ordinals, empty = all
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;   // serial, cpu, cuda
  virtual std::string device() const = 0; // what it runs on, in words
  // Runs every trial of the batch: fills steps and status, and the trajectories the batch keeps (its
  // non-empty loss, weight and lr) up to each trial's last step (entries after it are left as they were).
  virtual void run(const Problem &problem, Batch &batch) = 0;
  // run(), and every rule's answer for every trial into batch.suggest (sized by size_suggestions), each
  // chunk's rules right after its trials (the rows they read, kept or not, are still in cache or on the
  // device).
  virtual void run_and_suggest(const Problem &problem, Batch &batch, const RuleRun &rules) = 0;
  // Whether run_and_suggest takes a reduced batch (batch.reduced.on: the plan made and the statistics
  // reduced where the trials run, nothing a trial crossing back).
  virtual bool reduces() const { return false; }

  // Where the backend counts the trials it has finished as it goes, for progress within a batch (null:
  // nowhere). A backend that cannot count (the device pipelines) leaves it to the run, batch by batch.
  void count_trials_into(std::atomic<std::int64_t> *counter) { counter_ = counter; }

protected:
  void count_trials(std::int64_t trials) const {
    if (counter_)
      counter_->fetch_add(trials, std::memory_order_relaxed);
  }

private:
  std::atomic<std::int64_t> *counter_ = nullptr;
};

std::unique_ptr<Backend> make_serial_backend();

// The cpu backend's builds, one per instruction set, widest first (x86-64: avx512, avx2, sse2; aarch64:
// neon), with the trials each runs per SIMD vector and whether this CPU can run it.
struct CpuIsa {
  const char *name;
  int lanes;
  bool runs_here;
};
std::vector<CpuIsa> cpu_isas();
// LRF_CPU_ISA's value, or "" where it is not set.
std::string cpu_isa_requested();
// The build `name` names ("": LRF_CPU_ISA's, else the widest this CPU runs); InputError if it is unknown
// or cannot run here.
CpuIsa chosen_cpu_isa(const std::string &name = "");
// threads: 0 = every usable core; isa: as chosen_cpu_isa.
std::unique_ptr<Backend> make_cpu_backend(int threads, const std::string &isa = "");

// The one dispatch: automatic means cuda where a GPU is usable, else cpu (and says so on `note`).
// Throws InputError where the requested backend cannot run here.
std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions &options, std::string *note);

// Backends compiled into this build, and the devices they see, for `lrfinder info`.
std::vector<std::string> compiled_backends();

} // namespace lrf
