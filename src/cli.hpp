// The command line: `lrfinder run`, `lrfinder info`, `lrfinder --version`.
#pragma once

namespace lrf {

// Runs the tool; returns the process exit code (0 ok, 1 a fault while running, 2 bad input, 130 interrupted).
int cli_main(int argc, char **argv);

} // namespace lrf
