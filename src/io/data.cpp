#include "io/data.hpp"

#include "core/errors.hpp"
#include "io/h5.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
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
// than `width` characters of that (then "..."), so that the message stays one short line whatever the
// file holds (a binary file, a line of megabytes, a carriage return or a NUL inside a field). `cut` tells
// whether some of `s` was left out.
std::string printable(const std::string &s, std::size_t width, bool *cut = nullptr) {
  std::string p;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char piece[8] = {static_cast<char>(c), 0};
    if (c < 0x20 || c >= 0x7f)
      std::snprintf(piece, sizeof piece, "\\x%02x", c);
    if (p.size() + std::strlen(piece) > width)
      break;
    p += piece;
  }
  if (cut)
    *cut = i < s.size();
  return i < s.size() ? p + "..." : p;
}

// A field or line in quotes, with its length where it was cut: 'AAAA...' (300 bytes).
std::string quoted(const std::string &s) {
  bool cut = false;
  const std::string q = "'" + printable(s, 40, &cut) + "'";
  return cut ? q + " (" + std::to_string(s.size()) + " bytes)" : q;
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

std::string joined(const std::vector<std::string> &fields) {
  std::string j;
  for (std::size_t i = 0; i < fields.size(); ++i)
    j += (i ? "," : "") + fields[i];
  return j;
}

// The fields of a line separated by `sep`, each trimmed of white space.
std::vector<std::string> split_at(const std::string &line, char sep) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, sep))
    fields.push_back(trim(f));
  if (!line.empty() && line.back() == sep)
    fields.push_back("");
  return fields;
}

char separator(Sep sep) {
  return sep == Sep::semicolon ? ';' : sep == Sep::tab ? '\t' : ',';
}

// What separates the fields of a line: a semicolon outside quotes, else a comma, else a tab, else spaces,
// else (one field) a comma.
Sep sniff(const std::string &line) {
  bool in_quotes = false, seen[256] = {};
  for (const char c : trim(line)) {
    if (c == '"')
      in_quotes = !in_quotes;
    else if (!in_quotes)
      seen[static_cast<unsigned char>(c)] = true;
  }
  return seen[';']    ? Sep::semicolon
         : seen[',']  ? Sep::comma
         : seen['\t'] ? Sep::tab
         : seen[' ']  ? Sep::space
                      : Sep::comma;
}

// The fields of a line, each trimmed of spaces and tabs: separated by `sep` (space: by runs of spaces and
// tabs, and the '\r' of a CRLF line end is one), a field in double quotes read as CSV quotes it (RFC 4180:
// a separator inside is text, "" is one quote), so that R's write.csv and write.table and a spreadsheet's
// quoted fields read as they mean. Returns "" or, where a quote does not close on the line or text follows
// it, what is wrong with which field.
std::string split_fields(const std::string &line, Sep sep, std::vector<std::string> &fields) {
  fields.clear();
  const bool runs = sep == Sep::space;
  const char at = runs ? ' ' : separator(sep);
  const auto blank = [&](char c) { return (c == ' ' || c == '\t' || c == '\r') && (runs || c != at); };
  const auto fault = [&](const char *what) { return "column " + std::to_string(fields.size()) + what; };
  const std::size_t n = line.size();
  std::size_t i = 0;
  for (;;) {
    while (i < n && blank(line[i]))
      ++i;
    if (runs && i == n)
      return "";
    std::string f;
    if (i < n && line[i] == '"') {
      for (++i;; ++i) {
        if (i == n)
          return fault(" opens a quote that does not close on its line");
        if (line[i] == '"' && (i + 1 == n || line[i + 1] != '"'))
          break;
        i += line[i] == '"'; // "" is one quote
        f += line[i];
      }
      ++i; // the closing quote
      if (!runs)
        while (i < n && blank(line[i]))
          ++i;
      if (i < n && (runs ? !blank(line[i]) : line[i] != at))
        return fault(" has text after its closing quote");
    } else {
      std::size_t e = i;
      while (e < n && (runs ? !blank(line[e]) : line[e] != at))
        ++e;
      f = trim(line.substr(i, e - i));
      i = e;
    }
    fields.push_back(std::move(f));
    if (i == n)
      return "";
    if (!runs)
      ++i; // the separator
  }
}

// One non-blank line of a CSV file, its fields, and where it is for error messages.
struct Row {
  const std::string &file; // "--data PATH"
  const std::string &text; // the line as read
  std::int64_t line;
  std::vector<std::string> fields;
  Sep sep; // as given or sniffed
  std::string where() const { return file + ": line " + std::to_string(line); }
};

