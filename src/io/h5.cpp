#include "io/h5.hpp"

#include "core/errors.hpp"
#include "run/resources.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace lrf::h5 {

void configure() {
  // No H5_term_library at exit: after a failed H5Fclose (a full disk) HDF5 1.10 keeps a dangling file in
  // its table and its exit handler dereferences it (fixed in HDF5 1.14.1). Every file is closed
  // explicitly, so that handler has nothing to do.
  H5dont_atexit();
  quiet_errors();
  const int limit = 16 << 20, per_list = 4 << 20; // bytes: all lists of a kind, one list
  H5set_free_list_limits(limit, per_list, limit, per_list, limit, per_list);
}

void quiet_errors() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

Id file_access() {
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(fapl.get(), false, true);
  return fapl;
}

Id create_file(const std::string &path, bool written_once) {
  Id fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  if (written_once)
    H5Pset_obj_track_times(fcpl.get(), false);
  else
    H5Pset_file_space_strategy(fcpl.get(), H5F_FSPACE_STRATEGY_NONE, false, 1);
  Id fapl = file_access();
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110);
  return Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose);
}

Id open_write(const std::string &path) {
  Id fapl = file_access();
  hbool_t clear = true; // a property of every file access list, not in the public headers (h5clear sets it)
  if (H5Pset(fapl.get(), "clear_status_flags", &clear) < 0)
    return Id();
  return Id(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose);
}

bool marked_open(const std::string &path) {
  // Superblock version 3 (the format create_file writes): signature, version, two sizes, then the flags;
  // bit 0: open for writing, bit 2: open for SWMR writing.
  unsigned char head[12] = {};
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return false;
  const bool read = std::fread(head, 1, sizeof head, f) == sizeof head;
  std::fclose(f);
  return read && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0 && head[8] >= 3 && (head[11] & 0x5) != 0;
}

Id open_read(const std::string &path) {
  return Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
}

bool exists(hid_t file, const std::string &name) {
  for (std::size_t at = name.find('/', 1);; at = name.find('/', at + 1)) {
    std::string prefix = name.substr(0, at);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    if (at == std::string::npos)
      return true;
  }
}

namespace {

bool read_numeric_attr(hid_t where, const char *name, hid_t mem_type, void *value) {
  if (H5Aexists(where, name) <= 0)
    return false;
  Id attr(H5Aopen(where, name, H5P_DEFAULT), H5Aclose);
  Id type(H5Aget_type(attr.get()), H5Tclose);
  H5T_class_t cls = H5Tget_class(type.get());
  return (cls == H5T_INTEGER || cls == H5T_FLOAT) && H5Aread(attr.get(), mem_type, value) >= 0;
}

} // namespace

bool read_attr(hid_t where, const char *name, std::int64_t &value) {
  return read_numeric_attr(where, name, H5T_NATIVE_INT64, &value);
}

bool read_attr(hid_t where, const char *name, double &value) {
  return read_numeric_attr(where, name, H5T_NATIVE_DOUBLE, &value);
}

bool read_attr(hid_t where, const char *name, std::string &value) {
  if (H5Aexists(where, name) <= 0)
    return false;
  Id attr(H5Aopen(where, name, H5P_DEFAULT), H5Aclose);
  Id type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || !H5Tis_variable_str(type.get()))
    return false;
  Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5T_CSET_UTF8);
  char *text = nullptr;
  if (H5Aread(attr.get(), mem.get(), &text) < 0)
    return false;
  value = text ? text : "";
  H5free_memory(text);
  return true;
}

