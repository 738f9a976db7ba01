// Reading a result file back: its description and any rows of its per-trial datasets, in bounded memory.
// Used to report on a file, to resume a run's summary and to merge shards.
#pragma once

#include "analysis/summary.hpp"
#include "core/batch.hpp"
#include "io/h5.hpp"
#include "io/writer.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

class ResultFile {
public:
  // Opens a result file (complete, or the partial file of a stopped run); InputError naming the file and
  // the problem if it is missing, not HDF5, corrupt, not an lrfinder result, of a newer layout_version than
  // kLayoutVersion (io/layout.hpp; a file without one is of version 1, read as it is), or a partial file that
  // a running lrfinder is writing (it holds the lock: io/partial.hpp). `writer_is_us`: that lock is this
  // process's own (a run reading back what it resumes).
  explicit ResultFile(const std::string &path, bool writer_is_us = false);

  const std::string &path() const { return path_; }
  const Problem &problem() const { return problem_; }
  const OutputInfo &info() const { return info_; }
  const TrialRange &range() const { return range_; }
  std::int64_t trials_done() const { return done_; }
  // Its attribute layout_version (1 where it has none: an older lrfinder's); never above kLayoutVersion.
  std::int64_t layout_version() const { return layout_; }

  // Rows [row, row + count) of the file (trials range().first + row ..) into `batch`, batch.first set to
  // the trial index in the run. With trajectories = false only the per-trial datasets are read.
  // InputError for a statistics-only file (info().storage.rows false), which has none.
  void read(std::int64_t row, std::int64_t count, Batch &batch, bool trajectories) const;

  // The statistics of the first `trials` trials (all done, by default), read in blocks of a million; of a
  // statistics-only file, its /stats (of all its trials only).
  Summary summary(std::int64_t trials = -1) const;

private:
  std::vector<std::string> virtual_sources() const;
  void check_virtual_sources() const;

  std::string path_;
  h5::Id file_;
  Problem problem_;
  OutputInfo info_;
  TrialRange range_;
  std::int64_t done_ = 0;
  std::int64_t layout_ = 1;
};

} // namespace lrf
