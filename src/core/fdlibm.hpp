// The exponential and log1p of the logistic loss: fdlibm 5.3's __ieee754_exp (e_exp.c) and log1p
// (s_log1p.c) (Sun Microsystems, 1993), ported operation by operation with basic IEEE operations only, so
// that the serial, cpu and cuda backends compute the same bits (libm's and CUDA's libdevice's differ, and
// numpy may use its own SIMD exp). Both are within 1 ulp of the correctly rounded value; scripts/reference.py
// holds the same ports in numpy, and the tests compare them bit for bit.
#pragma once

#include "core/hd.hpp"

#include <cstdint>
#include <cstring>

namespace lrf {
namespace fdlibm {

LRF_HD LRF_INLINE std::int32_t high_word(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(u >> 32));
}
LRF_HD LRF_INLINE std::uint32_t low_word(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return static_cast<std::uint32_t>(u);
}
// x with its high word replaced (fdlibm's `__HI(x) = hi`).
LRF_HD LRF_INLINE double with_high_word(double x, std::int32_t hi) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  u = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(hi)) << 32) | (u & 0xffffffffu);
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// e^x.
LRF_HD inline double exp(double x) {
  constexpr double one = 1.0, huge = 1.0e+300;
  constexpr double twom1000 = 9.33263618503218878990e-302; // 2^-1000
  constexpr double o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02;
  constexpr double ln2HI[2] = {6.93147180369123816490e-01, -6.93147180369123816490e-01};
  constexpr double ln2LO[2] = {1.90821492927058770002e-10, -1.90821492927058770002e-10};
  constexpr double halF[2] = {0.5, -0.5};
  constexpr double invln2 = 1.44269504088896338700e+00;
  constexpr double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03;
  constexpr double P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06;
  constexpr double P5 = 4.13813679705723846039e-08;
  auto hx = static_cast<std::uint32_t>(high_word(x));
  const int xsb = static_cast<int>((hx >> 31) & 1);
  hx &= 0x7fffffff;
  if (hx >= 0x40862E42) { // |x| >= 709.78...
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | low_word(x)) != 0)
        return x + x;            // NaN
      return xsb == 0 ? x : 0.0; // exp(+-inf) = {inf, 0}
    }
    if (x > o_threshold)
      return with_high_word(0.0, 0x7ff00000); // overflow: +inf (fdlibm: huge * huge)
    if (x < u_threshold)
      return 0.0; // underflow (fdlibm: twom1000 * twom1000)
  }
  double hi = 0, lo = 0;
  int k = 0;
  if (hx > 0x3fd62e42) {   // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2) { // and |x| < 1.5 ln2
      hi = x - ln2HI[xsb];
      lo = ln2LO[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int>(invln2 * x + halF[xsb]);
      const double t = k;
      hi = x - t * ln2HI[0]; // t * ln2HI is exact here
      lo = t * ln2LO[0];
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) { // |x| < 2^-28
    if (huge + x > one)
      return one + x;
  }
  const double t = x * x;
  const double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0)
    return one - ((x * c) / (c - 2.0) - x);
  const double y = one - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021)
    return with_high_word(y, high_word(y) + static_cast<std::int32_t>(static_cast<std::uint32_t>(k) << 20));
  return with_high_word(y, high_word(y) +
                               static_cast<std::int32_t>(static_cast<std::uint32_t>(k + 1000) << 20)) *
         twom1000;
}

// log(1 + x).
LRF_HD inline double log1p(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  constexpr double two54 = 1.80143985094819840000e+16;
  constexpr double Lp1 = 6.666666666666735130e-01, Lp2 = 3.999999999940941908e-01;
  constexpr double Lp3 = 2.857142874366239149e-01, Lp4 = 2.222219843214978396e-01;
  constexpr double Lp5 = 1.818357216161805012e-01, Lp6 = 1.531383769920937332e-01;
  constexpr double Lp7 = 1.479819860511658591e-01;
  constexpr double zero = 0.0;
  const std::int32_t hx = high_word(x);
  const std::int32_t ax = hx & 0x7fffffff;
  double f = 0, c = 0;
  std::int32_t k = 1, hu = 0;
  if (hx < 0x3FDA827A) {    // x < 0.41422
    if (ax >= 0x3ff00000) { // x <= -1.0
      if (x == -1.0)
        return -two54 / zero;   // log1p(-1) = -inf
      return (x - x) / (x - x); // log1p(x < -1) = NaN
    }
    if (ax < 0x3e200000) {                     // |x| < 2^-29
      if (two54 + x > zero && ax < 0x3c900000) // |x| < 2^-54
        return x;
      return x - x * x * 0.5;
    }
    if (hx > 0 || hx <= static_cast<std::int32_t>(0xbfd2bec3u)) { // -0.2929 < x < 0.41422
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000)
    return x + x;
  if (k != 0) {
    double u;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = high_word(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0); // correction term
      c /= u;
    } else {
      u = x;
      hu = high_word(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = with_high_word(u, hu | 0x3ff00000); // normalize u
    } else {
      k += 1;
      u = with_high_word(u, hu | 0x3fe00000); // normalize u/2
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1.0;
  }
  const double hfsq = 0.5 * f * f;
  if (hu == 0) { // |f| < 2^-20
    if (f == zero) {
      if (k == 0)
        return zero;
      c += k * ln2_lo;
      return k * ln2_hi + c;
    }
    const double R = hfsq * (1.0 - 0.66666666666666666 * f);
    if (k == 0)
      return f - R;
    return k * ln2_hi - ((R - (k * ln2_lo + c)) - f);
  }
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double R = z * (Lp1 + z * (Lp2 + z * (Lp3 + z * (Lp4 + z * (Lp5 + z * (Lp6 + z * Lp7))))));
  if (k == 0)
    return f - (hfsq - s * (hfsq + R));
  return k * ln2_hi - ((hfsq - (s * (hfsq + R) + (k * ln2_lo + c))) - f);
}

} // namespace fdlibm
} // namespace lrf
