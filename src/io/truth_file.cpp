#include "io/truth_file.hpp"

#include "analysis/rules.hpp"
#include "core/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace lrf {

void check_truth_input(const std::string &path) {
  h5::Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, h5::file_access().get()), H5Fclose);
  std::string config;
  if (!file || !h5::read_attr(file.get(), "config", config) || !h5::exists(file.get(), "/trials"))
    return; // not HDF5, not a result, or statistics only: the reader and sample_trials say which
  hsize_t links = 0;
  if (h5::exists(file.get(), "/trials/suggest")) {
    H5G_info_t group{};
    if (H5Gget_info_by_name(file.get(), "/trials/suggest", &group, H5P_DEFAULT) >= 0)
      links = group.nlinks;
    if (links > 0 && h5::exists(file.get(), "/trials/suggest/trial"))
      --links; // the trial scale, linked there as its coordinate (io/layout.hpp), is no rule
  }
  if (links == 0)
    throw InputError(path + ": holds no suggestion rules (no /trials/suggest/<rule> datasets): nothing to "
                            "score");
}

namespace {

// The rate a trial's last update used: base_lr grown steps - 1 times, as the run grew it.
double last_rate(double base, Scan scan, double factor, std::int32_t steps) {
  double lr = base;
  for (std::int32_t k = 1; k < steps; ++k)
    lr = scan == Scan::linear ? lr + factor : lr * factor;
  return lr;
}

// The same in closed form, to find the trial that went furthest without stepping every trial's rate.
double last_rate_estimate(double base, Scan scan, double factor, std::int32_t steps) {
  const double k = steps > 1 ? steps - 1 : 0;
  return scan == Scan::linear ? base + factor * k : base * std::pow(factor, k);
}

} // namespace

TruthSample sample_trials(const ResultFile &file, std::int64_t want) {
  if (!file.info().storage.rows)
    throw InputError(file.path() + ": a statistics-only file (--save stats) holds no trials to sample; "
                                   "truth needs a run saved with per-trial rows (any other --save)");
  const Summary summary = file.summary();
  TruthSample s;
  s.run_trials = file.trials_done();
  if (s.run_trials == 0)
    throw InputError(file.path() + ": holds no finished trials to sample");
  std::vector<std::int64_t> trials;
  for (const Summary::Group &g : summary.groups()) {
    std::int64_t n = 0;
    for (std::int64_t c : g.status)
      n += c;
    trials.push_back(n);
    s.groups.push_back({g.scan, g.factor, n, 0});
  }
  const std::vector<std::int64_t> counts = sample_counts(trials, want);
  for (std::size_t g = 0; g < counts.size(); ++g)
    s.groups[g].sampled = counts[g];

  s.rules = rule_names();
  s.headline = summary.headline_rule();
  const bool own_headline = s.headline.empty(); // the headline's answers are no rule's: scored apart
  if (own_headline) {
    s.headline = "suggested_lr";
    s.rules.push_back(s.headline);
  }

  // The sampled rows of each group, in trial order, then group after group.
  struct Row {
    std::int64_t trial;
    double w0;
    std::vector<double> answers;
  };
  std::vector<std::vector<Row>> rows(s.groups.size());
  std::vector<std::int64_t> seen(s.groups.size(), 0), next(s.groups.size(), 0);
  auto group_of = [&](Scan scan, double factor, std::size_t hint) {
    auto matches = [&](std::size_t g) {
      return s.groups[g].scan == scan && (std::isnan(s.groups[g].factor) || s.groups[g].factor == factor);
    };
    if (hint < s.groups.size() && matches(hint))
      return hint;
    for (std::size_t g = 0; g < s.groups.size(); ++g)
      if (matches(g))
        return g;
    throw InputError(file.path() + ": a trial of no group of its statistics (" + scan_name(scan) +
                     " factor " + std::to_string(factor) + "): damaged?");
  };
  const double base = file.problem().config.base_lr;
  double furthest = -1;
  Scan furthest_scan = Scan::linear;
  double furthest_factor = 0;
  std::int32_t furthest_steps = 0;
  Batch batch;
  constexpr std::int64_t kBlock = std::int64_t{1} << 20;
  std::size_t hint = 0;
  for (std::int64_t row = 0; row < s.run_trials; row += kBlock) {
    file.read(row, std::min(kBlock, s.run_trials - row), batch, false);
    for (std::int64_t t = 0; t < batch.size(); ++t) {
      const auto i = static_cast<std::size_t>(t);
      const double estimate = last_rate_estimate(base, batch.scan[i], batch.factor[i], batch.steps[i]);
      if (estimate > furthest) {
        furthest = estimate;
        furthest_scan = batch.scan[i];
        furthest_factor = batch.factor[i];
        furthest_steps = batch.steps[i];
      }
      const std::size_t g = hint = group_of(batch.scan[i], batch.factor[i], hint);
      const std::int64_t m = s.groups[g].sampled;
      if (next[g] < m && seen[g] == sample_position(s.groups[g].trials, m, next[g])) {
        Row r{batch.first + t, batch.start_weight[i], {}};
        for (const auto &answers : batch.suggest)
          r.answers.push_back(answers[i]);
        if (own_headline)
          r.answers.push_back(batch.suggested_lr[i]);
        rows[g].push_back(std::move(r));
        ++next[g];
      }
      ++seen[g];
    }
  }
  s.max_lr = last_rate(base, furthest_scan, furthest_factor, furthest_steps);
  s.suggestion.assign(s.rules.size(), {});
  for (std::size_t g = 0; g < rows.size(); ++g)
    for (const Row &r : rows[g]) {
      s.trial.push_back(r.trial);
      s.group.push_back(static_cast<std::int32_t>(g));
      s.start_weight.push_back(r.w0);
      for (std::size_t k = 0; k < s.rules.size(); ++k)
        s.suggestion[k].push_back(r.answers[k]);
    }
  return s;
}

