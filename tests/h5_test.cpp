// The HDF5 file: written batch by batch, read back with the HDF5 API, equal byte for byte to what the
// backend produced; complete under its final name or not there at all.
#include "io/reader.hpp"
#include "io/stats.hpp"
#include "io/writer.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace lrf::test {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string &name) {
  fs::path dir = fs::temp_directory_path() / ("lrf_h5_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path p = dir / name;
  fs::remove(p);
  return p;
}

template <class T> std::vector<T> read_all(hid_t file, const char *name, hid_t mem_type, std::size_t n) {
  std::vector<T> v(n);
  h5::Id set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  EXPECT_TRUE(set) << name;
  EXPECT_GE(H5Dread(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0) << name;
  return v;
}

std::string read_string_attr(hid_t file, const char *name) {
  h5::Id attr(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
  h5::Id type(H5Aget_type(attr.get()), H5Tclose);
  char *text = nullptr;
  H5Aread(attr.get(), type.get(), &text);
  std::string s = text ? text : "";
  H5free_memory(text);
  return s;
}

TEST(H5Output, RoundTripEqualsTheBackendsBytes) {
  Problem p = seed_problem(200);
  PlanOptions o;
  o.trials = 1234;
  o.seed = 11;
  Plan plan(o);
  auto cpu = make_cpu_backend(2);
  MemorySink want = run_all(p, plan, *cpu);

  fs::path path = scratch("round_trip.h5");
  OutputInfo info;
  info.seed = 11;
  info.backend = "cpu";
  info.device = "test device";
  info.command_line = "lrfinder run -n 1234";
  {
    H5Writer writer(path.string(), p, plan.size(), info);
    RunControl control;
    control.batch = 100; // batch edges fall inside HDF5 chunks
    run_trials(p, plan, *cpu, writer, control);
    EXPECT_FALSE(fs::exists(path)) << "the final name appears only on commit";
    EXPECT_TRUE(fs::exists(writer.partial_path()));
    writer.commit();
  }
  ASSERT_TRUE(fs::exists(path));
  h5::Id file = h5::open_read(path.string());
  ASSERT_TRUE(file);
  const std::size_t n = 1234, cells = n * 201;
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/loss", H5T_NATIVE_DOUBLE, cells), want.loss));
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/weight", H5T_NATIVE_DOUBLE, cells), want.weight));
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/lr", H5T_NATIVE_DOUBLE, cells), want.lr));
  EXPECT_TRUE(
      same_bytes(read_all<std::int32_t>(file.get(), "/trials/steps", H5T_NATIVE_INT32, n), want.steps));
  EXPECT_TRUE(same_bytes(read_all<Status>(file.get(), "/trials/status", H5T_NATIVE_UINT8, n), want.status));
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/trials/suggested_lr", H5T_NATIVE_DOUBLE, n),
                         want.suggested_lr));
  Batch plan_batch;
  plan.fill(0, plan.size(), plan_batch);
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/trials/start_weight", H5T_NATIVE_DOUBLE, n),
                         plan_batch.start_weight));
  EXPECT_TRUE(same_bytes(read_all<Scan>(file.get(), "/trials/scan", H5T_NATIVE_UINT8, n), plan_batch.scan));
  EXPECT_TRUE(
      same_bytes(read_all<double>(file.get(), "/trials/factor", H5T_NATIVE_DOUBLE, n), plan_batch.factor));
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/data/x", H5T_NATIVE_DOUBLE, 100), p.x));
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/data/y", H5T_NATIVE_DOUBLE, 100), p.y));
  EXPECT_EQ(read_string_attr(file.get(), "backend"), "cpu");
  EXPECT_EQ(read_string_attr(file.get(), "command_line"), "lrfinder run -n 1234");
  std::int32_t epochs = 0;
  h5::Id attr(H5Aopen(file.get(), "epochs", H5P_DEFAULT), H5Aclose);
  H5Aread(attr.get(), H5T_NATIVE_INT32, &epochs);
  EXPECT_EQ(epochs, 200);
}

