// Reading what the user gives: the data set (CSV or HDF5 of x and y) and explicit trials (CSV
// start_weight,scan,factor). Every problem is an InputError naming the file and what is wrong.
#pragma once

#include "core/plan.hpp"
#include "core/seed_data.hpp"

#include <string>
#include <vector>

namespace lrf {

// What separates the fields of a CSV data file: `sniff` decides from its first non-blank line (outside
// double quotes, a semicolon there: semicolon; else a comma: comma; else a tab: tab; else spaces: space;
// else comma, a file of one column).
enum class Sep { sniff, comma, semicolon, tab, space }; // space: any run of spaces and tabs

// The decimal mark of a CSV data file's numbers: `sniff` is a comma in a semicolon-separated file (as
// spreadsheets in locales with a decimal comma and R's write.csv2 write it), else a point.
enum class Decimal { sniff, point, comma };

// How a data file is laid out (`lrfinder run --columns X,Y --no-header --sep S --decimal D`). A field in
// double quotes is read as CSV quotes it (a separator inside is text, "" is one quote).
struct DataFormat {
  // The x and y columns, each a name in the header or a 0-based index (a whole number that is not a name);
  // "" for both: the columns named x and y (pandas' unnamed index column first is passed over), without a
  // header 0 and 1. A header one name short of the rows (R's write.table) names the columns after the
  // first. In an HDF5 file they are dataset paths ("feature" is /feature).
  std::string x_column, y_column;
  bool header = true; // false: every line is data, and the columns are indices
  Sep sep = Sep::sniff;
  Decimal decimal = Decimal::sniff;
};

// A CSV file as `format` says (by default one whose header has x and y), or an HDF5 file with 1-D datasets
// /x and /y, or /data/x and /data/y (a result file of lrfinder), or those `format` names. Finite values,
// n >= 1. "-" reads a CSV from standard input; a pipe or FIFO is read once, as a stream.
XY read_data(const std::string &path, const DataFormat &format = {});

// "X,Y" of --columns (two names or 0-based indices, not the same twice) into `out`. "" or what is wrong.
std::string parse_columns(const std::string &text, DataFormat &out);

// A CSV file with header `start_weight,scan,factor`; scan is linear or exp.
std::vector<TrialParams> read_trials(const std::string &path);

// The comma-separated fields of one line, each trimmed of white space ("" gives none, "a," two).
std::vector<std::string> split(const std::string &line);

} // namespace lrf
