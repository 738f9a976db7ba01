// Reading what the user gives: the data set (CSV x,y or HDF5 /x, /y) and explicit trials (CSV
// start_weight,scan,factor). Every problem is an InputError naming the file and what is wrong.
#pragma once

#include "core/plan.hpp"
#include "core/seed_data.hpp"

#include <string>
#include <vector>

namespace lrf {

// A CSV file with header `x,y`, or an HDF5 file with 1-D datasets /x and /y. Finite values, n >= 1.
// "-" reads a CSV from standard input; a pipe or FIFO is read once, as a stream.
XY read_data(const std::string &path);

// A CSV file with header `start_weight,scan,factor`; scan is linear or exp.
std::vector<TrialParams> read_trials(const std::string &path);

// The comma-separated fields of one line, each trimmed of white space ("" gives none, "a," two).
std::vector<std::string> split(const std::string &line);

} // namespace lrf
