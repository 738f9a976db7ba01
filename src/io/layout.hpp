// The layout of a result file: which per-trial datasets it holds, their types, and where a Batch keeps
// each. The writer, the reader (resume, merge) and the virtual merge all walk this one list.
#pragma once

#include "core/batch.hpp"
#include "core/storage.hpp"
#include "run/sink.hpp"

#include <hdf5.h>

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

struct Column {
  std::string path;      // e.g. "/loss", "/trials/steps", "/trials/suggest/steep"
  hid_t file_type;       // as stored
  hid_t mem_type;        // as the Batch holds it
  bool per_step;         // 2-D (trials, epochs + 1), else 1-D (trials)
  std::string attr_name; // a describing attribute ("codes", "meaning"), or empty
  std::string attr_text;
  // The Batch's array that holds it: the array named by `field` (for Field::suggest, suggest[rule]).
  enum class Field { loss, weight, lr, start_weight, scan, factor, steps, status, suggested_lr, suggest };
  Field field;
  std::size_t rule = 0;
};

// The first element of the column's array in `batch` (sized for the batch).
const void *column_data(const Column &column, const Batch &batch);
void *column_data(const Column &column, Batch &batch);

// Every column a file of this storage holds, in file order; /trials/suggest/<rule> for each rule of
// rule_names(). None for a statistics-only file (storage.rows false: io/stats.hpp).
std::vector<Column> result_columns(const Storage &storage = Storage{});

// The root attributes of a file that holds `range` of a run, `done` of them written.
void write_run_attributes(hid_t file, const Problem &problem, const OutputInfo &info, const TrialRange &range,
                          std::int64_t done);
// The groups the columns of this storage live in (parents first), then /data/x and /data/y.
void write_groups_and_data(hid_t file, const Problem &problem, const Storage &storage);

// Sizes every array of `batch` for `count` trials of `row` steps, plan arrays included.
void size_batch(Batch &batch, std::int64_t count, std::int64_t row);

} // namespace lrf
