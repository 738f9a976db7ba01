// The CUDA backend, seen from host code: plain C++ (no CUDA types), so g++ can include it from the dispatch
// (src/backends/backend.cpp), `lrfinder info` and the benchmark. Implemented in kernels/cuda_backend.cu.
#pragma once

#include "backends/backend.hpp"
#include "core/rules.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lrf {

// Whether the cuda backend can run on `devices` (GPU ordinals; empty = all): false, with the reason on
// `why`, when the driver or runtime finds no GPU, an ordinal does not exist or is listed twice, or this
// build holds no code for a device's architecture.
bool cuda_usable(const std::vector<int> &devices, std::string *why);

// One trial and its rules per CUDA thread on every GPU in `devices` (empty = all). Call cuda_usable first.
std::unique_ptr<Backend> make_cuda_backend(const std::vector<int> &devices);

// One line for `lrfinder info`: each GPU's ordinal, name, compute capability, SMs, clock and memory, or
// "no usable GPU: <reason>".
std::string cuda_devices_description();

} // namespace lrf
