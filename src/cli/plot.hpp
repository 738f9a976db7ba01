// `lrfinder run --plot`: scripts/plot on the result file, which takes its statistics from
// `lrfinder report --json` and draws them.
#pragma once

#include <string>

namespace lrf {

// Runs scripts/plot on a result file, writing its PNG files into FILE's name without .h5 plus "-plots".
// Where python3 with numpy and matplotlib is missing, or the script fails, says so on stderr (with how to
// install them) and returns false. `quiet`: the script prints nothing but errors.
bool plot_result(const std::string &file, bool quiet);

// Runs scripts/plot-truth on a file of `lrfinder truth`, writing the figure `png`; as plot_result, says
// on stderr why where it cannot and returns false.
bool plot_truth(const std::string &file, const std::string &png, bool quiet);

} // namespace lrf
