// Numbers as text, one way everywhere: in the run's config, in attributes, in JSON and in messages.
#pragma once

#include "core/trial.hpp"

#include <string>

namespace lrf {

// The shortest text that reads back (strtod) as exactly v: "0.1" rather than "0.10000000000000001", "10"
// rather than "1e+01". "nan", "inf" or "-inf" for those.
std::string shortest(double v);

// The run's loss as --loss takes it: "mse", "mae", "huber:DELTA", "logistic".
std::string loss_text(const RunConfig &c);
// Reads --loss's text into c.loss (and c.huber_delta). "" or what is wrong.
std::string parse_loss(const std::string &text, RunConfig &c);

} // namespace lrf
