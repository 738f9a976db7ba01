#!/usr/bin/env python3
"""The seed's learning-rate range test in Python and numpy: the reference lrfinder must match bit for bit.

  reference.py check FILE.h5     re-run every trial of an lrfinder output file with the seed's loop (with the
                                 file's loss, huber_delta, minibatch, seed and first_trial) and compare
                                 trajectories, steps and status bit for bit (exit 1 on any difference; 2 for a
                                 file it cannot check: --arith fma, --save stats)
  reference.py golden            print the C++ golden cases (tests/golden_cases.inc) from this loop; numpy
                                 before 2.3 and from 2.3 on each give the large-data case in their own
                                 summation order, so the file holds both (scripts/make-golden.sh)

`seed_trial` is the seed's loop as written in the seed document (np.mean of the squared error, lr grown by
repeated + or *), with one addition the tool makes: where w stops moving the seed's secant is 0/0 and every
later value NaN, so the trial ends there, marked stalled. lrfinder's other losses (mae, huber, logistic) and
minibatches change only the loss the loop evaluates (`point_losses`, `minibatch_indices`); the logistic loss
takes its exp and log1p from fdlibm (`exp_`, `log1p_`), ported here operation by operation, as the C++ does.
`seed_trials` is the same loop for many trials at once (what `check` runs); the tests hold it to seed_trial.
"""
import struct
import sys

import numpy as np

DIVERGED, COMPLETED, STALLED, ROSE = 0, 1, 2, 3
LINEAR, EXP = 0, 1
LOSSES = ("mse", "mae", "huber", "logistic")


def numpy_sum_block(n):
    """How this numpy splits np.mean's sum: 8192-element buffers before 2.3, the whole array from 2.3 on."""
    major, minor = (int(p) for p in np.__version__.split(".")[:2])
    return 8192 if (major, minor) < (2, 3) else n


# ---- fdlibm's exp and log1p, elementwise over float64 arrays ------------------------------------------------
# Ports of fdlibm 5.3's e_exp.c (__ieee754_exp) and s_log1p.c (log1p) (Copyright (C) 1993, 2004 by Sun
# Microsystems, Inc. All rights reserved. Permission to use, copy, modify, and distribute this software is
# freely granted, provided that this notice is preserved). Every branch is computed for every element and
# np.where / np.select picks the one C takes; the words of a double are C's int32 / uint32 held in int64;
# float64 operations one by one in C's order (numpy's elementwise +, -, *, / round exactly as C's do).

def _high_low(x):
    """fdlibm's __HI(x) as a signed 32-bit int and __LO(x) as an unsigned one, both held in int64 arrays."""
    u = x.view(np.uint64)
    hi = (u >> np.uint64(32)).astype(np.int64)
    return np.where(hi >= 0x80000000, hi - (1 << 32), hi), (u & np.uint64(0xffffffff)).astype(np.int64)


def _with_high(x, hi):
    """x with its high word replaced by the low 32 bits of hi (fdlibm's `__HI(x) = hi`)."""
    hi = (np.asarray(hi, dtype=np.int64) & 0xffffffff).astype(np.uint64)
    return ((hi << np.uint64(32)) | (x.view(np.uint64) & np.uint64(0xffffffff))).view(np.float64)


def _to_int(v):
    """C's (int) cast of a double, truncation toward zero, where C's is defined (elsewhere 0: lanes not taken)."""
    ok = np.isfinite(v) & (np.abs(v) < 2147483648.0)
    return np.trunc(np.where(ok, v, 0.0)).astype(np.int64)


_EXP_HALF = np.array([0.5, -0.5])
_EXP_LN2HI = np.array([6.93147180369123816490e-01, -6.93147180369123816490e-01])  # 0x3fe62e42 fee00000
_EXP_LN2LO = np.array([1.90821492927058770002e-10, -1.90821492927058770002e-10])  # 0x3dea39ef 35793c76


