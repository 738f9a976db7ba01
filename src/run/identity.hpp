// A run's identity: every setting that decides its results, as one canonical text (the file's `config`
// attribute). A shard or a resumed run must match it exactly; compression is left out (it changes no value).
#pragma once

#include "analysis/curve.hpp"
#include "core/batch.hpp"
#include "core/plan.hpp"
#include "core/storage.hpp"

#include <string>

namespace lrf {

std::string run_config(const Problem &problem, NumpySum numpy_sum, const PlanOptions &plan,
                       const AnalysisOptions &analysis, const Storage &storage);

// "a,b,c" for a list of factors, "LO:HI" for a range, each number as shortest() writes it.
std::string describe(const FactorSpec &factors);

} // namespace lrf
