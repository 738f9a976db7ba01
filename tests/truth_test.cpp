// `lrfinder truth`: its table, its file against the trial core run by hand, its bytes (twice, and on
// serial and cpu), and every bad input with its exact line.
#include "analysis/rules.hpp"
#include "cli/report.hpp"
#include "cli_util.hpp"
#include "core/trial.hpp"
#include "run/truth.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lrf::test {
namespace {

class Truth : public Cli {
protected:
  // A 1-D dataset of a file as float64.
  std::vector<double> read(const std::string &file, const std::string &name) {
    h5::Id f(H5Fopen((dir_ / file).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    std::vector<double> v;
    EXPECT_EQ(h5::read_vector(f.get(), name, v), "") << file << ": " << name;
    return v;
  }
  // A 2-D float64 dataset, row-major, and its shape.
  std::vector<double> read_matrix(const std::string &file, const std::string &name, hsize_t dims[2]) {
    h5::Id f(H5Fopen((dir_ / file).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    h5::Id set(H5Dopen2(f.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    h5::Id space(H5Dget_space(set.get()), H5Sclose);
    EXPECT_EQ(H5Sget_simple_extent_ndims(space.get()), 2);
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    std::vector<double> v(dims[0] * dims[1]);
    EXPECT_GE(H5Dread(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
    return v;
  }
  std::string attr(const std::string &file, const char *name) {
    h5::Id f(H5Fopen((dir_ / file).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    std::string v;
    EXPECT_TRUE(h5::read_attr(f.get(), name, v)) << name;
    return v;
  }
  // The small default run the tests score: 64 trials of 100 epochs, half linear, half exp.
  void small_run(const std::string &name = "f.h5") {
    ASSERT_EQ(lrfinder("run -q -n 64 --epochs 100 --backend serial -o " + name).code, 0);
  }
};

// The score of one start weight at one fixed rate, by hand: the trial core's loop as a linear scan of
// factor 0 from base_lr = rate, K updates, no relative stop, then the full-data loss at its last weight.
double score_by_hand(const Problem &run, double rate, std::int32_t steps, double w0) {
  RunConfig c = run.config;
  c.base_lr = rate;
  c.epochs = steps;
  c.stop_factor = 0;
  std::vector<double> weight(static_cast<std::size_t>(steps) + 1);
  const TrialResult r = run_trial(c, run.data(), TrialParams{w0, Scan::linear, 0.0},
                                  TrajectoryOut{nullptr, weight.data(), nullptr, 1});
  return trial_loss(c, run.data(), weight[static_cast<std::size_t>(r.steps)]);
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST_F(Truth, TableNamesEveryRuleAndTheFileHoldsTheSample) {
  small_run();
  const Outcome o = lrfinder("truth f.h5 --backend serial");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.out.rfind("lrfinder truth: f.h5: 64 of 64 trials in 2 groups\n", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("  backend      serial (one CPU thread)\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("  rates        256 fixed, log-spaced, 1e-07 to "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("  score        the full-data loss after 10 updates from a trial's start weight"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("  output       f-truth.h5\n"), std::string::npos) << o.out;
  for (const std::string &rule : rule_names()) {
    const std::string label = "\n  " + rule + (rule == "steep" ? " *" : "") + " ";
    EXPECT_NE(o.out.find(label), std::string::npos) << rule << "\n" << o.out;
  }
  EXPECT_NE(o.out.find("\n    linear 0.0005 "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\n    exp 1.1 "), std::string::npos) << o.out;
  std::istringstream lines(o.out);
  for (std::string line; std::getline(lines, line);)
    EXPECT_LE(line.size(), 100u) << line;
  EXPECT_EQ(files(), (std::vector<std::string>{"f-truth.h5", "f.h5"}));

  // Everything: 64 trials (half each scan: linear trials are the even ones) into 32 a group.
  EXPECT_EQ(read("f-truth.h5", "/sample/trial").size(), 64u);
  EXPECT_EQ(read("f-truth.h5", "/groups/sampled"), (std::vector<double>{32, 32}));
  EXPECT_EQ(read("f-truth.h5", "/groups/trials"), (std::vector<double>{32, 32}));
  EXPECT_EQ(attr("f-truth.h5", "input"), "f.h5");
  EXPECT_EQ(attr("f-truth.h5", "headline"), "steep");
  EXPECT_EQ(attr("f-truth.h5", "lrs_from"), "run");
  // The grid runs from the run's base lr to the largest rate any trial reached, read from its /lr.
  ResultFile input((dir_ / "f.h5").string());
  Batch rows;
  input.read(0, 64, rows, true);
  double largest = 0;
  for (std::size_t i = 0; i < 64; ++i)
    largest = std::max(largest, rows.lr[i * 101 + static_cast<std::size_t>(rows.steps[i])]);
  const std::vector<double> grid = read("f-truth.h5", "/lr");
  ASSERT_EQ(grid.size(), 256u);
  EXPECT_EQ(grid.front(), 1e-7);
  EXPECT_EQ(grid.back(), largest);
  EXPECT_TRUE(std::is_sorted(grid.begin(), grid.end()));

  // The table's figures are the file's: steep's median ratio over every row.
  const Outcome j = lrfinder("truth f.h5 --backend serial --json -o j.h5");
  ASSERT_EQ(j.code, 0) << j.err;
  std::vector<double> ratio = read("j.h5", "/rules/steep/ratio");
  std::sort(ratio.begin(), ratio.end());
  const double median = (ratio[31] + ratio[32]) / 2;
  EXPECT_NE(
      j.out.find("\"steep\": {\n      \"all\": {\"trials\": 64, \"answered\": 64, \"no_answer_share\": 0, "
                 "\"within_2x_share\": 0, \"median_ratio\": " +
                 json_number(median) + ", "),
      std::string::npos)
      << j.out;
}

TEST_F(Truth, SampleIsSpreadEvenlyOverTheGroups) {
  small_run();
  ASSERT_EQ(lrfinder("truth f.h5 --backend serial --sample 16 --lrs 1e-4:0.05:9 -q").code, 0);
  // 8 of each group's 32, the middle of each eighth: places 1, 5, ..., 29 of a group (i = 0..7: 4i + 2 - 1
  // = floor((2i + 1) * 32 / 16)); linear trials are the even ones of the run, exp the odd.
  std::vector<double> expected;
  for (int scan = 0; scan < 2; ++scan)
    for (int i = 0; i < 8; ++i)
      expected.push_back(2.0 * ((2 * i + 1) * 32 / 16) + scan);
  EXPECT_EQ(read("f-truth.h5", "/sample/trial"), expected);
  std::vector<double> groups(8, 0.0);
  groups.insert(groups.end(), 8, 1.0);
  EXPECT_EQ(read("f-truth.h5", "/sample/group"), groups);
  // Their start weights and every rule's answers are the run's.
  ResultFile input((dir_ / "f.h5").string());
  Batch rows;
  input.read(0, 64, rows, false);
  const std::vector<double> w0 = read("f-truth.h5", "/sample/start_weight");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto t = static_cast<std::size_t>(expected[i]);
    EXPECT_TRUE(same_bits(w0[i], rows.start_weight[t])) << i;
    for (std::size_t r = 0; r < rule_names().size(); ++r)
      EXPECT_TRUE(
          same_bits(read("f-truth.h5", "/rules/" + rule_names()[r] + "/suggestion")[i], rows.suggest[r][t]))
          << rule_names()[r] << " " << i;
  }
  EXPECT_EQ(read("f-truth.h5", "/lr").size(), 9u);
  EXPECT_EQ(attr("f-truth.h5", "lrs"), "0.0001:0.05:9");
}

TEST_F(Truth, BestRateIsTheBruteForceMinimumOfTheTrialCore) {
  small_run();
  ASSERT_EQ(lrfinder("truth f.h5 --backend cpu --sample 24 -q").code, 0);
  const ResultFile input((dir_ / "f.h5").string());
  const Problem &run = input.problem();
  const std::vector<double> grid = read("f-truth.h5", "/lr"), w0 = read("f-truth.h5", "/sample/start_weight");
  const std::vector<double> best_lr = read("f-truth.h5", "/sample/best_lr");
  const std::vector<double> best_loss = read("f-truth.h5", "/sample/best_loss");
  hsize_t dims[2] = {0, 0};
  const std::vector<double> matrix = read_matrix("f-truth.h5", "/final_loss", dims);
  ASSERT_EQ(dims[0], 24u);
  ASSERT_EQ(dims[1], grid.size());
  int interior = 0;
  for (std::size_t i = 0; i < w0.size(); ++i) {
    double lowest = INFINITY, at = NAN;
    for (std::size_t j = 0; j < grid.size(); ++j) {
      const double s = score_by_hand(run, grid[j], 10, w0[i]);
      ASSERT_TRUE(same_bits(s, matrix[i * grid.size() + j])) << i << " " << j;
      const double key = std::isnan(s) ? INFINITY : s;
      if (j == 0 || key < lowest) {
        lowest = key;
        at = grid[j];
      }
    }
    EXPECT_TRUE(same_bits(best_lr[i], at)) << i << ": " << best_lr[i] << " vs " << at;
    EXPECT_TRUE(same_bits(best_loss[i], lowest)) << i;
    interior += at > grid.front() && at < grid.back();
  }
  EXPECT_EQ(interior, 24); // a real minimum, not an end of the grid
  // The score at each suggestion is the same loop at exactly that rate, and the regret its ratio.
  for (const std::string &rule : {std::string("steep"), std::string("fastai-valley")}) {
    const std::vector<double> s = read("f-truth.h5", "/rules/" + rule + "/suggestion");
    const std::vector<double> loss = read("f-truth.h5", "/rules/" + rule + "/loss");
    const std::vector<double> ratio = read("f-truth.h5", "/rules/" + rule + "/ratio");
    const std::vector<double> regret = read("f-truth.h5", "/rules/" + rule + "/regret");
    for (std::size_t i = 0; i < s.size(); ++i) {
      ASSERT_TRUE(std::isfinite(s[i])) << rule << " " << i;
      const double by_hand = score_by_hand(run, s[i], 10, w0[i]);
      EXPECT_TRUE(same_bits(loss[i], by_hand)) << rule << " " << i;
      EXPECT_EQ(ratio[i], s[i] / best_lr[i]) << rule << " " << i;
      EXPECT_EQ(regret[i], by_hand / best_loss[i]) << rule << " " << i;
    }
  }
}

TEST_F(Truth, TwiceGivesTheSameBytesAndSerialAndCpuAgree) {
  small_run();
  ASSERT_EQ(lrfinder("truth f.h5 -q --backend serial -o a.h5").code, 0);
  ::sleep(1); // a file that recorded times would differ now
  ASSERT_EQ(lrfinder("truth f.h5 -q --backend serial -o b.h5").code, 0);
  ASSERT_EQ(lrfinder("truth f.h5 -q --backend cpu --threads 2 -o c.h5").code, 0);
  ASSERT_EQ(lrfinder("truth f.h5 -q --backend cpu --threads 1 -o d.h5").code, 0);
  const std::string a = slurp(dir_ / "a.h5");
  ASSERT_GT(a.size(), 100000u);
  EXPECT_TRUE(a == slurp(dir_ / "b.h5"));
  EXPECT_TRUE(a == slurp(dir_ / "c.h5"));
  EXPECT_TRUE(a == slurp(dir_ / "d.h5"));
  // --force replaces an earlier output, with the same bytes.
  ASSERT_EQ(lrfinder("truth f.h5 -q --backend cpu --force -o a.h5").code, 0);
  EXPECT_TRUE(a == slurp(dir_ / "a.h5"));
  EXPECT_EQ(files(), (std::vector<std::string>{"a.h5", "b.h5", "c.h5", "d.h5", "f.h5"}));
}

TEST_F(Truth, BadInputsGetOneLine) {
  expect_rejected("truth missing.h5", "lrfinder: error: missing.h5: cannot open: No such file or directory");
  small_run();
  expect_rejected("truth f.h5 --lrs abc", "lrfinder: error: --lrs: 'abc' is not LO:HI:N");
  expect_rejected("truth f.h5 --lrs 1e-5:1", "lrfinder: error: --lrs: '1e-5:1' is not LO:HI:N");
  expect_rejected("truth f.h5 --lrs 0:1:10", "lrfinder: error: --lrs: '0' in '0:1:10' is not a rate > 0");
  expect_rejected("truth f.h5 --lrs 1e-5:x:10",
                  "lrfinder: error: --lrs: 'x' in '1e-5:x:10' is not a rate > 0");
  expect_rejected("truth f.h5 --lrs 1e-2:1e-3:10",
                  "lrfinder: error: --lrs: '1e-2:1e-3:10' must have LO < HI");
  expect_rejected("truth f.h5 --lrs 1e-5:1:1",
                  "lrfinder: error: --lrs: '1' in '1e-5:1:1' is not a whole number of rates in 2..1000000");
  expect_rejected(
      "truth f.h5 --lrs 1e-5:1:ten",
      "lrfinder: error: --lrs: 'ten' in '1e-5:1:ten' is not a whole number of rates in 2..1000000");
  expect_rejected("truth f.h5 --sample 0", "lrfinder: error: --sample: '0' is not a whole number >= 1");
  expect_rejected("truth f.h5 --steps 0", "lrfinder: error: --steps: '0' is not a whole number >= 1");
  expect_rejected("truth f.h5 --steps 3000000000",
                  "lrfinder: error: --steps 3000000000: more than 2147483646 updates");
  expect_rejected("truth f.h5 --backend gpu",
                  "lrfinder: error: --backend: gpu not in {auto,cuda,cpu,serial}");
  expect_rejected("truth f.h5 -o f.h5 --force",
                  "lrfinder: error: --output f.h5: is the input file; choose another output");
  write("f-truth.h5", "precious");
  expect_rejected("truth f.h5", "lrfinder: error: --output f-truth.h5: exists (use --force to replace it)");
  EXPECT_EQ(slurp(dir_ / "f-truth.h5"), "precious");
  write("not.h5", "plain text");
  expect_rejected("truth not.h5",
                  "lrfinder: error: not.h5: cannot open as HDF5 (missing, corrupt or truncated?)");

  ASSERT_EQ(lrfinder("run -q -n 64 --epochs 100 --save stats -o s.h5").code, 0);
  expect_rejected("truth s.h5",
                  "lrfinder: error: s.h5: a statistics-only file (--save stats) holds no trials to sample; "
                  "truth needs a run saved with per-trial rows (any other --save)");

  // A result whose suggestion rules were taken out.
  small_run("n.h5");
  {
    h5::Id f(H5Fopen((dir_ / "n.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    for (const std::string &rule : rule_names())
      ASSERT_GE(H5Ldelete(f.get(), ("/trials/suggest/" + rule).c_str(), H5P_DEFAULT), 0);
  }
  expect_rejected("truth n.h5", "lrfinder: error: n.h5: holds no suggestion rules (no /trials/suggest/<rule> "
                                "datasets): nothing to score");
}

// The figure (python3 with h5py, numpy and matplotlib; skipped without them): a PNG beside the output.
TEST_F(Truth, PlotWritesAFigure) {
  if (std::system("python3 -c 'import h5py, numpy, matplotlib' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with h5py, numpy and matplotlib is not installed";
  small_run();
  const Outcome o =
      lrfinder("truth f.h5 --backend serial --plot -q", "LRF_SCRIPTS='" LRF_SOURCE_DIR "/scripts'");
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string png = slurp(dir_ / "f-truth.png");
  ASSERT_GT(png.size(), 20000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  write("g.png", "precious");
  expect_rejected("truth f.h5 --plot -o g.h5 --backend serial",
                  "lrfinder: error: --plot g.png: exists (use --force to replace it)");
}

} // namespace
} // namespace lrf::test
