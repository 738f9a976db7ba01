// The one dispatch from a backend name to a backend.
#include "backends/backend.hpp"

#include "core/errors.hpp"

#if defined(LRF_WITH_CUDA)
#include "cuda_backend.hpp"
#endif

namespace lrf {

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendOptions &options, std::string *note) {
  switch (kind) {
  case BackendKind::serial:
    return make_serial_backend();
  case BackendKind::cpu:
    return make_cpu_backend(options.threads);
  case BackendKind::cuda:
  case BackendKind::automatic: {
    std::string why;
#if defined(LRF_WITH_CUDA)
    if (cuda_usable(options.devices, &why))
      return make_cuda_backend(options.devices);
#else
    why = "this build has no CUDA backend (built without a CUDA compiler or with -DLRF_CUDA=OFF)";
#endif
    if (kind == BackendKind::cuda)
      throw InputError("--backend cuda: no usable GPU: " + why);
    if (note)
      *note = "no usable GPU: " + why + "; running on the cpu backend";
    return make_cpu_backend(options.threads);
  }
  }
  throw InputError("unknown backend");
}

std::vector<std::string> compiled_backends() {
  std::vector<std::string> names{"serial", "cpu"};
#if defined(LRF_WITH_CUDA)
  names.push_back("cuda");
#endif
  return names;
}

} // namespace lrf
