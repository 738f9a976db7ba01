// The HDF5 output: every trajectory and per-trial summary (or, --save stats, the statistics alone:
// io/stats.hpp), written batch by batch to a partial file in the output's folder (.NAME.partial,
// io/partial.hpp) and published under the final name only when complete.
// After each batch the partial file is flushed and synced, then records how many trials it holds: a run
// that is stopped or killed continues from there when started again with the same command (resume).
#pragma once

#include "core/batch.hpp"
#include "io/h5.hpp"
#include "io/layout.hpp"
#include "io/partial.hpp"
#include "run/sink.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// How a writer treats what it finds and what it is given.
struct WriteOptions {
  bool resume = false;    // continue the partial file a stopped run of the same settings left behind
  bool overwrite = false; // commit() may replace a regular file at the final name
  // Trials per batch the run writes (0: default_batch): no chunk holds more, so that every batch fills
  // whole chunks (batch_multiple()) and a chunk, once written, is never rewritten: a killed run cannot
  // damage what its last checkpoint holds, and a compressed file holds no stale copies.
  std::int64_t batch = 0;
};

class H5Writer final : public Sink {
public:
  // A new file for all `trials` of a run.
  H5Writer(std::string final_path, const Problem &problem, std::int64_t trials, const OutputInfo &info);
  // With options.resume, continues the partial file a stopped run of the same config and range left
  // behind, from its last checkpoint that reads back; otherwise, or where none matches, starts a new one.
  // InputError where the partial file is not ours to touch (io/partial.hpp), RunError naming the file on
  // failure.
  H5Writer(std::string final_path, const Problem &problem, TrialRange range, const OutputInfo &info,
           const WriteOptions &options);
  ~H5Writer() override; // without commit() or keep(): removes the partial file
  H5Writer(const H5Writer &) = delete;
  H5Writer &operator=(const H5Writer &) = delete;

  // Trials of the range the file already holds (resumed), counted from range.first.
  std::int64_t done() const { return done_; }
  // What happened to an earlier partial file: "" (none), or a sentence for the user.
  const std::string &resume_note() const { return resume_note_; }

  // Writes the batch (trials batch.first.. of the run, in order), or in a statistics-only file adds its
  // statistics to the file's, and checkpoints.
  void write(const Batch &batch, const Summary &stats) override;
  std::int64_t batch_multiple() const override { return chunk_rows_; }
  Kept kept() const override { return Kept{storage_.loss, storage_.weight, storage_.lr, storage_.rows}; }
  // Closes the file, syncs it to disk and publishes it under the final name (PartialFile::publish).
  void commit();
  // Closes the file and leaves it under its partial name, to be resumed.
  void keep();

  const std::string &partial_path() const { return partial_path_; }

private:
  void create(const Problem &problem, const OutputInfo &info);
  bool open_partial(const OutputInfo &info);
  bool close_all();       // false if anything failed to reach the file
  void checkpoint_sync(); // flush and sync, or RunError

  std::string final_path_;
  PartialFile partial_;
  std::string partial_path_;
  std::int64_t row_;
  TrialRange range_;
  Storage storage_;
  bool overwrite_;
  std::int64_t chunk_rows_ = 0; // trials per chunk, the same in every dataset
  std::int64_t done_ = 0;
  std::string resume_note_;
  h5::Id file_;
  std::vector<Column> columns_; // result_columns(storage_), in file order
  std::vector<h5::Id> sets_;    // their datasets, in the same order
  // A statistics-only file: the statistics of its trials so far, and the group that holds them on disk.
  Summary stats_;
  const char *stats_at_ = nullptr;
};

} // namespace lrf