namespace {

[[noreturn]] void fail(const std::string &file, const std::string &what) {
  throw RunError("cannot write " + file + ": " + what);
}

// Creation properties that record no times, so that the same values give the same bytes.
h5::Id no_times(hid_t cls) {
  h5::Id plist(H5Pcreate(cls), H5Pclose);
  H5Pset_obj_track_times(plist.get(), false);
  return plist;
}

void make_group(hid_t file, const std::string &name) {
  h5::Id group(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, no_times(H5P_GROUP_CREATE).get(), H5P_DEFAULT),
               H5Gclose);
  if (!group)
    throw RunError("group " + name);
}

// A contiguous dataset of `dims` (rank 1 to 3) from `data`, with an optional describing attribute.
void write_array(hid_t file, const std::string &name, hid_t file_type, hid_t mem_type,
                 std::vector<hsize_t> dims, const void *data, const std::string &meaning = "") {
  h5::Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  h5::Id set(H5Dcreate2(file, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                        no_times(H5P_DATASET_CREATE).get(), H5P_DEFAULT),
             H5Dclose);
  hsize_t values = 1;
  for (hsize_t d : dims)
    values *= d;
  if (!set || (values > 0 && H5Dwrite(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
    throw RunError("dataset " + name + " (disk full?)");
  if (!meaning.empty())
    h5::write_attr(set.get(), "meaning", meaning);
}

void write_doubles(hid_t file, const std::string &name, const std::vector<double> &v,
                   const std::string &meaning = "") {
  write_array(file, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {v.size()}, v.data(), meaning);
}

void write_double_attr(hid_t where, const char *name, double value) {
  h5::write_attr(where, name, H5T_NATIVE_DOUBLE, &value);
}

} // namespace

TruthWriter::TruthWriter(std::string path, bool overwrite, const TruthSample &sample, std::size_t rates)
    : path_(std::move(path)), overwrite_(overwrite), partial_(path_, "--output " + path_),
      rows_(static_cast<std::int64_t>(sample.size())), rates_(static_cast<std::int64_t>(rates)) {
  partial_.create();
  file_ = h5::create_file(partial_.path(), true); // no times: the same bytes
  if (!file_) {
    partial_.remove();
    fail(path_, "cannot create " + partial_.path() + ": " + std::strerror(errno));
  }
  // Chunks of about 32 KiB to 512 KiB: up to 4096 rows by as many columns as 4 MiB of the block buffer
  // holds (16 at most), so that a block of columns fills whole chunks and is written once.
  block_ = std::clamp<std::int64_t>((std::int64_t{4} << 20) / (8 * std::max<std::int64_t>(rows_, 1)), 1,
                                    std::min<std::int64_t>(16, std::max<std::int64_t>(rates_, 1)));
  hsize_t dims[2] = {static_cast<hsize_t>(rows_), static_cast<hsize_t>(rates_)};
  hsize_t chunk[2] = {static_cast<hsize_t>(std::clamp<std::int64_t>(rows_, 1, 4096)),
                      static_cast<hsize_t>(block_)};
  try {
    h5::Id space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    h5::Id dcpl = no_times(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl.get(), 2, chunk);
    const double nan = NAN;
    H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan);
    matrix_ = h5::Id(H5Dcreate2(file_.get(), "/final_loss", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                dcpl.get(), H5P_DEFAULT),
                     H5Dclose);
    if (!matrix_)
      throw RunError("dataset /final_loss");
    h5::write_attr(matrix_.get(), "meaning",
                   std::string("[sample, rate]: the full-data loss after the fixed-rate updates from the "
                               "sample's start weight at /lr[rate] (where the loop ended early, at its last "
                               "weight)"));
  } catch (const RunError &e) {
    matrix_.close();
    file_.close();
    partial_.remove();
    fail(path_, e.what());
  }
  pending_.assign(static_cast<std::size_t>(rows_ * block_), NAN);
}

TruthWriter::~TruthWriter() {
  if (file_) {
    matrix_.close();
    file_.close();
    partial_.remove();
  }
}

void TruthWriter::flush_columns() {
  if (pending_count_ == 0)
    return;
  hsize_t start[2] = {0, static_cast<hsize_t>(pending_first_)};
  hsize_t size[2] = {static_cast<hsize_t>(rows_), static_cast<hsize_t>(pending_count_)};
  hsize_t mem_size[2] = {static_cast<hsize_t>(rows_), static_cast<hsize_t>(block_)};
  hsize_t origin[2] = {0, 0};
  h5::Id file_space(H5Dget_space(matrix_.get()), H5Sclose);
  h5::Id mem_space(H5Screate_simple(2, mem_size, nullptr), H5Sclose);
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr) < 0 ||
      H5Sselect_hyperslab(mem_space.get(), H5S_SELECT_SET, origin, nullptr, size, nullptr) < 0 ||
      H5Dwrite(matrix_.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), H5P_DEFAULT,
               pending_.data()) < 0)
    fail(partial_.path(), "write failed (disk full?)");
  pending_first_ += pending_count_;
  pending_count_ = 0;
}

