// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a counter-based
// generator, so trial i's random numbers are a pure function of (seed, i) however a run is split, and the
// same on the host and on a GPU (LRF_HD).
#pragma once

#include "core/hd.hpp"

#include <cstdint>

namespace lrf {

struct Philox4 {
  std::uint32_t v[4];
  bool operator==(const Philox4 &o) const {
    return v[0] == o.v[0] && v[1] == o.v[1] && v[2] == o.v[2] && v[3] == o.v[3];
  }
};
struct PhiloxKey {
  std::uint32_t k[2];
};

LRF_HD inline Philox4 philox4x32_10(Philox4 ctr, PhiloxKey key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;   // round multipliers
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u; // key schedule increments
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{kMul0} * ctr.v[0];
    const std::uint64_t p1 = std::uint64_t{kMul1} * ctr.v[2];
    ctr =
        Philox4{{static_cast<std::uint32_t>(p1 >> 32) ^ ctr.v[1] ^ key.k[0], static_cast<std::uint32_t>(p1),
                 static_cast<std::uint32_t>(p0 >> 32) ^ ctr.v[3] ^ key.k[1], static_cast<std::uint32_t>(p0)}};
    key = PhiloxKey{{key.k[0] + kWeyl0, key.k[1] + kWeyl1}};
  }
  return ctr;
}

// Two independent uniform doubles in [0, 1) for trial `index` of a run seeded with `seed`, each from 53 bits.
struct Uniforms {
  double u[2];
};
LRF_HD inline Uniforms trial_uniforms(std::uint64_t seed, std::uint64_t index) {
  const Philox4 r = philox4x32_10(
      Philox4{{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), 0, 0}},
      PhiloxKey{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
  auto to_unit = [](std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t bits53 = (std::uint64_t{hi} << 21) | (lo >> 11);
    return static_cast<double>(bits53) * 0x1p-53;
  };
  return Uniforms{{to_unit(r.v[0], r.v[1]), to_unit(r.v[2], r.v[3])}};
}

} // namespace lrf
