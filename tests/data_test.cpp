// The data files users have, read as they mean them (`lrfinder run --data FILE` with --columns, --no-header,
// --sep and --decimal): x and y by name in any order, pandas' index column, R's write.csv, write.csv2 and
// write.table, quoted fields, semicolons with decimal commas, tabs and spaces, no header, chosen columns, a
// result file given back; and every refusal one line naming the file, the line and the fault.
#include "cli_util.hpp"
#include "io/data.hpp"

#include <gtest/gtest.h>

namespace lrf::test {
namespace {

const std::vector<double> kX{0, 1, 2.5}, kY{1.5, -2, 4e-3};

class Data : public Cli {
protected:
  XY read(const std::string &name, const DataFormat &format = {}) {
    return read_data((dir_ / name).string(), format);
  }
  // An HDF5 file of 1-D float64 datasets (path, values); a path with a group creates the group.
  void write_h5(const std::string &name,
                const std::vector<std::pair<std::string, std::vector<double>>> &sets) {
    h5::Id f(H5Fcreate((dir_ / name).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(f);
    h5::Id groups(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(groups.get(), 1);
    for (const auto &[path, v] : sets) {
      hsize_t n = v.size();
      h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      h5::Id set(H5Dcreate2(f.get(), path.c_str(), H5T_IEEE_F64LE, space.get(), groups.get(), H5P_DEFAULT,
                            H5P_DEFAULT),
                 H5Dclose);
      ASSERT_TRUE(set);
      H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    }
  }
};

DataFormat format(const std::string &columns, bool header = true, Sep sep = Sep::sniff,
                  Decimal decimal = Decimal::sniff) {
  DataFormat f;
  if (!columns.empty()) {
    EXPECT_EQ(parse_columns(columns, f), "") << columns;
  }
  f.header = header;
  f.sep = sep;
  f.decimal = decimal;
  return f;
}

TEST_F(Data, EveryFormReadsTheSameValues) {
  const std::pair<const char *, DataFormat> forms[] = {
      {"x,y\n0,1.5\n1,-2\n2.5,4e-3\n", {}},
      {"y,x\n1.5,0\n-2,1\n4e-3,2.5\n", {}},                            // the other order
      {"id,y,note,x\n7,1.5,a b,0\n8,-2,,1\n9,4e-3,c,2.5\n", {}},       // other columns, never read
      {",x,y\n0,0,1.5\n1,1,-2\n2,2.5,4e-3\n", {}},                     // pandas' df.to_csv()
      {"\xEF\xBB\xBF,y,x\r\n0,1.5,0\r\n1,-2,1\r\n2,4e-3,2.5\r\n", {}}, // ... by Excel's habits
      {"x\ty\n0\t1.5\n1\t-2\n2.5\t4e-3\n", {}},                        // tab-separated
      {"\tx\ty\n0\t0\t1.5\n1\t1\t-2\n2\t2.5\t4e-3\n", {}},             // pandas' df.to_csv(sep="\t")
      {"x y\n0   1.5\n 1\t-2\r\n2.5 4e-3 \n", {}},                     // runs of spaces and tabs
      {"x y\n0 1.5\n1 -2\n2.5 4e-3\n", format("", true, Sep::space)},
      {"x\ty\n0\t1.5\n1\t-2\n2.5\t4e-3\n", format("", true, Sep::tab)},
      {"x,y\n0,1.5\n1,-2\n2.5,4e-3\n", format("", true, Sep::comma)},
      {"feature,target\n0,1.5\n1,-2\n2.5,4e-3\n", format("feature,target")},
      {"target,a,feature\n1.5,a,0\n-2,b,1\n4e-3,c,2.5\n", format("2,0")},
      {"sepal length,petal width\n0,1.5\n1,-2\n2.5,4e-3\n", format("sepal length,petal width")},
      {"0,1\n0,1.5\n1,-2\n2.5,4e-3\n", format("0,1")}, // pandas' column names 0 and 1: names first
      {"0,1.5\n1,-2\n2.5,4e-3\n", format("", false)},
      {"1.5,0\n-2,1\n4e-3,2.5\n", format("1,0", false)},
      {"\n1.5 9 0\n-2 9 1\n4e-3 9 2.5\n", format("2,0", false)}, // sniffed from the first non-blank line
      {"\"\",\"x\",\"y\"\n\"1\",0,1.5\n\"2\",1,-2\n\"3\",2.5,4e-3\n", {}},     // R's write.csv
      {"\"\";\"x\";\"y\"\n\"1\";0;1,5\n\"2\";1;-2\n\"3\";2,5;4e-3\n", {}},     // R's write.csv2
      {"x;y\r\n0;1,5\r\n1;-2\r\n2,5;0,004\r\n", {}},                           // a spreadsheet's
      {"\"x\" \"y\"\n\"1\" 0 1.5\n\"2\" 1 -2\n\"3\" 2.5 4e-3\n", {}},          // R's write.table
      {"\"x\"\t\"y\"\n\"a b\"\t0\t1.5\n\"c\"\t1\t-2\n\"d\"\t2.5\t4e-3\n", {}}, // ... sep="\t"
      {"\"id, \"\"n\"\"\",y,\"x\"\n\"1,2\",1.5,0\n\"\",-2, \"1\" \n3,4e-3,2.5\n",
       {}}, // quoted: , "" and spaces
      {"x;y\n0;1.5\n1;-2\n2.5;4e-3\n", format("", true, Sep::sniff, Decimal::point)},
      {"x\ty\n0\t1,5\n1\t-2\n2,5\t4e-3\n", format("", true, Sep::sniff, Decimal::comma)},
      {"x,y\n0,1.5\n1,-2\n2.5,4e-3\n", format("", true, Sep::comma, Decimal::point)},
  };
  for (const auto &[text, f] : forms) {
    write("data.csv", text);
    const XY got = read("data.csv", f);
    EXPECT_EQ(got.x, kX) << text;
    EXPECT_EQ(got.y, kY) << text;
  }
}

TEST_F(Data, TheOptionsOfRunChooseTheForm) {
  write("data.csv", "x,y\n0,1.5\n1,-2\n2.5,4e-3\n");
  const std::pair<const char *, const char *> runs[] = {
      {"pandas.csv", ",x,y\n0,0,1.5\n1,1,-2\n2,2.5,4e-3\n"},
      {"target.csv --columns feature,target", "feature,target\n0,1.5\n1,-2\n2.5,4e-3\n"},
      {"rows.csv --no-header --columns 1,0", "1.5,0\n-2,1\n4e-3,2.5\n"},
      {"spaces.txt --sep space --no-header", "0 1.5\n1 -2\n2.5 4e-3\n"},
      {"- --sep tab <tabs.tsv", "x\ty\n0\t1.5\n1\t-2\n2.5\t4e-3\n"},
      {"excel.csv --sep semicolon --decimal comma", "x;y\n0;1,5\n1;-2\n2,5;4e-3\n"},
      {"points.csv --decimal point", "x;y\n0;1.5\n1;-2\n2.5;4e-3\n"},
  };
  ASSERT_EQ(lrfinder("run -q -n 4 --backend serial --data data.csv -o want.h5").code, 0);
  for (const auto &[args, text] : runs) {
    const std::string file = std::string(args).substr(0, std::string(args).find(' '));
    write(file == "-" ? "tabs.tsv" : file, text);
    Outcome o = lrfinder(std::string("run -q -n 4 --backend serial -o got.h5 --data ") + args);
    ASSERT_EQ(o.code, 0) << args << ": " << o.err;
    ResultFile got((dir_ / "got.h5").string()), want((dir_ / "want.h5").string());
    EXPECT_EQ(got.problem().x, want.problem().x) << args;
    EXPECT_EQ(got.problem().y, want.problem().y) << args;
    fs::remove(dir_ / "got.h5");
  }
}

TEST_F(Data, AResultFileGivenBackAsDataIsTheRunsData) {
  write("data.csv", "x,y\n0,1.5\n1,-2\n2.5,4e-3\n");
  ASSERT_EQ(lrfinder("run -q -n 4 --data data.csv -o first.h5").code, 0);
  const XY d = read("first.h5");
  EXPECT_EQ(d.x, kX);
  EXPECT_EQ(d.y, kY);
  ASSERT_EQ(lrfinder("run -q -n 4 --save stats --data first.h5 -o second.h5").code, 0);
  EXPECT_EQ(read("second.h5").x, kX);
  EXPECT_EQ(read("second.h5").y, kY);
}

TEST_F(Data, HdfDatasetsByDefaultOrByColumns) {
  write_h5("both.h5", {{"x", kX}, {"y", kY}, {"data/x", {9}}, {"data/y", {9}}}); // /x and /y come first
  EXPECT_EQ(read("both.h5").x, kX);
  write_h5("named.h5", {{"feature", kX}, {"group/target", kY}});
  for (const char *columns : {"feature,group/target", "/feature,/group/target"}) {
    const XY d = read("named.h5", format(columns));
    EXPECT_EQ(d.x, kX) << columns;
    EXPECT_EQ(d.y, kY) << columns;
  }
  EXPECT_EQ(lrfinder("run -q -n 4 --data named.h5 --columns feature,group/target").code, 0);
  expect_rejected("run --data named.h5",
                  "lrfinder: error: --data named.h5: no dataset /x (expected 1-D datasets /x and /y, or "
                  "/data/x and /data/y)");
  expect_rejected("run --data named.h5 --columns feature,target",
                  "lrfinder: error: --data named.h5: no dataset /target (--columns feature,target)");
  write_h5("ragged.h5", {{"data/x", {1, 2}}, {"data/y", {1}}});
  expect_rejected("run --data ragged.h5",
                  "lrfinder: error: --data ragged.h5: /data/x has 2 values but /data/y has 1");
}

TEST_F(Data, AHeaderWithoutXAndYSaysWhatToGive) {
  const std::pair<const char *, const char *> cases[] = {
      {"feature,target\n1,2\n",
       "line 1: no column 'x' (the header has feature, target); to read these two as "
       "x and y: --columns feature,target"},
      {"target,x\n1,2\n", "line 1: no column 'y' (the header has target, x); to read these two as x and y: "
                          "--columns x,target"},
      {"y,feature\n1,2\n", "line 1: no column 'x' (the header has y, feature); to read these two as x and y: "
                           "--columns feature,y"},
      {",a,b\n0,1,2\n", "line 1: no column 'x' (the header has '', a, b); to read these two as x and y: "
                        "--columns a,b"},
      {"\n\nsepal length,petal width\n1,2\n", "line 3: no column 'x' (the header has sepal length, petal "
                                              "width); to read these two as x and y: --columns 'sepal "
                                              "length,petal width'"},
      {"a,b,c\n1,2,3\n", "line 1: no column 'x' (the header has a, b, c); choose x and y with --columns X,Y"},
      {"x|y\n1|2\n", "line 1: no column 'x' (the header has x|y); the header is one column (--sep "
                     "comma|semicolon|tab|space?)"},
      {"x,y\n\"1,2\n", "line 2: column 0 opens a quote that does not close on its line"},
      {"x,y\n1,\"2\"\"\n", "line 2: column 1 opens a quote that does not close on its line"},
      {"x,y\n\"1\"2,3\n", "line 2: column 0 has text after its closing quote"},
      {"\"x\" \"y\"\n1 \"2\"3\n", "line 2: column 1 has text after its closing quote"},
      {"x;y\n0;1.5\n", "line 2: y '1.5' is not a number (read with a decimal comma; for a point: "
                       "--decimal point)"},
      {"x\ty\n0\t1,5\n", "line 2: y '1,5' is not a number (a decimal comma? --decimal comma)"},
      {"\"x\" \"y\"\n\"1\" 0 1.5\n\"2\" 1\n", "line 3: expected 3 columns (row names, then x,y), got 2"},
      {"x;y\n1,5;2\n1;2;3\n", "line 3: expected 2 columns (x,y), got 3"},
      {"1.5,2\n3,4\n",
       "line 1: expected a header, got the numbers '1.5,2' (a file without one: --no-header)"},
      {"x,x,y\n1,2,3\n", "line 1: columns 0 and 1 are both named 'x'"},
      {"x,,y\n1,2,3\n", "line 1: column 1 of the header has no name"},
      {",x,y\n0,1\n", "line 2: expected 3 columns (,x,y), got 2"},
      {"", "empty file: expected a header and data rows"},
  };
  for (const auto &[text, why] : cases) {
    write("bad.csv", text);
    expect_rejected("run --data bad.csv", std::string("lrfinder: error: --data bad.csv: ") + why);
  }
}

TEST_F(Data, ChosenColumnsThatAreNotThereAreRefused) {
  write("abc.csv", "a,b,c\n1,2,3\n4,5,six\n");
  const std::pair<const char *, const char *> cases[] = {
      {"--columns foo,b", "line 1: no column 'foo' (the header has a, b, c)"},
      {"--columns 3,0", "line 1: no column 3 (the header has 3 columns: a, b, c)"},
      {"--columns a,0", "line 1: x and y are both column 0"},
      {"--columns a,c", "line 3: y (c) 'six' is not a number"},
      {"--columns 1,0 --no-header", "line 1: x (column 1) 'b' is not a number"},
      {"--columns 0,3 --no-header", "line 1: no column 3 (the line has 3 columns)"},
      {"--columns a,b --no-header", "--columns a,b: without a header (--no-header) the columns are 0-based "
                                    "indices"},
      {"--sep tab", "line 1: no column 'x' (the header has a,b,c); the header is one column (--sep "
                    "comma|semicolon|tab|space?)"},
  };
  for (const auto &[options, why] : cases)
    expect_rejected(std::string("run --data abc.csv ") + options,
                    std::string("lrfinder: error: --data abc.csv: ") + why);
  write("numbers.csv", "1.5,2\n3,4\n");
  expect_rejected(
      "run --data numbers.csv --columns 1,0",
      "lrfinder: error: --data numbers.csv: line 1: expected a header, got the numbers '1.5,2' (a "
      "file without one: --no-header)");
  write("ragged.csv", "1,2\n3\n");
  expect_rejected("run --data ragged.csv --no-header",
                  "lrfinder: error: --data ragged.csv: line 2: expected 2 columns (as line 1), got 1");
  write("empty.csv", "\n \n");
  expect_rejected("run --data empty.csv --no-header",
                  "lrfinder: error: --data empty.csv: empty file: expected data rows");
}

TEST_F(Data, BadFormatOptionsAreRefused) {
  expect_rejected("run --data d.csv --columns x",
                  "lrfinder: error: --columns: 'x' is not X,Y (two column names or 0-based indices)");
  expect_rejected("run --data d.csv --columns a,b,c",
                  "lrfinder: error: --columns: 'a,b,c' is not X,Y (two column names or 0-based indices)");
  expect_rejected("run --data d.csv --columns ,b",
                  "lrfinder: error: --columns: ',b' is not X,Y (two column names or 0-based indices)");
  expect_rejected("run --data d.csv --columns 1,1",
                  "lrfinder: error: --columns: '1,1' names one column for both x and y");
  expect_rejected("run --data d.csv --sep pipe",
                  "lrfinder: error: --sep: pipe not in {comma,semicolon,tab,space}");
  expect_rejected("run --data d.csv --decimal dot", "lrfinder: error: --decimal: dot not in {point,comma}");
  expect_rejected("run --decimal comma", "lrfinder: error: --decimal requires --data");
  expect_rejected("run --columns a,b", "lrfinder: error: --columns requires --data");
  expect_rejected("run --no-header", "lrfinder: error: --no-header requires --data");
  expect_rejected("run --sep tab", "lrfinder: error: --sep requires --data");
}

} // namespace
} // namespace lrf::test
