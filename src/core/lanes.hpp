// Lanes: the suggestion rules are written once, as templates over V, the values of one trial (V = double:
// a CUDA thread, the serial reference) or of kRuleLanes trials at once, one per SIMD lane (V = RuleVec, on
// the CPU). Lane j of every operation does exactly what V = double does for trial j, so the answers are
// the same bits either way; where trials take different paths, masks (M) choose per lane, and the few
// steps that cannot run in lockstep run per lane on a scalar view (lane()).
//
//   I   per-lane integers (int64)          M   per-lane truth: bool, or a RuleVecI of 0 / -1
//   select(m, a, b), any(m), not_(m), done(m, i), at(v, j), set_at(v, j, x), splat<V>(x), count_max(n),
//   gather(p, stride, k): p[k * stride] lane by lane
#pragma once

#include "core/trial.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace lrf {

template <class V> struct LaneTypes;
template <> struct LaneTypes<double> {
  using I = std::int64_t;
  using M = bool;
  static constexpr int count = 1;
};

template <class V> using LaneI = typename LaneTypes<V>::I;
template <class V> using LaneM = typename LaneTypes<V>::M;

namespace lanes {

// Scalar lanes: plain values.
LRF_HD LRF_INLINE double select(bool m, double a, double b) {
  return m ? a : b;
}
LRF_HD LRF_INLINE std::int64_t select(bool m, std::int64_t a, std::int64_t b) {
  return m ? a : b;
}
LRF_HD LRF_INLINE bool any(bool m) {
  return m;
}
LRF_HD LRF_INLINE bool not_(bool m) {
  return !m;
}
// Whether a loop over i may stop because no lane is open: at once for one trial; a vector looks every
// eighth step (its loops are bounded, and a lane past its end changes nothing).
LRF_HD LRF_INLINE bool done(bool open, std::int64_t) {
  return !open;
}
LRF_HD LRF_INLINE double at(double v, int) {
  return v;
}
LRF_HD LRF_INLINE bool at(bool v, int) {
  return v;
}
LRF_HD LRF_INLINE std::int64_t at(std::int64_t v, int) {
  return v;
}
LRF_HD LRF_INLINE void set_at(double &v, int, double x) {
  v = x;
}
LRF_HD LRF_INLINE std::int64_t count_max(std::int64_t n) {
  return n;
}
LRF_HD LRF_INLINE double fused_multiply_add(double a, double b, double c) {
  return detail::fused(a, b, c);
}
LRF_HD LRF_INLINE std::uint64_t bits_of(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
LRF_HD LRF_INLINE double double_of(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
// i as a double, for |i| < 2^51.
LRF_HD LRF_INLINE double to_double(std::int64_t i) {
  return static_cast<double>(i);
}
LRF_HD LRF_INLINE double gather(const double *p, std::ptrdiff_t stride, std::int64_t k) {
  return p[k * stride];
}

} // namespace lanes

// v in every lane (keeps the sign of zero).
template <class V> LRF_HD LRF_INLINE V splat(double v) {
  return detail::splat<V>(v);
}
template <class V> LRF_HD LRF_INLINE LaneI<V> splat_i(std::int64_t v) {
  return LaneI<V>{} + v;
}

#if !defined(__CUDACC__)
// Vector lanes (host compilers only): four trials, one AVX2 register (eight, in two, made GCC's code for
// the masks and lane reads several times slower). Their alignment is the instruction set's (16 to 32
// bytes), so memory for them is allocated 64-byte aligned (core/suggest.cpp).
constexpr int kRuleLanes = 4;
typedef double RuleVec __attribute__((vector_size(kRuleLanes * sizeof(double))));
typedef std::int64_t RuleVecI __attribute__((vector_size(kRuleLanes * sizeof(std::int64_t))));
typedef std::uint64_t RuleVecU __attribute__((vector_size(kRuleLanes * sizeof(std::uint64_t))));
template <> struct LaneTypes<RuleVec> {
  using I = RuleVecI;
  using M = RuleVecI;
  static constexpr int count = kRuleLanes;
};

// N doubles (V) and N int64s (I, also masks of 0 / -1) in one vector: the cpu backend's lanes for each
// instruction set (backends/cpu.cpp), and the benchmark's peak probe in the same widths.
template <int N> struct VectorOf {
  typedef double V __attribute__((vector_size(N * sizeof(double))));
  typedef std::int64_t I __attribute__((vector_size(N * sizeof(std::int64_t))));
};

namespace lanes {

inline RuleVec select(RuleVecI m, RuleVec a, RuleVec b) {
  return m ? a : b;
}
inline RuleVecI select(RuleVecI m, RuleVecI a, RuleVecI b) {
  return m ? a : b;
}
inline bool any(RuleVecI m) {
  const RuleVecI half = m | __builtin_shufflevector(m, m, 2, 3, 0, 1);
  return (half | __builtin_shufflevector(half, half, 1, 0, 3, 2))[0] != 0;
}
inline RuleVecI not_(RuleVecI m) {
  return ~m;
}
inline bool done(RuleVecI open, std::int64_t i) {
  if ((i & 7) != 0)
    return false;
  __asm__ volatile(""); // keeps the look every eighth step: without it GCC looks at every step
  return !any(open);
}
inline double at(RuleVec v, int j) {
  return v[j];
}
inline std::int64_t at(RuleVecI v, int j) {
  return v[j];
}
inline void set_at(RuleVec &v, int j, double x) {
  v[j] = x;
}
inline std::int64_t count_max(RuleVecI n) {
  std::int64_t m = n[0];
  for (int j = 1; j < kRuleLanes; ++j)
    m = n[j] > m ? n[j] : m;
  return m;
}
inline RuleVec fused_multiply_add(RuleVec a, RuleVec b, RuleVec c) {
  return detail::fused(a, b, c);
}
inline RuleVecU bits_of(RuleVec x) {
  return (RuleVecU)x; // a cast between vectors of one size keeps the bits
}
inline RuleVec double_of(RuleVecU u) {
  return (RuleVec)u;
}
inline RuleVec to_double(RuleVecI i) {
  // 2^52 + 2^51 + i has i in its low mantissa bits: exact, and one integer add on every instruction set
  // (AVX2 has no int64 to double conversion).
  return double_of(reinterpret_cast<RuleVecU>(i + 0x4338000000000000)) - 6755399441055744.0;
}
inline RuleVec gather(const RuleVec *p, std::ptrdiff_t stride, RuleVecI k) {
  RuleVec r;
  for (int j = 0; j < kRuleLanes; ++j)
    r[j] = p[k[j] * stride][j];
  return r;
}

} // namespace lanes
#endif

} // namespace lrf
