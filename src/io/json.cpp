#include "io/json.hpp"

#include "analysis/answer.hpp"
#include "core/format.hpp"

#include <cmath>
#include <cstdio>

namespace lrf {

std::string json_number(double v) {
  return std::isfinite(v) ? shortest(v) : "null";
}

std::string json_string(const std::string &s) {
  std::string q = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      q += '\\', q += static_cast<char>(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      q += buf;
    } else
      q += static_cast<char>(c);
  }
  return q + "\"";
}

namespace {

// [[bin, count], ...] over the non-empty bins, in order.
std::string json_histogram(const Distribution &d) {
  std::string text = "[";
  for (const auto &[bin, count] : d.histogram())
    text += (text.size() > 1 ? ", [" : "[") + std::to_string(bin) + ", " + std::to_string(count) + "]";
  return text + "]";
}

std::string json_stats(const Distribution &d, const LinearReference &ref) {
  const auto ci = d.median_interval();
  const double median = d.quantile(0.5);
  return "\"trials\": " + std::to_string(d.trials()) + ", \"answered\": " + std::to_string(d.answered()) +
         ", \"median\": " + json_number(median) + ", \"median_ci95\": [" + json_number(ci[0]) + ", " +
         json_number(ci[1]) + "], \"q25\": " + json_number(d.quantile(0.25)) +
         ", \"q75\": " + json_number(d.quantile(0.75)) + ", \"p5\": " + json_number(d.quantile(0.05)) +
         ", \"p95\": " + json_number(d.quantile(0.95)) +
         ", \"geometric_mean\": " + json_number(d.geometric_mean()) +
         ", \"median_over_lr_star\": " + json_number(median / ref.lr_star()) +
         ", \"histogram\": " + json_histogram(d);
}

} // namespace

void print_json(std::FILE *out, const Summary &s, const LinearReference &ref, const std::string &file,
                const std::string &suggest, const std::string &members) {
  std::fprintf(out, "{\n%s", members.c_str());
  if (!file.empty())
    std::fprintf(out, "  \"file\": %s,\n", json_string(file).c_str());
  if (!suggest.empty())
    std::fprintf(out, "  \"suggest\": %s,\n", json_string(suggest).c_str());
  std::fprintf(out, "  \"trials\": %lld,\n  \"steps\": %lld,\n  \"status\": {",
               static_cast<long long>(s.trials), static_cast<long long>(s.steps));
  for (int k = 0; k < kStatusCount; ++k)
    std::fprintf(out, "%s\"%s\": %lld", k ? ", " : "", status_name(static_cast<Status>(k)),
                 static_cast<long long>(s.status[static_cast<std::size_t>(k)]));
  std::fprintf(out, "},\n");
  std::fprintf(out, "  \"reference\": {\"c\": %s, \"lr_star\": %s, \"lr_diverge\": %s},\n",
               json_number(ref.c).c_str(), json_number(ref.lr_star()).c_str(),
               json_number(ref.lr_diverge()).c_str());
  const std::string headline = s.headline_rule();
  std::fprintf(out, "  \"histogram_bins\": {\"per_decade\": %d, \"low_decade\": %d, \"high_decade\": %d},\n",
               Distribution::kBinsPerDecade, Distribution::kLowDecade, Distribution::kHighDecade);
  std::fprintf(out, "  \"headline\": {\"rule\": %s, %s},\n",
               headline.empty() ? "null" : json_string(headline).c_str(),
               json_stats(s.headline(), ref).c_str());
  const Answer a = answer(s);
  std::string modes;
  for (const Answer::Mode &m : a.modes) {
    std::string groups;
    for (const std::string &g : m.groups)
      groups += (groups.empty() ? "" : ", ") + json_string(g);
    modes += std::string(modes.empty() ? "" : ", ") + "{\"lr\": " + json_number(m.lr) +
             ", \"trials\": " + std::to_string(m.trials) + ", \"groups\": [" + groups + "]}";
  }
  std::string warnings;
  for (const std::string &w : a.warnings)
    warnings += (warnings.empty() ? "" : ", ") + json_string(w);
  std::fprintf(
      out, "  \"answer\": {\"lr\": %s, \"median_ci95\": [%s, %s], \"modes\": [%s], \"warnings\": [%s]},\n",
      json_number(a.lr).c_str(), json_number(a.ci[0]).c_str(), json_number(a.ci[1]).c_str(), modes.c_str(),
      warnings.c_str());
  std::fprintf(out, "  \"rules\": {\n");
  for (std::size_t r = 0; r < s.rules().size(); ++r) {
    std::fprintf(out, "    %s: {\n      \"all\": {%s},\n      \"groups\": [\n",
                 json_string(s.rules()[r]).c_str(), json_stats(s.overall(r), ref).c_str());
    for (std::size_t k = 0; k < s.groups().size(); ++k) {
      const Summary::Group &g = s.groups()[k];
      std::fprintf(out, "        {\"scan\": \"%s\", \"factor\": %s, %s}%s\n", scan_name(g.scan),
                   json_number(g.factor).c_str(), json_stats(g.rules[r], ref).c_str(),
                   k + 1 < s.groups().size() ? "," : "");
    }
    std::fprintf(out, "      ]\n    }%s\n", r + 1 < s.rules().size() ? "," : "");
  }
  std::fprintf(out, "  }\n}\n");
}

} // namespace lrf
