// Where a run's batches go (the HDF5 writer; memory in tests; nothing in the benchmark), and which trials
// of a run a file holds.
#pragma once

#include "analysis/summary.hpp"
#include "core/batch.hpp"

#include <cstdint>

namespace lrf {

class Sink {
public:
  virtual ~Sink() = default;
  // The batch's trials, and their statistics (`stats`: these trials alone), in order of the trials.
  virtual void write(const Batch &batch, const Summary &stats) = 0;
  // The run makes every batch but the last a multiple of this many trials, where its batch size allows:
  // the file then writes whole chunks, each once (io/writer.hpp).
  virtual std::int64_t batch_multiple() const { return 1; }
  // The trajectories it reads from the batches: the backends record no others in a batch (those the rules
  // need live only while their chunk of trials is in flight), so memory follows what is saved. Without
  // rows (--save stats) it reads only the statistics.
  virtual Kept kept() const { return Kept{}; }
};

// Trials [first, first + count) of `total` (a shard when count < total).
struct TrialRange {
  std::int64_t first = 0, count = 0, total = 0;
};

} // namespace lrf
