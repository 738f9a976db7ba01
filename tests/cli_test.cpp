// The command line as a user meets it: a good run, and every bad input: one line on stderr naming the
// option and the value, exit code 2, and no file written or changed.
#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace lrf::test {
namespace {

TEST_F(Cli, RunWritesTheFileAndASummary) {
  Outcome o = lrfinder("run -n 300 --seed 3 --backend cpu");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_NE(o.out.find("lrfinder: 300 trials on cpu"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("suggested lr median"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("trials/s"), std::string::npos) << o.out;
  EXPECT_EQ(files(), std::vector<std::string>{"lrfinder.h5"});
}

TEST_F(Cli, AutoSaysWhichBackendItChose) {
  Outcome o = lrfinder("run -n 20 -o auto.h5");
  ASSERT_EQ(o.code, 0) << o.err;
#if !defined(LRF_WITH_CUDA)
  EXPECT_EQ(o.err,
            "lrfinder: no usable GPU: this build has no CUDA backend (built without a CUDA compiler or with "
            "-DLRF_CUDA=OFF); running on the cpu backend\n");
#endif
  EXPECT_TRUE(fs::exists(dir_ / "auto.h5"));
}

TEST_F(Cli, QuietPrintsNothing) {
  Outcome o = lrfinder("run -n 20 -q");
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.out + o.err, "");
}

TEST_F(Cli, DataAndTrialsFromCsv) {
  write("data.csv", "x,y\n0,0\n1,2\n2,4.5\n3,5.5\n");
  write("trials.csv", "start_weight,scan,factor\n4,exp,1.2\n-1,linear,1e-3\n");
  Outcome o = lrfinder("run --data data.csv --trials-from trials.csv -o t.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("2 trials on"), std::string::npos) << o.out;
}

TEST_F(Cli, StopFactorEndsATrialAtFTimesItsLowestLoss) {
  ASSERT_EQ(lrfinder("run -q -n 64 --backend serial --stop-factor 4 -o s.h5").code, 0);
  ResultFile f((dir_ / "s.h5").string());
  EXPECT_EQ(f.problem().config.stop_factor, 4);
  Batch b;
  f.read(0, 64, b, true);
  const auto row = static_cast<std::size_t>(f.problem().row_length());
  for (std::size_t i = 0; i < 64; ++i) {
    ASSERT_EQ(b.status[i], Status::rose) << i;
    double lowest = b.loss[i * row];
    for (std::int32_t k = 1; k < b.steps[i]; ++k) { // every loss before the last stays within 4x
      lowest = std::min(lowest, b.loss[i * row + static_cast<std::size_t>(k)]);
      ASSERT_LE(b.loss[i * row + static_cast<std::size_t>(k)], 4 * lowest) << i;
    }
    EXPECT_GT(b.loss[i * row + static_cast<std::size_t>(b.steps[i])], 4 * lowest) << i;
  }
  expect_rejected("run --stop-factor 1", "lrfinder: error: --stop-factor: '1' is not a number > 1");
}

TEST_F(Cli, ArithFmaIsSaidAndRecordedInTheFile) {
  const auto r = lrfinder("run -n 64 --arith fma -o f.h5");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find(", --arith fma (fused multiply-adds: not numpy's bits)\n"), std::string::npos)
      << r.out;
  ResultFile f((dir_ / "f.h5").string());
  EXPECT_EQ(f.problem().config.arith, Arith::fma);
  EXPECT_NE(f.info().config.find(" arith=fma "), std::string::npos) << f.info().config;
  ASSERT_EQ(lrfinder("run -q -n 64 -o e.h5").code, 0);
  EXPECT_EQ(ResultFile((dir_ / "e.h5").string()).problem().config.arith, Arith::exact);
  expect_rejected("run --arith fast", "lrfinder: error: --arith: fast not in {exact,fma}");
}

TEST_F(Cli, LossAndMinibatchAreSaidRecordedAndChecked) {
  const auto r = lrfinder("run -n 64 --loss huber:0.5 --minibatch 16 --seed 3 -o h.h5");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(", --loss huber:0.5, --minibatch 16\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("reference"), std::string::npos) << "lr* is the squared error's: " << r.out;
  ResultFile f((dir_ / "h.h5").string());
  EXPECT_EQ(f.problem().config.loss, Loss::huber);
  EXPECT_EQ(f.problem().config.huber_delta, 0.5);
  EXPECT_EQ(f.problem().config.minibatch, 16);
  EXPECT_EQ(f.problem().config.seed, 3u);
  EXPECT_NE(f.info().config.find(" loss=huber:0.5 minibatch=16 minibatch_seed=3 "), std::string::npos)
      << f.info().config;
  // Without a minibatch every trial of a scan on the seed's data gives one answer; with one, many.
  Batch b;
  f.read(0, 64, b, true);
  std::vector<double> answers(b.suggested_lr.begin(), b.suggested_lr.end());
  std::sort(answers.begin(), answers.end());
  EXPECT_GT(std::unique(answers.begin(), answers.end()) - answers.begin(), 20);
  ASSERT_EQ(lrfinder("run -q -n 64 -o m.h5").code, 0);
  EXPECT_EQ(ResultFile((dir_ / "m.h5").string()).problem().config.loss, Loss::mse);
  EXPECT_EQ(ResultFile((dir_ / "m.h5").string()).problem().config.minibatch, 0);

  write("labels.csv", "x,y\n-1,0\n0.5,1\n2,1\n3,0.5\n");
  expect_rejected(
      "run --loss logistic --data labels.csv",
      "lrfinder: error: --loss logistic: point 4 of --data labels.csv has y = 0.5; logistic labels "
      "are 0 or 1");
  expect_rejected("run --loss logistic",
                  "lrfinder: error: --loss logistic: point 2 of the seed's data has y = 0.25252525252525254; "
                  "logistic labels are 0 or 1");
  expect_rejected("run --loss l2",
                  "lrfinder: error: --loss: 'l2' is not one of mse, mae, huber[:DELTA], logistic");
  expect_rejected("run --loss huber:-1",
                  "lrfinder: error: --loss: 'huber:-1': DELTA must be a positive finite number");
  expect_rejected("run --loss huber:",
                  "lrfinder: error: --loss: 'huber:': DELTA must be a positive finite number");
  expect_rejected("run --minibatch 0", "lrfinder: error: --minibatch: '0' is not a whole number >= 1");
  expect_rejected("run --minibatch 101",
                  "lrfinder: error: --minibatch 101: more than the 100 points of the seed's data");
  expect_rejected(
      "run --loss mae --arith fma",
      "lrfinder: error: --arith fma: only with --loss mse (the fused form is of the squared error)");
}

TEST_F(Cli, EndLrSetsTheFactorsThatReachIt) {
  ASSERT_EQ(lrfinder("run -q -n 4 --backend serial --end-lr 10 --epochs 100 -o e.h5").code, 0);
  ResultFile f((dir_ / "e.h5").string());
  Batch b;
  f.read(0, 4, b, false);
  EXPECT_EQ(b.factor[0], (10 - 1e-7) / 100);              // linear
  EXPECT_EQ(b.factor[1], std::pow(10 / 1e-7, 1.0 / 100)); // exp
  expect_rejected("run --end-lr 1e-8", "lrfinder: error: --end-lr 1e-08 must be above --base-lr 1e-07");
  expect_rejected("run --end-lr 1 --exp-factors 1.2", "lrfinder: error: --end-lr excludes --exp-factors");
  expect_rejected("run --end-lr 1 --trials-from t.csv", "lrfinder: error: --end-lr excludes --trials-from");
}

TEST_F(Cli, InfoListsBackends) {
  Outcome o = lrfinder("info");
  EXPECT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("backends     serial, cpu"), std::string::npos) << o.out;
  std::string builds;
  for (const CpuIsa &isa : cpu_isas())
    builds += (builds.empty() ? "" : ", ") + std::string(isa.name) + " (" + std::to_string(isa.lanes) +
              " lanes" + (isa.runs_here ? "" : ", not on this CPU") + ")";
  EXPECT_NE(o.out.find("cpu builds   " + builds + "\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(std::string("cpu build    ") + chosen_cpu_isa().name +
                       " (the widest this CPU runs; LRF_CPU_ISA forces one)\n"),
            std::string::npos)
      << o.out;
}

TEST_F(Cli, BadCountsAndNumbers) {
  expect_rejected("run -n abc", "lrfinder: error: --trials: 'abc' is not a whole number >= 1");
  expect_rejected("run -n 0", "lrfinder: error: --trials: '0' is not a whole number >= 1");
  expect_rejected("run -n -5", "lrfinder: error: --trials: '-5' is not a whole number >= 1");
  expect_rejected("run --epochs 0", "lrfinder: error: --epochs: '0' is not a whole number >= 1");
  expect_rejected("run --base-lr 0", "lrfinder: error: --base-lr: '0' is not a number > 0");
  expect_rejected("run --base-lr -1e-3", "lrfinder: error: --base-lr: '-1e-3' is not a number > 0");
  expect_rejected("run --base-lr nan", "lrfinder: error: --base-lr: 'nan' is not a number > 0");
  expect_rejected("run --exp-factors 1", "lrfinder: error: --exp-factors: '1': an exp factor must be > 1");
  expect_rejected("run --exp-factors 1.1,0.9",
                  "lrfinder: error: --exp-factors: '0.9': an exp factor must be > 1");
  expect_rejected("run --linear-factors 0",
                  "lrfinder: error: --linear-factors: '0': a linear factor must be > 0");
  expect_rejected("run --linear-factors x", "lrfinder: error: --linear-factors: 'x' in 'x' is not a number");
  expect_rejected("run --linear-factors 1e-2:1e-3",
                  "lrfinder: error: --linear-factors: range '1e-2:1e-3' must have LO < HI");
  expect_rejected("run --w-min 5 --w-max 5", "lrfinder: error: --w-min 5 must be below --w-max 5");
  expect_rejected("run --w-min 0.1 --w-max -1e-3",
                  "lrfinder: error: --w-min 0.1 must be below --w-max -0.001");
  expect_rejected("run --threads -1", "lrfinder: error: --threads: '-1' is not a whole number >= 0");
  expect_rejected("run --scan sideways", "lrfinder: error: --scan: sideways not in {linear,exp,both}");
  expect_rejected(
      "run --save loss,steps",
      "lrfinder: error: --save: 'steps' in 'loss,steps' is not loss, weight or lr (or none, or stats)");
  expect_rejected("run --precision f16", "lrfinder: error: --precision: 'f16' is not f64 or f32");
  expect_rejected("run --compress gzip",
                  "lrfinder: error: --compress: 'gzip' is not none or deflate:N with N in 1..9");
  expect_rejected("run --compress deflate:0",
                  "lrfinder: error: --compress: 'deflate:0' is not none or deflate:N with N in 1..9");
  expect_rejected("run --shard 3/3", "lrfinder: error: --shard: '3/3' is not K/N with 0 <= K < N");
  expect_rejected("run --shard half", "lrfinder: error: --shard: 'half' is not K/N");
}

TEST_F(Cli, BadDataFiles) {
  expect_rejected("run --data missing.csv",
                  "lrfinder: error: --data missing.csv: cannot open: No such file or directory");
  write("empty.csv", "");
  expect_rejected("run --data empty.csv",
                  "lrfinder: error: --data empty.csv: empty file: expected a header and data rows");
  write("header.csv", "a,b\n1,2\n");
  expect_rejected("run --data header.csv",
                  "lrfinder: error: --data header.csv: line 1: no column 'x' (the header has a, b); to read "
                  "these two as x and y: --columns a,b");
  write("rows.csv", "x,y\n");
  expect_rejected("run --data rows.csv", "lrfinder: error: --data rows.csv: no data rows after the header");
  write("cols.csv", "x,y\n1,2\n3,4,5\n");
  expect_rejected("run --data cols.csv",
                  "lrfinder: error: --data cols.csv: line 3: expected 2 columns (x,y), got 3");
  write("nan.csv", "x,y\n1,2\n3,nan\n");
  expect_rejected("run --data nan.csv", "lrfinder: error: --data nan.csv: line 3: y 'nan' is not finite");
  write("word.csv", "x,y\n1,two\n");
  expect_rejected("run --data word.csv", "lrfinder: error: --data word.csv: line 2: y 'two' is not a number");
  write("trials.csv", "start_weight,scan,factor\n1,sideways,2\n");
  expect_rejected("run --trials-from trials.csv",
                  "lrfinder: error: --trials-from trials.csv: line 2: scan 'sideways' is not linear or exp");
  write("trials2.csv", "start_weight,scan,factor\n1,exp,0.5\n");
  expect_rejected(
      "run --trials-from trials2.csv",
      "lrfinder: error: --trials-from trials2.csv: line 2: factor '0.5': an exp factor must be > 1");
  write("bad.h5", std::string("\x89HDF\r\n\x1a\n", 8) + "truncated");
  expect_rejected("run --data bad.h5",
                  "lrfinder: error: --data bad.h5: cannot open as HDF5 (corrupt or truncated?)");
}

TEST_F(Cli, HdfDataOfDifferentLengths) {
  {
    h5::Id f(H5Fcreate((dir_ / "xy.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    for (auto [name, n] : {std::pair{"x", 3}, std::pair{"y", 4}}) {
      hsize_t dims = n;
      std::vector<double> v(n, 1.0);
      h5::Id space(H5Screate_simple(1, &dims, nullptr), H5Sclose);
      h5::Id set(
          H5Dcreate2(f.get(), name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
      H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    }
  }
  expect_rejected("run --data xy.h5", "lrfinder: error: --data xy.h5: /x has 3 values but /y has 4");
}

TEST_F(Cli, BadOutputs) {
  write("taken.h5", "precious");
  expect_rejected("run -o taken.h5",
                  "lrfinder: error: --output taken.h5: exists (use --overwrite to replace it)");
  EXPECT_EQ(slurp(dir_ / "taken.h5"), "precious");
  expect_rejected("run -o nowhere/out.h5",
                  "lrfinder: error: --output nowhere/out.h5: folder 'nowhere' does not exist");
  fs::create_directories(dir_ / "sub");
  expect_rejected("run -o sub", "lrfinder: error: --output sub: is a folder");
  Outcome o = lrfinder("run -n 5 -q -o taken.h5 --overwrite");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(slurp(dir_ / "taken.h5"), "precious");
}

TEST_F(Cli, CudaWithoutAGpu) {
#if defined(LRF_WITH_CUDA)
  // Only meaningful where no GPU is usable; on a GPU machine the cuda backend runs instead.
  Outcome probe = lrfinder("info");
  if (probe.out.find("no usable GPU") == std::string::npos)
    GTEST_SKIP() << "a GPU is usable here";
  Outcome o = lrfinder("run -n 5 --backend cuda");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.rfind("lrfinder: error: --backend cuda: no usable GPU: ", 0), 0u) << o.err;
  EXPECT_EQ(files(), std::vector<std::string>{});
#else
  expect_rejected(
      "run --backend cuda",
      "lrfinder: error: --backend cuda: no usable GPU: this build has no CUDA backend (built without a "
      "CUDA compiler or with -DLRF_CUDA=OFF)");
#endif
}

TEST_F(Cli, InterruptedRunLeavesNothingAndExits130) {
  // A long run in small batches, interrupted once its partial file exists.
  Outcome o = lrfinder_meanwhile("run -q -n 100000000 --batch 2000 -o big.h5", "[ -e .big.h5.partial ]",
                                 "kill -INT $pid");
  EXPECT_EQ(o.code, 130);
  EXPECT_EQ(o.err, "lrfinder: error: interrupted; nothing written\n");
  EXPECT_EQ(files(), std::vector<std::string>{});
}

TEST_F(Cli, UnknownOptionsAndChoices) {
  expect_rejected("run --bogus", "lrfinder: error: The following argument was not expected: --bogus");
  expect_rejected("run --backend gpu", "lrfinder: error: --backend: gpu not in {auto,cuda,cpu,serial}");
}

} // namespace
} // namespace lrf::test
