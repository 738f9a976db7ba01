// Fuzz target: the CSV readers of --data and --trials-from on arbitrary bytes, --data both as it reads by
// default and in a form (--columns, --no-header, --sep, --decimal) the input's last byte chooses. An input
// must be read into values that keep the documented guarantees, or be refused with an InputError of one
// short line; a crash, a sanitizer report, another exception or a broken guarantee is a finding (abort).
#include "core/errors.hpp"
#include "fuzz_util.hpp"
#include "io/data.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace {

void require(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_csv: broken guarantee: %s\n", what);
    std::abort();
  }
}

// One line a terminal shows as such: no line breaks or other control bytes, and short however long the input.
void check_message(const lrf::InputError &e) {
  const std::string m = e.what();
  require(!m.empty() && m.size() <= 400, "an error message is empty or longer than 400 bytes");
  for (unsigned char c : m)
    require(c >= 0x20 && c != 0x7f, "an error message holds a control byte");
}

// A form of --data: the separator and the decimal mark (sniffed or given), a header or none, and the
// columns (x and y by name, other names, indices, an index past any line).
lrf::DataFormat format_of(std::uint8_t b) {
  lrf::DataFormat f;
  f.sep = static_cast<lrf::Sep>((b & 3) + (b >> 7));
  f.decimal = static_cast<lrf::Decimal>((b >> 6) & 1 ? 1 + (b & 1) : 0);
  f.header = (b & 4) == 0;
  const char *columns[] = {"", "y,x", "feature,target", "1,0", "2,0", "0,99999999", "x,0", "/a,b"};
  if (*columns[(b >> 3) & 7])
    require(lrf::parse_columns(columns[(b >> 3) & 7], f).empty(), "parse_columns refused a valid X,Y");
  return f;
}

void check_data(const std::string &path, const lrf::DataFormat &format) {
  try {
    lrf::XY d = lrf::read_data(path, format);
    require(!d.x.empty() && d.x.size() == d.y.size(), "read_data: no points, or x and y of other lengths");
    for (std::size_t i = 0; i < d.x.size(); ++i)
      require(std::isfinite(d.x[i]) && std::isfinite(d.y[i]), "read_data: a value is not finite");
  } catch (const lrf::InputError &e) {
    check_message(e);
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  lrf::fuzz::scratch_dir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // An HDF5 signature sends read_data to the HDF5 library's own parser, which is not ours to fuzz
  // (tests/hostile_test.cpp has hand-made corrupt HDF5 files instead).
  if (size >= 8 && std::memcmp(data, "\x89HDF\r\n\x1a\n", 8) == 0)
    return 0;
  const std::string path = (lrf::fuzz::scratch_dir() / "input.csv").string();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char *>(data), size);
  check_data(path, {});
  if (size > 0)
    check_data(path, format_of(data[size - 1]));
  try {
    std::vector<lrf::TrialParams> trials = lrf::read_trials(path);
    require(!trials.empty(), "read_trials: no trials");
    for (const lrf::TrialParams &t : trials)
      require(std::isfinite(t.start_weight) && lrf::factor_problem(t.scan, t.factor).empty(),
              "read_trials: a start weight is not finite or a factor is out of range");
  } catch (const lrf::InputError &e) {
    check_message(e);
  }
  return 0;
}
