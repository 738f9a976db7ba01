// `lrfinder report FILE.h5`: the statistics of a result file's suggestions, read from its per-trial
// datasets (/trials/*) in blocks, so that memory does not grow with the trial count.
#include "commands.hpp"
#include "errors.hpp"
#include "h5_input.hpp"
#include "report.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/stat.h>

namespace lrf {
namespace {

struct ReportOptions {
  std::string file;
  bool json = false;
};

int run_report(const ReportOptions &o) {
  struct stat st {};
  if (::stat(o.file.c_str(), &st) != 0)
    throw InputError(o.file + ": cannot open: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    throw InputError(o.file + ": is a folder");
  ResultFile file(o.file);
  const std::int64_t trials = file.trials_done();
  Summary summary;
  Batch batch;
  constexpr std::int64_t kBlock = std::int64_t{1} << 20;
  for (std::int64_t row = 0; row < trials; row += kBlock) {
    file.read(row, std::min(kBlock, trials - row), batch, false);
    summary.add(batch);
  }
  const LinearReference reference = linear_reference(file.problem().x);
  if (o.json) {
    print_json(stdout, summary, reference, o.file);
    return 0;
  }
  const std::int64_t planned = file.range().count;
  std::printf("lrfinder report: %s: %lld trials%s (%s on %s)\n", o.file.c_str(),
              static_cast<long long>(trials),
              trials < planned ? (" of " + std::to_string(planned) + ", a stopped run").c_str() : "",
              file.info().backend.c_str(), file.info().device.c_str());
  std::printf("  steps        %lld updates, %.1f per trial; diverged %lld, completed %lld, stalled %lld\n",
              static_cast<long long>(summary.steps),
              static_cast<double>(summary.steps) / static_cast<double>(trials > 0 ? trials : 1),
              static_cast<long long>(summary.status[0]), static_cast<long long>(summary.status[1]),
              static_cast<long long>(summary.status[2]));
  print_statistics(stdout, summary, reference);
  return 0;
}

} // namespace

Command setup_report(CLI::App &app) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("file", o->file, "a result file of lrfinder run (or merge)")->required();
  app.add_flag("--json", o->json, "print the statistics as one JSON object");
  return [o] { return run_report(*o); };
}

} // namespace lrf
