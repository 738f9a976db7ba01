#include "report.hpp"

#include <cerrno>
#include <cmath>
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

std::string number(double v) {
  if (std::isnan(v))
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string range(double a, double b) {
  return std::isnan(a) ? "-" : "[" + number(a) + ", " + number(b) + "]";
}

std::string group_name(const Summary::Group &g) {
  const char *scan = g.scan == Scan::linear ? "linear" : "exp";
  if (std::isnan(g.factor))
    return std::string(scan) + " drawn";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %.6g", scan, g.factor);
  return buf;
}

void print_row(std::FILE *out, const std::string &label, const Distribution &d, const LinearReference &ref) {
  const auto ci = d.median_interval();
  const double median = d.quantile(0.5);
  std::fprintf(out, "  %-22s %9lld %9lld %9s %-22s %-22s %-22s %9s %9s\n", label.c_str(),
               static_cast<long long>(d.trials()), static_cast<long long>(d.answered()),
               number(median).c_str(), range(ci[0], ci[1]).c_str(),
               range(d.quantile(0.25), d.quantile(0.75)).c_str(),
               range(d.quantile(0.05), d.quantile(0.95)).c_str(), number(d.geometric_mean()).c_str(),
               number(median / ref.lr_star()).c_str());
}

// The shortest text that reads back as v, or null (JSON has no NaN).
std::string json_number(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

std::string json_string(const std::string &s) {
  std::string q = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      q += '\\', q += static_cast<char>(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      q += buf;
    } else
      q += static_cast<char>(c);
  }
  return q + "\"";
}

std::string json_stats(const Distribution &d, const LinearReference &ref) {
  const auto ci = d.median_interval();
  const double median = d.quantile(0.5);
  return "\"trials\": " + std::to_string(d.trials()) + ", \"answered\": " + std::to_string(d.answered()) +
         ", \"median\": " + json_number(median) + ", \"median_ci95\": [" + json_number(ci[0]) + ", " +
         json_number(ci[1]) + "], \"q25\": " + json_number(d.quantile(0.25)) +
         ", \"q75\": " + json_number(d.quantile(0.75)) + ", \"p5\": " + json_number(d.quantile(0.05)) +
         ", \"p95\": " + json_number(d.quantile(0.95)) +
         ", \"geometric_mean\": " + json_number(d.geometric_mean()) +
         ", \"median_over_lr_star\": " + json_number(median / ref.lr_star());
}

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
std::string scripts_folder() {
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("LRF_SCRIPTS"))
    candidates.emplace_back(env);
  char exe[4096];
  ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    std::string dir(exe, static_cast<std::size_t>(len));
    dir = dir.substr(0, dir.rfind('/'));
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

} // namespace

void print_statistics(std::FILE *out, const Summary &s, const LinearReference &ref) {
  const std::string headline = s.headline_rule();
  if (s.suggested > 0)
    std::fprintf(out, "  suggested lr median %.3g, IQR [%.3g, %.3g] over %lld trials with a suggestion%s\n",
                 s.quantile(0.5), s.quantile(0.25), s.quantile(0.75), static_cast<long long>(s.suggested),
                 headline.empty() ? "" : (" (rule " + headline + ")").c_str());
  else
    std::fprintf(out, "  suggested lr none: no trial's loss fell\n");
  if (!std::isnan(ref.c))
    std::fprintf(out,
                 "  reference    c = mean(x^2) = %.4g: lr* = 1/(2c) = %.4g reaches w* in one step, "
                 "lr > 1/c = %.4g diverges\n",
                 ref.c, ref.lr_star(), ref.lr_diverge());
  std::fprintf(out, "  %-22s %9s %9s %9s %-22s %-22s %-22s %9s %9s\n", "rule / group", "trials", "answered",
               "median", "95% CI of median", "IQR [25%, 75%]", "[5%, 95%]", "geo mean", "median/lr*");
  for (std::size_t r = 0; r < s.rules().size(); ++r) {
    print_row(out, s.rules()[r], s.overall(r), ref);
    if (s.groups().size() > 1)
      for (const Summary::Group &g : s.groups())
        print_row(out, "  " + group_name(g), g.rules[r], ref);
  }
}

void print_json(std::FILE *out, const Summary &s, const LinearReference &ref, const std::string &file) {
  std::fprintf(out, "{\n");
  if (!file.empty())
    std::fprintf(out, "  \"file\": %s,\n", json_string(file).c_str());
  std::fprintf(out,
               "  \"trials\": %lld,\n  \"steps\": %lld,\n  \"status\": {\"diverged\": %lld, \"completed\": "
               "%lld, \"stalled\": %lld},\n",
               static_cast<long long>(s.trials), static_cast<long long>(s.steps),
               static_cast<long long>(s.status[0]), static_cast<long long>(s.status[1]),
               static_cast<long long>(s.status[2]));
  std::fprintf(out, "  \"reference\": {\"c\": %s, \"lr_star\": %s, \"lr_diverge\": %s},\n",
               json_number(ref.c).c_str(), json_number(ref.lr_star()).c_str(),
               json_number(ref.lr_diverge()).c_str());
  const std::string headline = s.headline_rule();
  std::fprintf(out, "  \"headline\": {\"rule\": %s, %s},\n",
               headline.empty() ? "null" : json_string(headline).c_str(),
               json_stats(s.headline(), ref).c_str());
  std::fprintf(out, "  \"rules\": {\n");
  for (std::size_t r = 0; r < s.rules().size(); ++r) {
    std::fprintf(out, "    %s: {\n      \"all\": {%s},\n      \"groups\": [\n",
                 json_string(s.rules()[r]).c_str(), json_stats(s.overall(r), ref).c_str());
    for (std::size_t k = 0; k < s.groups().size(); ++k) {
      const Summary::Group &g = s.groups()[k];
      std::fprintf(out, "        {\"scan\": \"%s\", \"factor\": %s, %s}%s\n",
                   g.scan == Scan::linear ? "linear" : "exp", json_number(g.factor).c_str(),
                   json_stats(g.rules[r], ref).c_str(), k + 1 < s.groups().size() ? "," : "");
    }
    std::fprintf(out, "      ]\n    }%s\n", r + 1 < s.rules().size() ? "," : "");
  }
  std::fprintf(out, "  }\n}\n");
}

bool plot_result(const std::string &file, bool quiet) {
  const std::string scripts = scripts_folder();
  if (scripts.empty()) {
    std::fprintf(stderr, "lrfinder: --plot: scripts/plot not found beside this lrfinder (set LRF_SCRIPTS to "
                         "the scripts folder of the checkout)\n");
    return false;
  }
  if (run_program({"python3", "-c", "import h5py, numpy, matplotlib"}, true) != 0) {
    std::fprintf(stderr,
                 "lrfinder: --plot: needs python3 with h5py, numpy and matplotlib: "
                 "pip install -r %s/requirements.txt\n",
                 scripts.c_str());
    return false;
  }
  std::vector<std::string> args{"python3", scripts + "/plot", file};
  if (quiet)
    args.emplace_back("-q");
  int code = run_program(args, false);
  if (code != 0) {
    std::fprintf(stderr, "lrfinder: --plot: %s/plot %s failed (exit %d)\n", scripts.c_str(), file.c_str(),
                 code);
    return false;
  }
  return true;
}

} // namespace lrf
