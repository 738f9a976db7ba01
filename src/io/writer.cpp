#include "io/writer.hpp"

#include "core/errors.hpp"
#include "io/layout.hpp"
#include "io/stats.hpp"
#include "run/runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lrf {
namespace {

[[noreturn]] void fail(const std::string &file, const std::string &what) {
  throw RunError("cannot write " + file + ": " + what);
}

// A chunked dataset of shape (rows, cols) (cols = 0: 1-D), made and described by create_column (layout.hpp:
// NaN or all ones where never written). Every dataset has chunks of the same `chunk_rows` trials (a resume
// checks the last of them); trajectory chunks are kChunkSteps steps wide (core/batch.hpp): a batch writes
// only the columns its trials reached, and the chunks past them are never allocated, so a file grows with the
// steps taken. Per-trial chunks (the answers) carry HDF5's Fletcher32 checksum, and so do compressed
// trajectory chunks (zlib's own check covers only what it compresses), so that damage there reads as an
// error, never as values. Uncompressed trajectories go without: the checksum would more than double their
// write time.
h5::Id make_dataset(hid_t file, const Column &c, hsize_t rows, hsize_t cols, hsize_t chunk_rows,
                    int deflate) {
  const int rank = cols ? 2 : 1;
  hsize_t dims[2] = {rows, cols};
  hsize_t chunk[2] = {std::clamp<hsize_t>(chunk_rows, 1, std::max<hsize_t>(rows, 1)),
                      std::min<hsize_t>(std::max<hsize_t>(cols, 1), kChunkSteps)};
  h5::Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), rank, chunk);
  if (deflate > 0) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate));
  }
  if (!c.per_step || deflate > 0)
    H5Pset_fletcher32(dcpl.get());
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_IFSET);
  return create_column(file, c, space.get(), dcpl.get());
}

// A chunk cache of one chunk for trajectories: a batch writes whole chunks (default batches are a multiple of
// kWholeChunkTrials), one after another, each to disk in one write as the next evicts it. A larger cache
// would only hold memory (64 MiB a dataset would make a run's memory grow with its trial count until full);
// none at all would be as fast for chunks not yet on disk, but a chunk that is (the batch a killed run was
// writing, written again by its resume) would go straight from the batch's rows to its place in the file,
// one write of kChunkSteps values per trial (a resumed run of one batch of 4096 trials took 2.5 times as long
// as a fresh one). Per-trial datasets keep two chunks: a batch fills only part of them.
h5::Id open_dataset(hid_t file, const Column &c) {
  h5::Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 10007, static_cast<std::size_t>((c.per_step ? 1 : 2) * kChunkBytes), 1.0);
  return h5::Id(H5Dopen2(file, c.path.c_str(), dapl.get()), H5Dclose);
}

// Rows [first, first + count) of a dataset from `data`, which holds `mem_cols` values a row (0: 1-D); only
// the first `cols` columns of each row are written.
void write_rows(const h5::Id &set, hid_t mem_type, std::int64_t first, std::int64_t count, hsize_t mem_cols,
                hsize_t cols, const void *data) {
  const int rank = mem_cols ? 2 : 1;
  hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  hsize_t size[2] = {static_cast<hsize_t>(count), cols};
  hsize_t mem_size[2] = {static_cast<hsize_t>(count), mem_cols};
  hsize_t origin[2] = {0, 0};
  h5::Id file_space(H5Dget_space(set.get()), H5Sclose);
  h5::Id mem_space(H5Screate_simple(rank, mem_size, nullptr), H5Sclose);
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) < 0 ||
      H5Sselect_hyperslab(mem_space.get(), H5S_SELECT_SET, origin, nullptr, size, nullptr) < 0 ||
      H5Dwrite(set.get(), mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw RunError("write failed (disk full?)");
}

// Trials per chunk of a dataset.
std::int64_t chunk_rows_of(const h5::Id &set) {
  h5::Id dcpl(H5Dget_create_plist(set.get()), H5Pclose);
  hsize_t chunk[2] = {1, 1};
  return H5Pget_chunk(dcpl.get(), 2, chunk) > 0 ? static_cast<std::int64_t>(chunk[0]) : 1;
}

