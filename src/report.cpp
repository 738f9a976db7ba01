#include "report.hpp"

namespace lrf {

void print_statistics(std::FILE *out, const Summary &s) {
  if (s.suggested > 0)
    std::fprintf(out, "  suggested lr median %.3g, IQR [%.3g, %.3g] over %lld trials with a suggestion\n",
                 s.quantile(0.5), s.quantile(0.25), s.quantile(0.75), static_cast<long long>(s.suggested));
  else
    std::fprintf(out, "  suggested lr none: no trial's loss fell\n");
}

} // namespace lrf
