// The CUDA backend: one trial per thread, running the shared trial core (src/core/trial.hpp) unchanged. With
// nvcc's --fmad=false (no contraction into fused multiply-adds), no fast-math and IEEE double division, a
// thread performs exactly the serial reference's operations, so results are bit-identical to it.
//
// Data: x and y in __constant__ memory when they fit (4096 points each), else in global memory. Every
// thread of a warp reads the same point at the same time (the summation order depends only on n), which
// is the broadcast that the constant cache serves in one access.
//
// Layout: the kernel writes step k of trial t to [k * stride + t] (stride = the launch's trial count
// rounded up to 32), so a warp's 32 stores per step coalesce into whole 256-byte lines. A tiled transpose
// on the device then makes the Batch's row-major layout before the copy back: the device does it at HBM
// speed in a few milliseconds, where the host would spend longer than the PCIe copy on a strided gather.
//
// Pipeline: each device takes chunks of the batch from a shared counter (so faster GPUs take more) and
// cycles them through kSlots streams, each with its own device buffers and pinned staging: while the host
// copies chunk k out of its staging buffer into the Batch, chunk k+1 computes and copies back on the other
// stream. Chunks are sized from the batch, free device memory and a pinned-memory cap; buffers persist
// across batches. The copy out of staging uses several host threads (a single memcpy is slower than PCIe).
#include "cuda_backend.hpp"

#include "core/parallel.hpp"
#include "cuda_check.cuh"
#include "device_info.hpp"
#include "trial_kernels.cuh"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace lrf {
namespace {

using detail::DeviceBuffer;
using detail::DeviceGuard;
using detail::Event;
using detail::PinnedBuffer;
using detail::Stream;
using detail::kBlock;
using detail::kConstantPoints;
using detail::kTile;
using detail::kTileRows;
using detail::c_x;
using detail::c_y;
using detail::to_row_major;
using detail::trial_kernel;

constexpr int kSlots = 2;             // streams per device: one computes while the other copies back
constexpr std::size_t kPinnedBytesPerSlot = std::size_t{1} << 30; // staging cap per stream
// Chunks: at least this many trials (about half of what an H200 holds resident) unless the batch is
// smaller, and where the batch is large, kChunksPerSlot per stream so the copies overlap the work.
constexpr std::int64_t kMinChunk = 65536;
constexpr std::int64_t kChunksPerSlot = 4;
constexpr std::size_t kCopySlice = std::size_t{32} << 20; // bytes per host copy thread, at least
constexpr unsigned kMaxCopyThreads = 8;
constexpr double kDeviceMemoryShare = 0.8; // of free memory; the rest for the kernel's local-memory stack


std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

struct Copy {
  void *to;
  const void *from;
  std::size_t bytes;
};

// Does the copies with up to `threads` threads, each taking an equal slice of their concatenation: one
// core's memcpy (about 10 GB/s) is slower than the PCIe copy that filled the staging buffer.
template <std::size_t N> void parallel_copy(const Copy (&copies)[N], unsigned threads) {
  std::size_t total = 0;
  for (const Copy &c : copies)
    total += c.bytes;
  const auto workers = static_cast<unsigned>(std::clamp<std::size_t>(total / kCopySlice, 1, threads));
  const std::size_t slice = (total + workers - 1) / workers;
  auto work = [&](unsigned w) {
    std::size_t begin = std::size_t{w} * slice, end = std::min(total, begin + slice), at = 0;
    for (const Copy &c : copies) {
      const std::size_t lo = std::max(begin, at), hi = std::min(end, at + c.bytes);
      if (lo < hi)
        std::memcpy(static_cast<char *>(c.to) + (lo - at), static_cast<const char *>(c.from) + (lo - at),
                    hi - lo);
      at += c.bytes;
    }
  };
  run_parallel(static_cast<int>(workers), [&](int w) { work(static_cast<unsigned>(w)); });
}

// One stream's share of the pipeline: its buffers and the chunk it holds.
struct Slot {
  Stream stream;
  Event kernel_start, kernel_stop;
  DeviceBuffer<TrialParams> params;
  DeviceBuffer<TrialResult> results;
  DeviceBuffer<double> step_major, row_major; // 3 * capacity * row each
  PinnedBuffer<TrialParams> params_host;
  PinnedBuffer<TrialResult> results_host;
  PinnedBuffer<double> rows_host;
  bool busy = false;
  std::int64_t first = 0, count = 0;
};

// Makes a device current before the members that follow it are built on it.
struct SetDevice {
  explicit SetDevice(int d) { LRF_CUDA_CHECK(cudaSetDevice(d)); }
};

struct Device {
  int ordinal;
  DeviceInfo info;
  SetDevice set_device;
  std::array<Slot, kSlots> slots;
  std::int64_t capacity = 0, row = 0; // the slots' buffers hold `capacity` trials of `row` steps
  std::int64_t wanted = 0;            // the chunk asked for then: more than capacity where memory ran short
  DeviceBuffer<double> data;          // x then y, when they do not fit in constant memory
  Event reference;                    // timing: kernel intervals are measured from here
  std::vector<std::pair<float, float>> kernel_ms;
  double kernel_seconds = 0;
  std::int64_t chunks = 0;

