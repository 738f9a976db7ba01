// Reading what the user gives: the data set (CSV x,y or HDF5 /x, /y) and explicit trials (CSV
// start_weight,scan,factor). Every problem is an InputError naming the file and what is wrong.
#pragma once

#include "core/plan.hpp"

#include <string>
#include <vector>

namespace lrf {

struct XY {
  std::vector<double> x, y;
};

// The seed's data: y = 2.5 x on 100 points of numpy.linspace(0, 10), bit for bit.
XY seed_data();

// numpy.linspace(start, stop, n) bit for bit: i * step + start, the last point exactly stop.
std::vector<double> linspace(double start, double stop, std::int64_t n);

// A CSV file with header `x,y`, or an HDF5 file with 1-D datasets /x and /y. Finite values, n >= 1.
XY read_data(const std::string &path);

// A CSV file with header `start_weight,scan,factor`; scan is linear or exp.
std::vector<TrialParams> read_trials(const std::string &path);

} // namespace lrf