def exp_(x):
    """fdlibm's __ieee754_exp(x) elementwise: e^x within 1 ulp, fdlibm's bits for every float64 x."""
    one, huge, twom1000 = 1.0, 1.0e+300, 9.33263618503218878990e-302  # 2**-1000
    o_threshold, u_threshold = 7.09782712893383973096e+02, -7.45133219101941108420e+02
    invln2 = 1.44269504088896338700e+00
    P1, P2, P3 = 1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05
    P4, P5 = -1.65339022054652515390e-06, 4.13813679705723846039e-08
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        hx, lx = _high_low(x)
        hx = hx & 0xffffffff  # C's `unsigned hx`
        xsb = (hx >> 31) & 1
        hx = hx & 0x7fffffff
        # |x| >= 709.78...: NaN, +-inf, overflow, underflow
        big = hx >= 0x40862E42
        nonfinite = big & (hx >= 0x7ff00000)
        nan = nonfinite & (((hx & 0xfffff) | lx) != 0)
        special = np.where(xsb == 0, x, 0.0)
        over = big & ~nonfinite & (x > o_threshold)
        under = big & ~nonfinite & ~over & (x < u_threshold)
        # argument reduction: x = k*ln2 + r, r = hi - lo
        reduce = hx > 0x3fd62e42  # |x| > 0.5 ln2
        near = hx < 0x3FF0A2B2  # and |x| < 1.5 ln2
        hi_near, lo_near, k_near = x - _EXP_LN2HI[xsb], _EXP_LN2LO[xsb], 1 - xsb - xsb
        k_far = _to_int(invln2 * x + _EXP_HALF[xsb])
        t = k_far.astype(np.float64)
        hi_far = x - t * _EXP_LN2HI[0]  # t*ln2HI is exact here
        lo_far = t * _EXP_LN2LO[0]
        hi = np.where(reduce, np.where(near, hi_near, hi_far), 0.0)
        lo = np.where(reduce, np.where(near, lo_near, lo_far), 0.0)
        k = np.where(reduce, np.where(near, k_near, k_far), 0)
        r = np.where(reduce, hi - lo, x)
        tiny = ~reduce & (hx < 0x3e300000) & (huge + x > one)  # |x| < 2**-28
        # r is now in primary range
        t = r * r
        c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
        y0 = one - ((r * c) / (c - 2.0) - r)
        y = one - ((lo - (r * c) / (2.0 - c)) - hi)
        hy, _ = _high_low(y)
        y_normal = _with_high(y, hy + (k << 20))  # add k to y's exponent
        y_subnormal = _with_high(y, hy + ((k + 1000) << 20)) * twom1000
        return np.select([nan, nonfinite, over, under, tiny, k == 0, k >= -1021],
                         [x + x, special, huge * huge, twom1000 * twom1000, one + x, y0, y_normal], y_subnormal)


