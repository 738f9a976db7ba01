// The command line: `lrfinder run`, `report`, `merge`, `info` and `--version` (cli.cpp parses and dispatches;
// each subcommand is in cmd_<name>.cpp).
#pragma once

namespace lrf {

// Runs the tool; returns the process exit code (0 ok, 1 a fault while running, 2 bad input, 130 interrupted).
int cli_main(int argc, char **argv);

} // namespace lrf
