// Numbers as text, one way everywhere: in the run's config, in attributes, in JSON and in messages.
#pragma once

#include <string>

namespace lrf {

// The shortest text that reads back (strtod) as exactly v: "0.1" rather than "0.10000000000000001", "10"
// rather than "1e+01". "nan", "inf" or "-inf" for those.
std::string shortest(double v);

} // namespace lrf
