// `lrfinder report FILE.h5`: the statistics of a result file's suggestions, read from its per-trial
// datasets (/trials/*) in blocks, so that memory does not grow with the trial count.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/errors.hpp"
#include "io/paths.hpp"
#include "io/reader.hpp"

#include <cstdio>
#include <memory>
#include <sys/stat.h>

namespace lrf {
namespace {

struct ReportOptions {
  std::string file;
  bool json = false;
  bool wide = false;
};

int run_report(const ReportOptions &o) {
  check_input(o.file, o.file);
  struct stat st {};
  if (::stat(o.file.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw InputError(o.file + ": is a folder");
  ResultFile file(o.file);
  const Summary summary = file.summary();
  const LinearReference reference = linear_reference(file.problem().x, file.problem().config.loss);
  if (o.json) {
    print_json(stdout, summary, reference, o.file, file.info().suggest);
    return 0;
  }
  const std::int64_t trials = file.trials_done(), planned = file.range().count;
  std::printf("lrfinder report: %s: %lld trials%s (%s on %s)\n", o.file.c_str(),
              static_cast<long long>(trials),
              trials < planned ? (" of " + std::to_string(planned) + ", a stopped run").c_str() : "",
              file.info().backend.c_str(), file.info().device.c_str());
  print_steps(stdout, summary);
  print_statistics(stdout, summary, reference, o.wide);
  return 0;
}

} // namespace

Command setup_report(CLI::App &app) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("file", o->file, "a result file of lrfinder run (or merge)")->required();
  app.add_flag("--json", o->json, "print the statistics as one JSON object");
  app.add_flag("--wide", o->wide, "the statistics table with every column (default: what fits 100 columns)");
  return [o] { return run_report(*o); };
}

} // namespace lrf
