// The command line's entry: parsing, dispatch to a subcommand, and the mapping of failures to exit codes.
#include "cli/cli.hpp"

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "io/h5.hpp"
#include "version.hpp"

#include <csignal>
#include <cstdio>
#include <utility>
#include <vector>

namespace lrf {

std::atomic<int> g_signal{0};

namespace {

extern "C" void on_signal(int sig) {
  g_signal = sig;
}

std::string command_line(int argc, char **argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>()[]{}!#~") == std::string::npos;
    if (!plain) {
      std::string q = "'";
      for (char c : a)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    line += (i ? " " : "") + a;
  }
  return line;
}

} // namespace

int cli_main(int argc, char **argv) {
  h5::configure();
  CLI::App app{"lrfinder: the learning-rate range test as a massive batch of trials", "lrfinder"};
  app.set_version_flag("--version",
                       std::string("lrfinder ") + LRF_VERSION + " (commit " + LRF_GIT_COMMIT + ")");
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App *, Command>> commands;
  auto add = [&](Command (*setup)(CLI::App &), const char *name, const char *help) {
    CLI::App *sub = app.add_subcommand(name, help);
    commands.emplace_back(sub, setup(*sub));
  };
  const std::string cmdline = command_line(argc, argv);
  CLI::App *run = app.add_subcommand("run", "run the trials and write every trajectory to HDF5");
  commands.emplace_back(run, setup_run(*run, cmdline));
  add(setup_info, "info", "build options, backends compiled in, devices seen");
  add(setup_report, "report", "statistics of a result file's suggested learning rates (--json for machines)");
  add(setup_merge, "merge", "merge the shard files of one run into one result");
  add(setup_truth, "truth", "which suggestion rule to trust: a sample of trials at fixed rates, against each rule");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::fprintf(stderr, "lrfinder: error: %s\n", e.what());
    return 2;
  }
  // Without SA_RESTART: a call that blocks (opening a FIFO no one writes to) returns EINTR, and the run
  // ends as asked instead of waiting for ever.
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1})
    ::sigaction(sig, &action, nullptr);
  // A file-size limit (ulimit -f) makes a write fail with EFBIG, reported like a full disk, rather than
  // killing the process with its partial file left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    for (auto &[sub, command] : commands)
      if (sub->parsed())
        return command();
    return 2;
  } catch (const InputError &e) {
    std::fprintf(stderr, "lrfinder: error: %s\n", e.what());
    return 2;
  } catch (const KeptError &e) {
    std::fprintf(stderr, "lrfinder: error: %s\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    if (g_signal) { // what failed was the signal's doing (a call it interrupted)
      std::fprintf(stderr, "lrfinder: error: interrupted; nothing written\n");
      return 128 + g_signal;
    }
    std::fprintf(stderr, "lrfinder: error: %s; nothing written\n", e.what());
    return 1;
  }
}

} // namespace lrf
