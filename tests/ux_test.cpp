// What a newcomer meets first: help without a subcommand, `lrfinder help`, examples, help that fits the
// terminal, the summary in 100 columns (or --wide), `run --json`, and progress in a terminal that starts
// with the header line and is redrawn from inside a batch.
#include "cli_util.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace lrf::test {
namespace {

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::size_t widest(const std::string &text) {
  std::size_t w = 0;
  for (const std::string &line : lines_of(text))
    w = std::max(w, line.size());
  return w;
}

TEST_F(Cli, AloneAndHelpListTheSubcommandsWithExamples) {
  const Outcome alone = lrfinder(""), help = lrfinder("help");
  EXPECT_EQ(alone.code, 0) << alone.err;
  EXPECT_EQ(help.code, 0) << help.err;
  EXPECT_EQ(alone.out, help.out);
  EXPECT_EQ(alone.err, "");
  for (const char *part : {"\n  run ", "\n  info ", "\n  report ", "\n  merge ", "\n  truth ", "\n  help ",
                           "Examples:\n  lrfinder run ", "\n  lrfinder help run "})
    EXPECT_NE(help.out.find(part), std::string::npos) << part << "\n" << help.out;
  EXPECT_LE(widest(help.out), 100u) << help.out;
}

TEST_F(Cli, HelpOfASubcommandIsItsHelp) {
  const Outcome help = lrfinder("help run"), flag = lrfinder("run --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out, flag.out);
  // The option's form, then its description, default and exclusions in words; every line in 100 columns.
  EXPECT_NE(help.out.find("  -n,--trials N>=1                number of trials (default 4096; not with "
                          "--trials-from)\n"),
            std::string::npos)
      << help.out;
  EXPECT_NE(help.out.find("Examples:\n  lrfinder run -n 100000 -o big.h5 --plot\n"), std::string::npos);
  EXPECT_LE(widest(help.out), 100u) << help.out;
  const Outcome unknown = lrfinder("help sideways");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(unknown.err.rfind("lrfinder: error: subcommand: sideways not in {", 0), 0u) << unknown.err;
}

TEST_F(Cli, SummaryFitsAHundredColumnsAndWideShowsEveryColumn) {
  const Outcome narrow = lrfinder("run -n 400 --exp-factors 1.05:1.3 -o a.h5");
  ASSERT_EQ(narrow.code, 0) << narrow.err;
  EXPECT_LE(widest(narrow.out), 100u) << narrow.out;
  EXPECT_NE(narrow.out.find("  rule / group          answered    median 95% CI of median       IQR [25%, 75%]"
                            "         median/lr*\n"),
            std::string::npos)
      << narrow.out;
  const Outcome wide = lrfinder("report --wide a.h5");
  ASSERT_EQ(wide.code, 0) << wide.err;
  EXPECT_NE(wide.out.find("trials  answered    median 95% CI of median       IQR [25%, 75%]         [5%, "
                          "95%]               geo mean median/lr*\n"),
            std::string::npos)
      << wide.out;
}

TEST_F(Cli, RunJsonIsTheReportsObjectWithWhatRanWhere) {
  const Outcome run = lrfinder("run -n 64 --json --backend cpu -o a.h5");
  ASSERT_EQ(run.code, 0) << run.err;
  const Outcome report = lrfinder("report --json a.h5");
  ASSERT_EQ(run.out.rfind("{\n  \"output\": \"a.h5\",\n  \"backend\": \"cpu\",\n  \"device\": ", 0), 0u)
      << run.out;
  for (const char *member :
       {"\n  \"loss\": \"mse\",\n", "\n  \"trials_run\": 64,\n", "\"trials_per_second\": "})
    EXPECT_NE(run.out.find(member), std::string::npos) << member << "\n" << run.out;
  // After what ran where: the report's object, member for member (it names the file first).
  const std::string statistics = report.out.substr(report.out.find("\n  \"suggest\""));
  EXPECT_EQ(run.out.substr(run.out.find("\n  \"suggest\"")), statistics);
}

TEST_F(Cli, ProgressInATerminalStartsWithTheHeaderAndMovesWithinABatch) {
  // script(1) gives the run a terminal: one batch of 600000 trials, seconds on any machine here.
  const std::string cmd = "cd '" + dir_.string() +
                          "' && script -qec \"'" LRF_BINARY
                          "' run -n 600000 --batch 600000 --save none --epochs 300 --backend cpu -o b.h5\" "
                          "/dev/null > tty.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string tty = slurp(dir_ / "tty.txt");
  const auto header = tty.find("lrfinder: 600000 trials on cpu");
  const auto progress = tty.find(" trials (");
  ASSERT_NE(header, std::string::npos) << tty;
  ASSERT_NE(progress, std::string::npos) << tty;
  EXPECT_LT(header, progress) << tty;
  // A count inside the one batch: neither 0 nor every trial.
  bool inside = false;
  for (std::size_t at = tty.find('\r'); at != std::string::npos; at = tty.find('\r', at + 1)) {
    const long long done = std::atoll(tty.c_str() + at + 1);
    inside = inside || (done > 0 && done < 600000);
  }
  EXPECT_TRUE(inside) << tty;
}

} // namespace
} // namespace lrf::test
