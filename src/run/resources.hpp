// What the machine lets a run use, and the check that a run fits before any file is made.
#pragma once

#include "core/batch.hpp"
#include "run/sink.hpp"

#include <cstdint>

namespace lrf {

// Bytes of memory this process may use: the machine's, or less under ulimit -v or a cgroup's limit (a
// SLURM job's --mem, a container).
double usable_memory();

// Refuses (InputError), before any file is made, a run whose batch of trajectories cannot be held in
// memory (a huge --epochs makes even one trial too big) or whose file HDF5 cannot address. Without this:
// std::bad_alloc, or where memory is overcommitted or capped by a cgroup the OOM killer (no message, a
// partial file left). `batch` is --batch (0: the default, sized to fit).
void check_size(const Problem &problem, std::int64_t batch, const TrialRange &range, const Kept &kept);

} // namespace lrf
