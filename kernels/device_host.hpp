// The device-host backend: the device pipeline (kernels/pipeline.hpp) on Thrust's OMP system, every core
// of the host: the cuda backend's logic, compiled by g++ and run where there is no GPU, to show it gives
// the serial reference's bits. Plain C++, for the tests and the benchmark.
#pragma once

#include "backends/backend.hpp"

#include <memory>

namespace lrf {

std::unique_ptr<Backend> make_device_host_backend();

} // namespace lrf
