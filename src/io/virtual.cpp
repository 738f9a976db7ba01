#include "io/virtual.hpp"

#include "core/errors.hpp"
#include "io/h5.hpp"
#include "io/partial.hpp"

#include <cstdio>
#include <cstring>

namespace lrf {

void write_virtual(const std::string &final_path, const Problem &problem, const OutputInfo &info,
                   std::int64_t total, const std::vector<VirtualSource> &sources, bool overwrite) {
  PartialFile partial(final_path, "--output " + final_path);
  partial.create();
  auto fail = [&](const std::string &what) {
    partial.remove();
    throw RunError("cannot write " + final_path + ": " + what);
  };
  h5::Id file = h5::create_file(partial.path());
  if (!file)
    fail("cannot create " + partial.path() + ": " + std::strerror(errno));
  try {
    const hid_t f = file.get();
    write_run_attributes(f, problem, info, TrialRange{0, total, total}, total);
    write_structure(f, problem, info.storage, TrialRange{0, total, total});
    const auto cols = static_cast<hsize_t>(problem.row_length());
    for (const Column &c : result_columns(info.storage)) {
      const int rank = c.per_step ? 2 : 1;
      hsize_t dims[2] = {static_cast<hsize_t>(total), cols};
      h5::Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
      h5::Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
      for (const VirtualSource &src : sources) {
        hsize_t start[2] = {static_cast<hsize_t>(src.range.first), 0};
        hsize_t size[2] = {static_cast<hsize_t>(src.range.count), cols};
        h5::Id src_space(H5Screate_simple(rank, size, nullptr), H5Sclose);
        H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr);
        if (H5Pset_virtual(dcpl.get(), space.get(), src.file.c_str(), c.path.c_str(), src_space.get()) < 0)
          throw RunError("virtual mapping of " + c.path + " to " + src.file);
      }
      H5Sselect_all(space.get());
      create_column(f, c, space.get(), dcpl.get());
    }
  } catch (const RunError &e) {
    file.close();
    fail(e.what());
  }
  if (!file.close() || !partial.sync())
    fail("closing " + partial.path() + " failed (disk full?)");
  partial.publish(overwrite);
}

} // namespace lrf
