// The command line's entry: parsing, dispatch to a subcommand, and the mapping of failures to exit codes.
#include "cli.hpp"

#include "commands.hpp"
#include "errors.hpp"
#include "h5.hpp"
#include "version.hpp"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>
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

CLI::Validator finite_number(const char *what) {
  return CLI::Validator(
      [what](std::string &s) -> std::string {
        char *end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v))
          return "'" + s + "' is not " + what;
        return "";
      },
      "NUMBER");
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string &s) -> std::string {
        char *end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v) || !(v > 0))
          return "'" + s + "' is not a number > 0";
        return "";
      },
      "X>0");
}

CLI::Validator count_at_least(long long lo) {
  return CLI::Validator(
      [lo](std::string &s) -> std::string {
        char *end = nullptr;
        errno = 0;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0' || errno == ERANGE || v < lo)
          return "'" + s + "' is not a whole number >= " + std::to_string(lo);
        return "";
      },
      "N>=" + std::to_string(lo));
}

std::string shortest(double v) {
  std::string best;
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v && (best.empty() || std::string(buf).size() < best.size()))
      best = buf; // "10" rather than "1e+01"
  }
  return best;
}

void check_output(const std::string &path, bool overwrite) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      throw InputError("--output " + path + ": is a folder");
    if (!overwrite)
      throw InputError("--output " + path + ": exists (use --overwrite to replace it)");
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError("--output " + path + ": folder '" + dir + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError("--output " + path + ": folder '" + dir + "' is not writable");
}

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
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGUSR1, on_signal);
  try {
    for (auto &[sub, command] : commands)
      if (sub->parsed())
        return command();
    return 2;
  } catch (const InputError &e) {
    std::fprintf(stderr, "lrfinder: error: %s\n", e.what());
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "lrfinder: error: %s; nothing written\n", e.what());
    return g_signal ? 128 + g_signal : 1;
  }
}

} // namespace lrf
