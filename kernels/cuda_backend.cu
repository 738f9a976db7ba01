// The CUDA backend: the device pipeline (kernels/pipeline.hpp) on Thrust's CUDA system, one trial per
// thread through the shared trial core and every suggestion rule, in one pass on the GPU; only steps,
// status, the rules' answers and the trajectories the sink keeps cross PCIe. The same code runs on the host
// as the device-host backend (Thrust's OMP system), which the tests hold to the serial reference's bits on
// every machine. With nvcc's --fmad=false (no contraction into fused multiply-adds), no fast-math and IEEE
// double division, a thread performs exactly the serial reference's operations.
//
// Several GPUs: each takes chunks of the batch from a shared counter (so a faster GPU takes more), on a
// host thread of its own; the results do not depend on which GPU ran which chunk.
#include "cuda_backend.hpp"

#include "core/errors.hpp"
#include "core/parallel.hpp"
#include "cuda_check.cuh"
#include "device_info.hpp"
#include "pipeline.hpp"

#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system/cuda/vector.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

namespace lrf {
namespace {

using detail::DeviceGuard;

std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

// Loading it is the test that this build holds code the device can run.
__global__ void probe_kernel() {}

// "CUDA 12.4" of a version number as the runtime and the driver report it (12040).
std::string cuda_version_text(int v) {
  return "CUDA " + std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

// Why cudaGetDeviceCount found no GPU, in the words a user acts on: no driver, no device, or a driver
// older than this build's runtime; the runtime's own name and text for anything else.
std::string no_device_reason(cudaError_t e) {
  int driver = 0, runtime = 0;
  (void)cudaDriverGetVersion(&driver);
  (void)cudaRuntimeGetVersion(&runtime);
  if (e == cudaErrorInsufficientDriver && driver == 0)
    return "no NVIDIA driver is loaded (this machine has no GPU, or its driver is not installed)";
  if (e == cudaErrorInsufficientDriver)
    return "the NVIDIA driver (" + cuda_version_text(driver) + ") is older than this build's runtime (" +
           cuda_version_text(runtime) + "): update the driver";
  if (e == cudaErrorNoDevice)
    return "the NVIDIA driver sees no GPU (none installed, or CUDA_VISIBLE_DEVICES hides them)";
  return "the CUDA runtime cannot start: " + error_text(e);
}

// Trials a GPU takes at a time: about as many as an H200 keeps resident (132 SMs x 2048 threads), fewer
// where free memory is short (each holds its rows and the rules' scratch while it runs).
constexpr std::int64_t kDeviceChunk = 262144;
constexpr std::int64_t kWarp = 32;         // the step-major rows' stride is a multiple: whole lines a warp
constexpr double kDeviceMemoryShare = 0.5; // of free memory, for the chunk's buffers

using CudaPipeline = pipeline::Pipeline<decltype(thrust::cuda::par), thrust::cuda::vector>;

// Makes a device current before the members that follow it are built on it.
struct SetDevice {
  explicit SetDevice(int d) { LRF_CUDA_CHECK(cudaSetDevice(d)); }
};

// Free device memory when the backend starts, before any of its buffers.
std::size_t free_memory(int ordinal) {
  DeviceGuard guard(ordinal);
  std::size_t free = 0, total = 0;
  LRF_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return free;
}

// The chunk for this problem: a trial in flight holds its three rows, the row-major copy and the rules'
// scratch, all growing with the epochs, and (a reduced batch) its statistics' keys and sums, twice, with
// as much again for the sort.
std::int64_t chunk_for(std::size_t free, const Problem &problem) {
  const double per_trial =
      8.0 * static_cast<double>(4 * problem.row_length() + rule_scratch(problem.config.epochs)) +
      4.0 * kStatsSlots * (sizeof(std::int64_t) + sizeof(pipeline::StatsSum));
  return std::clamp<std::int64_t>(
      static_cast<std::int64_t>(kDeviceMemoryShare * static_cast<double>(free) / per_trial), kWarp,
      kDeviceChunk);
}

struct Device {
  int ordinal;
  DeviceInfo info;
  SetDevice set_device;
  std::size_t free;
  CudaPipeline pipeline;

  explicit Device(int d)
      : ordinal(d), info(cuda_device_info(d)), set_device(d), free(free_memory(d)),
        pipeline(thrust::cuda::par, kWarp) {}
  ~Device() {
    // The pipeline's buffers are freed on their own device.
    LRF_CUDA_CHECK_NOEXCEPT(cudaSetDevice(ordinal));
  }
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;
};

class CudaBackend final : public Backend {
public:
  explicit CudaBackend(const std::vector<int> &ordinals)
      : timing_(std::getenv("LRF_CUDA_TIMING") != nullptr) {
    DeviceGuard keep; // each Device makes itself current
    for (int d : ordinals)
      devices_.push_back(std::make_unique<Device>(d));
  }

  // LRF_CUDA_TIMING set: each device's time in the trials' kernel (trials and rules), on stderr.
  ~CudaBackend() override {
    if (timing_)
      for (const auto &d : devices_)
        std::fprintf(stderr, "lrfinder: cuda timing: device %d: %lld chunks, kernel busy %.6f s\n",
                     d->ordinal, static_cast<long long>(d->pipeline.chunks()), d->pipeline.trial_seconds());
  }

  std::string name() const override { return "cuda"; }

  std::string device() const override {
    // "NVIDIA H200 (sm_90, 132 SMs) x2", or each kind with its count when the GPUs differ.
    std::vector<std::pair<std::string, int>> kinds;
    for (const auto &d : devices_) {
      std::string s = d->info.short_description();
      auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto &k) { return k.first == s; });
      if (it == kinds.end())
        kinds.emplace_back(s, 1);
      else
        ++it->second;
    }
    std::string text;
    for (const auto &[s, n] : kinds)
      text += (text.empty() ? "" : " + ") + s + " x" + std::to_string(n);
    return text;
  }