// Whether rows [first, first + count) of a dataset read back (through the checksums and filters).
bool rows_readable(const h5::Id &set, const Column &c, std::int64_t first, std::int64_t count,
                   std::int64_t row) {
  if (count <= 0)
    return true;
  const int rank = c.per_step ? 2 : 1;
  hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  hsize_t size[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(row)};
  std::vector<unsigned char> buffer(static_cast<std::size_t>(count * (c.per_step ? row : 1)) *
                                    H5Tget_size(c.mem_type));
  h5::Id file_space(H5Dget_space(set.get()), H5Sclose);
  h5::Id mem_space(H5Screate_simple(rank, size, nullptr), H5Sclose);
  return H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) >= 0 &&
         H5Dread(set.get(), c.mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, buffer.data()) >= 0;
}

// Whether every one of rows [0, done) of /trials/steps (or /trials/status) was written: none holds the
// fill value (all ones: -1, 255), which only a row never written has.
bool rows_written(const h5::Id &set, const Column &c, std::int64_t done) {
  constexpr std::int64_t kBlock = std::int64_t{1} << 20;
  const std::size_t size = H5Tget_size(c.mem_type);
  std::vector<unsigned char> buffer(
      static_cast<std::size_t>(std::min(kBlock, std::max<std::int64_t>(done, 1))) * size);
  const std::vector<unsigned char> fill(size, 0xff);
  for (std::int64_t first = 0; first < done; first += kBlock) {
    const std::int64_t count = std::min(kBlock, done - first);
    hsize_t start = static_cast<hsize_t>(first), n = static_cast<hsize_t>(count);
    h5::Id file_space(H5Dget_space(set.get()), H5Sclose);
    h5::Id mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr) < 0 ||
        H5Dread(set.get(), c.mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, buffer.data()) < 0)
      return false;
    for (std::int64_t i = 0; i < count; ++i)
      if (std::memcmp(&buffer[static_cast<std::size_t>(i) * size], fill.data(), size) == 0)
        return false;
  }
  return true;
}

} // namespace

H5Writer::H5Writer(std::string final_path, const Problem &problem, std::int64_t trials,
                   const OutputInfo &info)
    : H5Writer(std::move(final_path), problem, TrialRange{0, trials, trials}, info, WriteOptions{}) {}

H5Writer::H5Writer(std::string final_path, const Problem &problem, TrialRange range, const OutputInfo &info,
                   const WriteOptions &options)
    : final_path_(std::move(final_path)), partial_(final_path_, "--output " + final_path_),
      partial_path_(partial_.path()), row_(problem.row_length()), range_(range), storage_(info.storage),
      overwrite_(options.overwrite), columns_(result_columns(storage_)) {
  const bool resume = options.resume;
  const std::int64_t batch = options.batch > 0 ? options.batch : default_batch(problem, range.count, kept());
  chunk_rows_ =
      !storage_.rows
          ? 1
          : std::max<std::int64_t>(
                1, std::min(storage_.trajectories() ? chunk_trials(storage_.f32 ? 4 : 8) : kWholeChunkTrials,
                            batch));
  if (partial_.existing() && resume && open_partial(info))
    return;
  if (partial_.existing() && resume_note_.empty())
    resume_note_ = resume ? "discarding " + partial_path_ + ": it is not a partial run of these settings"
                          : "replacing the partial file " + partial_path_;
  create(problem, info);
}

