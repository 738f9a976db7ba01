// The logarithms (and the one exponential) of every backend. One natural logarithm: fdlibm's __ieee754_log
// (Sun Microsystems, 1993; the algorithm of glibc's, musl's and FreeBSD's older log), written with basic IEEE
// operations only, so that the serial, cpu and cuda backends compute the same bits (std::log differs between
// libm and CUDA's libdevice, and between libm versions). Error below 1 ulp: on random inputs it is 1 ulp off
// glibc's (correctly rounded) log in about 4% of cases (tests/analysis_test.cpp). ieee_log(RuleVec) takes
// kRuleLanes logarithms at once: fdlibm's common path (x positive and normal, x / 2^k not within 2^-20 of 1)
// in vector operations, any other lane through the scalar function; the same bits either way
// (tests/lanes_test.cpp).
#pragma once

#include "core/lanes.hpp"

#include <cstdint>

namespace lrf {

namespace detail {

// fdlibm's common path, from f = x/2^k - 1 (|f| >= 2^-20) and hx, the high word of x/2^k without its
// exponent (both branches of fdlibm's `if (i > 0)` and of `k == 0` computed, one chosen per lane).
template <class V> LRF_HD LRF_INLINE V log_common(V f, LaneI<V> k, LaneI<V> hx) {
  constexpr double ln2_hi = 6.93147180369123816490e-01; // 3fe62e42 fee00000
  constexpr double ln2_lo = 1.90821492927058770002e-10; // 3dea39ef 35793c76
  constexpr double Lg1 = 6.666666666666735130e-01;      // 3FE55555 55555593
  constexpr double Lg2 = 3.999999999940941908e-01;      // 3FD99999 9997FA04
  constexpr double Lg3 = 2.857142874366239149e-01;      // 3FD24924 94229359
  constexpr double Lg4 = 2.222219843214978396e-01;      // 3FCC71C5 1D8E78AF
  constexpr double Lg5 = 1.818357216161805012e-01;      // 3FC74664 96CB03DE
  constexpr double Lg6 = 1.531383769920937332e-01;      // 3FC39A09 D078C69F
  constexpr double Lg7 = 1.479819860511658591e-01;      // 3FC2F112 DF3E5244
  const V s = f / (2.0 + f);
  const V dk = lanes::to_double(k);
  const V z = s * s;
  const V w = z * z;
  const V t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const V t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const LaneM<V> big = ((hx - 0x6147a) | (0x6b851 - hx)) > 0; // fdlibm's ii > 0
  const LaneM<V> k0 = k == 0;
  const V R = t2 + t1;
  const V hfsq = 0.5 * f * f;
  const V big_k0 = f - (hfsq - s * (hfsq + R));
  const V big_k = dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  const V small_k0 = f - s * (f - R);
  const V small_k = dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
  return lanes::select(big, lanes::select(k0, big_k0, big_k), lanes::select(k0, small_k0, small_k));
}

} // namespace detail

// log(x): -inf at +-0, NaN below 0 and at NaN, +inf at +inf.
LRF_HD inline double ieee_log(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  constexpr double two54 = 1.80143985094819840000e+16; // 43500000 00000000
  std::uint64_t u = lanes::bits_of(x);
  auto hx = static_cast<std::int32_t>(u >> 32); // high word
  const auto lx = static_cast<std::uint32_t>(u);
  std::int32_t k = 0;
  if (hx < 0x00100000) { // x < 2^-1022
    if (((hx & 0x7fffffff) | static_cast<std::int32_t>(lx)) == 0)
      return lanes::double_of(0xfff0000000000000u); // log(+-0) = -inf (fdlibm: -two54 / 0)
    if (hx < 0)
      return lanes::double_of(0x7ff8000000000000u); // log(negative) = NaN (fdlibm: (x - x) / 0)
    k -= 54;
    x *= two54; // a subnormal: scaled up
    u = lanes::bits_of(x);
    hx = static_cast<std::int32_t>(u >> 32);
  }
  if (hx >= 0x7ff00000)
    return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const std::int32_t i = (hx + 0x95f64) & 0x100000;
  // x normalized to [sqrt(2)/2, sqrt(2)): x or x/2
  u = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(hx | (i ^ 0x3ff00000))) << 32) |
      (lanes::bits_of(x) & 0xffffffffu);
  x = lanes::double_of(u);
  k += (i >> 20);
  const double f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) { // |f| < 2^-20
    if (f == 0.0) {
      if (k == 0)
        return 0.0;
      const auto dk = static_cast<double>(k);
      return dk * ln2_hi + dk * ln2_lo;
    }
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0)
      return f - R;
    const auto dk = static_cast<double>(k);
    return dk * ln2_hi - ((R - dk * ln2_lo) - f);
  }
  return detail::log_common<double>(f, k, hx);
}

