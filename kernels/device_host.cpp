#include "device_host.hpp"

#include "core/parallel.hpp"
#include "pipeline.hpp"

#include <thrust/system/omp/execution_policy.h>
#include <thrust/system/omp/vector.h>

#include <algorithm>
#include <string>

namespace lrf {
namespace {

// Trials a chunk of the host pipeline holds: each has its loss and lr rows and the rules' scratch in
// flight, about 20 kB at 500 epochs.
constexpr std::int64_t kHostChunk = 1024;

class DeviceHostBackend final : public Backend {
public:
  DeviceHostBackend() : pipeline_(thrust::omp::par, 1) {}
  std::string name() const override { return "device-host"; }
  std::string device() const override {
    return "the device pipeline on Thrust's OMP system, " + std::to_string(usable_cpus()) + " CPU threads";
  }
  void run(const Problem &problem, Batch &batch) override { run_chunks(problem, batch, nullptr); }
  void run_and_suggest(const Problem &problem, Batch &batch, const RuleRun &rules) override {
    run_chunks(problem, batch, &rules);
  }
  bool reduces() const override { return true; }

private:
  void run_chunks(const Problem &problem, Batch &batch, const RuleRun *rules) {
    pipeline_.start_batch(problem, batch, rules);
    for (std::int64_t first = 0; first < batch.size(); first += kHostChunk)
      pipeline_.run(problem, batch, first, std::min(batch.size(), first + kHostChunk), rules);
    if (batch.reduced.on)
      batch.reduced.entries = pipeline_.take_entries();
  }

  pipeline::Pipeline<decltype(thrust::omp::par), thrust::omp::vector> pipeline_;
};

} // namespace

std::unique_ptr<Backend> make_device_host_backend() {
  return std::make_unique<DeviceHostBackend>();
}

} // namespace lrf
