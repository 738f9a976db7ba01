#include "run/shard.hpp"

#include "core/errors.hpp"

#include <cerrno>
#include <cstdlib>
#include <tuple>

namespace lrf {

namespace {

// A whole number in [0, 2^63) that is the whole of text (no sign, no spaces); false if it is not one.
bool parse_count(const char *text, const char *end_wanted_at, std::int64_t &value) {
  errno = 0;
  if (*text < '0' || *text > '9')
    return false;
  char *end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno == ERANGE || (end_wanted_at ? end != end_wanted_at : *end != '\0'))
    return false;
  value = v;
  return true;
}

} // namespace

std::string parse_shard(const std::string &text, Shard &shard) {
  const auto slash = text.find('/');
  Shard s;
  if (slash == std::string::npos || !parse_count(text.c_str(), text.c_str() + slash, s.k) ||
      !parse_count(text.c_str() + slash + 1, nullptr, s.n))
    return "'" + text + "' is not K/N" +
           (errno == ERANGE ? std::string(": a number of 2^63 or more") : std::string());
  if (s.n < 1 || s.k >= s.n)
    return "'" + text + "' is not K/N with 0 <= K < N";
  shard = s;
  return "";
}

Shard shard_from_environment(std::string *note) {
  Shard s;
  const char *count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  const char *id = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!count || !id)
    return s;
  const char *min = std::getenv("SLURM_ARRAY_TASK_MIN");
  std::int64_t task = 0, first = 0;
  for (auto [name, text, value] : {std::tuple{"SLURM_ARRAY_TASK_COUNT", count, &s.n},
                                   std::tuple{"SLURM_ARRAY_TASK_ID", id, &task},
                                   std::tuple{"SLURM_ARRAY_TASK_MIN", min, &first}})
    if (text && !parse_count(text, nullptr, *value))
      throw InputError(std::string(name) + "=" + text + " is not a whole number below 2^63; give --shard K/N");
  s.k = task - first;
  if (s.n < 1 || s.k < 0 || s.k >= s.n)
    throw InputError("SLURM_ARRAY_TASK_ID=" + std::string(id) +
                     " does not fit SLURM_ARRAY_TASK_COUNT=" + std::string(count) +
                     (min ? " and SLURM_ARRAY_TASK_MIN=" + std::string(min) : "") + "; give --shard K/N");
  if (note)
    *note = "shard " + std::to_string(s.k) + "/" + std::to_string(s.n) +
            " from the SLURM job array (SLURM_ARRAY_TASK_ID=" + id + ")";
  return s;
}

std::string shard_output(const std::string &output, const Shard &s) {
  const std::string k = std::to_string(s.k);
  auto at = output.find("{shard}");
  if (at != std::string::npos)
    return output.substr(0, at) + k + output.substr(at + 7);
  if (s.n == 1)
    return output;
  auto slash = output.rfind('/');
  auto dot = output.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    dot = output.size();
  return output.substr(0, dot) + "-shard-" + k + "-of-" + std::to_string(s.n) + output.substr(dot);
}

TrialRange shard_range(std::int64_t total, const Shard &s) {
  // With T = qN + r, floor(Tk/N) = qk + floor(rk/N), which cannot overflow.
  auto edge = [&](std::int64_t k) { return total / s.n * k + total % s.n * k / s.n; };
  return TrialRange{edge(s.k), edge(s.k + 1) - edge(s.k), total};
}

} // namespace lrf
