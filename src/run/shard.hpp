// Shards: a run split into N equal parts (a SLURM job array's tasks), each its own file, merged at the end.
#pragma once

#include "run/sink.hpp"

#include <cstdint>
#include <string>

namespace lrf {

// The K-th of N parts; n = 1 for a whole run.
struct Shard {
  std::int64_t k = 0, n = 1;
};

// "K/N" read into `shard`; "" or what is wrong with the text.
std::string parse_shard(const std::string &text, Shard &shard);

// Inside a SLURM job array, its task's place in the array (SLURM_ARRAY_TASK_ID, _COUNT, _MIN); else a whole
// run. InputError where the variables do not fit together. `note` gets a line for the user, if any.
Shard shard_from_environment(std::string *note);

// A shard's output: {shard} in the name replaced by K, or else -shard-K-of-N before the extension.
std::string shard_output(const std::string &output, const Shard &shard);

// Trials [T*k/N, T*(k+1)/N) of T: shards of equal size within one, covering every trial once.
TrialRange shard_range(std::int64_t total, const Shard &shard);

} // namespace lrf
