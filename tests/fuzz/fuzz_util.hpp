// What the fuzz targets share: a private scratch folder, removed when the process exits.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace lrf::fuzz {

// A fresh folder under $TMPDIR for this process: inputs are written and outputs land there, never in the
// folder the fuzzer was started from.
inline const std::filesystem::path &scratch_dir() {
  // Never destroyed: the exit handler that removes the folder runs after static destructors would have.
  static const std::filesystem::path *dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lrf_fuzz_XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      std::abort();
    auto *path = new std::filesystem::path(tmpl);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return path;
  }();
  return *dir;
}

} // namespace lrf::fuzz
