// Where a run's batches go (the HDF5 writer; memory in tests; nothing in the benchmark), and which trials
// of a run a file holds.
#pragma once

#include "core/batch.hpp"

#include <cstdint>

namespace lrf {

class Sink {
public:
  virtual ~Sink() = default;
  virtual void write(const Batch &batch) = 0;
  // The run makes every batch but the last a multiple of this many trials, where its batch size allows:
  // the file then writes whole chunks, each once (io/writer.hpp).
  virtual std::int64_t batch_multiple() const { return 1; }
  // Whether it reads the batches' weight rows: where not, the backends do not record them (the rules read
  // only loss and lr), a third less memory and memory traffic.
  virtual bool keeps_weight() const { return true; }
};

// Trials [first, first + count) of `total` (a shard when count < total).
struct TrialRange {
  std::int64_t first = 0, count = 0, total = 0;
};

} // namespace lrf
