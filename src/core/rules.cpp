#include "core/rules.hpp"

#include <cmath>

namespace lrf {

// 1 - 0.98**k for k = 0..max(epochs, 6) + 1 (fastai runs at least 6 iterations, Lightning's power is one
// more than its count), with libm's pow, as Python's float power computes it.
std::vector<double> debias_table(std::int32_t epochs) {
  std::vector<double> table(static_cast<std::size_t>((epochs < 6 ? 6 : epochs) + 2));
  for (std::size_t k = 0; k < table.size(); ++k)
    table[k] = 1 - std::pow(kLibraryBeta, static_cast<double>(k));
  return table;
}

} // namespace lrf
