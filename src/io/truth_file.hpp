// `lrfinder truth`'s files: the sample of trials it reads from a result file, and the HDF5 file it writes
// (run/truth.hpp computes what lies between).
#pragma once

#include "io/h5.hpp"
#include "io/partial.hpp"
#include "io/reader.hpp"
#include "run/truth.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lrf {

// Refuses (InputError, one line naming the file) a result file truth cannot score, where the reader alone
// would say less: one without suggestion rules (no /trials/suggest/<rule>). Call before opening it as a
// ResultFile; a file that is no HDF5 at all is left to the reader's messages.
void check_truth_input(const std::string &path);

// `sample` of the file's trials spread evenly over its groups (the statistics' groups: Summary), the
// trials of a group evenly spaced (sample_position), rows by group and then trial index; with the rules'
// answers, the headline and the largest rate any trial reached. Reads the per-trial datasets twice, in
// blocks. InputError for a statistics-only file (no per-trial rows to sample).
TruthSample sample_trials(const ResultFile &file, std::int64_t sample);

// What the truth file records of how it was made (root attributes).
struct TruthSettings {
  std::string input;        // the result file, as given
  std::string input_config; // its `config` attribute: the run's settings
  std::int64_t sample = 0;  // --sample as asked
  std::string lrs;          // the grid, "LO:HI:N"
  std::string lrs_from;     // "--lrs", or "run" (base lr to the largest rate reached)
  std::string version;
};

// The truth file, written to `.NAME.partial` beside it (io/partial.hpp) and renamed when complete, as the
// run's writer does; no timestamps (objects do not record times), so that the same input gives the same
// bytes. The sample x rate matrix of scores goes in column by column (column()), never whole in memory.
class TruthWriter {
public:
  // InputError where the partial file is not ours to touch; RunError naming the file on failure.
  TruthWriter(std::string path, bool overwrite, const TruthSample &sample, std::size_t rates);
  ~TruthWriter(); // without commit(): removes the partial file
  TruthWriter(const TruthWriter &) = delete;
  TruthWriter &operator=(const TruthWriter &) = delete;

  // Rate `rate`'s scores of every row (TruthColumn).
  void column(std::size_t rate, const std::vector<double> &scores);
  // Everything else, then publishes the file under its name (RunError, or KeptError, as the writer).
  void commit(const TruthSample &sample, const TruthResult &result, const TruthSettings &settings);

private:
  void flush_columns();

  std::string path_;
  bool overwrite_;
  PartialFile partial_;
  h5::Id file_, matrix_;
  std::int64_t rows_ = 0, rates_ = 0, block_ = 1; // rates a written block of columns holds
  std::vector<double> pending_;                   // [row][column of the block]
  std::int64_t pending_first_ = 0, pending_count_ = 0;
};

} // namespace lrf
