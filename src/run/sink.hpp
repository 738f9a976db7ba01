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
};

// Trials [first, first + count) of `total` (a shard when count < total).
struct TrialRange {
  std::int64_t first = 0, count = 0, total = 0;
};

} // namespace lrf
