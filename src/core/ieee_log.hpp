// One natural logarithm for every backend: fdlibm's __ieee754_log (Sun Microsystems, 1993; the algorithm
// of glibc's, musl's and FreeBSD's older log), written with basic IEEE operations only, so that the serial,
// cpu and cuda backends compute the same bits (std::log differs between libm and CUDA's libdevice, and
// between libm versions). Error below 1 ulp: on random inputs it is 1 ulp off glibc's (correctly rounded)
// log in about 4% of cases (tests/analysis_test.cpp).
#pragma once

#include "core/trial.hpp" // LRF_HD, LRF_INLINE

#include <cstdint>
#include <cstring>

namespace lrf {

namespace detail {

LRF_HD LRF_INLINE std::uint64_t to_bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

LRF_HD LRF_INLINE double from_bits(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

} // namespace detail

// log(x): -inf at +-0, NaN below 0 and at NaN, +inf at +inf.
LRF_HD inline double ieee_log(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01; // 3fe62e42 fee00000
  constexpr double ln2_lo = 1.90821492927058770002e-10; // 3dea39ef 35793c76
  constexpr double two54 = 1.80143985094819840000e+16;  // 43500000 00000000
  constexpr double Lg1 = 6.666666666666735130e-01;      // 3FE55555 55555593
  constexpr double Lg2 = 3.999999999940941908e-01;      // 3FD99999 9997FA04
  constexpr double Lg3 = 2.857142874366239149e-01;      // 3FD24924 94229359
  constexpr double Lg4 = 2.222219843214978396e-01;      // 3FCC71C5 1D8E78AF
  constexpr double Lg5 = 1.818357216161805012e-01;      // 3FC74664 96CB03DE
  constexpr double Lg6 = 1.531383769920937332e-01;      // 3FC39A09 D078C69F
  constexpr double Lg7 = 1.479819860511658591e-01;      // 3FC2F112 DF3E5244

  std::uint64_t u = detail::to_bits(x);
  auto hx = static_cast<std::int32_t>(u >> 32); // high word
  const auto lx = static_cast<std::uint32_t>(u);
  std::int32_t k = 0;
  if (hx < 0x00100000) { // x < 2^-1022
    if (((hx & 0x7fffffff) | static_cast<std::int32_t>(lx)) == 0)
      return detail::from_bits(0xfff0000000000000u); // log(+-0) = -inf (fdlibm: -two54 / 0)
    if (hx < 0)
      return detail::from_bits(0x7ff8000000000000u); // log(negative) = NaN (fdlibm: (x - x) / 0)
    k -= 54;
    x *= two54; // a subnormal: scaled up
    u = detail::to_bits(x);
    hx = static_cast<std::int32_t>(u >> 32);
  }
  if (hx >= 0x7ff00000)
    return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const std::int32_t i = (hx + 0x95f64) & 0x100000;
  // x normalized to [sqrt(2)/2, sqrt(2)): x or x/2
  u = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(hx | (i ^ 0x3ff00000))) << 32) |
      (detail::to_bits(x) & 0xffffffffu);
  x = detail::from_bits(u);
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
  const double s = f / (2.0 + f);
  const auto dk = static_cast<double>(k);
  const double z = s * s;
  std::int32_t ii = hx - 0x6147a;
  const double w = z * z;
  const std::int32_t j = 0x6b851 - hx;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  ii |= j;
  const double R = t2 + t1;
  if (ii > 0) {
    const double hfsq = 0.5 * f * f;
    if (k == 0)
      return f - (hfsq - s * (hfsq + R));
    return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  }
  if (k == 0)
    return f - s * (f - R);
  return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

} // namespace lrf
