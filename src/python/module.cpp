// The Python module's engine, lrfinder._lrfinder: a run into a result file (the job `lrfinder run` runs, with
// the same settings and the same bytes), the statistics of a file as JSON, and what this build holds. The
// package around it (src/python/lrfinder/) turns these into Python's objects.
#include "analysis/rules.hpp"
#include "core/errors.hpp"
#include "core/format.hpp"
#include "io/data.hpp"
#include "io/job.hpp"
#include "io/json.hpp"
#include "io/paths.hpp"
#include "io/reader.hpp"
#include "version.hpp"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

namespace nb = nanobind;

namespace lrf {
namespace {

using Values = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

[[noreturn]] void bad(const std::string &name, const std::string &what) {
  throw nb::value_error((name + ": " + what).c_str());
}

// A whole number (a Python int, or numpy's: anything with __index__, but not a bool) in [lo, hi].
std::int64_t whole(const std::string &name, nb::handle value, std::int64_t lo, std::int64_t hi = INT64_MAX) {
  if (nb::isinstance<nb::bool_>(value) || !PyIndex_Check(value.ptr()))
    bad(name, "expected a whole number, got " + nb::cast<std::string>(nb::repr(value)));
  const nb::object index = nb::steal(PyNumber_Index(value.ptr()));
  if (!index.is_valid())
    throw nb::python_error();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0)
    bad(name, nb::cast<std::string>(nb::str(index)) + " is out of range");
  if (v < lo || v > hi)
    bad(name, std::to_string(v) + " is not a whole number >= " + std::to_string(lo) +
                  (hi < INT64_MAX ? " and <= " + std::to_string(hi) : ""));
  return v;
}

// A finite number above `above` (a Python or numpy float or int, not a bool).
double real(const std::string &name, nb::handle value, double above = -INFINITY) {
  if (nb::isinstance<nb::bool_>(value) || !(PyFloat_Check(value.ptr()) || PyIndex_Check(value.ptr())))
    bad(name, "expected a number, got " + nb::cast<std::string>(nb::repr(value)));
  const double v = PyFloat_AsDouble(value.ptr());
  if (v == -1.0 && PyErr_Occurred())
    throw nb::python_error();
  if (!std::isfinite(v))
    bad(name, shortest(v) + " is not a finite number");
  if (!(v > above))
    bad(name, shortest(v) + " is not a number > " + shortest(above));
  return v;
}

std::string text(const std::string &name, nb::handle value) {
  if (!nb::isinstance<nb::str>(value))
    bad(name, "expected a string, got " + nb::cast<std::string>(nb::repr(value)));
  return nb::cast<std::string>(value);
}

// A text that `parse` reads into `out`: parse returns "" or what is wrong.
template <class T, class Parse> void parsed(const std::string &name, nb::handle value, T &out, Parse parse) {
  const std::string t = text(name, value);
  if (std::string problem = parse(t, out); !problem.empty())
    bad(name, problem);
}

// One of the setting's choices (io/job.hpp) by its name.
template <class E> E choice(const std::string &name, nb::handle value) {
  const std::string t = text(name, value);
  std::string names;
  for (const auto &[key, v] : choices<E>()) {
    if (key == t)
      return v;
    names += (names.empty() ? "" : ", ") + key;
  }
  bad(name, "'" + t + "' is not one of " + names);
}

// The settings of lrfinder.run, each named as the command line's option (base_lr for --base-lr) and
// checked as it checks it; a name that is not one is an error. None keeps the default.
JobSettings settings_from(const nb::dict &given) {
  JobSettings s;
  for (auto [key, value] : given) {
    const std::string k = nb::cast<std::string>(key);
    if (value.is_none())
      continue;
    if (k == "output")
      s.output = text(k, value);
    else if (k == "data")
      s.data = text(k, value);
    else if (k == "columns")
      parsed(k, value, s.data_format, parse_columns);
    else if (k == "header")
      s.data_format.header = nb::cast<bool>(value);
    else if (k == "sep")
      s.data_format.sep = choice<Sep>(k, value);
    else if (k == "decimal")
      s.data_format.decimal = choice<Decimal>(k, value);
    else if (k == "trials")
      s.plan.trials = whole(k, value, 1);
    else if (k == "epochs")
      s.config.epochs = static_cast<std::int32_t>(whole(k, value, 1, INT32_MAX));
    else if (k == "base_lr")
      s.config.base_lr = real(k, value, 0);
    else if (k == "diverge")
      s.config.diverge = real(k, value);
    else if (k == "stop_factor")
      s.config.stop_factor = real(k, value, 1);
    else if (k == "scan")
      s.scans = choice<Scans>(k, value);
    else if (k == "end_lr")
      s.end_lr = real(k, value, 0);
    else if (k == "linear_factors")
      parsed(k, value, s.plan.linear_factors,
             [](const std::string &t, FactorSpec &f) { return parse_factors(t, Scan::linear, f); });
    else if (k == "exp_factors")
      parsed(k, value, s.plan.exp_factors,
             [](const std::string &t, FactorSpec &f) { return parse_factors(t, Scan::exp, f); });
    else if (k == "w_min")
      s.plan.w_min = real(k, value);
    else if (k == "w_max")
      s.plan.w_max = real(k, value);
    else if (k == "seed")
      s.plan.seed = static_cast<std::uint64_t>(whole(k, value, 0));
    else if (k == "backend")
      s.backend = choice<BackendKind>(k, value);
    else if (k == "threads")
      s.backend_options.threads = static_cast<int>(whole(k, value, 0, 1 << 20));
    else if (k == "devices")
      parsed(k, value, s.backend_options.devices, parse_devices);
    else if (k == "batch")
      s.batch = whole(k, value, 0);
    else if (k == "loss")
      parsed(k, value, s.config, parse_loss);
    else if (k == "minibatch")
      s.config.minibatch = whole(k, value, 1);
    else if (k == "arith")
      s.config.arith = choice<Arith>(k, value);
    else if (k == "numpy_sum")
      s.numpy_sum = choice<NumpySum>(k, value);
    else if (k == "trials_from")
      s.trials_from = text(k, value);
    else if (k == "shard")
      parsed(k, value, s.shard, parse_shard);
    else if (k == "save")
      parsed(k, value, s.storage, parse_save);
    else if (k == "precision")
      parsed(k, value, s.storage, parse_precision);
    else if (k == "compress")
      parsed(k, value, s.storage, parse_compress);
    else if (k == "suggest") {
      s.analysis.suggest = text(k, value);
      const auto names = rule_names();
      if (std::find(names.begin(), names.end(), s.analysis.suggest) == names.end())
        bad(k, "'" + s.analysis.suggest + "' is not a rule (lrfinder.rules() lists them)");
    } else if (k == "smooth")
      parsed(k, value, s.analysis.smooth, [](const std::string &t, Smoothing &out) -> std::string {
        return parse_smoothing(t, out)
                   ? ""
                   : "'" + t + "' is not none, ema:BETA or ema-debiased:BETA with 0 <= BETA < 1";
      });
    else if (k == "skip_begin")
      s.analysis.skip_begin = static_cast<std::int32_t>(whole(k, value, 0, INT32_MAX));
    else if (k == "skip_end")
      s.analysis.skip_end = static_cast<std::int32_t>(whole(k, value, 0, INT32_MAX));
    else if (k == "resume")
      s.resume = nb::cast<bool>(value);
    else if (k == "overwrite")
      s.overwrite = nb::cast<bool>(value);
    else if (k == "command_line")
      s.command_line = text(k, value);
    else
      bad(k, "not a setting of lrfinder.run");
  }
  return s;
}

// Runs the job on a thread of its own while this one, holding the GIL only briefly, reports progress and
// looks for Ctrl-C about ten times a second: a KeyboardInterrupt stops the run after its current batch,
// removes the partial file and propagates. Returns what the summary holds, for the package to read.
nb::dict run(const nb::dict &given, nb::object x, nb::object y, nb::object progress) {
  JobSettings settings = settings_from(given);
  JobData data;
  const JobData *data_given = nullptr;
  if (!x.is_none()) {
    const auto xs = nb::cast<Values>(x), ys = nb::cast<Values>(y);
    data.x.assign(xs.data(), xs.data() + xs.shape(0));
    data.y.assign(ys.data(), ys.data() + ys.shape(0));
    data.source = "the data given";
    data_given = &data;
  }

  std::atomic<int> signal{0};
  std::mutex mutex;
  std::condition_variable changed;
  bool finished = false;
  std::int64_t done = 0, total = -1; // -1: nothing reported yet
  double seconds = 0;
  std::vector<std::string> notes;
  JobOutcome outcome;
  std::exception_ptr error;

  JobEvents events;
  events.signal = &signal;
  events.note = [&](const std::string &line) {
    std::lock_guard<std::mutex> lock(mutex);
    notes.push_back(line);
  };
  events.progress_seconds = 0.1;
  events.progress = [&](std::int64_t d, std::int64_t t, double s) {
    std::lock_guard<std::mutex> lock(mutex);
    done = d, total = t, seconds = s;
    changed.notify_all();
  };
  bool interrupted = false;
  std::int64_t shown = -1;
  {
    nb::gil_scoped_release unlocked;
    std::thread worker([&] {
      try {
        outcome = run_job(std::move(settings), events, data_given);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      finished = true;
      changed.notify_all();
    });
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, std::chrono::milliseconds(100));
      if (finished)
        break;
      const std::int64_t d = done, t = total;
      const double s = seconds;
      lock.unlock();
      if (interrupted)
        continue;
      nb::gil_scoped_acquire locked;
      if (PyErr_CheckSignals() != 0) { // KeyboardInterrupt (or what a handler raised) is now pending
        interrupted = true;
        signal = SIGINT;
      } else if (!progress.is_none() && t >= 0 && d != shown) {
        shown = d;
        try {
          progress(d, t, s);
        } catch (nb::python_error &e) { // a failing progress callback stops the run too
          e.restore();
          interrupted = true;
          signal = SIGINT;
        }
      }
    }
    worker.join();
  }
  if (interrupted)
    throw nb::python_error(); // the pending exception, after the run has stopped and cleaned up
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const InputError &e) {
      throw nb::value_error(e.what());
    } catch (const Stopped &) {
      throw nb::value_error("interrupted");
    }
  }
  nb::dict out;
  out["output"] = outcome.output;
  out["backend"] = outcome.backend->name();
  out["device"] = outcome.backend->device();
  out["compute_seconds"] = outcome.result.compute_seconds;
  out["write_seconds"] = outcome.result.write_seconds;
  out["total_seconds"] = outcome.result.total_seconds;
  out["trials_run"] = outcome.result.summary.trials;
  out["steps_run"] = outcome.result.summary.steps;
  out["notes"] = notes;
  if (!progress.is_none() && total >= 0 && done != shown) // the last count, where the loop ended first
    progress(done, total, seconds);
  return out;
}

