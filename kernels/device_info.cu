#include "device_info.hpp"

#include "cuda_check.cuh"

#include <cstdio>

namespace lrf {

std::string DeviceInfo::short_description() const {
  return name + " (sm_" + std::to_string(major) + std::to_string(minor) + ", " + std::to_string(sms) + " SMs)";
}

std::string DeviceInfo::description() const {
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB", static_cast<double>(memory_bytes) / (1 << 30));
  return std::to_string(ordinal) + ": " + name + " (sm_" + std::to_string(major) + std::to_string(minor) + ", " +
         std::to_string(sms) + " SMs, " + std::to_string(clock_mhz) + " MHz, " + memory + ")";
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

DeviceInfo cuda_device_info(int ordinal) {
  cudaDeviceProp p{};
  LRF_CUDA_CHECK(cudaGetDeviceProperties(&p, ordinal));
  // An attribute rather than a cudaDeviceProp field: CUDA 13 removed cudaDeviceProp::clockRate.
  int khz = 0;
  LRF_CUDA_CHECK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, ordinal));
  return DeviceInfo{ordinal, p.name, p.major, p.minor, p.multiProcessorCount, khz / 1000, p.totalGlobalMem};
}

namespace {

std::string version_text(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

} // namespace

std::string cuda_driver_version() {
  int v = 0;
  LRF_CUDA_CHECK(cudaDriverGetVersion(&v));
  return version_text(v);
}

std::string cuda_runtime_version() {
  int v = 0;
  LRF_CUDA_CHECK(cudaRuntimeGetVersion(&v));
  return version_text(v);
}

} // namespace lrf
