// The HDF5 output: every trajectory and per-trial summary, written batch by batch to a partial file in the
// output's folder (.NAME.partial) and renamed to the final name only when complete. After each batch the
// partial file records how many trials it holds and is flushed: a run that is stopped or killed continues
// from there when started again with the same command (resume).
#pragma once

#include "core/batch.hpp"
#include "io/h5.hpp"
#include "io/layout.hpp"
#include "run/sink.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// Root attributes that describe the run.
struct OutputInfo {
  std::uint64_t seed = 0;
  std::string backend, device, version, command_line;
  double w_min = 0, w_max = 0;
  std::string numpy_sum = "blocked"; // the summation order matched: blocked (numpy < 2.3) or whole
  std::string config;                // every setting that decides the results: shards and resumes must match
  std::string shard;                 // "K/N", or "" for a whole run
  std::string suggest = "steep";     // the headline rule behind /trials/suggested_lr
  Storage storage;                   // what is kept of the trajectories, and how
};

class H5Writer final : public Sink {
public:
  // A new file for all `trials` of a run.
  H5Writer(std::string final_path, const Problem &problem, std::int64_t trials, const OutputInfo &info);
  // With `resume`, continues the partial file a stopped run of the same config and range left behind;
  // otherwise, or where none matches, starts a new one. Throws RunError naming the file on failure.
  H5Writer(std::string final_path, const Problem &problem, TrialRange range, const OutputInfo &info,
           bool resume);
  ~H5Writer() override; // without commit() or keep(): removes the partial file
  H5Writer(const H5Writer &) = delete;
  H5Writer &operator=(const H5Writer &) = delete;

  // Trials of the range the file already holds (resumed), counted from range.first.
  std::int64_t done() const { return done_; }
  // What happened to an earlier partial file: "" (none), or a sentence for the user.
  const std::string &resume_note() const { return resume_note_; }

  // Writes the batch (trials batch.first.. of the run, in order) and checkpoints.
  void write(const Batch &batch) override;
  // Closes the file and renames it to the final name (replacing what was there).
  void commit();
  // Closes the file and leaves it under its partial name, to be resumed.
  void keep();

  const std::string &partial_path() const { return partial_path_; }

private:
  void create(const Problem &problem, const OutputInfo &info);
  bool open_partial(const OutputInfo &info);
  bool close_all(); // false if anything failed to reach the file

  std::string final_path_, partial_path_;
  std::int64_t row_;
  TrialRange range_;
  Storage storage_;
  std::int64_t done_ = 0;
  std::string resume_note_;
  h5::Id file_;
  std::vector<Column> columns_; // result_columns(storage_), in file order
  std::vector<h5::Id> sets_;    // their datasets, in the same order
};

// One shard's place in a merged file: its path as the merged file will name it, and its trials.
struct VirtualSource {
  std::string file;
  TrialRange range;
};

// Writes a merged file of `total` trials whose per-trial datasets are HDF5 virtual datasets mapping the
// shards' datasets (no copy); attributes and /data are the file's own. Same discipline as H5Writer: a
// partial name, renamed when complete.
void write_virtual(const std::string &final_path, const Problem &problem, const OutputInfo &info,
                   std::int64_t total, const std::vector<VirtualSource> &sources);

} // namespace lrf
