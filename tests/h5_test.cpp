// The HDF5 file: written batch by batch, read back with the HDF5 API, equal byte for byte to what the
// backend produced; complete under its final name or not there at all.
#include "cli_util.hpp"
#include "io/reader.hpp"
#include "io/stats.hpp"
#include "io/writer.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

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

// What a file of layout version 2 says of itself, held to HDF5's own dimension scale API (H5DS, which
// lrfinder does not link): the scales trial (first .. first + count - 1, also linked in /trials and
// /trials/suggest), step (0 .. epochs) and point on every array, a description and units on each, NaN as
// the fill value, scan and status as named enum types.
void expect_described(const fs::path &path, std::int64_t first, std::int64_t count, std::int32_t epochs,
                      const Storage &storage = Storage{}) {
  h5::Id file = h5::open_read(path.string());
  ASSERT_TRUE(file) << path;
  const hid_t f = file.get();
  std::int64_t version = 0;
  EXPECT_TRUE(h5::read_attr(f, "layout_version", version)) << path;
  EXPECT_EQ(version, 2) << path;
  auto scale = [&](const char *name, std::int64_t from, std::int64_t n) {
    h5::Id set(H5Dopen2(f, name, H5P_DEFAULT), H5Dclose);
    EXPECT_GT(H5DSis_scale(set.get()), 0) << name;
    char label[16] = {};
    EXPECT_EQ(H5DSget_scale_name(set.get(), label, sizeof label),
              static_cast<ssize_t>(std::strlen(name + 1)));
    EXPECT_STREQ(label, name + 1);
    std::vector<std::int64_t> want(static_cast<std::size_t>(n));
    std::iota(want.begin(), want.end(), from);
    EXPECT_EQ(read_all<std::int64_t>(f, name, H5T_NATIVE_INT64, want.size()), want) << name;
    EXPECT_EQ(read_string_attr(set.get(), "units"), "") << name;
    EXPECT_FALSE(read_string_attr(set.get(), "description").empty()) << name;
    return set;
  };
  const h5::Id trial = scale("/trial", first, count), step = scale("/step", 0, epochs + 1);
  const h5::Id point = scale("/point", 0, 100);
  hobj_ref_t at_root = 0, in_trials = 1, in_suggest = 2;
  H5Rcreate(&at_root, f, "/trial", H5R_OBJECT, -1);
  H5Rcreate(&in_trials, f, "/trials/trial", H5R_OBJECT, -1);
  H5Rcreate(&in_suggest, f, "/trials/suggest/trial", H5R_OBJECT, -1);
  EXPECT_EQ(in_trials, at_root) << "/trials/trial is /trial";
  EXPECT_EQ(in_suggest, at_root) << "/trials/suggest/trial is /trial";
  for (const char *name : {"/data/x", "/data/y"}) {
    h5::Id set(H5Dopen2(f, name, H5P_DEFAULT), H5Dclose);
    EXPECT_EQ(H5DSget_num_scales(set.get(), 0), 1) << name;
    EXPECT_GT(H5DSis_attached(set.get(), point.get(), 0), 0) << name;
    EXPECT_EQ(read_string_attr(set.get(), "units"), "1") << name;
  }
  using F = Column::Field;
  for (const Column &c : result_columns(storage)) {
    h5::Id set(H5Dopen2(f, c.path.c_str(), H5P_DEFAULT), H5Dclose);
    ASSERT_TRUE(set) << c.path;
    EXPECT_EQ(H5DSget_num_scales(set.get(), 0), 1) << c.path;
    EXPECT_GT(H5DSis_attached(set.get(), trial.get(), 0), 0) << c.path;
    if (c.per_step) {
      EXPECT_EQ(H5DSget_num_scales(set.get(), 1), 1) << c.path;
      EXPECT_GT(H5DSis_attached(set.get(), step.get(), 1), 0) << c.path;
    }
    const bool code = c.field == F::scan || c.field == F::steps || c.field == F::status;
    EXPECT_EQ(read_string_attr(set.get(), "units"), code ? "" : "1") << c.path;
    EXPECT_FALSE(read_string_attr(set.get(), "description").empty()) << c.path;
    h5::Id type(H5Dget_type(set.get()), H5Tclose);
    if (H5Tget_class(type.get()) == H5T_FLOAT) {
      h5::Id dcpl(H5Dget_create_plist(set.get()), H5Pclose);
      double fill = 0;
      EXPECT_GE(H5Pget_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &fill), 0);
      EXPECT_TRUE(std::isnan(fill)) << c.path;
    }
    if (c.per_step) { // netCDF's _FillValue, of the variable's own type
      h5::Id attr(H5Aopen(set.get(), "_FillValue", H5P_DEFAULT), H5Aclose);
      h5::Id attr_type(H5Aget_type(attr.get()), H5Tclose);
      EXPECT_GT(H5Tequal(attr_type.get(), type.get()), 0) << c.path;
      double fill = 0;
      EXPECT_GE(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &fill), 0);
      EXPECT_TRUE(std::isnan(fill)) << c.path;
    }
  }
  if (storage.loss) {
    h5::Id loss(H5Dopen2(f, "/loss", H5P_DEFAULT), H5Dclose);
    EXPECT_EQ(
        read_string_attr(loss.get(), "description"),
        "loss (root attribute loss) after `step` updates (step 0: at start_weight); NaN past the trial's "
        "end (step > /trials/steps)");
  }
  const std::pair<const char *, std::vector<std::string>> enums[] = {
      {"scan", {"linear", "exp"}}, {"status", {"diverged", "completed", "stalled", "rose"}}};
  for (const auto &[name, members] : enums) {
    h5::Id set(H5Dopen2(f, ("/trials/" + std::string(name)).c_str(), H5P_DEFAULT), H5Dclose);
    h5::Id type(H5Dget_type(set.get()), H5Tclose);
    h5::Id named(H5Topen2(f, ("/" + std::string(name) + "_t").c_str(), H5P_DEFAULT), H5Tclose);
    ASSERT_TRUE(named) << name;
    EXPECT_EQ(H5Tget_class(type.get()), H5T_ENUM) << name;
    EXPECT_GT(H5Tcommitted(type.get()), 0) << name;
    EXPECT_GT(H5Tequal(type.get(), named.get()), 0) << name;
    h5::Id base(H5Tget_super(type.get()), H5Tclose);
    EXPECT_GT(H5Tequal(base.get(), H5T_STD_U8LE), 0) << name;
    ASSERT_EQ(H5Tget_nmembers(type.get()), static_cast<int>(members.size())) << name;
    for (unsigned i = 0; i < members.size(); ++i) {
      char *member = H5Tget_member_name(type.get(), i);
      EXPECT_EQ(std::string(member ? member : ""), members[i]) << name;
      H5free_memory(member);
      std::uint8_t value = 0xff;
      EXPECT_GE(H5Tget_member_value(type.get(), i, &value), 0);
      EXPECT_EQ(value, i) << name << " " << members[i];
    }
  }
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
  expect_described(path, 0, 1234, 200);
}