bool H5Writer::open_partial(const OutputInfo &info) {
  file_ = h5::open_write(partial_path_);
  if (!file_) {
    resume_note_ = "discarding " + partial_path_ + ": it does not open as HDF5 for writing (damaged?)";
    return false;
  }
  std::string config, compress;
  std::int64_t first = -1, count = -1, total = -1, done = -1;
  const hid_t f = file_.get();
  if (!h5::read_attr(f, "config", config) || !h5::read_attr(f, "first_trial", first) ||
      !h5::read_attr(f, "trials", count) || !h5::read_attr(f, "total_trials", total) ||
      !h5::read_attr(f, "trials_done", done) || config != info.config || first != range_.first ||
      count != range_.count || total != range_.total || done < 0 || done > count) {
    file_.close();
    return false;
  }
  // A file of another layout (an older lrfinder's) would end up half of each.
  std::int64_t layout = 1;
  h5::read_attr(f, "layout_version", layout);
  if (layout != kLayoutVersion) {
    resume_note_ = "discarding " + partial_path_ + ": it is of layout version " + std::to_string(layout) +
                   ", this lrfinder writes " + std::to_string(kLayoutVersion);
    file_.close();
    return false;
  }
  // Compression changes no value, but it decides the file: a resume keeps what was asked for.
  if (!h5::read_attr(f, "compress", compress) || compress != storage_.compress_text()) {
    resume_note_ = "discarding " + partial_path_ + ": it is compressed " + compress + ", not " +
                   storage_.compress_text();
    file_.close();
    return false;
  }
  // A killed run may have written chunks and metadata past the end of the file its last flush recorded
  // (the superblock's end of allocation). Allocating from there would put new chunks over them, where an
  // index written later than that end may still point: everything the file holds stays allocated.
  if (H5Fincrement_filesize(f, 0) < 0) {
    resume_note_ = "discarding " + partial_path_ + ": its end of file cannot be set";
    file_.close();
    return false;
  }
  // Every dataset's whole chunk index reads back through its checksums.
  for (const Column &c : columns_) {
    sets_.push_back(open_dataset(f, c));
    const h5::Id &set = sets_.back();
    hsize_t chunks = 0;
    if (!set) {
      resume_note_ =
          "discarding " + partial_path_ + ": it has no " + c.path + " (written by another lrfinder?)";
      close_all();
      return false;
    }
    if (H5Dget_num_chunks(set.get(), h5::Id(H5Dget_space(set.get()), H5Sclose).get(), &chunks) < 0) {
      resume_note_ = "discarding " + partial_path_ + ": its index of " + c.path + " does not read back";
      close_all();
      return false;
    }
  }
  if (!storage_.rows) {
    stats_ = Summary();
    stats_.set_headline_rule(info.suggest);
    const char *at = stats_group_of(f, done);
    const std::string problem = at ? read_stats(f, at, info.suggest, stats_) : "no statistics of its trials";
    if (!problem.empty()) {
      resume_note_ = "discarding " + partial_path_ + ": " + problem + " (damaged?)";
      close_all();
      return false;
    }
    // The other group may be what a kill left half rewritten: it goes, and the next checkpoint writes it
    // anew.
    const char *other = other_stats_group(at);
    if (H5Lexists(f, other, H5P_DEFAULT) > 0 && H5Ldelete(f, other, H5P_DEFAULT) < 0) {
      resume_note_ =
          "discarding " + partial_path_ + ": its unused " + other + " cannot be removed (damaged?)";
      close_all();
      return false;
    }
    stats_at_ = at;
  } else {
    chunk_rows_ = chunk_rows_of(sets_.back()); // the file's own, whatever this run's batch
  }
  // The checkpoint must hold what it claims: every trial before `done` written (no fill value in steps and
  // status, which a changed trials_done would show), and the last chunks, the ones a killed run may have
  // been rewriting, readable through their checksums. Where only those are damaged, the run resumes from
  // the chunk boundary before them.
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if ((columns_[i].field == Column::Field::steps || columns_[i].field == Column::Field::status) &&
        !rows_written(sets_[i], columns_[i], done)) {
      resume_note_ = "discarding " + partial_path_ + ": it claims " + std::to_string(done) +
                     " trials but does not hold them all";
      close_all();
      return false;
    }
  const std::int64_t boundary = done / chunk_rows_ * chunk_rows_;
  bool readable = true;
  for (std::size_t i = 0; i < columns_.size(); ++i)
    readable = readable && rows_readable(sets_[i], columns_[i], boundary, done - boundary, row_);
  done_ = readable ? done : boundary;
  resume_note_ = "resuming " + partial_path_ + " after " + std::to_string(done_) + " of " +
                 std::to_string(count) + " trials" +
                 (readable ? "" : " (its last " + std::to_string(done - boundary) + " did not read back)");
  // The latest run describes the file: same results, perhaps another backend. A file killed while an
  // earlier resume rewrote these may not take them again: then it is discarded, not an error.
  try {
    h5::write_attr(f, "backend", info.backend);
    h5::write_attr(f, "device", info.device);
    h5::write_attr(f, "command_line", info.command_line);
    h5::write_attr(f, "trials_done", done_);
  } catch (const RunError &e) {
    resume_note_ = "discarding " + partial_path_ + ": its " + e.what() + " cannot be rewritten (damaged?)";
    done_ = 0;
    close_all();
    return false;
  }
  return true;
}