// Reads the non-blank lines of a CSV file, each split at `sep` (sniff: as the first of them says), handing
// each to `take` as it goes: a large file is never held as text, only as the values the caller keeps.
void read_rows(Input &in, Sep sep, const std::function<void(const Row &)> &take) {
  std::string line;
  Row row{in.label(), line, 0, {}, sep};
  for (;;) {
    const Line got = read_line(in, line);
    if (got == Line::end)
      return;
    ++row.line;
    if (got == Line::too_long)
      throw InputError(row.where() + ": longer than " + std::to_string(kMaxLine) +
                       " bytes (not a CSV file of numbers?)");
    if (row.line == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0)
      line.erase(0, 3); // UTF-8 byte order mark
    if (trim(line).empty())
      continue;
    if (row.sep == Sep::sniff)
      row.sep = sniff(line);
    const std::string wrong = split_fields(line, row.sep, row.fields);
    if (!wrong.empty())
      throw InputError(row.where() + ": " + wrong);
    take(row);
  }
}

// Every row has the same number of fields: `width`, that of the header or line `as` says.
void check_width(const Row &row, std::size_t width, const std::string &as) {
  if (row.fields.size() != width)
    throw InputError(row.where() + ": expected " + std::to_string(width) + " columns (" + as + "), got " +
                     std::to_string(row.fields.size()));
}

// Reads a CSV file whose first non-blank line is `header`, handing each data row to `take`.
void read_csv(Input &in, const std::vector<std::string> &header,
              const std::function<void(const Row &)> &take) {
  const std::string expected = joined(header);
  bool seen_header = false, seen_row = false;
  read_rows(in, Sep::comma, [&](const Row &row) {
    if (!seen_header) {
      if (row.fields != header)
        throw InputError(row.where() + ": expected the header '" + expected + "', got " +
                         quoted(trim(row.text)));
      seen_header = true;
      return;
    }
    check_width(row, header.size(), expected);
    take(row);
    seen_row = true;
  });
  if (!seen_header)
    throw InputError(in.label() + ": empty file: expected the header '" + expected + "'");
  if (!seen_row)
    throw InputError(in.label() + ": no data rows after the header");
}