// log10(x), fdlibm's __ieee754_log10 on ieee_log: exact at powers of ten up to 1e22; -inf at +-0, NaN
// below 0 and at NaN, +inf at +inf. What a distribution's bins and mean use (analysis/distribution.hpp).
LRF_HD inline double ieee_log10(double x) {
  constexpr double two54 = 1.80143985094819840000e+16;     // 43500000 00000000
  constexpr double ivln10 = 4.34294481903251816668e-01;    // 3FDBCB7B 1526E50E
  constexpr double log10_2hi = 3.01029995663611771306e-01; // 3FD34413 509F6000
  constexpr double log10_2lo = 3.69423907715893078616e-13; // 3D59FEF3 11F12B36
  std::uint64_t u = lanes::bits_of(x);
  auto hx = static_cast<std::int32_t>(u >> 32);
  const auto lx = static_cast<std::uint32_t>(u);
  std::int32_t k = 0;
  if (hx < 0x00100000) { // x < 2^-1022
    if (((hx & 0x7fffffff) | static_cast<std::int32_t>(lx)) == 0)
      return lanes::double_of(0xfff0000000000000u);
    if (hx < 0)
      return lanes::double_of(0x7ff8000000000000u);
    k -= 54;
    x *= two54;
    u = lanes::bits_of(x);
    hx = static_cast<std::int32_t>(u >> 32);
  }
  if (hx >= 0x7ff00000)
    return x + x;
  k += (hx >> 20) - 1023;
  const std::int32_t i = static_cast<std::int32_t>((static_cast<std::uint32_t>(k) & 0x80000000u) >> 31);
  hx = (hx & 0x000fffff) | ((0x3ff - i) << 20);
  const auto y = static_cast<double>(k + i);
  x = lanes::double_of((static_cast<std::uint64_t>(static_cast<std::uint32_t>(hx)) << 32) |
                       (u & 0xffffffffu));
  const double z = y * log10_2lo + ivln10 * ieee_log(x);
  return z + y * log10_2hi;
}

// exp(x), fdlibm's __ieee754_exp (error below 1 ulp): what the plan draws a factor of a range with, the
// same bits on the host and on a GPU.
LRF_HD inline double ieee_exp(double x) {
  constexpr double o_threshold = 7.09782712893383973096e+02;  // 40862E42 FEFA39EF
  constexpr double u_threshold = -7.45133219101941108420e+02; // c0874910 D52D3051
  constexpr double ln2_hi = 6.93147180369123816490e-01;       // 3fe62e42 fee00000
  constexpr double ln2_lo = 1.90821492927058770002e-10;       // 3dea39ef 35793c76
  constexpr double invln2 = 1.44269504088896338700e+00;       // 3ff71547 652b82fe
  constexpr double twom1000 = 9.33263618503218878990e-302;    // 2^-1000
  constexpr double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                   P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                   P5 = 4.13813679705723846039e-08;
  const std::uint64_t u = lanes::bits_of(x);
  auto hx = static_cast<std::uint32_t>(u >> 32);
  const int xsb = static_cast<int>((hx >> 31) & 1);
  hx &= 0x7fffffffu;
  if (hx >= 0x40862E42u) { // |x| >= 709.78...
    if (hx >= 0x7ff00000u) {
      if (((hx & 0xfffffu) | static_cast<std::uint32_t>(u)) != 0)
        return x + x;            // NaN
      return xsb == 0 ? x : 0.0; // exp(+-inf) = {inf, 0}
    }
    if (x > o_threshold)
      return lanes::double_of(0x7ff0000000000000u); // overflow
    if (x < u_threshold)
      return 0.0; // underflow
  }
  double hi = 0, lo = 0;
  int k = 0;
  if (hx > 0x3fd62e42u) {   // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2u) { // and |x| < 1.5 ln2
      hi = xsb == 0 ? x - ln2_hi : x + ln2_hi;
      lo = xsb == 0 ? ln2_lo : -ln2_lo;
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int>(invln2 * x + (xsb == 0 ? 0.5 : -0.5));
      const auto t = static_cast<double>(k);
      hi = x - t * ln2_hi; // t * ln2_hi is exact here
      lo = t * ln2_lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000u) { // |x| < 2^-28
    return 1.0 + x;
  }
  const double t = x * x;
  const double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0)
    return 1.0 - ((x * c) / (c - 2.0) - x);
  const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  const std::uint64_t yb = lanes::bits_of(y);
  if (k >= -1021)
    return lanes::double_of(yb + (static_cast<std::uint64_t>(static_cast<std::int64_t>(k)) << 52));
  return lanes::double_of(yb + (static_cast<std::uint64_t>(static_cast<std::int64_t>(k + 1000)) << 52)) *
         twom1000;
}

#if !defined(__CUDACC__)
// log of each lane, the same bits as ieee_log(double) lane by lane.
inline RuleVec ieee_log(RuleVec x) {
  const RuleVecU u = lanes::bits_of(x);
  const RuleVecI exponent =
      reinterpret_cast<RuleVecI>(u >> 52); // with the sign bit: 1..0x7fe for positive normal x
  RuleVecI hx = reinterpret_cast<RuleVecI>(u >> 32) & 0x000fffff;
  RuleVecI k = exponent - 1023;
  const RuleVecI i = (hx + 0x95f64) & 0x100000;
  const RuleVecU normalized = (reinterpret_cast<RuleVecU>(hx | (i ^ 0x3ff00000)) << 32) | (u & 0xffffffffu);
  k += i >> 20;
  const RuleVec f = lanes::double_of(normalized) - 1.0;
  const RuleVecI other = (exponent < 1) | (exponent > 0x7fe) | ((0x000fffff & (2 + hx)) < 3);
  RuleVec r = detail::log_common<RuleVec>(f, k, hx);
  if (lanes::any(other))
    for (int j = 0; j < kRuleLanes; ++j)
      if (other[j])
        r[j] = ieee_log(x[j]);
  return r;
}
#endif

} // namespace lrf
