// Fuzz target: the options of `lrfinder run`. The input, split at NUL or newline bytes, becomes the
// arguments after `lrfinder run`; the run happens for real, in a scratch folder, on small jobs only. It must
// end with exit code 0 (and its output file) or 2 (one error line, no file); a crash, a sanitizer report,
// another exit code or a file left behind is a finding (abort).
#include "cli/cli.hpp"
#include "fuzz_util.hpp"
#include "io/h5.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The largest whole number an argument may hold outside a fraction or an exponent: -n, --epochs, --threads,
// --batch and --shard stay small, so no input can start a long job (the default trials and epochs are
// replaced below). Numbers beyond are covered by the unit tests, not here.
constexpr unsigned kMaxCount = 64;

bool small_counts(const std::string &arg) {
  for (std::size_t i = 0; i < arg.size();) {
    if (arg[i] < '0' || arg[i] > '9') {
      ++i;
      continue;
    }
    std::size_t j = i;
    unsigned long long v = 0;
    for (; j < arg.size() && arg[j] >= '0' && arg[j] <= '9'; ++j)
      v = v > kMaxCount ? v : v * 10 + static_cast<unsigned>(arg[j] - '0');
    const char before = i > 0 ? arg[i - 1] : ' ';
    const char before2 = i > 1 ? arg[i - 2] : ' ';
    const bool fraction_or_exponent =
        before == '.' || before == 'e' || before == 'E' ||
        ((before == '+' || before == '-') && (before2 == 'e' || before2 == 'E'));
    if (!fraction_or_exponent && v > kMaxCount)
      return false;
    i = j;
  }
  return true;
}

bool starts_with(const std::string &s, const char *prefix) {
  return s.rfind(prefix, 0) == 0;
}

// A cluster of short options (-qn5): CLI11 reads each letter as an option.
bool short_option_with(const std::string &arg, char letter) {
  return arg.size() > 1 && arg[0] == '-' && arg[1] != '-' && arg.find(letter) != std::string::npos;
}

// The fixtures an input may name: a small CSV and HDF5 data set and a trial list.
void write_fixtures(const fs::path &dir) {
  std::ofstream(dir / "data.csv") << "x,y\n0,0\n1,2.5\n2,5\n3,7.5\n";
  std::ofstream(dir / "trials.csv") << "start_weight,scan,factor\n4,exp,1.2\n-1,linear,1e-3\n";
  lrf::h5::Id f(H5Fcreate((dir / "data.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  const double v[3] = {1, 2, 3};
  for (const char *name : {"x", "y"}) {
    hsize_t n = 3;
    lrf::h5::Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    lrf::h5::Id set(
        H5Dcreate2(f.get(), name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        H5Dclose);
    H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  }
}

const std::set<std::string> kFixtures = {"data.csv", "trials.csv", "data.h5"};

void fail(const char *what, const std::vector<std::string> &args) {
  std::fprintf(stderr, "fuzz_cli: %s; arguments:", what);
  for (const std::string &a : args)
    std::fprintf(stderr, " '%s'", a.c_str());
  std::fprintf(stderr, "\n");
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const fs::path &dir = lrf::fuzz::scratch_dir();
  write_fixtures(dir);
  // Relative paths in an input resolve in the scratch folder; the summary (stdout) is not wanted.
  if (::chdir(dir.c_str()) != 0)
    std::abort();
  const int null = ::open("/dev/null", O_WRONLY);
  if (null < 0 || ::dup2(null, STDOUT_FILENO) < 0)
    std::abort();
  ::close(null);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\0' || data[i] == '\n')
      args.emplace_back();
    else
      args.back() += static_cast<char>(data[i]);
  }
  if (args.back().empty())
    args.pop_back(); // a final separator ends the last argument
  if (args.size() > 32)
    return 0;
  bool trials = false, epochs = false;
  for (const std::string &a : args) {
    // --plot starts a Python process: not this target's business.
    if (!small_counts(a) || starts_with(a, "--plot"))
      return 0;
    trials = trials || starts_with(a, "--trials") || short_option_with(a, 'n');
    epochs = epochs || starts_with(a, "--epochs");
  }
  std::vector<std::string> full = {"lrfinder", "run"};
  full.insert(full.end(), args.begin(), args.end());
  // Small defaults where the input gives none (the tool's are 4096 trials of 500 epochs), and the output
  // always in the scratch folder (a second -o in the input is refused by the parser).
  if (!trials)
    full.insert(full.end(), {"-n", "5"});
  if (!epochs)
    full.insert(full.end(), {"--epochs", "20"});
  full.insert(full.end(), {"-o", "out.h5"});
  std::vector<char *> argv;
  for (std::string &a : full)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const int code = lrf::cli_main(static_cast<int>(full.size()), argv.data());

  std::vector<std::string> made;
  for (const auto &e : fs::directory_iterator(lrf::fuzz::scratch_dir()))
    if (!kFixtures.count(e.path().filename().string()))
      made.push_back(e.path().filename().string());
  if (code != 0 && code != 2)
    fail(("exit code " + std::to_string(code)).c_str(), full);
  if (code == 2 && !made.empty())
    fail(("refused, but left " + made[0]).c_str(), full);
  for (const std::string &name : made) {
    if (name.front() == '.')
      fail(("succeeded, but left " + name).c_str(), full);
    fs::remove_all(lrf::fuzz::scratch_dir() / name);
  }
  return 0;
}