  void run(const Problem &problem, Batch &batch) override { run_devices(problem, batch, nullptr); }
  void run_and_suggest(const Problem &problem, Batch &batch, const RuleRun &rules) override {
    run_devices(problem, batch, &rules);
  }
  bool reduces() const override { return true; }

private:
  void run_devices(const Problem &problem, Batch &batch, const RuleRun *rules) {
    const std::int64_t n = batch.size();
    std::atomic<std::int64_t> next{0};
    auto work = [&](Device &dev) {
      DeviceGuard guard(dev.ordinal);
      try {
        const std::int64_t chunk = chunk_for(dev.free, problem);
        dev.pipeline.start_batch(problem, batch, rules);
        for (std::int64_t first; (first = next.fetch_add(chunk)) < n;)
          dev.pipeline.run(problem, batch, first, std::min(n, first + chunk), rules);
      } catch (const RunError &) {
        next.store(n); // the other devices stop taking chunks
        throw;
      } catch (const std::exception &e) { // thrust::system_error, std::bad_alloc
        next.store(n);
        throw RunError("GPU " + std::to_string(dev.ordinal) + ": " + e.what());
      }
    };
    if (devices_.size() == 1)
      work(*devices_[0]);
    else
      run_parallel(static_cast<int>(devices_.size()),
                   [&](int i) { work(*devices_[static_cast<std::size_t>(i)]); });
    if (batch.reduced.on) // each device's entries: the sums do not depend on which device ran what
      for (const auto &d : devices_)
        for (const StatsEntry &e : d->pipeline.take_entries())
          batch.reduced.entries.push_back(e);
  }

  bool timing_;
  std::vector<std::unique_ptr<Device>> devices_;
};

} // namespace

bool cuda_usable(const std::vector<int> &devices, std::string *why) {
  auto fail = [why](const std::string &reason) {
    if (why)
      *why = reason;
    return false;
  };
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return fail(no_device_reason(e));
  }
  if (count == 0)
    return fail(no_device_reason(cudaErrorNoDevice));
  std::vector<int> list = devices;
  if (list.empty())
    for (int d = 0; d < count; ++d)
      list.push_back(d);
  int previous = 0;
  if ((e = cudaGetDevice(&previous)) != cudaSuccess)
    return fail("cudaGetDevice: " + error_text(e));
  for (int d : list) {
    if (d < 0 || d >= count)
      return fail("device " + std::to_string(d) + " does not exist (" + std::to_string(count) +
                  " device(s): 0.." + std::to_string(count - 1) + ")");
    if (std::count(list.begin(), list.end(), d) > 1)
      return fail("device " + std::to_string(d) + " is listed twice");
    // Loading the kernel is the test that this build holds code the device can run.
    cudaFuncAttributes attributes{};
    if ((e = cudaSetDevice(d)) == cudaSuccess)
      e = cudaFuncGetAttributes(&attributes, probe_kernel);
    (void)cudaSetDevice(previous);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      return fail("device " + std::to_string(d) + ": " + error_text(e));
    }
  }
  return true;
}

std::unique_ptr<Backend> make_cuda_backend(const std::vector<int> &devices) {
  std::vector<int> list = devices;
  if (list.empty()) {
    int count = 0;
    LRF_CUDA_CHECK(cudaGetDeviceCount(&count));
    for (int d = 0; d < count; ++d)
      list.push_back(d);
  }
  return std::make_unique<CudaBackend>(list);
}

std::string cuda_devices_description() {
  std::string why;
  if (!cuda_usable({}, &why))
    return "no usable GPU: " + why;
  int count = 0;
  LRF_CUDA_CHECK(cudaGetDeviceCount(&count));
  std::string text;
  for (int d = 0; d < count; ++d)
    text += (d ? "; " : "") + cuda_device_info(d).description();
  return text;
}

} // namespace lrf
