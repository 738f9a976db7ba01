// The HDF5 output: every trajectory and per-trial summary, written batch by batch to a temporary file in
// the output's folder and renamed to the final name only when complete.
#pragma once

#include "batch.hpp"
#include "h5.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace lrf {

// Where a run's batches go: the HDF5 file, or memory in tests.
class Sink {
public:
  virtual ~Sink() = default;
  virtual void write(const Batch &batch) = 0;
};

// Root attributes that describe the run.
struct OutputInfo {
  std::uint64_t seed = 0;
  std::string backend, device, version, command_line;
  double w_min = 0, w_max = 0;
  std::string numpy_sum = "blocked"; // the summation order matched: blocked (numpy < 2.3) or whole
};

class H5Writer final : public Sink {
public:
  // Creates the temporary file and every dataset; throws RunError naming the file on failure.
  H5Writer(std::string final_path, const Problem &problem, std::int64_t trials, const OutputInfo &info);
  ~H5Writer() override; // without commit(): removes the temporary file
  H5Writer(const H5Writer &) = delete;
  H5Writer &operator=(const H5Writer &) = delete;

  void write(const Batch &batch) override;
  // Closes the file and renames it to the final name (replacing what was there).
  void commit();

  const std::string &temp_path() const { return temp_path_; }

private:
  bool close_all(); // false if anything failed to reach the file

  std::string final_path_, temp_path_;
  std::int64_t row_;
  h5::Id file_;
  h5::Id loss_, weight_, lr_, start_weight_, scan_, factor_, steps_, status_, suggested_;
  std::vector<h5::Id> rules_; // /trials/suggest/<rule>, in rule_names() order
};

} // namespace lrf
