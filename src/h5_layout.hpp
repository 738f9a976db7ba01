// The layout of a result file: which per-trial datasets it holds, their types, and where a Batch keeps
// each. The writer, the reader (resume, merge) and the virtual merge all walk this one list.
#pragma once

#include "batch.hpp"

#include <hdf5.h>

#include <functional>
#include <string>
#include <vector>

namespace lrf {

// What a file keeps of the trajectories, and how (--save, --precision, --compress). Compute is always
// float64; f32 storage rounds each stored value once.
struct Storage {
  bool loss = true, weight = true, lr = true;
  bool f32 = false;
  int deflate = 0; // 0: no compression; 1..9: deflate level, after the shuffle filter

  std::string save_text() const;      // "loss,weight,lr", "loss", "none"
  std::string precision_text() const; // "f64" or "f32"
  std::string compress_text() const;  // "none" or "deflate:N"
};

// Storage from the texts of --save (a list of loss, weight, lr; or none), --precision (f64, f32) and
// --compress (none, deflate:N with N in 1..9); InputError naming the option and the value.
Storage parse_storage(const std::string &save, const std::string &precision, const std::string &compress);

struct Column {
  std::string path;      // e.g. "/loss", "/trials/steps", "/trials/suggest/steep"
  hid_t file_type;       // as stored
  hid_t mem_type;        // as the Batch holds it
  bool per_step;         // 2-D (trials, epochs + 1), else 1-D (trials)
  std::string attr_name; // a describing attribute ("codes", "meaning"), or empty
  std::string attr_text;
  std::function<void *(Batch &)> data; // the Batch's array, sized for the batch
};

// Every column a file of this storage holds, in file order; /trials/suggest/<rule> for each rule of
// rule_names().
std::vector<Column> result_columns(const Storage &storage = Storage{});

// The groups the columns live in, parents first.
const std::vector<std::string> &result_groups();

// Sizes every array of `batch` for `count` trials of `row` steps, plan arrays included.
void size_batch(Batch &batch, std::int64_t count, std::int64_t row);

} // namespace lrf
