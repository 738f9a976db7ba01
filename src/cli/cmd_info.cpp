// `lrfinder info`: version, build, backends compiled in and the devices they see.
#include "backends/backend.hpp"
#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/parallel.hpp"
#include "version.hpp"

#include <cstdio>
#include <thread>

#if defined(LRF_WITH_CUDA)
#include "cuda_backend.hpp"
#endif

namespace lrf {
namespace {

int run_info() {
  std::printf("lrfinder %s (commit %s)\n", LRF_VERSION, LRF_GIT_COMMIT);
  std::printf("build        %s, %s, C++17, no fused multiply-add\n", LRF_BUILD_TYPE, LRF_CXX_COMPILER);
  std::string names;
  for (const auto &b : compiled_backends())
    names += (names.empty() ? "" : ", ") + b;
  std::printf("backends     %s\n", names.c_str());
  std::printf("cpu          %u hardware threads, %d usable by this process (affinity mask, CPU quota)\n",
              std::thread::hardware_concurrency(), usable_cpus());
  std::string builds;
  for (const CpuIsa &isa : cpu_isas())
    builds += (builds.empty() ? "" : ", ") + std::string(isa.name) + " (" + std::to_string(isa.lanes) +
              " lanes" + (isa.runs_here ? "" : ", not on this CPU") + ")";
  std::printf("cpu builds   %s\n", builds.c_str());
  const std::string forced = cpu_isa_requested();
  try {
    std::printf("cpu build    %s (%s)\n", chosen_cpu_isa().name,
                forced.empty() ? "the widest this CPU runs; LRF_CPU_ISA forces one" : "LRF_CPU_ISA");
  } catch (const InputError &e) {
    std::printf("cpu build    none: %s\n", e.what());
  }
#if defined(LRF_WITH_CUDA)
  std::printf("cuda         %s\n", cuda_devices_description().c_str());
#else
  std::printf("cuda         not compiled in\n");
#endif
  return 0;
}

} // namespace

Command setup_info(CLI::App &) {
  return run_info;
}

} // namespace lrf
