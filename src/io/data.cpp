#include "io/data.hpp"

#include "core/errors.hpp"
#include "io/h5.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <sys/stat.h>

namespace lrf {
namespace {

std::string trim(const std::string &s) {
  const char *ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Text from the file in an error message: printable ASCII as it is, any other byte as \xNN, and no more
// than the first kShown bytes, so that the message stays one short line whatever the file holds (a binary
// file, a line of megabytes, a carriage return or a NUL inside a field).
std::string quoted(const std::string &s) {
  constexpr std::size_t kShown = 40;
  std::string q = "'";
  for (std::size_t i = 0; i < s.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      q += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      q += hex;
    }
  }
  if (s.size() > kShown)
    return q + "...' (" + std::to_string(s.size()) + " bytes)";
  return q + "'";
}

// No line of a CSV of numbers comes near this; a file with a longer one is refused before it is read
// into memory (a binary file or /dev/zero may have no line break at all).
constexpr std::size_t kMaxLine = std::size_t{1} << 16;

// A file, or standard input for "-", read once from front to back: a pipe or a FIFO (--data <(...)) has no
// second reading, so what is looked at to tell HDF5 from CSV is handed out again.
class Input {
public:
  Input(const std::string &path, const std::string &option) : label_(option + " " + path) {
    if (path == "-") {
      buf_ = std::cin.rdbuf();
      return;
    }
    file_.open(path, std::ios::binary);
    if (!file_ && errno == EINTR) // a signal while a FIFO waited for its writer: the run was asked to stop
      throw RunError("interrupted while opening " + label_);
    if (!file_)
      throw InputError(label_ + ": cannot open: " + std::strerror(errno));
    buf_ = file_.rdbuf();
    struct stat st {};
    regular_ = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
  const std::string &label() const { return label_; }
  bool regular() const { return regular_; }
  // The first n bytes (fewer where the input is shorter); next() hands them out again.
  std::string peek(std::size_t n) {
    while (ahead_.size() < n) {
      const int c = bump();
      if (c == std::char_traits<char>::eof())
        break;
      ahead_ += static_cast<char>(c);
    }
    return ahead_.substr(0, n);
  }
  int next() {
    if (at_ < ahead_.size())
      return static_cast<unsigned char>(ahead_[at_++]);
    return bump();
  }

private:
  int bump() {
    try {
      return buf_->sbumpc();
    } catch (const std::exception &) { // std::ios_base::failure (of either ABI): a read error, or a folder
      throw InputError(label_ + ": read error: " + std::strerror(errno));
    }
  }

  std::string label_;
  std::ifstream file_;
  std::streambuf *buf_ = nullptr;
  bool regular_ = false;
  std::string ahead_;
  std::size_t at_ = 0;
};

enum class Line { ok, end, too_long };

// Reads the next line without its '\n'; `end` once the file is done.
Line read_line(Input &in, std::string &line) {
  line.clear();
  for (;;) {
    const int c = in.next();
    if (c == std::char_traits<char>::eof())
      return line.empty() ? Line::end : Line::ok;
    if (c == '\n')
      return Line::ok;
    if (line.size() == kMaxLine)
      return Line::too_long;
    line += static_cast<char>(c);
  }
}

// One data row of a CSV file, and where it is for error messages.
struct Row {
  const std::string &file; // "--data PATH"
  std::int64_t line;
  std::vector<std::string> fields;
  std::string where() const { return file + ": line " + std::to_string(line); }
};

// Reads a CSV file whose first non-blank line is `header`, handing each data row to `take` as it goes: a
// large file is never held as text, only as the values the caller keeps.
void read_csv(Input &in, const std::vector<std::string> &header,
              const std::function<void(const Row &)> &take) {
  std::string joined;
  for (const auto &h : header)
    joined += (joined.empty() ? "" : ",") + h;
  const std::string &file = in.label();
  Row row{file, 0, {}};
  std::string line;
  bool seen_header = false, seen_row = false;
  for (;;) {
    const Line got = read_line(in, line);
    if (got == Line::end)
      break;
    ++row.line;
    if (got == Line::too_long)
      throw InputError(row.where() + ": longer than " + std::to_string(kMaxLine) +
                       " bytes (not a CSV file of numbers?)");
    if (trim(line).empty())
      continue;
    row.fields = split(line);
    if (!seen_header) {
      if (row.line == 1 && !row.fields.empty() && row.fields[0].compare(0, 3, "\xEF\xBB\xBF") == 0)
        row.fields[0] = trim(row.fields[0].substr(3)); // UTF-8 byte order mark
      if (row.fields != header)
        throw InputError(row.where() + ": expected the header '" + joined + "', got " + quoted(trim(line)));
      seen_header = true;
      continue;
    }
    if (row.fields.size() != header.size())
      throw InputError(row.where() + ": expected " + std::to_string(header.size()) + " columns (" + joined +
                       "), got " + std::to_string(row.fields.size()));
    take(row);
    seen_row = true;
  }
  if (!seen_header)
    throw InputError(file + ": empty file: expected the header '" + joined + "'");
  if (!seen_row)
    throw InputError(file + ": no data rows after the header");
}

double parse_finite(const Row &row, std::size_t col, const std::string &name) {
  const std::string &s = row.fields[col];
  char *end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  // The whole field: strtod stops at a NUL byte inside it, which would pass "1\0junk" as 1.
  if (s.empty() || end != s.c_str() + s.size())
    throw InputError(row.where() + ": " + name + " " + quoted(s) + " is not a number");
  if (!std::isfinite(v))
    throw InputError(row.where() + ": " + name + " " + quoted(s) + " is not finite");
  return v;
}

bool is_hdf5(Input &in) {
  return in.peek(8) == std::string("\x89HDF\r\n\x1a\n", 8);
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

XY read_data(const std::string &path) {
  Input in(path, "--data");
  if (is_hdf5(in)) {
    if (!in.regular())
      throw InputError("--data " + path +
                       ": HDF5 data must be a regular file (not a pipe or standard input)");
    h5::Id file = h5::open_read(path);
    if (!file)
      throw InputError("--data " + path + ": cannot open as HDF5 (corrupt or truncated?)");
    XY d{read_h5_vector(file.get(), path, "/x"), read_h5_vector(file.get(), path, "/y")};
    if (d.x.size() != d.y.size())
      throw InputError("--data " + path + ": /x has " + std::to_string(d.x.size()) + " values but /y has " +
                       std::to_string(d.y.size()));
    return d;
  }
  XY d;
  read_csv(in, {"x", "y"}, [&](const Row &row) {
    d.x.push_back(parse_finite(row, 0, "x"));
    d.y.push_back(parse_finite(row, 1, "y"));
  });
  return d;
}

std::vector<TrialParams> read_trials(const std::string &path) {
  std::vector<TrialParams> trials;
  Input in(path, "--trials-from");
  read_csv(in, {"start_weight", "scan", "factor"}, [&](const Row &row) {
    TrialParams t{};
    t.start_weight = parse_finite(row, 0, "start_weight");
    const std::string &scan = row.fields[1];
    if (scan == "linear")
      t.scan = Scan::linear;
    else if (scan == "exp")
      t.scan = Scan::exp;
    else
      throw InputError(row.where() + ": scan " + quoted(scan) + " is not linear or exp");
    t.factor = parse_finite(row, 2, "factor");
    std::string problem = factor_problem(t.scan, t.factor);
    if (!problem.empty())
      throw InputError(row.where() + ": factor " + quoted(row.fields[2]) + ": " + problem);
    trials.push_back(t);
  });
  return trials;
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

} // namespace lrf
