// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a counter-based
// generator, so trial i's random numbers are a pure function of (seed, i) however a run is split.
#pragma once

#include <array>
#include <cstdint>

namespace lrf {

inline std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> ctr,
                                                  std::array<std::uint32_t, 2> key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;   // round multipliers
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u; // key schedule increments
  for (int round = 0; round < 10; ++round) {
    std::uint64_t p0 = std::uint64_t{kMul0} * ctr[0];
    std::uint64_t p1 = std::uint64_t{kMul1} * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
    key = {key[0] + kWeyl0, key[1] + kWeyl1};
  }
  return ctr;
}

// Two independent uniform doubles in [0, 1) for trial `index` of a run seeded with `seed`, each from 53 bits.
inline std::array<double, 2> trial_uniforms(std::uint64_t seed, std::uint64_t index) {
  auto r = philox4x32_10({static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), 0, 0},
                         {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  auto to_unit = [](std::uint32_t hi, std::uint32_t lo) {
    std::uint64_t bits53 = (std::uint64_t{hi} << 21) | (lo >> 11);
    return static_cast<double>(bits53) * 0x1p-53;
  };
  return {to_unit(r[0], r[1]), to_unit(r[2], r[3])};
}

} // namespace lrf