std::string read_vector(hid_t file, const std::string &name, std::vector<double> &out) {
  Id set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set)
    return "cannot open the dataset";
  Id type(H5Dget_type(set.get()), H5Tclose);
  H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    return "not a numeric dataset";
  Id space(H5Dget_space(set.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    return "not a 1-D dataset";
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  // A file can declare far more values than it stores (chunks never written): refuse before allocating.
  const double bytes = static_cast<double>(n) * sizeof(double), memory = usable_memory();
  if (bytes > memory / 4) {
    char text[160];
    std::snprintf(
        text, sizeof text,
        "%llu values (%.3g GiB), more than a quarter of the %.3g GiB of memory this process may use",
        static_cast<unsigned long long>(n), bytes / (1 << 30), memory / (1 << 30));
    return text;
  }
  out.resize(static_cast<std::size_t>(n));
  if (n > 0 && H5Dread(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    return "cannot read the values (corrupt or truncated file?)";
  return "";
}

void write_attr(hid_t where, const char *name, hid_t type, const void *value) {
  if (H5Aexists(where, name) > 0)
    H5Adelete(where, name);
  h5::Id space(H5Screate(H5S_SCALAR), H5Sclose);
  h5::Id attr(H5Acreate2(where, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr || H5Awrite(attr.get(), type, value) < 0)
    throw RunError(std::string("attribute ") + name);
}

void write_attr(hid_t where, const char *name, const std::string &value) {
  h5::Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char *text = value.c_str();
  write_attr(where, name, type.get(), &text);
}

void write_attr(hid_t where, const char *name, std::int64_t value) {
  write_attr(where, name, H5T_NATIVE_INT64, &value);
}

void write_fixed_attr(hid_t where, const char *name, const std::string &value) {
  h5::Id type(H5Tcopy(H5T_C_S1), H5Tclose); // ASCII, null-terminated
  H5Tset_size(type.get(), value.size() + 1);
  write_attr(where, name, type.get(), value.c_str());
}

void make_scale(hid_t set, const std::string &name) {
  write_fixed_attr(set, "CLASS", "DIMENSION_SCALE");
  write_fixed_attr(set, "NAME", name);
}

void attach_scales(hid_t set, const std::vector<hid_t> &scales) {
  // DIMENSION_LIST: a dimension's scales as a variable-length list of object references (one each here).
  std::vector<hobj_ref_t> refs(scales.size());
  std::vector<hvl_t> lists(scales.size());
  for (std::size_t d = 0; d < scales.size(); ++d) {
    if (H5Rcreate(&refs[d], scales[d], ".", H5R_OBJECT, -1) < 0)
      throw RunError("attribute DIMENSION_LIST");
    lists[d] = hvl_t{1, &refs[d]};
  }
  const hsize_t rank = scales.size();
  h5::Id list_type(H5Tvlen_create(H5T_STD_REF_OBJ), H5Tclose);
  h5::Id list_space(H5Screate_simple(1, &rank, nullptr), H5Sclose);
  h5::Id list(H5Acreate2(set, "DIMENSION_LIST", list_type.get(), list_space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (!list || H5Awrite(list.get(), list_type.get(), lists.data()) < 0)
    throw RunError("attribute DIMENSION_LIST");
  // REFERENCE_LIST: every (dataset, dimension) a scale is attached to, H5DS's own type and layout.
  struct Entry {
    hobj_ref_t dataset;
    int dimension;
  };
  h5::Id entry_type(H5Tcreate(H5T_COMPOUND, sizeof(Entry)), H5Tclose);
  H5Tinsert(entry_type.get(), "dataset", offsetof(Entry, dataset), H5T_STD_REF_OBJ);
  H5Tinsert(entry_type.get(), "dimension", offsetof(Entry, dimension), H5T_NATIVE_INT);
  hobj_ref_t self{};
  if (H5Rcreate(&self, set, ".", H5R_OBJECT, -1) < 0)
    throw RunError("attribute REFERENCE_LIST");
  for (std::size_t d = 0; d < scales.size(); ++d) {
    std::vector<Entry> entries;
    if (H5Aexists(scales[d], "REFERENCE_LIST") > 0) {
      h5::Id old(H5Aopen(scales[d], "REFERENCE_LIST", H5P_DEFAULT), H5Aclose);
      h5::Id old_space(H5Aget_space(old.get()), H5Sclose);
      entries.resize(
          static_cast<std::size_t>(std::max<hssize_t>(0, H5Sget_simple_extent_npoints(old_space.get()))));
      if (!old || H5Aread(old.get(), entry_type.get(), entries.data()) < 0 || !old.close() ||
          H5Adelete(scales[d], "REFERENCE_LIST") < 0)
        throw RunError("attribute REFERENCE_LIST");
    }
    entries.push_back(Entry{self, static_cast<int>(d)});
    const hsize_t n = entries.size();
    h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    h5::Id attr(
        H5Acreate2(scales[d], "REFERENCE_LIST", entry_type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
        H5Aclose);
    if (!attr || H5Awrite(attr.get(), entry_type.get(), entries.data()) < 0)
      throw RunError("attribute REFERENCE_LIST");
  }
}

} // namespace lrf::h5
