#include "data_io.hpp"

#include "errors.hpp"
#include "h5.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lrf {
namespace {

std::string trim(const std::string &s) {
  const char *ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::vector<std::string> split(const std::string &line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ','))
    fields.push_back(trim(f));
  if (!line.empty() && line.back() == ',')
    fields.push_back("");
  return fields;
}

// A CSV file as rows of fields, its header checked; `where` names a line in errors.
struct Csv {
  std::string path;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> line_numbers;
  std::string where(std::size_t row) const { return path + ": line " + std::to_string(line_numbers[row]); }
};

Csv read_csv(const std::string &path, const std::string &option, const std::vector<std::string> &header) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(option + " " + path + ": cannot open: " + std::strerror(errno));
  std::string joined;
  for (const auto &h : header)
    joined += (joined.empty() ? "" : ",") + h;
  Csv csv{option + " " + path, {}, {}};
  std::string line;
  int number = 0;
  bool seen_header = false;
  while (std::getline(in, line)) {
    ++number;
    if (trim(line).empty())
      continue;
    auto fields = split(line);
    if (!seen_header) {
      if (number == 1 && fields.size() > 0 && fields[0].size() >= 3 &&
          fields[0].compare(0, 3, "\xEF\xBB\xBF") == 0)
        fields[0] = fields[0].substr(3); // UTF-8 byte order mark
      if (fields != header)
        throw InputError(csv.path + ": line " + std::to_string(number) + ": expected the header '" + joined +
                         "', got '" + trim(line) + "'");
      seen_header = true;
      continue;
    }
    if (fields.size() != header.size())
      throw InputError(csv.path + ": line " + std::to_string(number) + ": expected " +
                       std::to_string(header.size()) + " columns (" + joined + "), got " +
                       std::to_string(fields.size()));
    csv.rows.push_back(std::move(fields));
    csv.line_numbers.push_back(number);
  }
  if (in.bad())
    throw InputError(csv.path + ": read error: " + std::strerror(errno));
  if (!seen_header)
    throw InputError(csv.path + ": empty file: expected the header '" + joined + "'");
  if (csv.rows.empty())
    throw InputError(csv.path + ": no data rows after the header");
  return csv;
}

double parse_finite(const Csv &csv, std::size_t row, std::size_t col, const std::string &name) {
  const std::string &s = csv.rows[row][col];
  char *end = nullptr;
  errno = 0;
  double v = s.empty() ? NAN : std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0')
    throw InputError(csv.where(row) + ": " + name + " '" + s + "' is not a number");
  if (!std::isfinite(v))
    throw InputError(csv.where(row) + ": " + name + " '" + s + "' is not finite");
  return v;
}

bool is_hdf5(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in.gcount() == 8 && std::memcmp(magic, "\x89HDF\r\n\x1a\n", 8) == 0;
}

std::vector<double> read_h5_vector(hid_t file, const std::string &path, const std::string &name) {
  if (!h5::exists(file, name))
    throw InputError("--data " + path + ": no dataset " + name + " (expected 1-D datasets /x and /y)");
  std::vector<double> v;
  std::string problem = h5::read_vector(file, name, v);
  if (!problem.empty())
    throw InputError("--data " + path + ": " + name + ": " + problem);
  if (v.empty())
    throw InputError("--data " + path + ": " + name + " is empty");
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw InputError("--data " + path + ": " + name + "[" + std::to_string(i) + "] is not finite");
  return v;
}

} // namespace

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

XY read_data(const std::string &path) {
  if (is_hdf5(path)) {
    h5::Id file = h5::open_read(path);
    if (!file)
      throw InputError("--data " + path + ": cannot open as HDF5 (corrupt or truncated?)");
    XY d{read_h5_vector(file.get(), path, "/x"), read_h5_vector(file.get(), path, "/y")};
    if (d.x.size() != d.y.size())
      throw InputError("--data " + path + ": /x has " + std::to_string(d.x.size()) + " values but /y has " +
                       std::to_string(d.y.size()));
    return d;
  }
  Csv csv = read_csv(path, "--data", {"x", "y"});
  XY d;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    d.x.push_back(parse_finite(csv, r, 0, "x"));
    d.y.push_back(parse_finite(csv, r, 1, "y"));
  }
  return d;
}

std::string factor_problem(Scan scan, double factor) {
  if (!std::isfinite(factor))
    return "must be finite";
  if (scan == Scan::linear && !(factor > 0))
    return "a linear factor must be > 0";
  if (scan == Scan::exp && !(factor > 1))
    return "an exp factor must be > 1";
  return "";
}

std::vector<TrialParams> read_trials(const std::string &path) {
  Csv csv = read_csv(path, "--trials-from", {"start_weight", "scan", "factor"});
  std::vector<TrialParams> trials;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    TrialParams t{};
    t.start_weight = parse_finite(csv, r, 0, "start_weight");
    const std::string &scan = csv.rows[r][1];
    if (scan == "linear")
      t.scan = Scan::linear;
    else if (scan == "exp")
      t.scan = Scan::exp;
    else
      throw InputError(csv.where(r) + ": scan '" + scan + "' is not linear or exp");
    t.factor = parse_finite(csv, r, 2, "factor");
    std::string problem = factor_problem(t.scan, t.factor);
    if (!problem.empty())
      throw InputError(csv.where(r) + ": factor '" + csv.rows[r][2] + "': " + problem);
    trials.push_back(t);
  }
  return trials;
}

} // namespace lrf
