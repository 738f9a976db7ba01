// The subcommands of the command line, each in its own file (cmd_<name>.cpp). A subcommand registers its
// options on the app and returns what runs it once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <string>

namespace lrf {

using Command = std::function<int()>;

// Exit code of a run stopped by SIGTERM or SIGUSR1 after checkpointing: run it again to continue
// (EX_TEMPFAIL of sysexits.h).
constexpr int kExitResumable = 75;

// The signal that asked the tool to stop (SIGINT, SIGTERM, SIGUSR1), or 0.
extern std::atomic<int> g_signal;

Command setup_run(CLI::App &app, const std::string &command_line);
Command setup_info(CLI::App &app);
Command setup_report(CLI::App &app);
Command setup_merge(CLI::App &app);
Command setup_truth(CLI::App &app);

struct AnalysisOptions;
// The options of `lrfinder run` that shape the analysis (src/cli/options_analysis.cpp).
void setup_analysis_options(CLI::App &app, AnalysisOptions &options);

} // namespace lrf