TEST(H5Output, TrajectoriesTakeSpaceOnlyForTheStepsTaken) {
  // 600 epochs, but every trial of the seed's workload diverges within 200 steps: the chunks of the
  // columns past the longest trial are never written, read back as NaN, and take no space.
  Problem p = seed_problem(600);
  PlanOptions o;
  o.trials = 3000;
  Plan plan(o);
  fs::path path = scratch("proportional.h5");
  auto cpu = make_cpu_backend(2);
  MemorySink want = run_all(p, plan, *cpu);
  {
    H5Writer writer(path.string(), p, plan.size(), OutputInfo{});
    run_trials(p, plan, *cpu, writer);
    writer.commit();
  }
  const std::int32_t longest = *std::max_element(want.steps.begin(), want.steps.end());
  ASSERT_LT(longest, 200);
  h5::Id file = h5::open_read(path.string());
  h5::Id loss(H5Dopen2(file.get(), "/loss", H5P_DEFAULT), H5Dclose);
  h5::Id dcpl(H5Dget_create_plist(loss.get()), H5Pclose);
  hsize_t chunk[2] = {};
  ASSERT_EQ(H5Pget_chunk(dcpl.get(), 2, chunk), 2);
  auto chunks = [](hsize_t n, hsize_t size) { return (n + size - 1) / size; };
  const hsize_t stored = chunks(3000, chunk[0]) * chunks(longest + 1, chunk[1]) * chunk[0] * chunk[1] * 8;
  EXPECT_EQ(H5Dget_storage_size(loss.get()), stored) << "only the chunks of columns 0.." << longest;
  EXPECT_LT(stored, chunks(3000, chunk[0]) * chunks(601, chunk[1]) * chunk[0] * chunk[1] * 8 / 2);
  EXPECT_TRUE(same_bytes(read_all<double>(file.get(), "/loss", H5T_NATIVE_DOUBLE, 3000 * 601), want.loss));
}

TEST(H5Output, F32StorageRoundsEachValueOnce) {
  Problem p = seed_problem(100);
  PlanOptions o;
  o.trials = 50;
  Plan plan(o);
  auto serial = make_serial_backend();
  MemorySink want = run_all(p, plan, *serial);
  fs::path path = scratch("f32.h5");
  OutputInfo info;
  ASSERT_EQ(parse_save("loss", info.storage) + parse_precision("f32", info.storage) +
                parse_compress("deflate:2", info.storage),
            "");
  {
    H5Writer writer(path.string(), p, plan.size(), info);
    run_trials(p, plan, *serial, writer);
    writer.commit();
  }
  h5::Id file = h5::open_read(path.string());
  EXPECT_FALSE(h5::exists(file.get(), "/weight"));
  EXPECT_FALSE(h5::exists(file.get(), "/lr"));
  std::vector<float> expected(want.loss.begin(), want.loss.end());
  EXPECT_TRUE(same_bytes(read_all<float>(file.get(), "/loss", H5T_NATIVE_FLOAT, expected.size()), expected));
}

TEST(H5Output, AnUnfinishedFileLeavesNothingBehind) {
  Problem p = seed_problem(10);
  fs::path path = scratch("unfinished.h5");
  std::string temp;
  {
    H5Writer writer(path.string(), p, 10, OutputInfo{});
    temp = writer.partial_path();
    EXPECT_TRUE(fs::exists(temp));
  } // no commit: as when a run fails or is interrupted
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(path));
}

TEST(H5Output, CommitReplacesAnOldFileWhole) {
  Problem p = seed_problem(10);
  fs::path path = scratch("replaced.h5");
  std::ofstream(path) << "old contents";
  H5Writer writer(path.string(), p, TrialRange{0, 3, 3}, OutputInfo{}, WriteOptions{false, true, 0});
  PlanOptions o;
  o.trials = 3;
  auto serial = make_serial_backend();
  run_trials(p, Plan(o), *serial, writer);
  EXPECT_EQ(fs::file_size(path), 12u) << "the old file stays until the new one is complete";
  writer.commit();
  EXPECT_TRUE(h5::open_read(path.string()));
}

TEST(H5Output, WithoutOverwriteAFileThatAppearedMeanwhileStays) {
  Problem p = seed_problem(10);
  fs::path path = scratch("appeared.h5");
  H5Writer writer(path.string(), p, 3, OutputInfo{});
  PlanOptions o;
  o.trials = 3;
  auto serial = make_serial_backend();
  run_trials(p, Plan(o), *serial, writer);
  std::ofstream(path) << "someone else's";
  try {
    writer.commit();
    ADD_FAILURE() << "commit replaced a file that appeared meanwhile";
  } catch (const RunError &e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path.string() + ": " + path.string() +
                                         " appeared while the run went on (use --overwrite to replace it); "
                                         "the complete result stays in " +
                                         writer.partial_path());
  }
  EXPECT_EQ(fs::file_size(path), 14u);
  EXPECT_TRUE(h5::open_read(writer.partial_path()));
}