  explicit Device(int d) : ordinal(d), info(cuda_device_info(d)), set_device(d) {}
  ~Device() {
    // The members' streams and buffers are freed on their own device.
    LRF_CUDA_CHECK_NOEXCEPT(cudaSetDevice(ordinal));
  }
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;
};

class CudaBackend final : public Backend {
public:
  explicit CudaBackend(const std::vector<int> &ordinals)
      : timing_(std::getenv("LRF_CUDA_TIMING") != nullptr),
        copy_threads_(std::clamp(static_cast<unsigned>(usable_cpus()) / static_cast<unsigned>(ordinals.size()),
                                 1u, kMaxCopyThreads)) {
    DeviceGuard keep; // each Device makes itself current
    for (int d : ordinals)
      devices_.push_back(std::make_unique<Device>(d));
  }

  ~CudaBackend() override {
    if (!timing_)
      return;
    for (const auto &d : devices_)
      std::fprintf(stderr, "lrfinder: cuda timing: device %d: %lld chunks, kernel busy %.6f s\n", d->ordinal,
                   static_cast<long long>(d->chunks), d->kernel_seconds);
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

  void run(const Problem &problem, Batch &batch) override {
    const std::int64_t n = batch.size();
    if (n == 0)
      return;
    // Constant memory is one per device for the whole process: one run at a time.
    static std::mutex constant_memory;
    std::lock_guard<std::mutex> lock(constant_memory);
    const auto ndev = static_cast<std::int64_t>(devices_.size());
    const std::int64_t want = std::min(ceil_div(n, ndev * kSlots),
                                       std::max(kMinChunk, ceil_div(n, ndev * kSlots * kChunksPerSlot)));
    std::atomic<std::int64_t> next{0};
    if (ndev == 1) {
      run_device(*devices_[0], problem, batch, want, next);
      return;
    }
    run_parallel(static_cast<int>(ndev), [&](int i) {
      run_device(*devices_[static_cast<std::size_t>(i)], problem, batch, want, next);
    });
  }

private:
  // Makes the slots' buffers hold chunks of up to `want` trials of `row` steps, or as many as free device
  // memory and the pinned cap allow. Returns the chunk size.
  static std::int64_t reserve(Device &dev, std::int64_t want, std::int64_t row) {
    if (dev.row == row && want <= dev.wanted)
      return std::min(want, dev.capacity);
    for (Slot &s : dev.slots) { // free first, so that cudaMemGetInfo sees that memory
      s.params = {};
      s.results = {};
      s.step_major = {};
      s.row_major = {};
      s.params_host = {};
      s.results_host = {};
      s.rows_host = {};
    }
    dev.capacity = 0;
    std::size_t free = 0, total = 0;
    LRF_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    const auto traj_bytes = static_cast<std::size_t>(3 * row) * sizeof(double);
    const std::size_t device_bytes = 2 * traj_bytes + sizeof(TrialParams) + sizeof(TrialResult);
    const std::size_t host_bytes = traj_bytes + sizeof(TrialParams) + sizeof(TrialResult);
    const auto by_memory = static_cast<std::int64_t>(kDeviceMemoryShare * static_cast<double>(free) / kSlots /
                                                     static_cast<double>(device_bytes));
    const auto by_pinned = static_cast<std::int64_t>(kPinnedBytesPerSlot / host_bytes);
    std::int64_t cap = std::min({want, by_memory, by_pinned});
    if (cap >= kTile)
      cap -= cap % kTile;
    cap = std::max<std::int64_t>(cap, 1);
    const auto trials = static_cast<std::size_t>(cap);
    const std::size_t values = trials * static_cast<std::size_t>(3 * row);
    for (Slot &s : dev.slots) {
      s.params = DeviceBuffer<TrialParams>(trials);
      s.results = DeviceBuffer<TrialResult>(trials);
      s.step_major = DeviceBuffer<double>(values);
      s.row_major = DeviceBuffer<double>(values);
      s.params_host = PinnedBuffer<TrialParams>(trials);
      s.results_host = PinnedBuffer<TrialResult>(trials);
      s.rows_host = PinnedBuffer<double>(values);
    }
    dev.capacity = cap;
    dev.wanted = want;
    dev.row = row;
    return cap;
  }

  // Runs chunks taken from `next` on one device until the batch is done.
  void run_device(Device &dev, const Problem &problem, Batch &batch, std::int64_t want,
                  std::atomic<std::int64_t> &next) {
    DeviceGuard guard(dev.ordinal);
    const std::int64_t n = batch.size();
    try {
      const std::int64_t row = problem.row_length();
      const std::int64_t chunk = reserve(dev, want, row);
      DataView data = problem.data();
      const bool constant = data.n <= kConstantPoints;
      const auto data_bytes = static_cast<std::size_t>(data.n) * sizeof(double);
      if (constant) {
        LRF_CUDA_CHECK(cudaMemcpyToSymbol(c_x, problem.x.data(), data_bytes));
        LRF_CUDA_CHECK(cudaMemcpyToSymbol(c_y, problem.y.data(), data_bytes));
      } else {
        if (dev.data.size() < static_cast<std::size_t>(2 * data.n))
          dev.data = DeviceBuffer<double>(static_cast<std::size_t>(2 * data.n));
        LRF_CUDA_CHECK(cudaMemcpy(dev.data.get(), problem.x.data(), data_bytes, cudaMemcpyHostToDevice));
        LRF_CUDA_CHECK(
            cudaMemcpy(dev.data.get() + data.n, problem.y.data(), data_bytes, cudaMemcpyHostToDevice));
        data.x = dev.data.get();
        data.y = dev.data.get() + data.n;
      }
      // A copy from pageable memory may return before it lands, and our streams do not wait for the
      // legacy stream that made it.
      LRF_CUDA_CHECK(cudaDeviceSynchronize());
      dev.kernel_ms.clear();
      if (timing_) {
        LRF_CUDA_CHECK(cudaEventRecord(dev.reference.get(), dev.slots[0].stream.get()));
        LRF_CUDA_CHECK(cudaEventSynchronize(dev.reference.get()));
      }

      for (int i = 0;; i = (i + 1) % kSlots) {
        Slot &s = dev.slots[i];
        if (s.busy)
          collect(dev, s, batch, row);
        const std::int64_t first = next.fetch_add(chunk);
        if (first >= n)
          break;
        launch(dev, s, problem.config, data, constant, batch, first, std::min(chunk, n - first), row);
      }
      for (Slot &s : dev.slots)
        if (s.busy)
          collect(dev, s, batch, row);
      if (timing_)
        dev.kernel_seconds += busy_seconds(dev.kernel_ms);
    } catch (...) {
      next.store(n); // the other devices stop taking chunks
      for (Slot &s : dev.slots) {
        LRF_CUDA_CHECK_NOEXCEPT(cudaStreamSynchronize(s.stream.get()));
        s.busy = false;
      }
      throw;
    }
  }

  void launch(Device &dev, Slot &s, const RunConfig &config, const DataView &data, bool constant,
              const Batch &batch, std::int64_t first, std::int64_t count, std::int64_t row) const {
    // Rows of the step-major arrays start on 256-byte boundaries where the buffers allow.
    const std::int64_t stride = std::min(ceil_div(count, kTile) * kTile, dev.capacity);
    const cudaStream_t stream = s.stream.get();
    for (std::int64_t i = 0; i < count; ++i)
      s.params_host.get()[i] = batch.params(first + i);
    LRF_CUDA_CHECK(cudaMemcpyAsync(s.params.get(), s.params_host.get(),
                                   static_cast<std::size_t>(count) * sizeof(TrialParams),
                                   cudaMemcpyHostToDevice, stream));
    if (timing_)
      LRF_CUDA_CHECK(cudaEventRecord(s.kernel_start.get(), stream));
    const auto blocks = static_cast<unsigned>(ceil_div(count, kBlock));
    if (constant)
      LRF_CUDA_LAUNCH(trial_kernel<true><<<blocks, kBlock, 0, stream>>>(
          config, data, s.params.get(), count, s.step_major.get(), stride, s.results.get()));
    else
      LRF_CUDA_LAUNCH(trial_kernel<false><<<blocks, kBlock, 0, stream>>>(
          config, data, s.params.get(), count, s.step_major.get(), stride, s.results.get()));
    if (timing_)
      LRF_CUDA_CHECK(cudaEventRecord(s.kernel_stop.get(), stream));
    const dim3 grid(static_cast<unsigned>(ceil_div(count, kTile)),
                    static_cast<unsigned>(std::min<std::int64_t>(ceil_div(row, kTile), 65535)), 3);
    LRF_CUDA_LAUNCH(to_row_major<<<grid, dim3(kTile, kTileRows), 0, stream>>>(s.step_major.get(), stride, row,
                                                                              count, s.row_major.get()));
    LRF_CUDA_CHECK(cudaMemcpyAsync(s.rows_host.get(), s.row_major.get(),
                                   static_cast<std::size_t>(3 * count * row) * sizeof(double),
                                   cudaMemcpyDeviceToHost, stream));
    LRF_CUDA_CHECK(cudaMemcpyAsync(s.results_host.get(), s.results.get(),
                                   static_cast<std::size_t>(count) * sizeof(TrialResult),
                                   cudaMemcpyDeviceToHost, stream));
    s.busy = true;
    s.first = first;
    s.count = count;
    ++dev.chunks;
  }

  // Waits for the slot's chunk and moves it from pinned staging into the batch.
  void collect(Device &dev, Slot &s, Batch &batch, std::int64_t row) const {
    s.stream.synchronize();
    s.busy = false;
    if (timing_) {
      float start = 0, stop = 0;
      LRF_CUDA_CHECK(cudaEventElapsedTime(&start, dev.reference.get(), s.kernel_start.get()));
      LRF_CUDA_CHECK(cudaEventElapsedTime(&stop, dev.reference.get(), s.kernel_stop.get()));
      dev.kernel_ms.emplace_back(start, stop);
    }
    const auto values = static_cast<std::size_t>(s.count * row);
    double *arrays[3] = {batch.loss.data(), batch.weight.empty() ? nullptr : batch.weight.data(),
                         batch.lr.data()};
    Copy copies[3];
    for (int a = 0; a < 3; ++a) // an empty array (weight rows no sink keeps) takes no copy
      copies[a] =
          arrays[a] ? Copy{arrays[a] + s.first * row, s.rows_host.get() + a * values, values * sizeof(double)}
                    : Copy{nullptr, nullptr, 0};
    parallel_copy(copies, copy_threads_);
    for (std::int64_t i = 0; i < s.count; ++i) {
      batch.steps[s.first + i] = s.results_host.get()[i].steps;
      batch.status[s.first + i] = s.results_host.get()[i].status;
    }
  }

  // Time at least one kernel was running: the union of the intervals (kernels on the two streams overlap).
  static double busy_seconds(std::vector<std::pair<float, float>> &ms) {
    std::sort(ms.begin(), ms.end());
    double total = 0, end = -1e30;
    for (const auto &[a, b] : ms) {
      const double from = std::max<double>(a, end);
      if (b > from)
        total += b - from;
      end = std::max<double>(end, b);
    }
    return total / 1000;
  }

  bool timing_; // LRF_CUDA_TIMING set: time the kernels and report on stderr at the end
  unsigned copy_threads_;
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
    return fail("cudaGetDeviceCount: " + error_text(e));
  }
  if (count == 0)
    return fail("no CUDA device found");
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
      e = cudaFuncGetAttributes(&attributes, trial_kernel<true>);
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

std::vector<std::vector<double>> cuda_suggest(const Problem &problem, const CurveOptions &own,
                                              const Batch &batch, int device) {
  DeviceGuard guard(device);
  const auto count = static_cast<std::size_t>(batch.size());
  const std::int64_t row = problem.row_length();
  const std::int32_t epochs = problem.config.epochs;
  const std::vector<double> debias = debias_table(epochs);
  auto upload = [](const auto &host) {
    using T = typename std::decay_t<decltype(host)>::value_type;
    DeviceBuffer<T> d(std::max<std::size_t>(host.size(), 1));
    LRF_CUDA_CHECK(cudaMemcpy(d.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
  };
  const auto loss = upload(batch.loss), lr = upload(batch.lr), factor = upload(batch.factor),
             table = upload(debias);
  const auto steps = upload(batch.steps);
  const auto status = upload(batch.status);
  const auto scan = upload(batch.scan);
  DeviceBuffer<double> scratch(std::max<std::size_t>(count * static_cast<std::size_t>(rule_scratch(epochs)), 1));
  DeviceBuffer<double> answers(std::max<std::size_t>(count * kRuleCount, 1));
  const auto blocks = static_cast<unsigned>((count + kBlock - 1) / kBlock);
  if (count > 0)
    LRF_CUDA_LAUNCH(detail::suggest_kernel<<<blocks, kBlock>>>(
        loss.get(), lr.get(), row, steps.get(), status.get(), scan.get(), factor.get(),
        static_cast<std::int64_t>(count), epochs, own, RuleTables{table.get()}, scratch.get(), answers.get()));
  std::vector<double> flat(count * kRuleCount);
  LRF_CUDA_CHECK(cudaMemcpy(flat.data(), answers.get(), flat.size() * sizeof(double), cudaMemcpyDeviceToHost));
  std::vector<std::vector<double>> out(kRuleCount);
  for (int r = 0; r < kRuleCount; ++r)
    out[static_cast<std::size_t>(r)].assign(flat.begin() + static_cast<std::ptrdiff_t>(r * count),
                                            flat.begin() + static_cast<std::ptrdiff_t>((r + 1) * count));
  return out;
}

std::string cuda_devices_description() {
  std::string why;
  if (!cuda_usable({}, &why))
    return "no usable GPU (" + why + ")";
  int count = 0;
  LRF_CUDA_CHECK(cudaGetDeviceCount(&count));
  std::string text;
  for (int d = 0; d < count; ++d)
    text += (d ? "; " : "") + cuda_device_info(d).description();
  return text;
}

} // namespace lrf
