// Cluster scale without a cluster: shards merge into exactly the unsharded run, merge refuses shards
// that do not belong together, and a stopped or killed run resumes to the same bytes.
#include "cli_util.hpp"
#include "io/layout.hpp"

#include "io/reader.hpp"
#include <functional>

namespace lrf::test {
namespace {

class Shards : public Cli {
protected:
  // Runs `args` again after it was stopped (its partial .run.h5.partial holds some but not all of `total`
  // trials, and `check_partial` has looked at it), expecting it to say it resumes from there and complete.
  // Returns its outcome.
  Outcome resume(const std::string &args, std::int64_t total,
                 const std::function<void(const ResultFile &)> &check_partial = nullptr) {
    std::int64_t done = 0;
    { // closed before the run resumes: an open reader holds HDF5's file lock
      ResultFile partial((dir_ / ".run.h5.partial").string());
      done = partial.trials_done();
      if (check_partial)
        check_partial(partial);
    }
    EXPECT_GT(done, 0);
    EXPECT_LT(done, total);
    Outcome o = lrfinder(args);
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.err.find("lrfinder: resuming .run.h5.partial after " + std::to_string(done) + " of " +
                         std::to_string(total) + " trials"),
              std::string::npos)
        << o.err;
    return o;
  }
};

const char *kRun = "run -q -n 3000 --seed 4 --epochs 300 --linear-factors 1e-4:1e-2 --exp-factors 1.05,1.3";

TEST_F(Shards, MergedShardsEqualTheWholeRunForAnyShardCount) {
  ASSERT_EQ(lrfinder(std::string(kRun) + " -o whole.h5 --batch 1000").code, 0);
  for (int n : {1, 3, 7}) {
    for (int k = 0; k < n; ++k) {
      // Different batch sizes and backends per shard: none of it may show in the bytes.
      std::string args = std::string(kRun) + " --shard " + std::to_string(k) + "/" + std::to_string(n) +
                         " -o part{shard}.h5 --batch " + std::to_string(97 + 50 * k) +
                         (k % 2 ? " --backend serial" : " --backend cpu");
      Outcome o = lrfinder(args);
      ASSERT_EQ(o.code, 0) << args << ": " << o.err;
    }
    std::string parts;
    for (int k = n - 1; k >= 0; --k) // any order
      parts += " part" + std::to_string(k) + ".h5";
    Outcome copy = lrfinder("merge -o copy.h5" + parts);
    ASSERT_EQ(copy.code, 0) << copy.err;
    EXPECT_EQ(copy.out, "lrfinder: merged 3000 trials from " + std::to_string(n) + " shards into copy.h5\n");
    Outcome virt = lrfinder("merge -q --virtual -o virtual.h5" + parts);
    ASSERT_EQ(virt.code, 0) << virt.err;
    expect_same_results(dir_ / "whole.h5", dir_ / "copy.h5");
    expect_same_results(dir_ / "whole.h5", dir_ / "virtual.h5");
    for (int k = 0; k < n; ++k)
      fs::remove(dir_ / ("part" + std::to_string(k) + ".h5"));
    fs::remove(dir_ / "copy.h5");
    fs::remove(dir_ / "virtual.h5");
  }
}

TEST_F(Shards, ShardsStoredAsF32WithLossOnlyMergeToTheSameBytes) {
  const std::string run = std::string(kRun) + " --save loss --precision f32 --compress deflate:1";
  ASSERT_EQ(lrfinder(run + " -o whole.h5").code, 0);
  for (int k = 0; k < 2; ++k)
    ASSERT_EQ(lrfinder(run + " --shard " + std::to_string(k) + "/2 -o part.h5").code, 0);
  Outcome o = lrfinder("merge -q -o merged.h5 part-shard-1-of-2.h5 part-shard-0-of-2.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  expect_same_results(dir_ / "whole.h5", dir_ / "merged.h5");
  ResultFile merged((dir_ / "merged.h5").string());
  EXPECT_EQ(merged.info().storage.save_text(), "loss");
  EXPECT_EQ(merged.info().storage.precision_text(), "f32");
  // Shards of another storage are another run.
  ASSERT_EQ(lrfinder(std::string(kRun) + " --shard 1/2 -o f64.h5").code, 0);
  expect_rejected(
      "merge -o bad.h5 part-shard-0-of-2.h5 f64-shard-1-of-2.h5",
      "lrfinder: error: f64-shard-1-of-2.h5: not a shard of the same run as part-shard-0-of-2.h5 (its "
      "settings differ)");
}

TEST_F(Shards, ASlurmArrayTaskPicksItsShardAndFileName) {
  Outcome o = lrfinder("run -n 10 -o out.h5",
                       "SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("lrfinder: shard 1/3 from the SLURM job array (SLURM_ARRAY_TASK_ID=5)\n"),
            std::string::npos)
      << o.err;
  ResultFile shard((dir_ / "out-shard-1-of-3.h5").string());
  EXPECT_EQ(shard.range().first, 3);
  EXPECT_EQ(shard.range().count, 3);
  EXPECT_EQ(shard.range().total, 10);
  EXPECT_EQ(shard.info().shard, "1/3");
}

TEST_F(Shards, MergeRefusesShardsThatDoNotMakeOneRun) {
  for (int k = 0; k < 3; ++k)
    ASSERT_EQ(lrfinder("run -q -n 30 --shard " + std::to_string(k) + "/3 -o p.h5").code, 0);
  ASSERT_EQ(lrfinder("run -q -n 30 --seed 9 --shard 1/3 -o other.h5").code, 0);
  write("notes.h5", "not HDF5 at all");
  expect_rejected("merge -o all.h5 p-shard-0-of-3.h5 p-shard-2-of-3.h5",
                  "lrfinder: error: trials [10, 20) are missing: no shard holds them");
  expect_rejected("merge -o all.h5 p-shard-0-of-3.h5 p-shard-1-of-3.h5",
                  "lrfinder: error: trials [20, 30) are missing: no shard holds them");
  expect_rejected("merge -o all.h5 p-shard-0-of-3.h5 p-shard-1-of-3.h5 p-shard-1-of-3.h5 p-shard-2-of-3.h5",
                  "lrfinder: error: trials [10, 20) are in both p-shard-1-of-3.h5 and p-shard-1-of-3.h5");
  expect_rejected("merge -o all.h5 p-shard-0-of-3.h5 other-shard-1-of-3.h5 p-shard-2-of-3.h5",
                  "lrfinder: error: other-shard-1-of-3.h5: not a shard of the same run as p-shard-0-of-3.h5 "
                  "(its settings differ)");
  expect_rejected("merge -o all.h5 p-shard-0-of-3.h5 notes.h5",
                  "lrfinder: error: notes.h5: cannot open as HDF5 (missing, corrupt or truncated?)");
  expect_rejected("merge -o all.h5 p-shard-0-of-3.h5 gone.h5",
                  "lrfinder: error: gone.h5: cannot open as HDF5 (missing, corrupt or truncated?)");
  { h5::Id f(H5Fcreate((dir_ / "foreign.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose); }
  expect_rejected("merge -o all.h5 foreign.h5",
                  "lrfinder: error: foreign.h5: not an lrfinder result (no config attribute)");
  // A file cut short, as a copy interrupted half way leaves it.
  fs::copy_file(dir_ / "p-shard-1-of-3.h5", dir_ / "cut.h5");
  fs::resize_file(dir_ / "cut.h5", fs::file_size(dir_ / "cut.h5") / 2);
  Outcome cut = lrfinder("merge -o all.h5 p-shard-0-of-3.h5 cut.h5 p-shard-2-of-3.h5");
  EXPECT_EQ(cut.code, 2);
  EXPECT_EQ(cut.err.rfind("lrfinder: error: cut.h5: ", 0), 0u) << cut.err;
  EXPECT_FALSE(fs::exists(dir_ / "all.h5"));
}

TEST_F(Shards, SigtermCheckpointsAndTheSameCommandResumesToTheSameBytes) {
  const std::string args = "run -n 400000 --batch 2000 --epochs 40 --backend serial -o run.h5";
  ASSERT_EQ(lrfinder("run -q -n 400000 --batch 50000 --epochs 40 -o whole.h5").code, 0);
  Outcome stopped = lrfinder_meanwhile(args, checkpointed(".run.h5.partial", kTwoBatches), "kill -TERM $pid");
  EXPECT_EQ(stopped.code, 75);
  EXPECT_NE(stopped.err.find("run the same command again to continue"), std::string::npos) << stopped.err;
  ASSERT_TRUE(fs::exists(dir_ / ".run.h5.partial"));
  Outcome o = resume(args, 400000);
  EXPECT_NE(o.out.find("lrfinder: 400000 trials on serial"), std::string::npos) << o.out;
  expect_same_results(dir_ / "whole.h5", dir_ / "run.h5");
  EXPECT_FALSE(fs::exists(dir_ / ".run.h5.partial"));
}

TEST_F(Shards, AKilledRunResumesFromItsLastCheckpoint) {
  const std::string args = "run -q -n 400000 --batch 2000 --epochs 40 --backend serial -o run.h5";
  ASSERT_EQ(lrfinder("run -q -n 400000 --batch 30000 --epochs 40 -o whole.h5").code, 0);
  EXPECT_EQ(lrfinder_meanwhile(args, checkpointed(".run.h5.partial", kTwoBatches), "kill -KILL $pid").code,
            128 + 9);
  ASSERT_TRUE(fs::exists(dir_ / ".run.h5.partial"));
  Outcome o = lrfinder(args);
  ASSERT_EQ(o.code, 0) << o.err;
  expect_same_results(dir_ / "whole.h5", dir_ / "run.h5");
}

TEST_F(Shards, APartialFileOfOtherSettingsIsNotResumed) {
  EXPECT_EQ(lrfinder_meanwhile("run -n 400000 --batch 2000 --epochs 40 --backend serial -o run.h5",
                               checkpointed(".run.h5.partial", kTwoBatches), "kill -TERM $pid")
                .code,
            75);
  Outcome o = lrfinder("run -n 50 --epochs 40 -o run.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("lrfinder: discarding .run.h5.partial: it is not a partial run of these settings"),
            std::string::npos)
      << o.err;
  EXPECT_EQ(ResultFile((dir_ / "run.h5").string()).range().count, 50);
}

// ---- statistics-only runs (--save stats) ----

TEST_F(Shards, AStatisticsOnlyFileReportsWhatTheRunWithRowsReports) {
  ASSERT_EQ(lrfinder(std::string(kRun) + " --save none -o rows.h5").code, 0);
  Outcome o = lrfinder(std::string(kRun) + " --save stats -o stats.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(statistics_of("stats.h5"), statistics_of("rows.h5"));
  Outcome text = lrfinder("report stats.h5"), rows = lrfinder("report rows.h5");
  EXPECT_EQ(text.out.substr(text.out.find('\n')), rows.out.substr(rows.out.find('\n')));
  ResultFile f((dir_ / "stats.h5").string());
  EXPECT_EQ(f.info().storage.save_text(), "stats");
  EXPECT_EQ(f.trials_done(), 3000);
}

TEST_F(Shards, StatisticsOnlyShardsMergeToTheWholeRunsStatistics) {
  const std::string run = std::string(kRun) + " --save stats";
  ASSERT_EQ(lrfinder(run + " -o whole.h5").code, 0);
  for (int k = 0; k < 3; ++k)
    ASSERT_EQ(lrfinder(run + " --shard " + std::to_string(k) + "/3 -o part.h5 --batch " +
                       std::to_string(101 + 300 * k) + (k == 1 ? " --backend serial" : ""))
                  .code,
              0);
  Outcome o = lrfinder("merge -o merged.h5 part-shard-2-of-3.h5 part-shard-0-of-3.h5 part-shard-1-of-3.h5");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "lrfinder: merged 3000 trials from 3 shards into merged.h5\n");
  EXPECT_EQ(statistics_of("merged.h5"), statistics_of("whole.h5"));
  expect_rejected("merge --virtual -o v.h5 part-shard-0-of-3.h5 part-shard-1-of-3.h5 part-shard-2-of-3.h5",
                  "lrfinder: error: --virtual: the shards are statistics-only (--save stats) and hold no "
                  "datasets to map; merge them without --virtual");
  ASSERT_EQ(lrfinder(std::string(kRun) + " --save none --shard 1/3 -o rows.h5").code, 0);
  expect_rejected(
      "merge -o mixed.h5 part-shard-0-of-3.h5 rows-shard-1-of-3.h5 part-shard-2-of-3.h5",
      "lrfinder: error: rows-shard-1-of-3.h5: not a shard of the same run as part-shard-0-of-3.h5 "
      "(its settings differ)");
}

TEST_F(Shards, AStoppedStatisticsOnlyRunResumesToTheSameStatistics) {
  const std::string args = "run -n 400000 --batch 2000 --epochs 40 --backend serial --save stats -o run.h5";
  ASSERT_EQ(lrfinder("run -q -n 400000 --epochs 40 --save stats -o whole.h5").code, 0);
  // Stopped once it has written a checkpoint: the partial file grows at each (its attributes are rewritten,
  // and the file never reuses space), from the size it first had.
  const std::string size = "$(stat -c %s .run.h5.partial)";
  const std::string grew = "[ -s .run.h5.partial ] && { [ -n \"$first\" ] || first=" + size + "; [ " + size +
                           " -gt \"$first\" ]; }";
  Outcome stopped = lrfinder_meanwhile(args, grew, "kill -TERM $pid");
  EXPECT_EQ(stopped.code, 75) << stopped.err;
  resume(args, 400000,
         [](const ResultFile &partial) { EXPECT_EQ(partial.summary().trials, partial.trials_done()); });
  EXPECT_EQ(statistics_of("run.h5"), statistics_of("whole.h5"));
}

} // namespace
} // namespace lrf::test
