// The command line's entry: parsing, dispatch to a subcommand, and the mapping of failures to exit codes.
#include "cli/cli.hpp"

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "io/h5.hpp"
#include "version.hpp"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
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

// Help that reads at a glance in 100 columns: each option with its form ("-n,--trials N>=1"), its
// description wrapped beside it, then its default and what it excludes in words.
class Help : public CLI::Formatter {
public:
  Help() { column_width(34); }

  std::string make_option_opts(const CLI::Option *o) const override {
    if (o->get_type_size() == 0)
      return ""; // a flag
    std::string form = o->get_type_name();
    if (const auto colon = form.find(':'); colon != std::string::npos)
      form = form.substr(colon + 1); // "INT:N>=1": the validator says more than the type
    return " " + form;
  }

  std::string make_option_desc(const CLI::Option *o) const override {
    std::string desc = o->get_description(), notes;
    auto note = [&notes](const std::string &n) { notes += (notes.empty() ? "" : "; ") + n; };
    if (o->get_type_size() != 0 && !o->get_default_str().empty())
      note("default " + o->get_default_str());
    if (o->get_required())
      note("required");
    if (!o->get_excludes().empty()) {
      std::string names;
      for (const CLI::Option *other : o->get_excludes())
        names += (names.empty() ? "" : ", ") + other->get_name();
      note("not with " + names);
    }
    return notes.empty() ? desc : desc + " (" + notes + ")";
  }

  std::string make_option(const CLI::Option *o, bool positional) const override {
    return entry(make_option_name(o, positional) + make_option_opts(o), make_option_desc(o));
  }

  std::string make_subcommand(const CLI::App *sub) const override {
    return entry(sub->get_display_name(), sub->get_description());
  }

private:
  static constexpr std::size_t kWidth = 100;

  // "  LEFT   description wrapped at kWidth, continued under itself"
  std::string entry(const std::string &left, const std::string &desc) const {
    const std::size_t indent = get_column_width();
    std::string out = "  " + left;
    out += out.size() + 1 < indent ? std::string(indent - out.size(), ' ') : "\n" + std::string(indent, ' ');
    std::size_t column = indent;
    std::istringstream words(desc);
    bool first = true;
    for (std::string word; words >> word; first = false) {
      if (!first && column + 1 + word.size() > kWidth) {
        out += "\n" + std::string(indent, ' ');
        column = indent;
      } else if (!first) {
        out += ' ';
        ++column;
      }
      out += word;
      column += word.size();
    }
    return out + "\n";
  }
};

const char *kExamples =
    "Examples:\n"
    "  lrfinder run                                the seed's job: 4096 trials into lrfinder.h5\n"
    "  lrfinder run --data data.csv --loss huber   your data (a CSV with columns x, y)\n"
    "  lrfinder report lrfinder.h5                 the statistics of a result file\n"
    "  lrfinder help run                           every option of run\n";

} // namespace

int cli_main(int argc, char **argv) {
  h5::configure();
  CLI::App app{"lrfinder: the learning-rate range test as a massive batch of trials", "lrfinder"};
  app.set_version_flag("--version",
                       std::string("lrfinder ") + LRF_VERSION + " (commit " + LRF_GIT_COMMIT + ")");
  app.formatter(std::make_shared<Help>());
  app.require_subcommand(0, 1);
  app.footer(kExamples);
  std::vector<std::pair<CLI::App *, Command>> commands;
  auto add = [&](CLI::App *sub, Command command, const char *examples) {
    sub->footer(std::string("Examples:\n") + examples);
    commands.emplace_back(sub, std::move(command));
  };
  const std::string cmdline = command_line(argc, argv);
  CLI::App *run = app.add_subcommand("run", "run the trials and write every trajectory to HDF5");
  add(run, setup_run(*run, cmdline),
      "  lrfinder run -n 100000 -o big.h5 --plot\n"
      "  lrfinder run --data data.csv --columns feature,target --loss huber --minibatch 32\n"
      "  lrfinder run --scan exp --exp-factors 1.02:1.2 --save none --json\n");
  CLI::App *info = app.add_subcommand("info", "build options, backends compiled in, devices seen");
  add(info, setup_info(*info), "  lrfinder info\n");
  CLI::App *report = app.add_subcommand(
      "report", "statistics of a result file's suggested learning rates (--json for machines)");
  add(report, setup_report(*report), "  lrfinder report lrfinder.h5\n  lrfinder report --json lrfinder.h5\n");
  CLI::App *merge = app.add_subcommand("merge", "merge the shard files of one run into one result");
  add(merge, setup_merge(*merge), "  lrfinder merge -o all.h5 run-shard-*-of-8.h5\n");
  CLI::App *truth = app.add_subcommand(
      "truth", "which suggestion rule to trust: a sample of trials at fixed rates, against each rule");
  add(truth, setup_truth(*truth),
      "  lrfinder truth lrfinder.h5\n  lrfinder truth lrfinder.h5 --sample 256 --plot\n");
  CLI::App *help = app.add_subcommand("help", "this help, or a subcommand's: lrfinder help run");
  std::string help_on;
  help->add_option("subcommand", help_on, "the subcommand to explain")
      ->check(CLI::IsMember({"run", "info", "report", "merge", "truth", "help"}));
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
  if (help->parsed() || app.get_subcommands().empty()) { // `lrfinder`, `lrfinder help [subcommand]`
    // App::help() would follow the parsed subcommand (help itself): the formatter draws the one asked for.
    std::cout << (help_on.empty()
                      ? app.get_formatter()->make_help(&app, "lrfinder", CLI::AppFormatMode::Normal)
                      : app.get_subcommand(help_on)->help("lrfinder"));
    return 0;
  }
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
