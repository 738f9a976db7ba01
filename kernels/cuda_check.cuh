// CUDA error checking and RAII owners for streams, events and buffers.
//
// Every runtime call goes through LRF_CUDA_CHECK and every launch through LRF_CUDA_LAUNCH (which checks
// cudaGetLastError), so a failure names the file, line and call and ends the run with RunError instead of
// surfacing later as wrong numbers. Destructors use the _NOEXCEPT twin, which reports and goes on.
#pragma once

#include "core/errors.hpp"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>

namespace lrf::detail {

inline std::string cuda_error_text(cudaError_t e, const char *call, const char *file, int line) {
  return std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + cudaGetErrorName(e) + ": " +
         cudaGetErrorString(e);
}

inline void cuda_check(cudaError_t e, const char *call, const char *file, int line) {
  if (e == cudaSuccess)
    return;
  // Clears the error so that a non-sticky failure does not resurface at the next unrelated call.
  (void)cudaGetLastError();
  throw RunError("CUDA error: " + cuda_error_text(e, call, file, line));
}

inline void cuda_check_noexcept(cudaError_t e, const char *call, const char *file, int line) noexcept {
  if (e == cudaSuccess)
    return;
  (void)cudaGetLastError();
  std::fprintf(stderr, "lrfinder: warning: CUDA error: %s\n", cuda_error_text(e, call, file, line).c_str());
}

} // namespace lrf::detail

#define LRF_CUDA_CHECK(call) ::lrf::detail::cuda_check((call), #call, __FILE__, __LINE__)
#define LRF_CUDA_CHECK_NOEXCEPT(call) ::lrf::detail::cuda_check_noexcept((call), #call, __FILE__, __LINE__)
// A kernel launch, kernel<<<grid, block, shared, stream>>>(args): launch errors (bad configuration, no
// code for this device) show up only in cudaGetLastError.
#define LRF_CUDA_LAUNCH(...)                                                                                 \
  do {                                                                                                       \
    __VA_ARGS__;                                                                                             \
    ::lrf::detail::cuda_check(cudaGetLastError(), #__VA_ARGS__, __FILE__, __LINE__);                         \
  } while (0)

namespace lrf::detail {

// Makes `device` current for a scope (-1: leaves it) and restores the previous one at the end.
class DeviceGuard {
public:
  explicit DeviceGuard(int device = -1) {
    LRF_CUDA_CHECK(cudaGetDevice(&previous_));
    if (device >= 0)
      LRF_CUDA_CHECK(cudaSetDevice(device));
  }
  ~DeviceGuard() { LRF_CUDA_CHECK_NOEXCEPT(cudaSetDevice(previous_)); }
  DeviceGuard(const DeviceGuard &) = delete;
  DeviceGuard &operator=(const DeviceGuard &) = delete;

private:
  int previous_ = 0;
};

// A stream that does not synchronise with the legacy default stream.
class Stream {
public:
  Stream() { LRF_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s_)
      LRF_CUDA_CHECK_NOEXCEPT(cudaStreamDestroy(s_));
  }
  Stream(Stream &&o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream &operator=(Stream &&o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  cudaStream_t get() const { return s_; }
  void synchronize() const { LRF_CUDA_CHECK(cudaStreamSynchronize(s_)); }

private:
  cudaStream_t s_ = nullptr;
};

class Event {
public:
  Event() { LRF_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() {
    if (e_)
      LRF_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(e_));
  }
  Event(Event &&o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event &operator=(Event &&o) noexcept {
    std::swap(e_, o.e_);
    return *this;
  }
  cudaEvent_t get() const { return e_; }

private:
  cudaEvent_t e_ = nullptr;
};

// Memory for `size` elements of T from a CUDA allocator, given back by its twin; uninitialised (every
// element is written before it is read).
template <class T, cudaError_t (*Allocate)(void **, std::size_t), cudaError_t (*Release)(void *)>
class CudaMemory {
public:
  CudaMemory() = default;
  explicit CudaMemory(std::size_t size) : size_(size) {
    if (size)
      LRF_CUDA_CHECK(Allocate(reinterpret_cast<void **>(&p_), size * sizeof(T)));
  }
  ~CudaMemory() {
    if (p_)
      LRF_CUDA_CHECK_NOEXCEPT(Release(p_));
  }
  CudaMemory(CudaMemory &&o) noexcept : p_(std::exchange(o.p_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  CudaMemory &operator=(CudaMemory &&o) noexcept {
    std::swap(p_, o.p_);
    std::swap(size_, o.size_);
    return *this;
  }
  T *get() const { return p_; }
  std::size_t size() const { return size_; }

private:
  T *p_ = nullptr;
  std::size_t size_ = 0;
};

// Device memory.
template <class T> using DeviceBuffer = CudaMemory<T, cudaMalloc, cudaFree>;
// Page-locked host memory: what lets cudaMemcpyAsync overlap with kernels and with the host.
template <class T> using PinnedBuffer = CudaMemory<T, cudaMallocHost, cudaFreeHost>;

} // namespace lrf::detail
