#include "cli/plot.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace lrf {
namespace {

// Runs a program found on PATH and waits for it: its exit code, or -1 if it could not run.
int run_program(const std::vector<std::string> &args, bool silent) {
  std::vector<char *> argv;
  for (const std::string &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (silent) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  std::fflush(stdout); // our lines first
  std::fflush(stderr);
  pid_t pid = 0;
  int failed = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed)
    return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// scripts/ of the checkout this binary was built in (build folders sit in the checkout), or of an
// install (bin/../share/lrfinder); LRF_SCRIPTS overrides. "" if none holds plot.
// This executable's path, or "".
std::string own_path() {
  char exe[4096];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  return len > 0 ? std::string(exe, static_cast<std::size_t>(len)) : "";
}

std::string scripts_folder() {
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("LRF_SCRIPTS"))
    candidates.emplace_back(env);
  const std::string exe = own_path();
  if (!exe.empty()) {
    const std::string dir = exe.substr(0, exe.rfind('/'));
    for (const char *rel : {"/../scripts", "/../../scripts", "/scripts", "/../share/lrfinder"})
      candidates.push_back(dir + rel);
  }
  struct stat st {};
  for (const std::string &c : candidates)
    if (::stat((c + "/plot").c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      char *real = ::realpath(c.c_str(), nullptr); // without the ../ for the messages
      std::string folder = real ? real : c;
      std::free(real);
      return folder;
    }
  return "";
}

// The scripts folder where python3 can run `script` in it, or "" after saying on stderr why not.
std::string python_scripts(const char *script) {
  const std::string scripts = scripts_folder();
  struct stat st {};
  if (scripts.empty() || ::stat((scripts + "/" + script).c_str(), &st) != 0) {
    std::fprintf(stderr,
                 "lrfinder: --plot: scripts/%s not found beside this lrfinder (set LRF_SCRIPTS to "
                 "the scripts folder of the checkout)\n",
                 script);
    return "";
  }
  if (run_program({"python3", "-c", "import h5py, numpy, matplotlib"}, true) != 0) {
    std::fprintf(stderr,
                 "lrfinder: --plot: needs python3 with h5py, numpy and matplotlib: "
                 "pip install -r %s/requirements.txt\n",
                 scripts.c_str());
    return "";
  }
  return scripts;
}

// Runs python3 SCRIPTS/script with `args` (and -q where quiet); false after saying why where it fails.
bool run_script(const std::string &scripts, const char *script, std::vector<std::string> args, bool quiet,
                const std::string &file) {
  args.insert(args.begin(), {"python3", scripts + "/" + script});
  if (quiet)
    args.emplace_back("-q");
  int code = run_program(args, false);
  if (code != 0) {
    std::fprintf(stderr, "lrfinder: --plot: %s/%s %s failed (exit %d)\n", scripts.c_str(), script,
                 file.c_str(), code);
    return false;
  }
  return true;
}

} // namespace

bool plot_result(const std::string &file, bool quiet) {
  const std::string scripts = python_scripts("plot");
  // The script asks this same binary for the statistics (lrfinder report --json).
  return !scripts.empty() && run_script(scripts, "plot", {file, "--lrfinder", own_path()}, quiet, file);
}

bool plot_truth(const std::string &file, const std::string &png, bool quiet) {
  const std::string scripts = python_scripts("plot-truth");
  return !scripts.empty() && run_script(scripts, "plot-truth", {file, "-o", png}, quiet, file);
}

} // namespace lrf
