#include "core/seed_data.hpp"

namespace lrf {

std::vector<double> linspace(double start, double stop, std::int64_t n) {
  std::vector<double> v(static_cast<std::size_t>(n), start); // one point: just start
  if (n < 2)
    return v;
  const double step = (stop - start) / static_cast<double>(n - 1);
  for (std::int64_t i = 0; i < n; ++i)
    v[i] = static_cast<double>(i) * step + start;
  v[n - 1] = stop;
  return v;
}

XY seed_data() {
  XY d{linspace(0, 10, 100), {}};
  for (double x : d.x)
    d.y.push_back(2.5 * x);
  return d;
}

} // namespace lrf
