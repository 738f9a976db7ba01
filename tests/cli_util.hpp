// Running the lrfinder binary as a user would, in a scratch folder of its own, for the CLI tests.
#pragma once

#include "io/h5.hpp"
#include "io/layout.hpp"
#include "io/reader.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace lrf::test {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out, err;
};

inline std::string slurp(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// More than two batches of 2000 trials of 40 epochs (about 1.2 kB a trial): the runs the resume tests stop.
constexpr long kTwoBatches = 8'000'000;

class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lrf_cli_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs lrfinder in the scratch folder, with `env` (e.g. "A=1 B=2") added to its environment.
  Outcome lrfinder(const std::string &args, const std::string &env = "") {
    std::string cmd =
        "cd '" + dir_.string() + "' && " + env + " '" LRF_BINARY "' " + args + " >stdout.txt 2>stderr.txt";
    int status = std::system(cmd.c_str());
    Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "stdout.txt"),
              slurp(dir_ / "stderr.txt")};
    fs::remove(dir_ / "stdout.txt");
    fs::remove(dir_ / "stderr.txt");
    return o;
  }
  // Runs lrfinder in the background; once the shell test `until` holds (tried every 20 ms, 30 s at most),
  // runs the shell command `then` ($pid is lrfinder's), and returns how lrfinder ended.
  // The shell test that the partial file NAME holds a checkpoint: it is larger than `bytes`, chosen as
  // more than two batches of the run (a batch is written only once the one before is checkpointed). It is
  // not opened: HDF5 refuses a file its superblock marks as open for writing.
  static std::string checkpointed(const std::string &name, long bytes) {
    return "[ \"$(stat -c %s " + name + " 2>/dev/null || echo 0)\" -gt " + std::to_string(bytes) + " ]";
  }
  Outcome lrfinder_meanwhile(const std::string &args, const std::string &until, const std::string &then) {
    std::string cmd = "cd '" + dir_.string() + "' && ('" LRF_BINARY "' " + args +
                      " >stdout.txt 2>stderr.txt & pid=$!; for i in $(seq 1500); do " + until +
                      " && break; sleep 0.02; done; " + then + "; wait $pid; echo $? >code.txt)";
    const bool ran = std::system(cmd.c_str()) == 0;
    Outcome o{ran ? std::stoi(slurp(dir_ / "code.txt")) : -1, slurp(dir_ / "stdout.txt"),
              slurp(dir_ / "stderr.txt")};
    for (const char *name : {"code.txt", "stdout.txt", "stderr.txt"})
      fs::remove(dir_ / name);
    return o;
  }
  void write(const std::string &name, const std::string &text) { std::ofstream(dir_ / name) << text; }
  // Every file in the scratch folder, hidden temporaries included.
  std::vector<std::string> files() {
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  // A bad input: exit 2, exactly `line` on stderr, nothing on stdout, no file made or changed.
  void expect_rejected(const std::string &args, const std::string &line) {
    auto before = files();
    Outcome o = lrfinder(args);
    EXPECT_EQ(o.code, 2) << args;
    EXPECT_EQ(o.err, line + "\n") << args;
    EXPECT_EQ(o.out, "") << args;
    EXPECT_EQ(files(), before) << args;
  }
  // `lrfinder report --json FILE` (the statistics), the file's name taken out.
  std::string statistics_of(const std::string &file) {
    Outcome o = lrfinder("report --json " + file);
    EXPECT_EQ(o.code, 0) << o.err;
    for (std::size_t at; (at = o.out.find(file)) != std::string::npos;)
      o.out.replace(at, file.size(), "FILE");
    return o.out;
  }

  fs::path dir_;
};

// Every per-trial dataset of two result files, byte for byte, and their configs.
inline void expect_same_results(const fs::path &a_path, const fs::path &b_path) {
  ResultFile a(a_path.string()), b(b_path.string());
  ASSERT_EQ(a.range().count, b.range().count);
  EXPECT_EQ(a.info().config, b.info().config);
  EXPECT_EQ(b.trials_done(), b.range().count);
  Batch x, y;
  a.read(0, a.range().count, x, true);
  b.read(0, b.range().count, y, true);
  for (Column &c : result_columns(a.info().storage)) {
    const std::size_t bytes = (c.per_step ? x.loss.size() : x.start_weight.size()) * H5Tget_size(c.mem_type);
    EXPECT_EQ(std::memcmp(column_data(c, x), column_data(c, y), bytes), 0)
        << c.path << ": " << a_path << " vs " << b_path;
  }
}

} // namespace lrf::test