// A shard stopped and resumed: its trial coordinate is the run's index of each row, and the resumed file
// describes itself as a file written in one go does. A partial file of another layout is not resumed.
TEST(H5Output, AResumedShardDescribesItselfWithTheRunsTrialIndices) {
  Problem p = seed_problem(80);
  const Plan plan(mixed(1500, 5));
  auto cpu = make_cpu_backend(2);
  const MemorySink want = run_all(p, plan, *cpu);
  OutputInfo info;
  info.config = "a sharded run";
  const TrialRange shard{400, 600, 1500};
  const WriteOptions resume{true, false, 0};
  RunControl control;
  control.batch = 128;
  // Trials 400..700 of the shard into `file`, stopped there: its partial file.
  auto stopped_at_700 = [&](const fs::path &file) {
    H5Writer writer(file.string(), p, shard, info, resume);
    RunControl part = control;
    part.begin = 400;
    part.end = 700;
    run_trials(p, plan, *cpu, writer, part);
    writer.keep();
    return writer.partial_path();
  };
  const fs::path path = scratch("resumed_shard.h5");
  std::string partial = stopped_at_700(path);
  {
    H5Writer writer(path.string(), p, shard, info, resume);
    EXPECT_EQ(writer.done(), 300) << writer.resume_note();
    RunControl part = control;
    part.begin = 700;
    part.end = 1000;
    run_trials(p, plan, *cpu, writer, part);
    writer.commit();
  }
  expect_described(path, 400, 600, 80);
  const ResultFile file(path.string());
  EXPECT_EQ(file.layout_version(), 2);
  Batch b;
  file.read(0, 600, b, true);
  const std::size_t row = 81;
  EXPECT_EQ(std::memcmp(b.loss.data(), want.loss.data() + 400 * row, 600 * row * sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(b.status.data(), want.status.data() + 400, 600), 0);

  const fs::path older = scratch("older_partial.h5");
  partial = stopped_at_700(older);
  {
    h5::Id f(H5Fopen(partial.c_str(), H5F_ACC_RDWR, h5::file_access().get()), H5Fclose);
    h5::write_attr(f.get(), "layout_version", std::int64_t{1});
  }
  H5Writer writer(older.string(), p, shard, info, resume);
  EXPECT_EQ(writer.done(), 0);
  EXPECT_EQ(writer.resume_note(),
            "discarding " + partial + ": it is of layout version 1, this lrfinder writes 2");
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

class Described : public Cli {
protected:
  // The file as an lrfinder before layout version 2 wrote it: scan and status plain bytes, no
  // layout_version (the scales it did not have either stay: no reader looks at them).
  void make_version_1(const std::string &name) {
    h5::Id f(H5Fopen((dir_ / name).c_str(), H5F_ACC_RDWR, h5::file_access().get()), H5Fclose);
    ASSERT_TRUE(f) << name;
    ASSERT_GE(H5Adelete(f.get(), "layout_version"), 0);
    for (const char *path : {"/trials/scan", "/trials/status"}) {
      std::vector<std::uint8_t> codes;
      {
        h5::Id set(H5Dopen2(f.get(), path, H5P_DEFAULT), H5Dclose);
        h5::Id type(H5Dget_type(set.get()), H5Tclose);
        h5::Id space(H5Dget_space(set.get()), H5Sclose);
        codes.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
        ASSERT_GE(H5Dread(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, codes.data()), 0);
      }
      ASSERT_GE(H5Ldelete(f.get(), path, H5P_DEFAULT), 0);
      const hsize_t n = codes.size();
      h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      h5::Id set(H5Dcreate2(f.get(), path, H5T_STD_U8LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
      ASSERT_GE(H5Dwrite(set.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes.data()), 0);
    }
  }
};

const char *kDescribed =
    "run -q -n 600 --seed 4 --epochs 60 --linear-factors 1e-4:1e-2 --exp-factors 1.05,1.3";

// Shards, their merge by copy and their virtual merge all describe themselves; the merged file's trial
// coordinate is the whole run's. At f32 the fill value is an f32 NaN.
TEST_F(Described, ShardsAndTheirMergesCarryTheScalesOfTheRun) {
  for (const std::string storage : {"", " --save loss,lr --precision f32"}) {
    Storage kept;
    if (!storage.empty()) {
      ASSERT_EQ(parse_save("loss,lr", kept) + parse_precision("f32", kept), "");
    }
    for (int k = 0; k < 3; ++k)
      ASSERT_EQ(lrfinder(kDescribed + storage + " --shard " + std::to_string(k) + "/3 -o p.h5").code, 0);
    const std::string shards = " p-shard-0-of-3.h5 p-shard-1-of-3.h5 p-shard-2-of-3.h5";
    ASSERT_EQ(lrfinder("merge -q -o copy.h5" + shards).code, 0);
    ASSERT_EQ(lrfinder("merge -q --virtual -o virtual.h5" + shards).code, 0);
    for (int k = 0; k < 3; ++k)
      expect_described(dir_ / ("p-shard-" + std::to_string(k) + "-of-3.h5"), 200 * k, 200, 60, kept);
    expect_described(dir_ / "copy.h5", 0, 600, 60, kept);
    expect_described(dir_ / "virtual.h5", 0, 600, 60, kept);
    expect_same_results(dir_ / "copy.h5", dir_ / "virtual.h5");
    for (const auto &name : files())
      fs::remove(dir_ / name);
  }
}

// Files of layout version 1 (no layout_version, codes as plain bytes) still read and merge by copy into
// this layout; a virtual merge of them, which would keep their layout, is refused, and so is a file of a
// newer layout, by everything that reads one.
TEST_F(Described, OlderLayoutsReadAndNewerOnesAreRefused) {
  ASSERT_EQ(lrfinder(std::string(kDescribed) + " -o whole.h5").code, 0);
  for (int k = 0; k < 2; ++k)
    ASSERT_EQ(lrfinder(std::string(kDescribed) + " --shard " + std::to_string(k) + "/2 -o p.h5").code, 0);
  make_version_1("p-shard-0-of-2.h5");
  make_version_1("p-shard-1-of-2.h5");
  EXPECT_EQ(ResultFile((dir_ / "p-shard-1-of-2.h5").string()).layout_version(), 1);
  EXPECT_EQ(statistics_of("p-shard-0-of-2.h5").empty(), false);
  ASSERT_EQ(lrfinder("merge -q -o copy.h5 p-shard-0-of-2.h5 p-shard-1-of-2.h5").code, 0);
  expect_same_results(dir_ / "whole.h5", dir_ / "copy.h5");
  expect_described(dir_ / "copy.h5", 0, 600, 60);
  expect_rejected(
      "merge -o v.h5 --virtual p-shard-0-of-2.h5 p-shard-1-of-2.h5",
      "lrfinder: error: --virtual: p-shard-0-of-2.h5 is of layout version 1 (an older lrfinder's), "
      "this lrfinder's is 2; merge without --virtual, which copies it into this layout");
  {
    h5::Id f(H5Fopen((dir_ / "whole.h5").c_str(), H5F_ACC_RDWR, h5::file_access().get()), H5Fclose);
    h5::write_attr(f.get(), "layout_version", std::int64_t{3});
  }
  const std::string newer =
      "lrfinder: error: whole.h5: layout version 3 is newer than this lrfinder reads (up to 2); read it with "
      "a newer lrfinder";
  expect_rejected("report whole.h5", newer);
  expect_rejected("merge -o m.h5 whole.h5", newer);
}

} // namespace
} // namespace lrf::test
