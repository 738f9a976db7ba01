// A thin RAII layer over the HDF5 C API: owners for identifiers and the few reads and writes the tool needs.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lrf::h5 {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Id {
public:
  Id() = default;
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), close_(closer) {}
  Id(Id &&o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Id &operator=(Id &&o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  Id(const Id &) = delete;
  Id &operator=(const Id &) = delete;
  ~Id() { reset(); }

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  // Closes now; false if HDF5 reported a failure (for a file: its data may not have reached the disk).
  bool close() {
    bool ok = id_ < 0 || close_(id_) >= 0;
    id_ = H5I_INVALID_HID;
    return ok;
  }

private:
  void reset() {
    if (id_ >= 0)
      close_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// Sets HDF5 up for the tool, once at start-up: no printing of its error stack (the tool reports errors
// itself, one line each), and bounded internal free lists (HDF5 keeps freed buffers of every size it has
// seen, so a long run's memory would otherwise grow with its trial count).
void configure();
// No printing of HDF5's error stack on the calling thread (a thread-safe HDF5 keeps one per thread): each
// failure becomes one line of ours instead. configure() does it for the thread that calls it.
void quiet_errors();

// File access without HDF5's own file locking, as the writer locks its partial file itself
// (io/partial.hpp).
Id file_access();

// Creates (truncates) a file the tool writes; an invalid Id on failure. Its format is HDF5 1.10's (readable
// by HDF5 1.10 and later, h5py included): every piece of metadata carries a checksum, so a piece a killed
// run left half written reads as an error, never as values, and a fixed-size dataset indexes its chunks in
// one fixed array, updated in place, never split. No freed file space is ever reused, so that a chunk
// rewritten after a checkpoint never lands where the checkpoint's chunks are.
// written_once: a file that is written in one go and never checkpointed or resumed (`lrfinder truth`'s)
// has no use for that strategy, whose superblock extension records the times it was made, and its root
// group records none either: with objects made under H5Pset_obj_track_times(false), the same content
// gives the same bytes.
Id create_file(const std::string &path, bool written_once = false);

// Opens a file the tool wrote for writing; an invalid Id on failure. A file whose writer was killed is
// still marked open for writing in its superblock (its file consistency flags, which `h5clear -s` clears):
// this open clears the mark, where every other open refuses such a file.
Id open_write(const std::string &path);

// Whether the file's superblock says a writer has it open: it is being written, or its writer was killed.
bool marked_open(const std::string &path);

// Opens a file read-only; an invalid Id if it is not a readable HDF5 file.
Id open_read(const std::string &path);

// True if every component of the absolute path `name` (e.g. "/trials/steps") exists in the file.
bool exists(hid_t file, const std::string &name);

// Reads a scalar attribute of `where` (a file or dataset); false if it is missing or of another kind.
bool read_attr(hid_t where, const char *name, std::string &value);
bool read_attr(hid_t where, const char *name, std::int64_t &value);
bool read_attr(hid_t where, const char *name, double &value);

// Writes a scalar attribute of `where`, replacing one of that name; RunError naming it on failure.
void write_attr(hid_t where, const char *name, hid_t type, const void *value);
void write_attr(hid_t where, const char *name, const std::string &value);
void write_attr(hid_t where, const char *name, std::int64_t value);

// Writes a scalar attribute of `where` as a fixed-length, null-terminated ASCII string, the form HDF5's
// dimension scale API (H5DS) gives CLASS and NAME.
void write_fixed_attr(hid_t where, const char *name, const std::string &value);

// Dimension scales by the convention of HDF5's H5DS API, which netCDF-4 (and so h5netcdf and xarray) reads
// as dimensions; written here rather than through the HDF5 high-level library, which the tool does not link.
// make_scale marks `set` a scale of that name (attributes CLASS and NAME); attach_scales gives `set` one
// scale a dimension, in order (its DIMENSION_LIST, which it must not have yet), and adds `set` to each
// scale's REFERENCE_LIST. RunError naming the attribute on failure.
void make_scale(hid_t set, const std::string &name);
void attach_scales(hid_t set, const std::vector<hid_t> &scales);

// Reads a 1-D numeric dataset as float64. Returns "" or what is wrong with it (among that: more values
// than a quarter of the memory the process may use).
std::string read_vector(hid_t file, const std::string &name, std::vector<double> &out);

} // namespace lrf::h5
