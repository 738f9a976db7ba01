// The two kinds of failure the tool reports: bad input (exit 2, nothing written) and a fault while running
// (exit 1: I/O or device errors; the partial output is removed, or kept where the message says).
#pragma once

#include <stdexcept>
#include <string>

namespace lrf {

// Something the user gave is wrong: an option value, a data file, an output path.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Something failed while running: writing the file, a device call.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A run that failed only at the end, its complete result kept under another name, as the message says.
struct KeptError : RunError {
  using RunError::RunError;
};

} // namespace lrf
