// The seed's data, y = 2.5 x on numpy.linspace(0, 10, 100), bit for bit, and the data type every input
// reader fills.
#pragma once

#include <cstdint>
#include <vector>

namespace lrf {

struct XY {
  std::vector<double> x, y;
};

// The seed's data: y = 2.5 x on 100 points of numpy.linspace(0, 10), bit for bit.
XY seed_data();

// numpy.linspace(start, stop, n) bit for bit: i * step + start, the last point exactly stop.
std::vector<double> linspace(double start, double stop, std::int64_t n);

} // namespace lrf