// --save stats: a file of the statistics alone. Its checkpoints go in turn to /stats and /stats.next, each
// recording its trials, so that a run stopped between batches resumes from the last one that reads back,
// whatever happened to the other; when complete the file holds /stats alone, the whole run's statistics.
TEST(H5Output, StatisticsOnlyFilesCheckpointInTurnAndResumeFromTheLastThatReadsBack) {
  Problem p = seed_problem(60);
  const Plan plan(mixed(3000, 5));
  auto serial = make_serial_backend();
  OutputInfo info;
  info.config = "a statistics-only run";
  parse_save("stats", info.storage);
  const WriteOptions resume{true, false, 0};
  RunControl control;
  control.batch = 500;
  auto run_part = [&](const fs::path &path, std::int64_t begin, std::int64_t end, bool complete) {
    H5Writer writer(path.string(), p, TrialRange{0, 3000, 3000}, info, resume);
    EXPECT_EQ(writer.done(), begin) << writer.resume_note();
    RunControl part = control;
    part.begin = begin;
    part.end = end;
    const Summary s = run_trials(p, plan, *serial, writer, part).summary;
    EXPECT_EQ(s.trials, end - begin);
    if (complete)
      writer.commit();
    else
      writer.keep(); // as a stopped run leaves it
    return writer.partial_path();
  };
  const fs::path whole = scratch("stats_whole.h5");
  run_part(whole, 0, 3000, true);
  const Summary want = ResultFile(whole.string()).summary();
  EXPECT_EQ(want.trials, 3000);
  {
    h5::Id f = h5::open_read(whole.string());
    EXPECT_TRUE(h5::exists(f.get(), "/stats/histogram"));
    EXPECT_FALSE(h5::exists(f.get(), "/stats.next"));
    EXPECT_FALSE(h5::exists(f.get(), "/trials"));
    EXPECT_STREQ(stats_group_of(f.get(), 3000), kStatsGroup);
  }
  try {
    Batch b;
    ResultFile(whole.string()).read(0, 1, b, false);
    ADD_FAILURE() << "read rows of a statistics-only file";
  } catch (const InputError &e) {
    EXPECT_EQ(std::string(e.what()),
              whole.string() + ": a statistics-only file (--save stats) holds no per-trial rows");
  }
  // Three batches: /stats.next holds 1500 trials, /stats 1000. The older one damaged as a kill while
  // rewriting it leaves it (a chunk that fails its checksum), the run resumes, and rewrites it anew.
  const fs::path stopped = scratch("stats_stopped.h5");
  const std::string partial = run_part(stopped, 0, 1500, false);
  haddr_t address = 0;
  {
    h5::Id f = h5::open_read(partial);
    ASSERT_TRUE(f);
    EXPECT_STREQ(stats_group_of(f.get(), 1500), kStatsNext);
    EXPECT_STREQ(stats_group_of(f.get(), 1000), kStatsGroup);
    h5::Id set(H5Dopen2(f.get(), "/stats/histogram", H5P_DEFAULT), H5Dclose);
    h5::Id space(H5Dget_space(set.get()), H5Sclose);
    hsize_t offset[1] = {0}, size = 0;
    unsigned mask = 0;
    ASSERT_GE(H5Dget_chunk_info(set.get(), space.get(), 0, offset, &mask, &address, &size), 0);
  }
  {
    std::fstream file(partial, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(address) + 5);
    file.write("damaged", 7);
  }
  EXPECT_TRUE(ResultFile(partial).summary().trials == 1500);
  run_part(stopped, 1500, 3000, true);
  EXPECT_TRUE(ResultFile(stopped.string()).summary() == want);
  // The last checkpoint's group damaged: nothing of it is trusted, and the run starts afresh.
  const fs::path damaged = scratch("stats_damaged.h5");
  const std::string partial2 = run_part(damaged, 0, 1500, false);
  {
    h5::Id f(H5Fopen(partial2.c_str(), H5F_ACC_RDWR, h5::file_access().get()), H5Fclose);
    ASSERT_GE(H5Ldelete(f.get(), "/stats.next/histogram", H5P_DEFAULT), 0);
  }
  {
    H5Writer writer(damaged.string(), p, TrialRange{0, 3000, 3000}, info, resume);
    EXPECT_EQ(writer.done(), 0);
    EXPECT_EQ(writer.resume_note(),
              "discarding " + partial2 + ": /stats.next: no table histogram (damaged?)");
    run_trials(p, plan, *serial, writer, control);
    writer.commit();
  }
  EXPECT_TRUE(ResultFile(damaged.string()).summary() == want);
}

} // namespace
} // namespace lrf::test
