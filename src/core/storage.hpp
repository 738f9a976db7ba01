// What a run keeps of the trajectories, and how (--save, --precision, --compress): plain data with its
// canonical texts, which the run's config and the file's attributes hold.
#pragma once

#include <string>

namespace lrf {

// Compute is always float64; f32 storage rounds each stored value once.
struct Storage {
  bool loss = true, weight = true, lr = true;
  bool rows = true; // per-trial rows (/trials); false: the statistics alone (--save stats), no trajectories
  bool f32 = false;
  int deflate = 0; // 0: no compression; 1..9: deflate level, after the shuffle filter

  bool trajectories() const { return loss || weight || lr; }
  std::string save_text() const;      // "loss,weight,lr", "loss", "none", "stats"
  std::string precision_text() const; // "f64" or "f32"
  std::string compress_text() const;  // "none" or "deflate:N"
};

// Each reads one of the texts above into `storage` and returns "", or what is wrong with the text
// ("'x' in 'loss,x' is not loss, weight or lr (or none, or stats)"), leaving `storage` as it was.
std::string parse_save(const std::string &text, Storage &storage);
std::string parse_precision(const std::string &text, Storage &storage);
std::string parse_compress(const std::string &text, Storage &storage);

} // namespace lrf
