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

  // FP64 units an SM has (each retires one fp64 add, multiply or FMA a clock): 32 on P100, V100 and A100
  // (sm_60, 70, 80), 64 on H100, H200 and B200 (sm_90, 100), 4 on sm_61, 2 on the others. (The same table
  // is in scripts/gpu-check.sh, which reads `lrfinder info`.)
  int fp64_units_per_sm() const {
    const int cc = 10 * major + minor;
    return cc == 60 || cc == 70 || cc == 80 ? 32 : cc == 90 || cc == 100 ? 64 : cc == 61 ? 4 : 2;
  }
  // fp64 multiplies or adds a second, every unit busy: SMs x clock x units.
  double fp64_peak_ops() const { return static_cast<double>(sms) * clock_mhz * 1e6 * fp64_units_per_sm(); }

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