void TruthWriter::column(std::size_t rate, const std::vector<double> &scores) {
  if (static_cast<std::int64_t>(rate) != pending_first_ + pending_count_ ||
      static_cast<std::int64_t>(scores.size()) != rows_)
    fail(partial_.path(), "column " + std::to_string(rate) + " out of order");
  for (std::int64_t i = 0; i < rows_; ++i)
    pending_[static_cast<std::size_t>(i * block_ + pending_count_)] = scores[static_cast<std::size_t>(i)];
  if (++pending_count_ == block_)
    flush_columns();
}

void TruthWriter::commit(const TruthSample &s, const TruthResult &r, const TruthSettings &settings) {
  try {
    flush_columns();
    const hid_t f = file_.get();
    const auto rows = static_cast<hsize_t>(s.size()), rates = static_cast<hsize_t>(r.grid.size());
    const auto groups = static_cast<hsize_t>(s.groups.size());
    h5::write_attr(f, "input", settings.input);
    h5::write_attr(f, "input_config", settings.input_config);
    h5::write_attr(f, "steps", std::int64_t{r.steps});
    h5::write_attr(f, "sample", settings.sample);
    h5::write_attr(f, "lrs", settings.lrs);
    h5::write_attr(f, "lrs_from", settings.lrs_from);
    write_double_attr(f, "max_lr_reached", s.max_lr);
    h5::write_attr(f, "trials", s.run_trials);
    h5::write_attr(f, "sampled", static_cast<std::int64_t>(s.size()));
    std::string rules;
    for (const std::string &rule : s.rules)
      rules += (rules.empty() ? "" : ",") + rule;
    h5::write_attr(f, "rules", rules);
    h5::write_attr(f, "headline", s.headline);
    h5::write_attr(f, "version", settings.version);
    h5::write_attr(f, "score",
                   std::string("the full-data loss (the run's loss and arithmetic) after `steps` updates of "
                               "the seed's loop at a fixed rate (a linear scan of factor 0, no relative "
                               "stop, the run's diverge) from a sampled trial's start weight; NaN and inf "
                               "count as the worst"));
    write_doubles(f, "/lr", r.grid, "the fixed rates, ascending (log-spaced)");
    std::vector<double> quantiles;
    for (const auto &q : r.quantiles)
      quantiles.insert(quantiles.end(), q.begin(), q.end());
    write_array(f, "/loss_quantiles", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3, rates}, quantiles.data(),
                "[q, rate]: the 5%, 50% and 95% percentiles of /final_loss over the sample at each rate "
                "(numpy's linear interpolation; NaN counts as inf)");
    for (const char *g : {"/sample", "/groups", "/rules"})
      make_group(f, g);
    write_array(f, "/sample/trial", H5T_STD_I64LE, H5T_NATIVE_INT64, {rows}, s.trial.data(),
                "the sampled trial's index in the run (its row in the input is this minus first_trial)");
    write_array(f, "/sample/group", H5T_STD_I32LE, H5T_NATIVE_INT32, {rows}, s.group.data(),
                "its group: a row of /groups");
    write_doubles(f, "/sample/start_weight", s.start_weight);
    write_doubles(f, "/sample/best_lr", r.best_lr,
                  "the fixed rate of /lr with the lowest final loss (ties: the smallest)");
    write_doubles(f, "/sample/best_loss", r.best_loss,
                  "that lowest final loss (inf: every rate's was NaN or inf)");
    std::vector<std::uint8_t> scan;
    std::vector<double> factor;
    std::vector<std::int64_t> trials, sampled;
    std::vector<double> group_quantiles;
    for (std::size_t g = 0; g < s.groups.size(); ++g) {
      scan.push_back(static_cast<std::uint8_t>(s.groups[g].scan));
      factor.push_back(s.groups[g].factor);
      trials.push_back(s.groups[g].trials);
      sampled.push_back(s.groups[g].sampled);
      for (const auto &q : r.group_quantiles[g])
        group_quantiles.insert(group_quantiles.end(), q.begin(), q.end());
    }
    write_array(f, "/groups/scan", H5T_STD_U8LE, H5T_NATIVE_UINT8, {groups}, scan.data(),
                "0: linear (lr += factor), 1: exp (lr *= factor)");
    write_doubles(f, "/groups/factor", factor, "NaN: the scan's factors are drawn (LO:HI), one group");
    write_array(f, "/groups/trials", H5T_STD_I64LE, H5T_NATIVE_INT64, {groups}, trials.data(),
                "the run's trials in the group");
    write_array(f, "/groups/sampled", H5T_STD_I64LE, H5T_NATIVE_INT64, {groups}, sampled.data());
    write_array(f, "/groups/loss_quantiles", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {groups, 3, rates},
                group_quantiles.data(), "[group, q, rate]: as /loss_quantiles, over the group's rows");
    for (std::size_t k = 0; k < s.rules.size(); ++k) {
      const std::string g = "/rules/" + s.rules[k];
      make_group(f, g);
      write_doubles(f, g + "/suggestion", s.suggestion[k], "the rule's answer for the trial (NaN: none)");
      write_doubles(f, g + "/loss", r.rule_loss[k], "the final loss at the suggested rate");
      write_doubles(f, g + "/ratio", r.ratio[k], "suggestion / best_lr");
      write_doubles(f, g + "/regret", r.regret[k],
                    "loss / best_loss, NaN and inf as inf (1 where both are the same)");
    }
    matrix_.close();
    if (!file_.close() || !partial_.sync()) {
      partial_.remove();
      fail(partial_.path(), "closing the file failed (disk full?)");
    }
  } catch (const RunError &e) {
    matrix_.close();
    file_.close();
    partial_.remove();
    const std::string what = e.what();
    if (what.rfind("cannot write ", 0) == 0)
      throw;
    fail(path_, what);
  }
  partial_.publish(overwrite_);
}

} // namespace lrf