// The statistics of a result file as `lrfinder report --json FILE` prints them.
std::string report(const std::string &path) {
  try {
    check_input(path, path);
    ResultFile file(path);
    const Summary summary = file.summary();
    const LinearReference reference = linear_reference(file.problem().x, file.problem().config.loss);
    char *buffer = nullptr;
    std::size_t size = 0;
    std::FILE *out = ::open_memstream(&buffer, &size);
    if (!out)
      throw RunError("cannot make a JSON buffer");
    print_json(out, summary, reference, path, file.info().suggest);
    std::fclose(out);
    std::string json(buffer, size);
    std::free(buffer);
    return json;
  } catch (const InputError &e) {
    throw nb::value_error(e.what());
  }
}

} // namespace
} // namespace lrf

NB_MODULE(_lrfinder, m) {
  m.doc() = "lrfinder's engine: the package lrfinder is its interface";
  m.attr("__version__") = LRF_VERSION;
  m.attr("commit") = LRF_GIT_COMMIT;
  m.def("run", &lrf::run, nb::arg("settings"), nb::arg("x").none(), nb::arg("y").none(),
        nb::arg("progress").none());
  m.def("report", &lrf::report, nb::arg("path"));
  m.def("rules", &lrf::rule_names);
  m.def("backends", &lrf::compiled_backends);
}