void H5Writer::create(const Problem &problem, const OutputInfo &info) {
  partial_.create();
  file_ = h5::create_file(partial_path_);
  if (!file_) {
    partial_.remove();
    fail(final_path_, "cannot create " + partial_path_ + ": " + std::strerror(errno));
  }
  try {
    const hid_t f = file_.get();
    write_run_attributes(f, problem, info, range_, 0);
    write_structure(f, problem, storage_, range_);
    const auto n = static_cast<hsize_t>(range_.count), cols = static_cast<hsize_t>(row_);
    for (const Column &col : columns_) {
      make_dataset(f, col, n, col.per_step ? cols : 0, static_cast<hsize_t>(chunk_rows_), storage_.deflate);
      sets_.push_back(open_dataset(f, col));
    }
    if (!storage_.rows) {
      stats_ = Summary();
      stats_.set_headline_rule(info.suggest);
      write_stats(f, kStatsGroup, stats_);
      stats_at_ = kStatsGroup;
    }
    if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0)
      throw RunError("flush failed (disk full?)");
  } catch (const RunError &e) {
    close_all();
    partial_.remove();
    fail(final_path_, e.what());
  }
}

bool H5Writer::close_all() {
  bool ok = true;
  for (h5::Id &set : sets_)
    ok = set.close() && ok;
  sets_.clear();
  return file_.close() && ok;
}

H5Writer::~H5Writer() {
  if (file_) {
    close_all();
    partial_.remove();
  }
}

void H5Writer::write(const Batch &b, const Summary &stats) {
  h5::quiet_errors(); // the run writes from a thread of its own
  try {
    const std::int64_t at = b.first - range_.first;
    if (at != done_ || at + b.size() > range_.count)
      throw RunError("batch of trials " + std::to_string(b.first) + ".. out of order");
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const Column &c = columns_[i];
      if (!c.per_step) {
        write_rows(sets_[i], c.mem_type, at, b.size(), 0, 0, column_data(c, b));
        continue;
      }
      // Block by block of chunk rows, the steps the block's longest trial reached: columns past them stay
      // unwritten (NaN, and no space), so a file holds little more than the steps taken.
      const auto *data = static_cast<const unsigned char *>(column_data(c, b));
      const std::size_t row_bytes = static_cast<std::size_t>(row_) * H5Tget_size(c.mem_type);
      for (std::int64_t lo = 0; lo < b.size();) {
        const std::int64_t hi = std::min(b.size(), ((at + lo) / chunk_rows_ + 1) * chunk_rows_ - at);
        std::int32_t longest = 0;
        for (std::int64_t t = lo; t < hi; ++t)
          longest = std::max(longest, b.steps[static_cast<std::size_t>(t)]);
        write_rows(sets_[i], c.mem_type, at + lo, hi - lo, static_cast<hsize_t>(row_),
                   static_cast<hsize_t>(longest) + 1, data + static_cast<std::size_t>(lo) * row_bytes);
        lo = hi;
      }
    }
    if (!storage_.rows) {
      // The other group than the last checkpoint's: a run killed while writing it keeps that one.
      stats_.merge(stats);
      const char *next = other_stats_group(stats_at_);
      write_stats(file_.get(), next, stats_);
      stats_at_ = next;
    }
    done_ = at + b.size();
    // The checkpoint: the data on disk first, then the count that says it is there.
    checkpoint_sync();
    h5::write_attr(file_.get(), "trials_done", done_);
    checkpoint_sync();
  } catch (const RunError &e) {
    fail(partial_path_, e.what());
  }
}

void H5Writer::checkpoint_sync() {
  if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0)
    throw RunError("flush failed (disk full?)");
  if (!partial_.sync())
    throw RunError(std::string("sync to disk failed: ") + std::strerror(errno));
}

void H5Writer::commit() {
  if (stats_at_) {
    try {
      keep_stats(file_.get(), stats_at_);
    } catch (const RunError &e) {
      close_all();
      partial_.remove();
      fail(partial_path_, e.what());
    }
  }
  if (!close_all() || !partial_.sync()) {
    partial_.remove();
    fail(partial_path_, "closing the file failed (disk full?)");
  }
  partial_.publish(overwrite_);
}

void H5Writer::keep() {
  close_all();
}

} // namespace lrf
