#include "io/job.hpp"

#include "core/errors.hpp"
#include "core/format.hpp"
#include "io/data.hpp"
#include "io/paths.hpp"
#include "io/reader.hpp"
#include "io/writer.hpp"
#include "run/identity.hpp"
#include "run/resources.hpp"
#include "version.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <tuple>

namespace lrf {
namespace {

// The scan limits against each other, and --end-lr turned into each running scan's one factor.
void resolve_plan(JobSettings &s) {
  PlanOptions &plan = s.plan;
  plan.linear = s.scans != Scans::exp;
  plan.exp = s.scans != Scans::linear;
  if (!(plan.w_min < plan.w_max))
    throw InputError("--w-min " + shortest(plan.w_min) + " must be below --w-max " + shortest(plan.w_max));
  if (!std::isfinite(plan.w_max - plan.w_min)) // the plan draws w_min + (w_max - w_min) * u
    throw InputError("--w-min " + shortest(plan.w_min) + " and --w-max " + shortest(plan.w_max) +
                     ": the range w-max - w-min is not finite");
  if (s.end_lr > 0) {
    const double base = s.config.base_lr, epochs = static_cast<double>(s.config.epochs);
    if (!(s.end_lr > base))
      throw InputError("--end-lr " + shortest(s.end_lr) + " must be above --base-lr " + shortest(base));
    const double linear = (s.end_lr - base) / epochs, exp = std::pow(s.end_lr / base, 1 / epochs);
    for (auto [scan, factor, spec] : {std::tuple{Scan::linear, linear, &plan.linear_factors},
                                      std::tuple{Scan::exp, exp, &plan.exp_factors}}) {
      if (scan == Scan::linear ? !plan.linear : !plan.exp)
        continue; // a scan that does not run
      if (std::string p = factor_problem(scan, factor); !p.empty())
        throw InputError("--end-lr " + shortest(s.end_lr) + ": the " + scan_name(scan) +
                         " factor it implies (" + shortest(factor) + ") is not valid: " + p);
      *spec = FactorSpec{{factor}};
    }
  }
  if (!s.trials_from.empty()) {
    check_input("--trials-from " + s.trials_from, s.trials_from);
    plan.explicit_trials = read_trials(s.trials_from);
  }
}

// The loss's demands on the settings and the data: fma is a form of the squared error; logistic labels are
// 0 or 1; a minibatch is at most the data.
void check_loss(const RunConfig &c, const JobData &data) {
  if (c.arith == Arith::fma && c.loss != Loss::mse)
    throw InputError("--arith fma: only with --loss mse (the fused form is of the squared error)");
  if (c.minibatch > static_cast<std::int64_t>(data.x.size()))
    throw InputError("--minibatch " + std::to_string(c.minibatch) + ": more than the " +
                     std::to_string(data.x.size()) + " points of " + data.source);
  if (c.loss != Loss::logistic)
    return;
  for (std::size_t i = 0; i < data.y.size(); ++i)
    if (data.y[i] != 0 && data.y[i] != 1)
      throw InputError("--loss logistic: point " + std::to_string(i + 1) + " of " + data.source +
                       " has y = " + shortest(data.y[i]) + "; logistic labels are 0 or 1");
}

} // namespace

std::string job_output(const JobSettings &settings) {
  return shard_output(settings.output, settings.shard);
}

JobOutcome run_job(JobSettings s, const JobEvents &events, const JobData *given) {
  auto note = [&](const std::string &line) {
    if (events.note && !line.empty())
      events.note(line);
  };
  resolve_plan(s);
  JobData data;
  if (given) {
    data = *given;
  } else if (s.data.empty()) {
    XY seed = seed_data();
    data = JobData{std::move(seed.x), std::move(seed.y), "the seed's data"};
  } else {
    if (s.data != "-")
      check_input("--data " + s.data, s.data);
    XY read = read_data(s.data, s.data_format);
    data = JobData{std::move(read.x), std::move(read.y), "--data " + s.data};
  }
  JobOutcome out;
  out.output = job_output(s);
  check_output(out.output, s.overwrite);
  check_loss(s.config, data);

  Problem problem;
  problem.config = s.config;
  problem.config.seed = s.plan.seed;
  problem.x = std::move(data.x);
  problem.y = std::move(data.y);
  problem.set_numpy_sum(s.numpy_sum);
  Plan plan(s.plan);
  const TrialRange range = shard_range(plan.size(), s.shard);
  check_size(problem, s.batch, range, Kept{s.storage.loss, s.storage.weight, s.storage.lr, s.storage.rows});

  std::string backend_note;
  out.backend = make_backend(s.backend, s.backend_options, &backend_note);
  note(backend_note);

  OutputInfo info;
  info.seed = s.plan.seed;
  info.backend = out.backend->name();
  info.device = out.backend->device();
  info.version = LRF_VERSION;
  info.command_line = s.command_line;
  info.w_min = s.plan.w_min;
  info.w_max = s.plan.w_max;
  info.numpy_sum = numpy_sum_name(s.numpy_sum);
  info.config = run_config(problem, s.numpy_sum, s.plan, s.analysis, s.storage);
  info.shard = s.shard.n > 1 ? std::to_string(s.shard.k) + "/" + std::to_string(s.shard.n) : "";
  info.suggest = s.analysis.suggest;
  info.storage = s.storage;
  H5Writer writer(out.output, problem, range, info, WriteOptions{s.resume, s.overwrite, s.batch});
  note(writer.resume_note());
  Summary before =
      writer.done() > 0 ? ResultFile(writer.partial_path(), true).summary(writer.done()) : Summary();

  RunControl control;
  control.batch = s.batch;
  control.analysis = s.analysis;
  control.signal = events.signal;
  control.begin = range.first + writer.done();
  control.end = range.first + range.count;
  control.progress = events.progress;
  control.progress_seconds = events.progress_seconds;
  out.config = problem.config;
  out.count = range.count;
  out.partial_path = writer.partial_path();
  out.reference = linear_reference(problem.x, problem.config.loss);
  if (events.started)
    events.started(*out.backend, range.count, writer.done());
  try {
    out.result = run_trials(problem, plan, *out.backend, writer, control);
  } catch (const Stopped &stop) {
    if (stop.signal == SIGINT)
      throw; // Ctrl-C: the partial file goes with the run
    writer.keep();
    out.stopped = stop.signal;
    out.done = writer.done();
    return out;
  }
  writer.commit();
  out.done = range.count;
  before.merge(out.result.summary);
  before.set_headline_rule(s.analysis.suggest);
  out.summary = std::move(before);
  return out;
}

std::string parse_factors(const std::string &text, Scan scan, FactorSpec &out) {
  std::string problem;
  auto number = [&](const std::string &s) {
    char *end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      problem = "'" + s + "' in '" + text + "' is not a number";
    else if (std::string p = factor_problem(scan, v); !p.empty())
      problem = "'" + s + "': " + p;
    return v;
  };
  FactorSpec spec;
  auto colon = text.find(':');
  if (colon != std::string::npos) {
    spec.lo = number(text.substr(0, colon));
    if (problem.empty())
      spec.hi = number(text.substr(colon + 1));
    if (problem.empty() && !(spec.lo < spec.hi))
      problem = "range '" + text + "' must have LO < HI";
    if (problem.empty() && !std::isfinite(spec.hi / spec.lo)) // the plan draws lo * (hi / lo)^u
      problem = "range '" + text + "' is too wide (HI/LO is not finite)";
  } else {
    for (std::size_t at = 0; problem.empty();) {
      auto comma = text.find(',', at);
      spec.values.push_back(number(text.substr(at, comma - at)));
      if (comma == std::string::npos)
        break;
      at = comma + 1;
    }
  }
  if (problem.empty())
    out = spec;
  return problem;
}

std::string parse_devices(const std::string &text, std::vector<int> &out) {
  std::vector<int> devices;
  for (std::size_t at = 0;;) {
    const auto comma = text.find(',', at);
    const std::string item = text.substr(at, comma - at);
    char *end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || item[0] < '0' || item[0] > '9' || *end != '\0' || errno == ERANGE || v > 1 << 20)
      return "'" + item + "' in '" + text + "' is not a GPU ordinal (a whole number >= 0)";
    if (std::find(devices.begin(), devices.end(), static_cast<int>(v)) != devices.end())
      return "'" + text + "' lists device " + item + " twice";
    devices.push_back(static_cast<int>(v));
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  out = devices;
  return "";
}

} // namespace lrf
