#include "run/shard.hpp"

#include "core/errors.hpp"

#include <cstdlib>

namespace lrf {

std::string parse_shard(const std::string &text, Shard &shard) {
  char *end = nullptr;
  Shard s;
  s.k = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '/')
    return "'" + text + "' is not K/N";
  const char *n_text = end + 1;
  s.n = std::strtoll(n_text, &end, 10);
  if (end == n_text || *end != '\0' || s.n < 1 || s.k < 0 || s.k >= s.n)
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
  s.n = std::atoll(count);
  s.k = std::atoll(id) - (min ? std::atoll(min) : 0);
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