def log1p_(x):
    """fdlibm's log1p(x) elementwise: log(1 + x) within 1 ulp, fdlibm's bits for every float64 x."""
    ln2_hi, ln2_lo, two54 = 6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.80143985094819840000e+16
    Lp1, Lp2, Lp3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
    Lp4, Lp5, Lp6 = 2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01
    Lp7, zero = 1.479819860511658591e-01, 0.0
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        hx, _ = _high_low(x)
        ax = hx & 0x7fffffff
        below = hx < 0x3FDA827A  # x < 0.41422
        minus1 = below & (ax >= 0x3ff00000)  # x <= -1.0
        at_minus1 = np.where(x == -1.0, np.float64(-two54) / np.float64(zero), (x - x) / (x - x))
        tiny = below & ~minus1 & (ax < 0x3e200000)  # |x| < 2**-29
        at_tiny = np.where((two54 + x > zero) & (ax < 0x3c900000), x, x - x * x * 0.5)
        small = below & ((hx > 0) | (hx <= -1076707645))  # -0.2929 < x < 0.41422; (int)0xbfd2bec3
        inf_nan = hx >= 0x7ff00000
        # k != 0: 1 + x = 2^k * u, u normalized to [sqrt(2)/2, sqrt(2)), c the correction term
        big = hx >= 0x43400000
        u_sum = 1.0 + x
        hu_sum, _ = _high_low(u_sum)
        k_sum = (hu_sum >> 20) - 1023
        c_sum = np.where(k_sum > 0, 1.0 - (u_sum - x), x - (u_sum - 1.0)) / u_sum
        u = np.where(big, x, u_sum)
        hu = np.where(big, hx, hu_sum)
        k = np.where(big, (hx >> 20) - 1023, k_sum)
        c = np.where(big, 0.0, c_sum)
        hu = hu & 0x000fffff
        low = hu < 0x6a09e
        u = np.where(low, _with_high(u, hu | 0x3ff00000), _with_high(u, hu | 0x3fe00000))  # u or u/2
        k = np.where(low, k, k + 1)
        hu = np.where(low, hu, (0x00100000 - hu) >> 2)
        f = np.where(small, x, u - 1.0)
        k = np.where(small, 0, k)
        hu = np.where(small, 1, hu)
        c = np.where(small, 0.0, c)  # unused where k == 0
        dk = k.astype(np.float64)  # C's k*ln2_hi converts int k to double
        hfsq = 0.5 * f * f
        # |f| < 2**-20
        at_f0 = np.where(k == 0, zero, dk * ln2_hi + (c + dk * ln2_lo))
        R = hfsq * (1.0 - 0.66666666666666666 * f)
        at_hu0 = np.where(f == zero, at_f0, np.where(k == 0, f - R, dk * ln2_hi - ((R - (dk * ln2_lo + c)) - f)))
        s = f / (2.0 + f)
        z = s * s
        R = z * (Lp1 + z * (Lp2 + z * (Lp3 + z * (Lp4 + z * (Lp5 + z * (Lp6 + z * Lp7))))))
        general = np.where(k == 0, f - (hfsq - s * (hfsq + R)),
                           dk * ln2_hi - ((hfsq - (s * (hfsq + R) + (dk * ln2_lo + c))) - f))
        return np.select([minus1, tiny, inf_nan, hu == 0], [at_minus1, at_tiny, x + x, at_hu0], general)


# ---- The loss the loop evaluates ----------------------------------------------------------------------------

def point_losses(loss, w, x, y, huber_delta=1.0):
    """The per-point terms whose np.mean is the loss at w, with r = y - w*x: mse r**2 (the seed's), mae |r|,
    huber 0.5*r*r up to |r| = huber_delta and huber_delta*(|r| - 0.5*huber_delta) beyond, logistic (labels
    y of 0 or 1, z = w*x) max(z, 0) - z*y + log1p(exp(-|z|)) with fdlibm's exp and log1p. w broadcasts."""
    with np.errstate(all="ignore"):
        if loss == "mse":
            return (y - w * x) ** 2
        if loss == "mae":
            return np.abs(y - w * x)
        if loss == "huber":
            r = y - w * x
            a = np.abs(r)
            return np.where(a <= huber_delta, 0.5 * r * r, huber_delta * (a - 0.5 * huber_delta))
        if loss == "logistic":
            z = w * x
            return np.maximum(z, 0) - z * y + log1p_(exp_(-np.abs(z)))
    raise ValueError(f"unknown loss {loss!r} (one of {', '.join(LOSSES)})")


# ---- Minibatch draws: Philox4x32-10 (src/core/philox.hpp) ---------------------------------------------------

_M32 = np.uint64(0xffffffff)


def philox4x32_10(ctr, key):
    """Philox4x32-10 of counter words ctr = (c0, c1, c2, c3) and key words (k0, k1), 32-bit values in any
    integer arrays that broadcast; returns the four output words as uint64 arrays (each below 2**32)."""
    c0, c1, c2, c3 = (np.asarray(v).astype(np.uint64) & _M32 for v in ctr)
    k0, k1 = (np.asarray(v).astype(np.uint64) & _M32 for v in key)
    m0, m1, w0, w1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57), np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
    for _ in range(10):
        p0, p1 = m0 * c0, m1 * c2  # 32 x 32 -> 64 bits, exact in uint64
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & _M32, (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & _M32)
        k0, k1 = (k0 + w0) & _M32, (k1 + w1) & _M32
    return c0, c1, c2, c3


