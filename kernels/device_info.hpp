// What a GPU is, in one type for every place that describes one: `lrfinder info`, the cuda backend's device
// text (the file's `device` attribute) and the benchmark's JSON context. Plain C++, implemented in
// kernels/device_info.cu.
#pragma once

#include <cstddef>
#include <string>

namespace lrf {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0; // compute capability
  int sms = 0;              // streaming multiprocessors
  int clock_mhz = 0;
  std::size_t memory_bytes = 0;

  std::string short_description() const; // "NVIDIA H200 (sm_90, 132 SMs)"
  std::string description() const;       // "0: NVIDIA H200 (sm_90, 132 SMs, 1980 MHz, 139.8 GiB)"
};

// GPUs the runtime sees: 0 where it sees none or cannot run (no driver).
int cuda_device_count();

// GPU `ordinal`'s properties; RunError if the runtime cannot tell.
DeviceInfo cuda_device_info(int ordinal);

// The CUDA driver's and runtime's versions as "13.0".
std::string cuda_driver_version();
std::string cuda_runtime_version();

} // namespace lrf
