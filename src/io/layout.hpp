// The layout of a result file: which per-trial datasets it holds, their types, where a Batch keeps each,
// and how the file describes itself (descriptions and units, dimension scales, enum types, its version).
// The writer, the reader (resume, merge) and the virtual merge all walk this one list.
#pragma once

#include "core/batch.hpp"
#include "core/storage.hpp"
#include "io/h5.hpp"
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

// The layout's version, the root attribute layout_version: 2 since a file describes itself (dimension
// scales, descriptions and units, enum types); a file without the attribute is of version 1. A reader
// refuses a newer one.
constexpr std::int64_t kLayoutVersion = 2;

struct Column {
  std::string path; // e.g. "/loss", "/trials/steps", "/trials/suggest/steep"
  hid_t file_type;  // as stored (an enum is stored as the file's named type of that name: layout.cpp)
  hid_t mem_type;   // as the Batch holds it
  bool per_step;    // 2-D (trials, epochs + 1) over the scales trial and step, else 1-D over trial
  // The Batch's array that holds it: the array named by `field` (for Field::suggest, suggest[rule]).
  enum class Field { loss, weight, lr, start_weight, scan, factor, steps, status, suggested_lr, suggest };
  Field field;
  std::string description;    // attribute description: what a value is
  std::string units;          // attribute units: "1" a real number without unit, "" an index, count or code
  std::string attr_name = ""; // an older describing attribute ("codes", "meaning"), or empty
  std::string attr_text = "";
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
// The groups the columns of this storage live in (parents first), the named enum types, /data/x and
// /data/y, and the dimension scales at the root, where netCDF's scoping lets every group use them: point
// (of /data), and with rows trial (the run's trial index of each row: range.first ..) and, where
// trajectories are kept, step (0 .. epochs). /trials and /trials/suggest link trial too, so that each group
// read alone (xarray.open_dataset(group=...)) carries the trial coordinate.
void write_structure(hid_t file, const Problem &problem, const Storage &storage, const TrialRange &range);

// Creates the column's dataset over `space` with `dcpl` (write_structure made its named type and scales)
// and describes it: description, units, _FillValue (NaN, per step), the older attribute, its scales.
// RunError naming it on failure.
h5::Id create_column(hid_t file, const Column &column, hid_t space, hid_t dcpl);

// Sizes every array of `batch` for `count` trials of `row` steps, plan arrays included.
void size_batch(Batch &batch, std::int64_t count, std::int64_t row);

} // namespace lrf