def _mulhi(u, n):
    """(u * n) >> 64 for uint64 arrays u and a count 0 <= n < 2**64, exactly (32-bit halves)."""
    uh, ul = u >> np.uint64(32), u & _M32
    nh, nl = np.uint64(n >> 32), np.uint64(n & 0xffffffff)
    ll, lh, hl = ul * nl, ul * nh, uh * nl
    mid = (ll >> np.uint64(32)) + (lh & _M32) + (hl & _M32)
    return uh * nh + (lh >> np.uint64(32)) + (hl >> np.uint64(32)) + (mid >> np.uint64(32))


def minibatch_indices(seed, trial, evaluation, size, n):
    """The data indices of minibatches of `size` points drawn with replacement from n points, for trial t
    (the run's trial index) and evaluation k (0: the start weight's loss; k: the loss after update k), both
    integers or integer arrays that broadcast: point i is (u * n) >> 64 with u the 64 bits (v0, v1) (i even)
    or (v2, v3) (i odd) of Philox4x32-10 at counter (t & 0xffffffff, t >> 32, k, i//2 + 1), key (seed &
    0xffffffff, seed >> 32). Returns an int64 array of shape broadcast(trial, evaluation) + (size,)."""
    seed = int(seed) & 0xffffffffffffffff
    t = np.asarray(trial).astype(np.uint64)[..., None]
    k = np.asarray(evaluation).astype(np.uint64)[..., None]
    pair = np.arange((size + 1) // 2, dtype=np.uint64) + np.uint64(1)
    v0, v1, v2, v3 = philox4x32_10((t & _M32, t >> np.uint64(32), k, pair), (seed & 0xffffffff, seed >> 32))
    shape = np.broadcast_shapes(v0.shape, v2.shape)
    u = np.empty(shape[:-1] + (size,), dtype=np.uint64)
    u[..., 0::2] = np.broadcast_to((v0 << np.uint64(32)) | v1, shape)
    u[..., 1::2] = np.broadcast_to((v2 << np.uint64(32)) | v3, shape)[..., : size // 2]
    return _mulhi(u, int(n)).astype(np.int64)


# ---- The loop -----------------------------------------------------------------------------------------------

def seed_trial(x, y, w0, scan, factor, base_lr=1e-7, epochs=500, diverge=1e7, stop_factor=0.0, loss="mse",
               huber_delta=1.0, minibatch=0, seed=0, trial=0):
    """One trial of the seed's loop. Returns (lrs, losses, weights, status) as Python lists of floats.
    stop_factor > 0 (lrfinder's --stop-factor) also ends it at a loss above stop_factor times the lowest.
    loss and huber_delta choose the loss (point_losses); minibatch > 0 evaluates each loss on that many points
    drawn for (seed, trial, evaluation) (minibatch_indices), trial being the run's index of this trial."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def loss_fn(w, evaluation):
        if minibatch > 0:
            idx = minibatch_indices(seed, trial, evaluation, minibatch, len(x))
            return np.mean(point_losses(loss, w, x[idx], y[idx], huber_delta))
        return np.mean(point_losses(loss, w, x, y, huber_delta))

    lr = base_lr
    w_ = w0
    loss_ = loss_fn(w_, 0)
    weights, losses, lrs = [w_], [loss_], [lr]
    dldw = 1
    lowest = loss_
    status = COMPLETED
    with np.errstate(divide="ignore", invalid="ignore"):
        for step in range(1, epochs + 1):
            w_ -= lr * dldw
            loss_ = loss_fn(w_, step)
            stalled = w_ == weights[-1]
            # a minibatch's secant is taken on its own points: the last weight's loss on this step's draw
            before = loss_fn(weights[-1], step) if minibatch > 0 else losses[-1]
            dldw = (loss_ - before) / (w_ - weights[-1])
            lrs.append(lr)
            losses.append(loss_)
            weights.append(w_)
            lr = lr + factor if scan == LINEAR else lr * factor
            lowest = min(lowest, loss_)
            if loss_ > diverge:
                status = DIVERGED
                break
            if stop_factor > 0 and loss_ > stop_factor * lowest:
                status = ROSE
                break
            if stalled:
                status = STALLED
                break
    return [float(v) for v in lrs], [float(v) for v in losses], [float(v) for v in weights], status


def seed_trials(x, y, w0s, scans, factors, base_lr=1e-7, epochs=500, diverge=1e7, stop_factor=0.0, loss="mse",
                huber_delta=1.0, minibatch=0, seed=0, first_trial=0):
    """seed_trial for trials first_trial, first_trial + 1, ... at once: the same operations, each step on the
    arrays of the trials still running. Returns (lr, loss, weight, steps, status): (trials, epochs + 1) arrays
    with NaN past each trial's last step, then steps and status per trial."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.array(w0s, dtype=np.float64)
    linear = np.asarray(scans) == LINEAR
    factor = np.asarray(factors, dtype=np.float64)
    count = len(w)
    out_lr, out_loss, out_w = (np.full((count, epochs + 1), np.nan) for _ in range(3))
    steps, status = np.zeros(count, dtype=np.int64), np.full(count, COMPLETED, dtype=np.int64)
    rows = np.arange(count)

    def loss_fn(w, evaluation):
        if minibatch > 0:
            idx = minibatch_indices(seed, first_trial + rows, evaluation, minibatch, len(x))
            terms = point_losses(loss, w[:, None], x[idx], y[idx], huber_delta)
        else:
            terms = point_losses(loss, w[:, None], x[None, :], y[None, :], huber_delta)
        return np.array([np.mean(row) for row in terms], dtype=np.float64)  # each row as a 1-D np.mean

    lr = np.full(count, base_lr, dtype=np.float64)
    loss_ = loss_fn(w, 0)
    out_lr[:, 0], out_loss[:, 0], out_w[:, 0] = lr, loss_, w
    dldw = np.ones(count)  # the seed's 1: lr * 1 is lr
    lowest = loss_
    with np.errstate(all="ignore"):
        for step in range(1, epochs + 1):
            if rows.size == 0:
                break
            w_ = w - lr * dldw
            new = loss_fn(w_, step)
            stalled = w_ == w
            before = loss_fn(w, step) if minibatch > 0 else loss_  # a minibatch's secant on its own points
            dldw = (new - before) / (w_ - w)
            out_lr[rows, step], out_loss[rows, step], out_w[rows, step] = lr, new, w_
            steps[rows] = step
            lr = np.where(linear, lr + factor, lr * factor)
            lowest = np.where(new < lowest, new, lowest)  # Python's min(lowest, new)
            ended = np.select([new > diverge, (stop_factor > 0) & (new > stop_factor * lowest), stalled],
                              [DIVERGED, ROSE, STALLED], -1)
            status[rows[ended >= 0]] = ended[ended >= 0]
            go = ended < 0
            rows, w, loss_, dldw, lr, lowest, linear, factor = (
                v[go] for v in (rows, w_, new, dldw, lr, lowest, linear, factor))
    return out_lr, out_loss, out_w, steps, status


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def _attr(attrs, name, default):
    if name not in attrs:
        return default
    v = attrs[name]
    v = v.item() if hasattr(v, "item") else v
    return v.decode() if isinstance(v, bytes) else v


def check(path):
    import h5py

    with h5py.File(path, "r") as f:
        if _attr(f.attrs, "arith", "exact") == "fma":
            print(f"reference: {path} was made with --arith fma; the reference is numpy's exact arithmetic, "
                  f"so there is nothing to compare (rerun lrfinder with --arith exact)", file=sys.stderr)
            return 2
        loss = _attr(f.attrs, "loss", "mse")
        if loss not in LOSSES:
            print(f"reference: {path}: unknown loss {loss!r}", file=sys.stderr)
            return 2
        huber_delta = float(_attr(f.attrs, "huber_delta", 1.0))
        minibatch = int(_attr(f.attrs, "minibatch", 0))
        seed, first_trial = int(_attr(f.attrs, "seed", 0)), int(_attr(f.attrs, "first_trial", 0))
        x, y = f["/data/x"][...], f["/data/y"][...]
        base_lr, epochs, diverge = (f.attrs[k].item() for k in ("base_lr", "epochs", "diverge"))
        stop_factor = f.attrs["stop_factor"].item() if "stop_factor" in f.attrs else 0.0
        block = int(f.attrs["sum_block"])
        if "/trials" not in f:
            print(f"reference: {path}: a statistics-only file (--save stats) holds no trials to check",
                  file=sys.stderr)
            return 2
        t = f["/trials"]
        w0s, scans, factors = t["start_weight"][...], t["scan"][...], t["factor"][...]
        steps, status = t["steps"][...], t["status"][...]
        arrays = {name: f[name][...] for name in ("lr", "loss", "weight") if name in f}
    summed = minibatch if minibatch > 0 else len(x)  # the length of the array each np.mean sums
    if min(block, summed) != numpy_sum_block(summed) and summed > 8192:
        sys.exit(f"reference: {path} was made with sum_block {block}, this numpy {np.__version__} sums "
                 f"with {numpy_sum_block(summed)}; rerun lrfinder with the matching --numpy-sum")
    epochs = int(epochs)
    group = max(1, min(512, (1 << 18) // summed))  # trials run together: 2 MiB of terms an array at most
    passed = failed = 0
    for lo in range(0, len(w0s), group):
        hi = min(lo + group, len(w0s))
        want_lr, want_loss, want_w, want_steps, want_status = seed_trials(
            x, y, w0s[lo:hi], scans[lo:hi], factors[lo:hi], base_lr, epochs, diverge, stop_factor, loss,
            huber_delta, minibatch, seed, first_trial + lo)
        want = {"lr": want_lr, "loss": want_loss, "weight": want_w}
        for i in range(lo, hi):
            ok = int(steps[i]) == want_steps[i - lo] and int(status[i]) == want_status[i - lo]
            for name, got in arrays.items():
                row = want[name][i - lo].astype(got.dtype)  # f32 storage: the float64 value rounded once
                ok = ok and row.tobytes() == np.ascontiguousarray(got[i]).tobytes()
            if ok:
                passed += 1
            else:
                failed += 1
                if failed <= 5:
                    print(f"trial {i}: differs from the seed's loop (steps {steps[i]} vs {want_steps[i - lo]}, "
                          f"status {status[i]} vs {want_status[i - lo]})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


# Golden cases: (name, data, start weight, scan, factor, epochs, sum block) -> the C++ tests' expectations.
# Data sets the C++ tests rebuild with the same IEEE operations (tests/golden_test.cpp, golden_data):
# 0 is the seed's, 1 a larger one (20011 points, past numpy's 8192-element buffers) with a fixed wobble.
def golden_data(data_id):
    if data_id == 0:
        x = np.linspace(0, 10, 100)
        return x, 2.5 * x
    x = np.linspace(-3, 7, 20011)
    return x, 1.5 * x + ((np.arange(x.size) * 7919) % 101 - 50) * 0.01


def golden_cases():
    return [
        ("seed_linear_w8", 0, 8.0, LINEAR, 5e-4, 500),
        ("seed_exp_wm3", 0, -3.0, EXP, 1.1, 500),
        ("seed_linear_w2_4", 0, 2.4, LINEAR, 5e-4, 500),
        ("seed_exp_short", 0, 9.75, EXP, 1.05, 40),
        ("seed_exp_stall", 0, 2.5000001, EXP, 1.001, 500),
        ("big_exp", 1, 6.0, EXP, 1.2, 500),
    ]


def golden():
    """One golden case per case, made with this numpy's summation (sum block 8192 or the whole array)."""
    out = []
    for name, data_id, w0, scan, factor, epochs in golden_cases():
        x, y = golden_data(data_id)
        block = numpy_sum_block(len(x))
        if len(x) > 8192:
            name += "_blocked" if block == 8192 else "_whole"
        lrs, losses, weights, st = seed_trial(x, y, w0, scan, factor, epochs=epochs)
        arr = lambda vals: "{" + ", ".join(f"0x{bits(v):016x}ull" for v in vals) + "}"
        out.append(f'{{"{name}", {data_id}, {w0!r}, {scan}, {factor!r}, {epochs}, {block}, {st}, '
                   f"{len(lrs) - 1},\n  {arr(lrs)},\n  {arr(losses)},\n  {arr(weights)}}},")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) == 2 and sys.argv[1] == "golden":
        golden()
        sys.exit(0)
    sys.exit(__doc__)