// A whole field read as a number, its decimal mark a point or (`comma`) a comma: strtod stops at a NUL byte
// inside it, which would pass "1\0junk" as 1.
bool read_number(const std::string &s, double &v, bool comma = false) {
  if (comma) {
    if (s.find('.') != std::string::npos)
      return false;
    std::string pointed = s;
    std::replace(pointed.begin(), pointed.end(), ',', '.');
    return read_number(pointed, v);
  }
  char *end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

double parse_finite(const Row &row, std::size_t col, const std::string &name, bool comma = false) {
  const std::string &s = row.fields[col];
  double v = 0;
  if (!read_number(s, v, comma)) {
    std::string why = row.where() + ": " + name + " " + quoted(s) + " is not a number";
    if (comma && s.find('.') != std::string::npos)
      why += " (read with a decimal comma; for a point: --decimal point)";
    else if (!comma && s.find(',') != std::string::npos)
      why += " (a decimal comma? --decimal comma)";
    throw InputError(why);
  }
  if (!std::isfinite(v))
    throw InputError(row.where() + ": " + name + " " + quoted(s) + " is not finite");
  return v;
}

// ---- The columns of a CSV data file ----

// Where a data row's x and y are, and how messages name them.
struct Columns {
  std::size_t x = 0, y = 1;
  std::size_t width = 2;                    // the fields of every row
  std::string as;                           // what gives the width: the header ("x,y"), or "as line 1"
  std::string x_label = "x", y_label = "y"; // "x", "x (feature)", "x (column 2)"
};

// --columns as given, else x and y by name, or 0 and 1 without a header.
std::pair<std::string, std::string> column_specs(const DataFormat &f) {
  if (!f.x_column.empty())
    return {f.x_column, f.y_column};
  return f.header ? std::pair<std::string, std::string>{"x", "y"}
                  : std::pair<std::string, std::string>{"0", "1"};
}

// A column given as a whole number: its 0-based index (numbers of 7 digits and more are past any line).
std::optional<std::size_t> as_index(const std::string &spec) {
  if (spec.empty() || spec.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return spec.size() > 6 ? kMaxLine : static_cast<std::size_t>(std::stoul(spec));
}

// The header's names for messages: "a, b, c", each cut short, at most 8 ("a, b, ... (30 in all)").
std::string listing(const std::vector<std::string> &names) {
  constexpr std::size_t kNames = 8, kShown = 20;
  std::string list;
  for (std::size_t i = 0; i < names.size() && i < kNames; ++i)
    list += (i ? ", " : "") + (names[i].empty() ? std::string("''") : printable(names[i], kShown));
  if (names.size() > kNames)
    list += ", ... (" + std::to_string(names.size()) + " in all)";
  return list;
}

// The column `spec` names in the header: by name (once), else by index; nullopt where there is none.
std::optional<std::size_t> find_column(const Row &header, const std::string &spec) {
  std::optional<std::size_t> at;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    if (header.fields[i] != spec)
      continue;
    if (at)
      throw InputError(header.where() + ": columns " + std::to_string(*at) + " and " + std::to_string(i) +
                       " are both named " + quoted(spec));
    at = i;
  }
  if (at)
    return at;
  const auto index = as_index(spec);
  if (index && *index < header.fields.size())
    return index;
  return std::nullopt;
}

// What to give --columns for a header of two columns (pandas' index aside) without x and y: the two, in
// their order, but x or y where the header has one of them in its place; in quotes where a name has a
// space. "" where a name has anything else that a shell or --columns would not pass as it is.
std::string suggested_columns(const std::vector<std::string> &named) {
  const bool swap = named[0] == "y" || named[1] == "x";
  const std::string pair = named[swap ? 1 : 0] + "," + named[swap ? 0 : 1];
  const std::string bare = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/+-,";
  if (pair.size() > 80 || std::count(pair.begin(), pair.end(), ',') != 1)
    return "";
  if (pair.find_first_not_of(bare) == std::string::npos)
    return "--columns " + pair;
  if (pair.find_first_not_of(bare + " ") == std::string::npos)
    return "--columns '" + pair + "'";
  return "";
}

// The missing column's refusal, with the way out: another separator for a header of one column, else
// --columns where lrfinder looked for x and y itself.
[[noreturn]] void no_column(const Row &header, const std::string &spec, bool given) {
  const auto &names = header.fields;
  std::string why = header.where() + ": no column ";
  if (as_index(spec))
    why += spec + " (the header has " + std::to_string(names.size()) + " columns: " + listing(names) + ")";
  else
    why += quoted(spec) + " (the header has " + listing(names) + ")";
  if (names.size() == 1) { // a semicolon or other separator that lrfinder does not split at
    why += "; the header is one column (--sep comma|semicolon|tab|space?)";
  } else if (!given) {
    const std::vector<std::string> named(names.begin() + (names[0].empty() ? 1 : 0), names.end());
    const std::string suggested = named.size() == 2 ? suggested_columns(named) : "";
    why += suggested.empty() ? "; choose x and y with --columns X,Y"
                             : "; to read these two as x and y: " + suggested;
  }
  throw InputError(why);
}

std::string label(const char *axis, const std::string &name, std::size_t at) {
  if (name == axis)
    return axis;
  return std::string(axis) + " (" + (name.empty() ? "column " + std::to_string(at) : printable(name, 20)) +
         ")";
}

// The columns as the header says: x and y by name (pandas' unnamed index column first is passed over), or
// those of --columns (`given`).
Columns header_columns(const Row &header, const std::string &x_spec, const std::string &y_spec, bool given,
                       bool comma) {
  const auto &names = header.fields;
  for (std::size_t i = names.size() > 1 ? 1 : 0; i < names.size(); ++i)
    if (names[i].empty())
      throw InputError(header.where() + ": column " + std::to_string(i) + " of the header has no name");
  const auto x = find_column(header, x_spec), y = find_column(header, y_spec);
  const bool by_name = x && y && names[*x] == x_spec && names[*y] == y_spec;
  double number = 0;
  if (!by_name &&
      std::all_of(names.begin(), names.end(), [&](const auto &n) { return read_number(n, number, comma); }))
    throw InputError(header.where() + ": expected a header, got the numbers " + quoted(trim(header.text)) +
                     " (a file without one: --no-header)");
  if (!x)
    no_column(header, x_spec, given);
  if (!y)
    no_column(header, y_spec, given);
  if (*x == *y)
    throw InputError(header.where() + ": x and y are both column " + std::to_string(*x));
  return Columns{*x,
                 *y,
                 names.size(),
                 printable(joined(names), 40),
                 label("x", names[*x], *x),
                 label("y", names[*y], *y)};
}

// The columns of a file without a header: indices into its rows, each as wide as the first.
Columns indexed_columns(const Row &first, const std::string &x_spec, const std::string &y_spec) {
  const std::size_t width = first.fields.size();
  for (const std::string *spec : {&x_spec, &y_spec})
    if (*as_index(*spec) >= width)
      throw InputError(first.where() + ": no column " + *spec + " (the line has " + std::to_string(width) +
                       (width == 1 ? " column)" : " columns)"));
  const std::size_t x = *as_index(x_spec), y = *as_index(y_spec);
  return Columns{x,
                 y,
                 width,
                 "as line " + std::to_string(first.line),
                 "x (column " + std::to_string(x) + ")",
                 "y (column " + std::to_string(y) + ")"};
}

// R's write.table writes no name for its row names, so that its header is one field short of its rows:
// then the columns the header names are those after the first, as R's read.table reads them (but a first
// row one field longer only by a separator at its end is that row's fault).
void after_row_names(Columns &c) {
  ++c.x;
  ++c.y;
  ++c.width;
  c.as = "row names, then " + c.as;
}

XY read_csv_data(Input &in, const DataFormat &format) {
  const auto specs = column_specs(format);
  const std::string &x_spec = specs.first, &y_spec = specs.second;
  if (!format.header && (!as_index(x_spec) || !as_index(y_spec)))
    throw InputError(in.label() + ": --columns " + x_spec + "," + y_spec +
                     ": without a header (--no-header) the columns are 0-based indices");
  XY d;
  std::optional<Columns> columns;
  bool comma = false;
  read_rows(in, format.sep, [&](const Row &row) {
    if (!columns) {
      comma =
          format.decimal == Decimal::comma || (format.decimal == Decimal::sniff && row.sep == Sep::semicolon);
      columns = format.header ? header_columns(row, x_spec, y_spec, !format.x_column.empty(), comma)
                              : indexed_columns(row, x_spec, y_spec);
      if (format.header)
        return;
    }
    if (d.x.empty() && format.header && row.fields.size() == columns->width + 1 && !row.fields.back().empty())
      after_row_names(*columns); // the first data row
    check_width(row, columns->width, columns->as);
    d.x.push_back(parse_finite(row, columns->x, columns->x_label, comma));
    d.y.push_back(parse_finite(row, columns->y, columns->y_label, comma));
  });
  if (!columns)
    throw InputError(in.label() + (format.header ? ": empty file: expected a header and data rows"
                                                 : ": empty file: expected data rows"));
  if (d.x.empty())
    throw InputError(in.label() + ": no data rows after the header");
  return d;
}

bool is_hdf5(Input &in) {
  return in.peek(8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

// ---- HDF5 data ----

// The datasets of x and y: those of --columns, else /x and /y, else /data/x and /data/y (the data of an
// lrfinder result file, so that a run's file can be given back as its data).
std::pair<std::string, std::string> h5_datasets(hid_t file, const DataFormat &format) {
  auto path = [](const std::string &name) { return name[0] == '/' ? name : "/" + name; };
  if (!format.x_column.empty())
    return {path(format.x_column), path(format.y_column)};
  if (!h5::exists(file, "/x") && !h5::exists(file, "/y") && h5::exists(file, "/data"))
    return {"/data/x", "/data/y"};
  return {"/x", "/y"};
}

// `expected` says in a refusal which datasets were looked for.
std::vector<double> read_h5_vector(hid_t file, const std::string &path, const std::string &name,
                                   const std::string &expected) {
  if (!h5::exists(file, name))
    throw InputError("--data " + path + ": no dataset " + name + " (" + expected + ")");
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

XY read_h5_data(const std::string &path, const DataFormat &format) {
  h5::Id file = h5::open_read(path);
  if (!file)
    throw InputError("--data " + path + ": cannot open as HDF5 (corrupt or truncated?)");
  const auto [x, y] = h5_datasets(file.get(), format);
  const std::string expected = format.x_column.empty()
                                   ? "expected 1-D datasets /x and /y, or /data/x and /data/y"
                                   : "--columns " + format.x_column + "," + format.y_column;
  XY d{read_h5_vector(file.get(), path, x, expected), read_h5_vector(file.get(), path, y, expected)};
  if (d.x.size() != d.y.size())
    throw InputError("--data " + path + ": " + x + " has " + std::to_string(d.x.size()) + " values but " + y +
                     " has " + std::to_string(d.y.size()));
  return d;
}

} // namespace

XY read_data(const std::string &path, const DataFormat &format) {
  Input in(path, "--data");
  if (!is_hdf5(in))
    return read_csv_data(in, format);
  if (!in.regular())
    throw InputError("--data " + path + ": HDF5 data must be a regular file (not a pipe or standard input)");
  return read_h5_data(path, format);
}

std::string parse_columns(const std::string &text, DataFormat &out) {
  const std::vector<std::string> names = split(text);
  if (names.size() != 2 || names[0].empty() || names[1].empty())
    return "'" + text + "' is not X,Y (two column names or 0-based indices)";
  if (names[0] == names[1])
    return "'" + text + "' names one column for both x and y";
  out.x_column = names[0];
  out.y_column = names[1];
  return "";
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
  return split_at(line, ',');
}

} // namespace lrf
