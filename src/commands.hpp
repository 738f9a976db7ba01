// The subcommands of the command line, each in its own file (cmd_<name>.cpp), and the option checks they
// share. A subcommand registers its options on the app and returns what runs it once parsing succeeded.
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

struct AnalysisOptions;
// The analysis options of `lrfinder run` (src/analysis_cli.cpp).
void setup_analysis_options(CLI::App &app, AnalysisOptions &options);

// CLI11 validators whose messages name the value: "--trials: 'abc' is not a whole number >= 1".
CLI::Validator finite_number(const char *what);
CLI::Validator positive_number();
CLI::Validator count_at_least(long long lo);

// The shortest text that reads back as v ("0.1", not "0.100000").
std::string shortest(double v);

// The output must be new (or `overwrite`) in a folder that exists and is writable; else InputError.
void check_output(const std::string &path, bool overwrite);

} // namespace lrf
