#include "io/partial.hpp"

#include "core/errors.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lrf {

std::string partial_name(const std::string &final_path) {
  auto slash = final_path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : final_path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
  return dir + "." + base + ".partial";
}

namespace {

// Locks fd exclusively without waiting: false where another process holds it. A file system without
// locks (some network mounts) cannot lock at all: we go on without.
bool try_lock(int fd) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
    return true;
  return errno != EWOULDBLOCK && errno != EAGAIN && errno != EINTR;
}

} // namespace

PartialFile::PartialFile(const std::string &final_path, const std::string &option)
    : final_(final_path), path_(partial_name(final_path)), option_(option) {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0)
    return; // nothing there
  const std::string where = option_ + ": " + path_;
  if (S_ISLNK(st.st_mode))
    throw InputError(
        where + " is a symbolic link, not a partial file of lrfinder; remove it or choose another output");
  if (!S_ISREG(st.st_mode))
    throw InputError(where + " is not a regular file; remove it or choose another output");
  if (st.st_uid != ::geteuid())
    throw InputError(where + " belongs to another user; remove it or choose another output");
  fd_ = ::open(path_.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0)
    throw InputError(where + ": cannot open: " + std::strerror(errno));
  if (!try_lock(fd_)) {
    ::close(fd_);
    fd_ = -1;
    throw InputError(option_ + ": another lrfinder is writing " + path_ +
                     "; wait for it to end or choose another output");
  }
  existing_ = true;
}

PartialFile::~PartialFile() {
  if (fd_ >= 0)
    ::close(fd_); // and with it the lock
}

void PartialFile::create() {
  if (existing_)
    ::unlink(path_.c_str()); // ours and locked: no one else is using it
  if (fd_ >= 0)
    ::close(fd_);
  existing_ = false;
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == EEXIST)
    throw InputError(option_ + ": another lrfinder is writing " + path_ +
                     "; wait for it to end or choose another output");
  if (fd_ < 0)
    throw RunError("cannot write " + final_ + ": cannot create " + path_ + ": " + std::strerror(errno));
  if (!try_lock(fd_)) { // another run opened our new file before we locked it
    ::close(fd_);
    fd_ = -1;
    throw InputError(option_ + ": another lrfinder is writing " + path_ +
                     "; wait for it to end or choose another output");
  }
}

bool PartialFile::sync() const {
  return fd_ < 0 || ::fdatasync(fd_) == 0;
}

void PartialFile::publish(bool overwrite) {
  auto fail = [&](const std::string &why) {
    struct stat left {};
    const bool stays = ::lstat(path_.c_str(), &left) == 0;
    if (stays) { // complete, and the user's now: no longer locked, never removed
      ::close(fd_);
      fd_ = -1;
      existing_ = false;
      throw KeptError("cannot write " + final_ + ": " + why + "; the complete result stays in " + path_);
    }
    throw RunError("cannot write " + final_ + ": " + why);
  };
  struct stat st {};
  if (::lstat(final_.c_str(), &st) == 0) {
    if (!overwrite)
      fail(final_ + " appeared while the run went on (use --overwrite to replace it)");
    if (!S_ISREG(st.st_mode))
      fail(final_ + " is not a regular file");
  }
  // No replacing where nothing is to be replaced: a file made at the final name since the check stays.
  if (!overwrite) {
    if (::link(path_.c_str(), final_.c_str()) == 0) {
      ::unlink(path_.c_str());
    } else if (errno == EEXIST) {
      fail(final_ + " appeared while the run went on (use --overwrite to replace it)");
    } else if (std::rename(path_.c_str(), final_.c_str()) != 0) { // no hard links here (some mounts)
      fail("rename from " + path_ + " failed: " + std::strerror(errno));
    }
  } else if (std::rename(path_.c_str(), final_.c_str()) != 0) {
    fail("rename from " + path_ + " failed: " + std::strerror(errno));
  }
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  existing_ = false;
}

void PartialFile::remove() {
  if (fd_ < 0)
    return;
  struct stat ours {
  }, there{};
  // Only the file we hold: not one that replaced it under the same name.
  if (::fstat(fd_, &ours) == 0 && ::lstat(path_.c_str(), &there) == 0 && ours.st_dev == there.st_dev &&
      ours.st_ino == there.st_ino)
    ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
  existing_ = false;
}

} // namespace lrf
