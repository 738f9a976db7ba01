"""scripts/reference.py: its Philox port against Random123's known answers, its fdlibm exp and log1p against
fdlibm's C (known results, and the C itself where a C compiler is at hand) and the C library, the losses on
hand-worked cases, the minibatch draws, the many-trial loop against the one-trial loop, and `check` on files
written here."""
import ctypes
import importlib.util
import math
import os
import shutil
import struct
import subprocess
import sys
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "reference.py")
spec = importlib.util.spec_from_file_location("reference", SCRIPT)
R = importlib.util.module_from_spec(spec)
spec.loader.exec_module(R)


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", float(v)))[0]


def from_bits(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def ulp_distance(a, b):
    """How many doubles apart two arrays of non-negative doubles are, element by element."""
    return np.abs(np.asarray(a, dtype=np.float64).view(np.int64) - np.asarray(b, dtype=np.float64).view(np.int64))


# ---- Philox4x32-10 ------------------------------------------------------------------------------------------

def test_philox_known_answers_of_random123():
    # tests/plan_test.cpp, Philox.KnownAnswersOfRandom123 (Random123's kat_vectors).
    cases = [((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
             ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
             ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
              (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))]
    for ctr, key, want in cases:
        assert tuple(int(v) for v in R.philox4x32_10(ctr, key)) == want
    # Vectorised: the same answers lane by lane, broadcast against scalar words.
    ctrs = np.array([c for c, _, _ in cases], dtype=np.uint64).T
    got = R.philox4x32_10(tuple(ctrs), (0, 0))
    assert [int(v) for v in (w[0] for w in got)] == list(cases[0][2])
    got = R.philox4x32_10(tuple(ctrs), (0xa4093822, 0x299f31d0))
    assert tuple(int(w[2]) for w in got) == cases[2][2]


def test_mulhi_is_the_exact_128_bit_product():
    rng = np.random.default_rng(1)
    u = rng.integers(0, 2**64, size=2000, dtype=np.uint64)
    u[:4] = [0, 1, 2**64 - 1, 2**63]
    for n in (1, 2, 3, 100, 2**32 - 1, 2**32, 2**32 + 1, 12345678901234, 2**63 - 1, 2**64 - 1):
        want = [(int(v) * n) >> 64 for v in u]
        assert [int(v) for v in R._mulhi(u, n)] == want


# ---- Minibatch draws ----------------------------------------------------------------------------------------

def test_minibatch_point_is_philox_at_its_counter():
    # Point i of evaluation k of trial t: counter (t lo, t hi, k, i//2 + 1), key (seed lo, seed hi); 64 bits
    # from words 0, 1 (i even) or 2, 3 (i odd); index (u * n) >> 64.
    seed, t, k, n = 0x1234567890abcdef, (5 << 32) | 77, 311, 1000003
    idx = R.minibatch_indices(seed, t, k, 7, n)
    assert idx.shape == (7,) and idx.dtype == np.int64
    for i in range(7):
        v = [int(w) for w in R.philox4x32_10((t & 0xffffffff, t >> 32, k, i // 2 + 1),
                                             (seed & 0xffffffff, seed >> 32))]
        u = (v[0] << 32) | v[1] if i % 2 == 0 else (v[2] << 32) | v[3]
        assert idx[i] == (u * n) >> 64


def test_minibatch_indices_are_in_range_deterministic_and_broadcast():
    for n in (1, 2, 7, 100, 2**31 + 11, 2**40 + 3):
        idx = R.minibatch_indices(3, np.arange(50), 4, 16, n)
        assert idx.shape == (50, 16) and idx.min() >= 0 and idx.max() < n
    assert (R.minibatch_indices(3, np.arange(5), 4, 16, 1) == 0).all()
    a = R.minibatch_indices(9, 42, np.arange(20), 5, 1000)
    assert np.array_equal(a, R.minibatch_indices(9, 42, np.arange(20), 5, 1000))
    for k in range(20):  # one evaluation at a time: the same draws
        assert np.array_equal(a[k], R.minibatch_indices(9, 42, k, 5, 1000))
    b = R.minibatch_indices(9, np.arange(40, 44)[:, None], np.arange(3)[None, :], 6, 1000)
    assert b.shape == (4, 3, 6) and np.array_equal(b[2, 1], R.minibatch_indices(9, 42, 1, 6, 1000))
    # The first points of a larger minibatch are the smaller one's.
    assert np.array_equal(R.minibatch_indices(9, 42, 3, 11, 1000)[:5], a[3])


def test_minibatch_indices_differ_between_trials_evaluations_and_seeds():
    n, size = 10**6, 16
    base = R.minibatch_indices(0, 0, 0, size, n)
    others = [R.minibatch_indices(0, 1, 0, size, n), R.minibatch_indices(0, 0, 1, size, n),
              R.minibatch_indices(1, 0, 0, size, n), R.minibatch_indices(0, 1 << 32, 0, size, n),
              R.minibatch_indices(1 << 32, 0, 0, size, n)]
    for o in others:
        assert (o != base).sum() >= size - 1  # a coincidence at one point in 10^6 is possible, not at two
    rows = R.minibatch_indices(5, np.arange(200), np.arange(200) % 7, size, n)
    assert len({tuple(r) for r in rows}) == 200
    assert len(set(base.tolist())) == size  # 16 of 10^6 with replacement: no repeat (p ~ 1e-4)


def test_minibatch_indices_are_uniform_chi_square():
    n, size = 97, 16
    idx = R.minibatch_indices(2024, np.arange(1000)[:, None], np.arange(50)[None, :], size, n).ravel()
    counts = np.bincount(idx, minlength=n)
    expected = idx.size / n
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    dof = n - 1
    # Wilson-Hilferty: chi2/dof is about normal with mean 1 - 2/(9 dof) and sd sqrt(2/(9 dof)); z = 4.75
    # is a one-sided p of 1e-6. The statistic for this seed is fixed: 93.2 (dof 96, bound 177).
    bound = dof * (1 - 2 / (9 * dof) + 4.75 * math.sqrt(2 / (9 * dof))) ** 3
    assert chi2 < bound, (chi2, bound)
    # Each place in the minibatch is uniform as well (even and odd places take other words); 2.5, 7.6, 8.9.
    for i in (0, 1, 15):
        c = np.bincount(R.minibatch_indices(7, np.arange(20000), 0, size, 10)[:, i], minlength=10)
        assert float(((c - 2000) ** 2 / 2000).sum()) < 9 * (1 - 2 / 81 + 4.75 * math.sqrt(2 / 81)) ** 3


# ---- fdlibm's exp and log1p ---------------------------------------------------------------------------------

# Results of fdlibm 5.3's C (e_exp.c and s_log1p.c compiled with gcc -O2 -ffp-contract=off on x86-64; the same
# source as FDLIBM_C below), as (input, result) bit patterns; the first ones of each are inputs where fdlibm and
# glibc differ by one ulp.
FDLIBM_EXP = [
    (0x3ff0000000000000, 0x4005bf0a8b14576a),  # exp(1) = 2.7182818284590455, glibc's (and e's) 2.718281828459045
    (0xbfe3333333333333, 0x3fe18fdd6b9604e4),  # exp(-0.6)
    (0xbff199999999999a, 0x3fd54dc284911bf0),  # exp(-1.1)
    (0xc024000000000000, 0x3f07cd79b5647c9a),  # exp(-10) = 4.539992976248485e-05
    (0xc086273333333333, 0x0009ab77c6e3d8a4),  # exp(-708.9), subnormal
    (0xbff0000000000000, 0x3fd78b56362cef38),  # exp(-1)
    (0xc059000000000000, 0x36ea8c1f14e2af5d),  # exp(-100)
    (0xc085e00000000000, 0x00d14f2b0fb9307f),  # exp(-700)
    (0xc086232bdd7abcd2, 0x001000000000007c),  # exp(-708.3964185322641), just above DBL_MIN
    (0xc086233333333333, 0x000ff15b469edf89),  # exp(-708.4), the first subnormals
    (0xc087200000000000, 0x0000000000000055),  # exp(-740) = 4.2e-322
    (0xc087480000000000, 0x0000000000000001),  # exp(-745) = 5e-324
    (0xc0874910d52d3051, 0x0000000000000001),  # exp(u_threshold)
    (0xc0874910d52d3052, 0x0000000000000000),  # one below: fdlibm's underflow branch
    (0x40862e42fefa39ef, 0x7fefffffffffff2a),  # exp(o_threshold), the largest finite result
    (0x3fd62e42fefa39ef, 0x3ff6a09e667f3bcc),  # around 0.5 ln 2, where the reduction starts
    (0x3fd62e42fefa39f0, 0x3ff6a09e667f3bcd),
    (0xbff0a2b23f3bab73, 0x3fd6a09e667f3bcd),  # around 1.5 ln 2, where k*ln2 takes over from +-ln2
    (0xbe30000000000000, 0x3feffffffe000000),  # -2**-28, the first of the polynomial
    (0xbe20000000000000, 0x3fefffffff000000),  # -2**-29: 1 + x
]
FDLIBM_LOG1P = [
    (0x3fc03d9a95421c04, 0x3fbe94749f524b85),  # log1p(0.12688), glibc 0.11945275201496316
    (0x3fc0ba1f4b1ee243, 0x3fbf71149c48e820),  # log1p(0.13068)
    (0x3fc2963dc486ad2e, 0x3fc15af2cd599d98),  # log1p(0.14521)
    (0x3ff0000000000000, 0x3fe62e42fefa39ef),  # log1p(1), the double nearest ln 2
    (0x3fe0000000000000, 0x3fd9f323ecbf984c),  # log1p(0.5)
    (0x3ddb7cdfd9d7bdbb, 0x3ddb7cdfd9d1d693),  # log1p(1e-10)
    (0x3e20000000000000, 0x3e1fffffff800000),  # log1p(2**-29): the polynomial with f = x
    (0x3e10000000000000, 0x3e0fffffffc00000),  # log1p(2**-30), below 2**-29: x - x*x*0.5
    (0x3c90000000000000, 0x3c90000000000000),  # log1p(2**-54) = x
    (0x0000000000000001, 0x0000000000000001),  # log1p(5e-324) = 5e-324
    (0x3fda827999fcef32, 0x3fd62e42fefa39ef),  # around sqrt(2) - 1, where f = x gives way to 1 + x = 2^k u
    (0x3fda827999fcef33, 0x3fd62e42fefa39f0),
    (0x3fefffffffffffff, 0x3fe62e42fefa39ef),
    (0x4008000000000000, 0x3ff62e42fefa39ef),  # log1p(3) = 2 ln 2
    (0x7e37e43c8800759c, 0x4085963447f87fb5),  # log1p(1e300): past 2**53, u = x
    (0xbfe0000000000000, 0xbfe62e42fefa39ef),  # log1p(-0.5) = -ln 2
    (0xbfd2bec333018868, 0xbfd62e42fefa39f1),  # around -0.2929
]


@pytest.mark.parametrize("fn,table", [(R.exp_, FDLIBM_EXP), (R.log1p_, FDLIBM_LOG1P)])
def test_fdlibm_known_results(fn, table):
    xs = np.array([from_bits(a) for a, _ in table])
    got = fn(xs)
    assert ["%016x" % bits(v) for v in got] == ["%016x" % b for _, b in table]
    for (a, b) in table:  # one at a time, as 0-d arrays
        assert bits(fn(from_bits(a))) == b


def test_fdlibm_constants_are_the_intended_bits():
    assert bits(R._EXP_LN2HI[0]) == 0x3fe62e42fee00000 and bits(R._EXP_LN2HI[1]) == 0xbfe62e42fee00000
    assert bits(R._EXP_LN2LO[0]) == 0x3dea39ef35793c76 and bits(R._EXP_LN2LO[1]) == 0xbdea39ef35793c76
    assert bits(9.33263618503218878990e-302) == 0x0170000000000000  # 2**-1000
    assert bits(7.09782712893383973096e+02) == 0x40862e42fefa39ef
    assert bits(-7.45133219101941108420e+02) == 0xc0874910d52d3051
    assert bits(1.44269504088896338700e+00) == 0x3ff71547652b82fe
    assert [bits(v) for v in (1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
                              -1.65339022054652515390e-06, 4.13813679705723846039e-08)] == [
        0x3fc555555555553e, 0xbf66c16c16bebd93, 0x3f11566aaf25de2c, 0xbebbbd41c5d26bf1, 0x3e66376972bea4d0]
    assert [bits(v) for v in (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
                              2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
                              1.479819860511658591e-01)] == [
        0x3fe5555555555593, 0x3fd999999997fa04, 0x3fd2492494229359, 0x3fcc71c51d8e78af, 0x3fc7466496cb03de,
        0x3fc39a09d078c69f, 0x3fc2f112df3e5244]
    assert bits(1.80143985094819840000e+16) == 0x4350000000000000  # 2**54


def test_fdlibm_exact_and_special_cases():
    e, l1 = lambda v: float(R.exp_(v)), lambda v: float(R.log1p_(v))
    nan = float("nan")
    assert e(0.0) == 1.0 and e(-0.0) == 1.0  # the only exact finite case
    assert bits(e(-math.inf)) == 0 and e(math.inf) == math.inf
    assert math.isnan(e(nan)) and math.isnan(e(-nan))
    assert bits(e(-745.2)) == 0 and bits(e(-1000.0)) == 0 and bits(e(-1e300)) == 0
    assert e(709.79) == math.inf and e(1e300) == math.inf
    assert e(from_bits(0x40862e42fefa39f0)) == math.inf  # one above o_threshold
    tiny = R.exp_(np.linspace(-745.0, -708.5, 1000))  # the subnormal results: nonzero, tiny, decreasing
    assert (tiny > 0).all() and (tiny < 2.2250738585072014e-308).all() and (np.diff(tiny) >= 0).all()
    assert e(-2**-60) == 1.0 and e(2**-60) == 1.0 and e(5e-324) == 1.0
    assert l1(0.0) == 0.0 and bits(l1(-0.0)) == bits(-0.0)
    assert l1(1.0) == float(Fraction(Decimal(2).ln())) == math.log(2)  # the double nearest ln 2
    assert l1(-1.0) == -math.inf and l1(math.inf) == math.inf
    for v in (-1.5, -2.0, -math.inf, nan, -nan):
        assert math.isnan(l1(v))
    assert l1(5e-324) == 5e-324 and l1(-5e-324) == -5e-324 and l1(2**-60) == 2**-60
    assert bits(l1(-2**-1074)) == bits(-5e-324)
    # NaN payloads pass through quieted, as C's x + x leaves them.
    q = from_bits(0x7ff8000000000123)
    assert bits(e(q)) == 0x7ff8000000000123 and bits(l1(q)) == 0x7ff8000000000123
    # Shapes stay.
    assert R.exp_(np.zeros((2, 3))).shape == (2, 3) and R.log1p_(np.zeros((4, 1))).shape == (4, 1)


def test_fdlibm_within_one_ulp_of_the_c_library():
    rng = np.random.default_rng(2024)
    x = rng.uniform(-750.0, 0.0, 100000)
    d = ulp_distance(R.exp_(x), [math.exp(v) for v in x])
    print(f"exp on [-750, 0]: max {d.max()} ulp from math.exp, {np.mean(d > 0):.2%} differ")
    assert d.max() <= 1  # measured: 1 ulp, 9.2% of inputs differ (glibc 2.36)
    x = rng.uniform(0.0, 1.0, 100000)
    d = ulp_distance(R.log1p_(x), [math.log1p(v) for v in x])
    print(f"log1p on [0, 1]: max {d.max()} ulp from math.log1p, {np.mean(d > 0):.2%} differ")
    assert d.max() <= 1  # measured: 1 ulp, 0.12% of inputs differ (glibc 2.36)


# fdlibm 5.3's e_exp.c and s_log1p.c, their code as it is but for how the words of a double are read and written.
FDLIBM_C = r"""
/* fdlibm 5.3 e_exp.c and s_log1p.c: Copyright (C) 1993, 2004 by Sun Microsystems, Inc. All rights reserved.
 * Permission to use, copy, modify, and distribute this software is freely granted, provided that this notice
 * is preserved. */
#include <stdint.h>
#include <string.h>
static int32_t HI(double x) { uint64_t u; memcpy(&u, &x, 8); return (int32_t)(uint32_t)(u >> 32); }
static uint32_t LO(double x) { uint64_t u; memcpy(&u, &x, 8); return (uint32_t)u; }
static double SETHI(double x, int32_t hi) { uint64_t u; memcpy(&u, &x, 8);
  u = ((uint64_t)(uint32_t)hi << 32) | (u & 0xffffffffu); memcpy(&x, &u, 8); return x; }
static const double one = 1.0, halF[2] = {0.5,-0.5,}, huge = 1.0e+300, twom1000 = 9.33263618503218878990e-302,
o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02,
ln2HI[2] = { 6.93147180369123816490e-01, -6.93147180369123816490e-01,},
ln2LO[2] = { 1.90821492927058770002e-10, -1.90821492927058770002e-10,},
invln2 = 1.44269504088896338700e+00, P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
static double fd_exp(double x) {
  double y,hi=0,lo=0,c,t; int k=0,xsb; unsigned hx;
  hx = (unsigned)HI(x); xsb = (hx>>31)&1; hx &= 0x7fffffff;
  if(hx >= 0x40862E42) {
    if(hx>=0x7ff00000) { if(((hx&0xfffff)|LO(x))!=0) return x+x; else return (xsb==0)? x:0.0; }
    if(x > o_threshold) return huge*huge;
    if(x < u_threshold) return twom1000*twom1000;
  }
  if(hx > 0x3fd62e42) {
    if(hx < 0x3FF0A2B2) { hi = x-ln2HI[xsb]; lo=ln2LO[xsb]; k = 1-xsb-xsb; }
    else { k = (int)(invln2*x+halF[xsb]); t = k; hi = x - t*ln2HI[0]; lo = t*ln2LO[0]; }
    x = hi - lo;
  } else if(hx < 0x3e300000) { if(huge+x>one) return one+x; }
  else k = 0;
  t = x*x;
  c = x - t*(P1+t*(P2+t*(P3+t*(P4+t*P5))));
  if(k==0) return one-((x*c)/(c-2.0)-x); else y = one-((lo-(x*c)/(2.0-c))-hi);
  if(k >= -1021) { y = SETHI(y, (int32_t)((uint32_t)HI(y) + ((uint32_t)k<<20))); return y; }
  else { y = SETHI(y, (int32_t)((uint32_t)HI(y) + ((uint32_t)(k+1000)<<20))); return y*twom1000; }
}
static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
two54 = 1.80143985094819840000e+16, Lp1 = 6.666666666666735130e-01, Lp2 = 3.999999999940941908e-01,
Lp3 = 2.857142874366239149e-01, Lp4 = 2.222219843214978396e-01, Lp5 = 1.818357216161805012e-01,
Lp6 = 1.531383769920937332e-01, Lp7 = 1.479819860511658591e-01;
static volatile double zero = 0.0;
static double fd_log1p(double x) {
  double hfsq,f=0,c=0,s,z,R,u; int32_t k,hx,hu=0,ax;
  hx = HI(x); ax = hx&0x7fffffff;
  k = 1;
  if (hx < 0x3FDA827A) {
    if(ax>=0x3ff00000) { if(x==-1.0) return -two54/zero; else return (x-x)/(x-x); }
    if(ax<0x3e200000) { if(two54+x>zero && ax<0x3c900000) return x; else return x - x*x*0.5; }
    if(hx>0||hx<=((int32_t)0xbfd2bec3)) { k=0;f=x;hu=1; }
  }
  if (hx >= 0x7ff00000) return x+x;
  if(k!=0) {
    if(hx<0x43400000) { u = 1.0+x; hu = HI(u); k = (hu>>20)-1023;
      c = (k>0)? 1.0-(u-x):x-(u-1.0); c /= u; }
    else { u = x; hu = HI(u); k = (hu>>20)-1023; c = 0; }
    hu &= 0x000fffff;
    if(hu<0x6a09e) { u = SETHI(u,hu|0x3ff00000); }
    else { k += 1; u = SETHI(u,hu|0x3fe00000); hu = (0x00100000-hu)>>2; }
    f = u-1.0;
  }
  hfsq=0.5*f*f;
  if(hu==0) {
    if(f==zero) { if(k==0) return zero; else {c += k*ln2_lo; return k*ln2_hi+c;} }
    R = hfsq*(1.0-0.66666666666666666*f);
    if(k==0) return f-R; else return k*ln2_hi-((R-(k*ln2_lo+c))-f);
  }
  s = f/(2.0+f); z = s*s;
  R = z*(Lp1+z*(Lp2+z*(Lp3+z*(Lp4+z*(Lp5+z*(Lp6+z*Lp7))))));
  if(k==0) return f-(hfsq-s*(hfsq+R)); else return k*ln2_hi-((hfsq-(s*(hfsq+R)+(k*ln2_lo+c)))-f);
}
void fd_exp_array(const double *x, double *r, long n) { for (long i = 0; i < n; ++i) r[i] = fd_exp(x[i]); }
void fd_log1p_array(const double *x, double *r, long n) { for (long i = 0; i < n; ++i) r[i] = fd_log1p(x[i]); }
"""


def test_fdlibm_ports_give_the_c_bits(tmp_path):
    """fdlibm's C itself, compiled here without FMA contraction: every bit the same on special values, their
    neighbours, every binade and random bit patterns (NaNs with payloads included)."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler to build fdlibm's C with")
    src, lib_path = tmp_path / "fdlibm.c", tmp_path / "libfdlibm.so"
    src.write_text(FDLIBM_C)
    subprocess.run([cc, "-O2", "-ffp-contract=off", "-fno-fast-math", "-fPIC", "-shared", "-o", str(lib_path),
                    str(src)], check=True)
    lib = ctypes.CDLL(str(lib_path))
    rng = np.random.default_rng(17)
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 1.0, -1.0, 5e-324, -5e-324,
                2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 709.782712893384,
                -745.1332191019411, -708.3964185322641, 0.34657359027997264, 1.0397207708399179, 2**-28, 2**-29,
                2**-54, 0.41421356237309503, -0.29289321881345254, 2.0**53, 2.0**54, -0.9999999999999999]
    specials = np.array(specials + [-v for v in specials])
    finite = specials[np.isfinite(specials)]
    near = (finite.view(np.int64)[:, None] + np.arange(-40, 41)[None, :]).ravel().view(np.float64)
    xs = np.concatenate([specials, near, rng.integers(0, 2**64, 200000, dtype=np.uint64).view(np.float64),
                         np.ldexp(rng.uniform(-1, 1, 200000), rng.integers(-1076, 1025, 200000)),
                         rng.uniform(-750, 0, 100000), rng.uniform(-1, 1, 100000)])
    for name, port in (("fd_exp_array", R.exp_), ("fd_log1p_array", R.log1p_)):
        want = np.empty_like(xs)
        getattr(lib, name)(xs.ctypes.data_as(ctypes.c_void_p), want.ctypes.data_as(ctypes.c_void_p),
                           ctypes.c_long(xs.size))
        got = port(xs)
        differ = np.nonzero(got.view(np.uint64) != want.view(np.uint64))[0]
        assert differ.size == 0, [(hex(bits(xs[i])), hex(bits(got[i])), hex(bits(want[i]))) for i in differ[:5]]


# ---- The losses ---------------------------------------------------------------------------------------------

def test_losses_on_hand_worked_cases():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 5.0])  # at w = 1: r = y - x = [1, -1, 2]
    mean = lambda loss, **kw: float(np.mean(R.point_losses(loss, 1.0, x, y, **kw)))
    assert mean("mse") == 2.0  # (1 + 1 + 4) / 3
    assert mean("mae") == 4 / 3  # (1 + 1 + 2) / 3
    assert mean("huber") == 2.5 / 3  # 0.5 + 0.5 + 1*(2 - 0.5)
    assert mean("huber", huber_delta=2.0) == 1.0  # 0.5 + 0.5 + 0.5*4, |r| <= delta inclusive
    assert mean("huber", huber_delta=0.5) == 1.625 / 3  # 0.5*(1 - 0.25) * 2 + 0.5*(2 - 0.25)
    assert list(R.point_losses("huber", 2.0, x, y)) == [0.0, 2.5, 0.5]  # r = [0, -3, -1]
    # Huber is mse/2 for small residuals and mae - delta/2 for large ones.
    r = np.array([-0.3, 0.2, 0.9])
    assert np.array_equal(R.point_losses("huber", 0.0, np.ones(3), r), 0.5 * r * r)
    r = np.array([-30.0, 20.0, 9.0])
    assert np.array_equal(R.point_losses("huber", 0.0, np.ones(3), r, huber_delta=1.0), np.abs(r) - 0.5)
    # Logistic: z = 0 gives ln 2 whatever the label; a confident right answer costs log1p(e^-z); a confident
    # wrong one z + log1p(e^-z).
    assert list(R.point_losses("logistic", 3.0, np.zeros(2), np.array([0.0, 1.0]))) == [math.log(2)] * 2
    assert float(R.point_losses("logistic", 1.0, np.array([40.0]), np.array([1.0]))[0]) == math.log1p(math.exp(-40))
    assert float(R.point_losses("logistic", 1.0, np.array([-40.0]), np.array([0.0]))[0]) == math.log1p(math.exp(-40))
    assert float(R.point_losses("logistic", 1.0, np.array([40.0]), np.array([0.0]))[0]) == 40.0
    assert float(R.point_losses("logistic", 1.0, np.array([800.0]), np.array([1.0]))[0]) == 0.0  # e^-800 is 0
    with pytest.raises(ValueError):
        R.point_losses("hinge", 1.0, x, y)


def exact_logistic_term(z, y):
    """max(z, 0) - z*y + ln(1 + e^-|z|) of the doubles z and y, to 60 significant digits of the last term."""
    with localcontext() as ctx:
        ctx.prec = 60 + int(abs(z) / 2.3)
        zd, yd = Decimal(float(z)), Decimal(float(y))
        return max(zd, Decimal(0)) - zd * yd + (1 + (-abs(zd)).exp()).ln()


def test_logistic_term_against_high_precision():
    rng = np.random.default_rng(11)
    z = np.concatenate([rng.uniform(-1, 1, 2000), rng.uniform(-40, 40, 2000), rng.uniform(-760, 760, 1000)])
    y = rng.integers(0, 2, z.size).astype(np.float64)
    got = R.point_losses("logistic", 1.0, z, y)
    worst = 0.0
    for g, zi, yi in zip(got, z, y):
        want = exact_logistic_term(zi, yi)
        worst = max(worst, float(abs(Decimal(float(g)) - want) / Decimal(math.ulp(float(want)))))
    print(f"logistic term: at most {worst:.3f} ulp from the exact value")
    # Measured 1.46 ulp at most on 120000 such terms (exp and log1p within 1 ulp each, one rounded addition).
    assert worst <= 2.0


# ---- The loop -----------------------------------------------------------------------------------------------

def assert_same_trials(x, y, w0s, scans, factors, epochs, **kw):
    """seed_trials against seed_trial, trial by trial, bit for bit."""
    first = kw.pop("first_trial", 0)
    lrs, losses, weights, steps, status = R.seed_trials(x, y, w0s, scans, factors, epochs=epochs,
                                                         first_trial=first, **kw)
    seen = set()
    for i in range(len(w0s)):
        lr, loss, w, st = R.seed_trial(x, y, float(w0s[i]), int(scans[i]), float(factors[i]), epochs=epochs,
                                       trial=first + i, **kw)
        assert steps[i] == len(lr) - 1 and status[i] == st
        for got, want in ((lrs[i], lr), (losses[i], loss), (weights[i], w)):
            row = np.full(epochs + 1, np.nan)
            row[: len(want)] = want
            assert row.tobytes() == got.tobytes()
        seen.add(st)
    return seen


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "logistic"])
@pytest.mark.parametrize("minibatch", [0, 16, 5])
def test_many_trials_at_once_are_the_one_trial_loop(loss, minibatch):
    rng = np.random.default_rng(3)
    x = rng.normal(size=60) * 2
    noise = rng.normal(size=60)
    y = (rng.uniform(size=60) < 1 / (1 + np.exp(-1.5 * x))).astype(float) if loss == "logistic" else 0.7 * x + noise
    n = 12
    w0s = rng.uniform(-5, 10, n)
    scans = np.arange(n) % 2
    factors = np.where(scans == 0, 5e-2, 1.25)
    seen = assert_same_trials(x, y, w0s, scans, factors, 150, loss=loss, huber_delta=0.7, minibatch=minibatch,
                              seed=99, first_trial=(1 << 32) - 5, diverge=1e4 if loss == "mse" else 30.0)
    assert R.DIVERGED in seen


def test_many_trials_at_once_on_the_golden_cases_and_the_stops():
    # The seed's data with every golden case's settings (stalled and short ones included), a relative stop,
    # and the large data set past numpy's 8192-element buffers.
    seen = set()
    for name, data_id, w0, scan, factor, epochs in R.golden_cases():
        x, y = R.golden_data(data_id)
        seen |= assert_same_trials(x, y, [w0], [scan], [factor], epochs)
    assert {R.DIVERGED, R.COMPLETED, R.STALLED} <= seen
    x, y = R.golden_data(0)
    seen = assert_same_trials(x, y, [8.0, -3.0, 2.4, 2.5000001], [R.LINEAR, R.EXP, R.EXP, R.EXP],
                              [5e-4, 1.1, 1.3, 1.001], 200, stop_factor=1.5)
    assert R.ROSE in seen


# ---- check FILE.h5 ------------------------------------------------------------------------------------------

def write_run(path, x, y, w0s, scans, factors, epochs, attrs, dtype=np.float64, tamper=False):
    """An lrfinder-like result file whose trajectories come from the one-trial loop, with the attributes that
    check reads (attrs adds or replaces them: loss, huber_delta, minibatch, seed, first_trial, arith...)."""
    h5py = pytest.importorskip("h5py")
    kw = {k: attrs[k] for k in ("loss", "huber_delta", "minibatch", "seed") if k in attrs}
    first = int(attrs.get("first_trial", 0))
    rows = [R.seed_trial(x, y, float(w0s[i]), int(scans[i]), float(factors[i]), epochs=epochs, trial=first + i,
                         **kw) for i in range(len(w0s))]
    arrays = {name: np.full((len(w0s), epochs + 1), np.nan) for name in ("lr", "loss", "weight")}
    for i, (lr, loss, w, _) in enumerate(rows):
        for name, v in (("lr", lr), ("loss", loss), ("weight", w)):
            arrays[name][i, : len(v)] = v
    if tamper:
        arrays["loss"][len(w0s) // 2, 1] = np.nextafter(arrays["loss"][len(w0s) // 2, 1], np.inf)
    with h5py.File(path, "w") as f:
        f["/data/x"], f["/data/y"] = x, y
        base = {"base_lr": 1e-7, "epochs": np.int32(epochs), "diverge": 1e7, "stop_factor": 0.0, "arith": "exact",
                "seed": np.uint64(0), "first_trial": np.int64(0), "sum_block": np.int64(R.numpy_sum_block(len(x)))}
        base.update(attrs)
        for k, v in base.items():
            f.attrs[k] = np.uint64(v) if k == "seed" else np.int64(v) if k in ("first_trial", "minibatch") else v
        t = f.create_group("trials")
        t["start_weight"], t["scan"], t["factor"] = np.asarray(w0s, float), np.asarray(scans, np.uint8), factors
        t["steps"] = np.array([len(r[0]) - 1 for r in rows], dtype=np.int32)
        t["status"] = np.array([r[3] for r in rows], dtype=np.uint8)
        for name, v in arrays.items():
            f[name] = v.astype(dtype)


def run_check(path):
    return subprocess.run([sys.executable, SCRIPT, "check", str(path)], capture_output=True, text=True)


def logistic_data(points=80):
    rng = np.random.default_rng(8)
    x = rng.normal(size=points) * 1.5
    return x, (rng.uniform(size=points) < 1 / (1 + np.exp(-2 * x))).astype(np.float64)


def test_check_reads_the_loss_minibatch_seed_and_first_trial(tmp_path):
    x, y = logistic_data()
    n = 20
    w0s, scans = np.linspace(-5, 10, n), np.arange(n) % 2
    factors = np.where(scans == 0, 2e-3, 1.12)
    attrs = {"loss": "logistic", "minibatch": 16, "seed": (7 << 40) + 3, "first_trial": (1 << 32) + 100}
    write_run(tmp_path / "a.h5", x, y, w0s, scans, factors, 150, attrs)
    r = run_check(tmp_path / "a.h5")
    assert r.returncode == 0 and r.stdout.strip() == f"{n} passed, 0 failed", r.stdout + r.stderr
    # The same trajectories claimed for other trials, another seed or another loss: not the same draws.
    import h5py
    for change in ({"first_trial": (1 << 32) + 101}, {"seed": (7 << 40) + 4}, {"loss": "mse"},
                   {"minibatch": 15}):
        shutil.copy(tmp_path / "a.h5", tmp_path / "b.h5")
        with h5py.File(tmp_path / "b.h5", "a") as f:
            for k, v in change.items():
                f.attrs[k] = np.uint64(v) if k == "seed" else np.int64(v) if k != "loss" else v
        r = run_check(tmp_path / "b.h5")
        assert r.returncode == 1 and r.stdout.strip().endswith(f"0 passed, {n} failed"), (change, r.stdout)
    # float32 storage; mae and huber (with its delta) on the full data, f32.
    write_run(tmp_path / "c.h5", x, y, w0s, scans, factors, 150, dict(attrs, loss="huber", huber_delta=0.3,
                                                                       minibatch=0), dtype=np.float32)
    r = run_check(tmp_path / "c.h5")
    assert r.returncode == 0 and r.stdout.strip() == f"{n} passed, 0 failed", r.stdout + r.stderr
    write_run(tmp_path / "d.h5", x, 0.5 * x, w0s, scans, factors, 150, {"loss": "mae", "minibatch": 3, "seed": 1})
    assert run_check(tmp_path / "d.h5").returncode == 0


def test_check_finds_one_changed_bit(tmp_path):
    x, y = logistic_data()
    w0s, scans = np.linspace(-5, 10, 9), np.arange(9) % 2
    write_run(tmp_path / "t.h5", x, y, w0s, scans, np.where(scans == 0, 2e-3, 1.12), 80,
              {"loss": "logistic", "minibatch": 8, "seed": 5}, tamper=True)
    r = run_check(tmp_path / "t.h5")
    assert r.returncode == 1 and "8 passed, 1 failed" in r.stdout and "trial 4:" in r.stdout


def test_check_of_an_older_file_is_mse_on_all_the_data(tmp_path):
    h5py = pytest.importorskip("h5py")
    x, y = R.golden_data(0)
    w0s, scans = np.array([8.0, -3.0, 2.4, 9.75]), np.array([0, 1, 0, 1])
    write_run(tmp_path / "old.h5", x, y, w0s, scans, np.array([5e-4, 1.1, 5e-4, 1.05]), 300, {})
    with h5py.File(tmp_path / "old.h5", "a") as f:
        for k in ("loss", "huber_delta", "minibatch"):
            assert k not in f.attrs
    r = run_check(tmp_path / "old.h5")
    assert r.returncode == 0 and r.stdout.strip() == "4 passed, 0 failed"


def test_check_of_large_data_runs_trials_in_groups(tmp_path):
    # 30000 points: check runs 8 trials at a time, so 20 trials take three groups.
    rng = np.random.default_rng(4)
    x = np.linspace(-3, 7, 30000)
    y = 1.5 * x + rng.normal(size=x.size)
    n = 20
    w0s, scans = rng.uniform(-5, 10, n), np.arange(n) % 2
    write_run(tmp_path / "big.h5", x, y, w0s, scans, np.where(scans == 0, 1e-3, 1.3), 40, {"loss": "huber"})
    r = run_check(tmp_path / "big.h5")
    assert r.returncode == 0 and r.stdout.strip() == f"{n} passed, 0 failed", r.stdout + r.stderr


def test_check_refuses_fma_files(tmp_path):
    x, y = R.golden_data(0)
    write_run(tmp_path / "fma.h5", x, y, [8.0], [0], np.array([5e-4]), 20, {"arith": "fma"})
    r = run_check(tmp_path / "fma.h5")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "--arith fma" in r.stderr


def test_check_refuses_an_unknown_loss(tmp_path):
    x, y = R.golden_data(0)
    write_run(tmp_path / "u.h5", x, y, [8.0], [0], np.array([5e-4]), 20, {})
    import h5py
    with h5py.File(tmp_path / "u.h5", "a") as f:
        f.attrs["loss"] = "hinge"
    r = run_check(tmp_path / "u.h5")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "hinge" in r.stderr
