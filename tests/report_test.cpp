// The statistics as printed (text and JSON), `lrfinder report` on result files and on every kind of bad
// file, and the analysis options of `lrfinder run`.
#include "cli/report.hpp"
#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lrf::test {
namespace {

template <class F> std::string capture(F print) {
  char *text = nullptr;
  std::size_t size = 0;
  std::FILE *out = ::open_memstream(&text, &size);
  print(out);
  std::fclose(out);
  std::string s(text, size);
  std::free(text);
  return s;
}

// Four trials: linear 1e-3 twice, exp 1.1 twice; every rule answers 1e-3, 2e-3, 3e-3, 4e-3 except the
// last rule, which never answers.
Summary four_trials() {
  Batch b;
  b.count = 4;
  b.start_weight = {0, 0, 0, 0};
  b.scan = {Scan::linear, Scan::exp, Scan::linear, Scan::exp};
  b.factor = {1e-3, 1.1, 1e-3, 1.1};
  b.steps = {10, 20, 30, 40};
  b.status = {Status::diverged, Status::diverged, Status::completed, Status::stalled};
  b.suggest.assign(rule_names().size(), {1e-3, 2e-3, 3e-3, 4e-3});
  b.suggest.back().assign(4, NAN);
  b.suggested_lr = b.suggest[0];
  Summary s;
  s.add(b);
  return s;
}

bool has(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(Report, TextShowsEveryRuleOverallAndPerGroup) {
  const Summary s = four_trials();
  const std::string text =
      capture([&](std::FILE *out) { print_statistics(out, s, LinearReference{25}, true); });
  EXPECT_TRUE(has(text,
                  "  suggested lr median 0.0025, IQR [0.00175, 0.00325] over 4 trials with a suggestion "
                  "(rule steep)\n"))
      << text;
  EXPECT_TRUE(has(text, "  reference    c = mean(x^2) = 25: lr* = 1/(2c) = 0.02 (w* in one step), 1/c = 0.04 "
                        "diverges\n"))
      << text;
  // steep over all 4: median 2.5e-3 = 0.125 lr*; geometric mean 24^(1/4) ms = 2.21 ms.
  EXPECT_TRUE(has(text, "  steep                          4         4    0.0025 [0.001, 0.004]         "
                        "[0.00175, 0.00325]     [0.00115, 0.00385]       0.00221     0.125\n"))
      << text;
  // Per group: linear 1e-3 has 1 and 3 ms, exp 1.1 has 2 and 4 ms.
  EXPECT_TRUE(has(text, "    linear 0.001                 2         2     0.002")) << text;
  EXPECT_TRUE(has(text, "    exp 1.1                      2         2     0.003")) << text;
  // The rule that never answered.
  EXPECT_TRUE(has(text, "  " + rule_names().back())) << text;
  EXPECT_TRUE(has(text, "         4         0         - -")) << text;
  for (const std::string &rule : rule_names())
    EXPECT_TRUE(has(text, "\n  " + rule + " ")) << rule;
}

TEST(Report, WithoutAReferenceNoRatio) {
  const std::string text =
      capture([&](std::FILE *out) { print_statistics(out, four_trials(), LinearReference{NAN}, true); });
  EXPECT_FALSE(has(text, "reference")) << text;
  EXPECT_TRUE(has(text, "0.00221         -\n")) << text;
}

TEST(Report, Json) {
  const Summary s = four_trials();
  const std::string json =
      capture([&](std::FILE *out) { print_json(out, s, LinearReference{25}, "dir/\"a\".h5"); });
  EXPECT_TRUE(has(json, "\"file\": \"dir/\\\"a\\\".h5\",\n")) << json;
  EXPECT_TRUE(has(json, "\"trials\": 4,\n  \"steps\": 100,\n")) << json;
  EXPECT_TRUE(has(json, "\"status\": {\"diverged\": 2, \"completed\": 1, \"stalled\": 1, \"rose\": 0}"))
      << json;
  EXPECT_TRUE(has(json, "\"reference\": {\"c\": 25, \"lr_star\": 0.02, \"lr_diverge\": 0.04}")) << json;
  EXPECT_TRUE(
      has(json, "\"headline\": {\"rule\": \"steep\", \"trials\": 4, \"answered\": 4, \"median\": 0.0025"))
      << json;
  EXPECT_TRUE(has(json, "{\"scan\": \"linear\", \"factor\": 0.001, \"trials\": 2")) << json;
  // No answer: null, not NaN.
  EXPECT_TRUE(has(json, "\"answered\": 0, \"median\": null, \"median_ci95\": [null, null]")) << json;
  EXPECT_FALSE(has(json, "nan")) << json;
  EXPECT_EQ(std::count(json.begin(), json.end(), '{'), std::count(json.begin(), json.end(), '}'));
  EXPECT_EQ(std::count(json.begin(), json.end(), '['), std::count(json.begin(), json.end(), ']'));
}

using ReportCli = Cli; // the run-the-binary fixture of tests/cli_util.hpp

TEST_F(ReportCli, ReportsAResultFile) {
  ASSERT_EQ(lrfinder("run -n 64 --backend cpu -q -o r.h5").code, 0);
  Outcome o = lrfinder("report r.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_TRUE(has(o.out, "lrfinder report: r.h5: 64 trials (cpu on ")) << o.out;
  EXPECT_TRUE(has(o.out, "  reference    c = mean(x^2) = 33.5: lr* = 1/(2c) = 0.01492")) << o.out;
  EXPECT_TRUE(has(o.out, "    linear 0.0005             32    0.0025 [0.0025, 0.0025]")) << o.out;
  EXPECT_TRUE(has(o.out, "    exp 1.1                   32  0.000707 [0.000707, 0.000707]")) << o.out;
  o = lrfinder("report --json r.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(has(o.out, "\"file\": \"r.h5\"")) << o.out;
  EXPECT_TRUE(has(o.out, "\"headline\": {\"rule\": \"steep\", \"trials\": 64")) << o.out;
}

TEST_F(ReportCli, TheAnswerIsOneRateOrTheModesWhereTheScansDisagree) {
  // The seed's data: every linear trial answers 0.0025 and every exp trial 0.000707; the overall median
  // is a rate no trial gave.
  ASSERT_EQ(lrfinder("run -q -n 400 -o both.h5").code, 0);
  Outcome o = lrfinder("report both.h5");
  EXPECT_TRUE(
      has(o.out, "\n  answer       no single lr: the answers (rule steep, median of all 0.0016) split into 2 "
                 "modes:\n"
                 "               lr = 0.000707 (200 trials: exp 1.1)\n"
                 "               lr = 0.0025 (200 trials: linear 0.0005)\n"
                 "               use the mode of the scan you will run\n"))
      << o.out;
  o = lrfinder("report --json both.h5");
  EXPECT_TRUE(
      has(o.out, "\"answer\": {\"lr\": null, \"median_ci95\": [null, null], \"modes\": [{\"lr\": 0.000707"))
      << o.out;
  ASSERT_EQ(lrfinder("run -q -n 400 --scan linear -o linear.h5").code, 0);
  o = lrfinder("report linear.h5");
  EXPECT_TRUE(
      has(o.out,
          "\n  answer       use lr = 0.0025 (rule steep, median of 400 trials, 95% CI [0.0025, 0.0025])\n"))
      << o.out;
}

TEST_F(ReportCli, AScanWhoseTrialsNeverDivergedIsWarnedAbout) {
  // Noisy data: the linear trials' w stops moving (stalled) long before lr reaches 1/c.
  std::string csv = "x,y\n";
  for (int i = 0; i < 300; ++i) {
    const double x = -2 + 7.0 * i / 299;
    char line[64];
    std::snprintf(line, sizeof line, "%.17g,%.17g\n", x, 0.7 * x + 0.4 * std::sin(i * 1.7));
    csv += line;
  }
  write("wobble.csv", csv);
  ASSERT_EQ(lrfinder("run -q -n 400 --data wobble.csv -o w.h5").code, 0);
  Outcome o = lrfinder("report w.h5");
  EXPECT_TRUE(has(
      o.out, "\n  warning      200 of the 200 linear trials never diverged (completed 0, stalled 200): the "
             "scan ended before the loss blew up, so their answers may be far too low; scan faster "
             "(larger --linear-factors, or --end-lr)\n"))
      << o.out;
}

TEST_F(ReportCli, TheRunsHeadlineRuleAndAnalysisOptions) {
  ASSERT_EQ(lrfinder("run -n 64 -q -o v.h5 --suggest fastai-valley --smooth ema-debiased:0.98 --skip-begin 2 "
                     "--skip-end 1")
                .code,
            0);
  Outcome o = lrfinder("report v.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(has(o.out, "with a suggestion (rule fastai-valley)")) << o.out;
}

TEST_F(ReportCli, AFileOfAVersionWithOtherRulesSaysSo) {
  ASSERT_EQ(lrfinder("run -q -n 100 -o old.h5").code, 0);
  // As lrfinder 0.1.0 wrote it: its rules had other names.
  ASSERT_EQ(std::system(("cd '" + dir_.string() +
                         "' && python3 -c \"import h5py; f = h5py.File('old.h5', 'r+'); "
                         "f.move('/trials/suggest/fastai-valley', '/trials/suggest/valley'); "
                         "f.attrs['version'] = '0.1.0'\"")
                            .c_str()),
            0);
  expect_rejected("report old.h5",
                  "lrfinder: error: old.h5: written by lrfinder 0.1.0, whose suggestion rules are "
                  "not this version's (no /trials/suggest/fastai-valley); run it again with this "
                  "lrfinder");
}

TEST_F(ReportCli, BadFiles) {
  expect_rejected("report missing.h5", "lrfinder: error: missing.h5: cannot open: No such file or directory");
  fs::create_directories(dir_ / "folder.h5");
  expect_rejected("report folder.h5", "lrfinder: error: folder.h5: is a folder");
  std::ofstream(dir_ / "text.h5") << "not hdf5\n";
  expect_rejected("report text.h5",
                  "lrfinder: error: text.h5: cannot open as HDF5 (missing, corrupt or truncated?)");
  // A truncated result file.
  ASSERT_EQ(lrfinder("run -n 300 -q -o whole.h5").code, 0);
  {
    std::ifstream in(dir_ / "whole.h5", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir_ / "cut.h5", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  }
  Outcome o = lrfinder("report cut.h5");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err.rfind("lrfinder: error: cut.h5: ", 0), 0u) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  // HDF5, but not an lrfinder result: a data file with /x and /y.
  {
    h5::Id f(H5Fcreate((dir_ / "data.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    hsize_t n = 2;
    const double v[2] = {1, 2};
    h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    for (const char *name : {"/x", "/y"}) {
      h5::Id set(
          H5Dcreate2(f.get(), name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
      H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    }
  }
  expect_rejected("report data.h5", "lrfinder: error: data.h5: not an lrfinder result (no config attribute)");
  expect_rejected("report", "lrfinder: error: file is required");
}

TEST_F(ReportCli, BadAnalysisOptions) {
  expect_rejected(
      "run --smooth ema:2",
      "lrfinder: error: --smooth: 'ema:2' is not none, ema:BETA or ema-debiased:BETA with 0 <= BETA < 1");
  expect_rejected(
      "run --smooth ema-debiased",
      "lrfinder: error: --smooth: 'ema-debiased' is not none, ema:BETA or ema-debiased:BETA with 0 "
      "<= BETA < 1");
  expect_rejected("run --skip-begin -1", "lrfinder: error: --skip-begin: '-1' is not a whole number >= 0");
  expect_rejected("run --skip-end x", "lrfinder: error: --skip-end: 'x' is not a whole number >= 0");
  expect_rejected(
      "run --suggest best",
      "lrfinder: error: --suggest: best not in "
      "{steep,fastai-valley,fastai-slide,fastai-steep,fastai-minimum,lightning,torch-lr-finder,ignite}");
  EXPECT_TRUE(fs::is_empty(dir_) || fs::directory_iterator(dir_) == fs::directory_iterator());
}

} // namespace
} // namespace lrf::test
