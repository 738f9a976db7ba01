// The temporary file a result is written to, `.NAME.partial` beside the output, treated as living in a
// folder shared with strangers: it is made exclusively (never through a link, never over a file that is not
// ours), locked against every other lrfinder for as long as a writer holds it, and published under the
// final name without replacing what it must not.
#pragma once

#include <string>

namespace lrf {

// `.NAME.partial` in the folder of `final_path`.
std::string partial_name(const std::string &final_path);

class PartialFile {
public:
  // Looks at the partial file of `final_path` (`option` names the output in messages, "--output PATH").
  // InputError if something is there that is not ours to touch: a link, not a regular file, another
  // user's file, or a partial file another lrfinder is writing (it holds the lock).
  PartialFile(const std::string &final_path, const std::string &option);
  ~PartialFile(); // releases the lock (the file stays: see remove)
  PartialFile(const PartialFile &) = delete;
  PartialFile &operator=(const PartialFile &) = delete;

  const std::string &path() const { return path_; }
  // Whether a partial file of ours was there (and is now locked), a candidate to resume.
  bool existing() const { return existing_; }

  // Replaces what is there (ours, locked) with a new empty file, made exclusively and locked; InputError
  // where another run made one in between.
  void create();
  // Writes what the file holds to the disk (fdatasync); false on failure.
  bool sync() const;
  // Renames the partial file to the final name. Without `overwrite` nothing there is replaced; with it,
  // only a regular file is. RunError naming the file where that fails; the partial file then stays.
  void publish(bool overwrite);
  // Deletes the partial file, if we made or locked it and it is still there.
  void remove();

private:
  std::string final_, path_, option_;
  int fd_ = -1; // holds the lock (flock, exclusive) on the file
  bool existing_ = false;
};

} // namespace lrf
