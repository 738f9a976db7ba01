"""Exact numpy ports of four libraries' learning-rate suggestions, applied to lrfinder trials.

Each rule is a function ``f(loss_row, base_lr, scan, factor, steps, status, epochs) -> float`` (NaN where the
library gives no answer or would raise). It first simulates the library's own range-test loop on the trial, which
gives the library's recorded ``(lrs, losses)`` lists, then runs the library's suggestion code on those lists.

The mapping from an lrfinder trial to a library loop (tests/ports/README.md says it at length):

* lrfinder's rates are ``r_0 = base_lr``, ``r_{i+1} = r_i + factor`` (linear) or ``r_i * factor`` (exp), by
  repeated float64 addition or multiplication (never a closed form); update i moves w_i to w_{i+1} at rate r_i.
* At iteration i (0-based) a library measures ``L(w_i) = loss_row[i]`` for ``i <= steps``. Past ``steps`` the loss is
  NaN if the trial stalled (status 2); if it diverged (0) or completed (1) there is no data, and the library's lists
  end there, as if its loop had ended.
* The rate a library records at iteration i is whatever its own code records at that moment, in terms of r: the
  rate of that iteration's update (r_i) for fastai, Lightning and torch-lr-finder, the rate of the next
  iteration's update (r_{i+1}) for ignite.
* Everything else (smoothing, stop rules, trims, NaN/inf handling, argmin ties) is the library's, in float64:
  where the library holds values in float32 tensors (fastai, Lightning, ignite), the port uses float64 instead.
* Each library's loop is assumed to end only by its own rules (stop rules, iteration count), never because its data
  loader ran out (fastai's lr_find sizes the fit itself; the others are given enough batches).

Sources read (repository, file, commit):

* fastai/fastai fastai/callback/schedule.py 0a049e8a90b86d70860f68072698245a1ee787ca (LRFinder, valley, slide,
  minimum, steep, lr_find); fastai/learner.py 5bc369c27846819edb825253fbb7bec0213cc2cb (AvgSmoothLoss, Recorder,
  Learner loop); fastai/callback/core.py 09b07b844e3b86bd1126b1bac86a9065aa2ba1b0 (TrainEvalCallback).
* Lightning-AI/pytorch-lightning src/lightning/pytorch/tuner/lr_finder.py 001278272e8e91c85a74dd17449e4eafc489e25f
  (_LRFinder.suggestion, _lr_find, _LRCallback); src/lightning/pytorch/loops/training_epoch_loop.py
  017bff996a9a7e058939fb7232db619d8f3a73a0 (order of hooks, scheduler step, global_step, done).
* davidtvs/pytorch-lr-finder torch_lr_finder/lr_finder.py 00abb9079101da04867e49fa67b16396f45d9179
  (LRFinder.range_test, LRFinder.plot, ExponentialLR/LinearLR).
* pytorch/ignite ignite/handlers/lr_finder.py 036765e00e96fd33443411ddddb836c29b880e66 (FastaiLRFinder._run,
  _log_lr_and_loss, _reached_num_iterations, lr_suggestion, attach); ignite/handlers/param_scheduler.py
  00af057ee8eb86d1bf0d7ed385fbd376d77e847a (ParamScheduler.__call__, LRScheduler.get_param/__call__,
  PiecewiseLinear.get_param); ignite/engine/engine.py 000e6a0045f32b192dedb70572830c1a82b044bd (_fire_event,
  terminate).
* pytorch/pytorch aten/src/ATen/native/Lerp.h 16f0e58998dcb48e32f1f13c24be9349e0172619 (lerp),
  aten/src/ATen/native/cpu/LerpKernel.cpp d5cc3c9355fa15f557d204a9a5154f905a5a6055 (lerp_vec: the fused form the
  CPU runs) and aten/src/ATen/native/ReduceOps.cpp 52881c8087c92f777a4b33f61bae8ad99279615d (gradient_helper:
  torch.gradient with coordinates).

crosscheck_libraries.py runs the real libraries (fastai 2.8.12, lightning 2.6.6, torch-lr-finder 0.2.2,
pytorch-ignite 0.5.5 on torch 2.15; and fastai 2.7.18, ignite 0.4.13 on torch 1.13) against these ports bit for bit.
"""
import bisect
import math
import struct

import numpy as np

DIVERGED, COMPLETED, STALLED = 0, 1, 2
LINEAR, EXP = 0, 1
NAN = float("nan")

COMMITS = {
    "fastai": ("fastai/fastai", "fastai/callback/schedule.py", "0a049e8a90b86d70860f68072698245a1ee787ca"),
    "fastai-learner": ("fastai/fastai", "fastai/learner.py", "5bc369c27846819edb825253fbb7bec0213cc2cb"),
    "fastai-core": ("fastai/fastai", "fastai/callback/core.py", "09b07b844e3b86bd1126b1bac86a9065aa2ba1b0"),
    "lightning": ("Lightning-AI/pytorch-lightning", "src/lightning/pytorch/tuner/lr_finder.py",
                  "001278272e8e91c85a74dd17449e4eafc489e25f"),
    "torch-lr-finder": ("davidtvs/pytorch-lr-finder", "torch_lr_finder/lr_finder.py",
                        "00abb9079101da04867e49fa67b16396f45d9179"),
    "ignite": ("pytorch/ignite", "ignite/handlers/lr_finder.py", "036765e00e96fd33443411ddddb836c29b880e66"),
    "ignite-param-scheduler": ("pytorch/ignite", "ignite/handlers/param_scheduler.py",
                               "00af057ee8eb86d1bf0d7ed385fbd376d77e847a"),
    "torch-lerp": ("pytorch/pytorch", "aten/src/ATen/native/Lerp.h", "16f0e58998dcb48e32f1f13c24be9349e0172619"),
    "torch-lerp-kernel": ("pytorch/pytorch", "aten/src/ATen/native/cpu/LerpKernel.cpp",
                          "d5cc3c9355fa15f557d204a9a5154f905a5a6055"),
    "torch-gradient": ("pytorch/pytorch", "aten/src/ATen/native/ReduceOps.cpp",
                       "52881c8087c92f777a4b33f61bae8ad99279615d"),
}


# ----------------------------------------------------------------------------------------------------------------
# Shared pieces: lrfinder's rates, the loss a library measures, and numpy equivalents of the torch operations.
# ----------------------------------------------------------------------------------------------------------------

def _scan_code(scan):
    if isinstance(scan, (bytes, str)):
        s = scan.decode() if isinstance(scan, bytes) else scan
        return {"linear": LINEAR, "exp": EXP}[s]
    return int(scan)


class Rates:
    """lrfinder's rates r_0, r_1, ... by repeated float64 addition (linear) or multiplication (exp) from base_lr.

    ``Rates(...)[i]`` is r_i; values are computed once, in order, never by a closed form."""

    def __init__(self, base_lr, scan, factor):
        self._r = [float(base_lr)]
        self._linear = _scan_code(scan) == LINEAR
        self._f = float(factor)

    def __getitem__(self, i):
        r = self._r
        while len(r) <= i:
            r.append(r[-1] + self._f if self._linear else r[-1] * self._f)
        return r[i]


def measured_loss(loss_row, steps, status, i):
    """The loss a library measures at iteration i: L(w_i) = loss_row[i] for i <= steps; NaN past steps if the trial
    stalled (every later weight and loss would be NaN); None past steps otherwise (no data: the loop ends)."""
    if i <= steps:
        return float(loss_row[i])
    if status == STALLED:
        return NAN
    return None


def fma(a, b, c):
    """a*b + c with a single rounding (IEEE 754 fusedMultiplyAdd, what C's fma() and std::fma compute), for
    Python floats. Finite operands: the exact value from integer arithmetic, rounded once by Python's correctly
    rounded int/int division; a non-finite operand gives the same special value as a*b + c."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    na, da = a.as_integer_ratio()  # denominators are powers of two
    nb, db = b.as_integer_ratio()
    nc, dc = c.as_integer_ratio()
    num, den = na * nb, da * db
    if den >= dc:
        n, d = num + nc * (den // dc), den
    else:
        n, d = num * (dc // den) + nc, dc
    if n == 0:  # an exact zero: -0 only for (-0 product) + (-0), as IEEE round-to-nearest has it
        product_negative = (math.copysign(1.0, a) * math.copysign(1.0, b)) < 0
        return -0.0 if (product_negative and math.copysign(1.0, c) < 0 and num == 0) else 0.0
    try:
        return n / d
    except OverflowError:
        return math.copysign(math.inf, n)


TORCH_LERP_FUSED = True


def torch_lerp(start, end, weight, fused=None):
    """torch.lerp(start, end, weight) for real scalars, as torch computes it on the CPU.

    The source formula (aten/src/ATen/native/Lerp.h, commit 16f0e589) is

        return is_lerp_weight_small(weight)          // std::abs(weight) < 0.5
            ? self + weight * (end - self)
            : end - (end - self) * (opmath_t(1) - weight);

    but the kernel torch dispatches to on AVX2 and AVX-512 CPUs (aten/src/ATen/native/cpu/LerpKernel.cpp,
    lerp_vec) is

        auto mask = is_lerp_weight_small(weight);
        auto coeff = vec_t::blendv(weight - vec_t(1), weight, mask);
        auto base = vec_t::blendv(end, start, mask);
        return vec::fmadd(coeff, end - start, base);

    a fused multiply-add: weight >= 0.5 gives fma(weight - 1, end - start, end), weight < 0.5 gives
    fma(weight, end - start, start), one rounding each. Measured with torch 2.15 (AVX2) and torch 1.13 (Debian,
    AVX2), for 0-dim tensors as well: on 20000 random (start, end) pairs at weight 0.98 every result equals the
    fused form and 1.8% differ from the unfused source formula. Only ATEN_CPU_CAPABILITY=default (no AVX2) gives
    the unfused formula (fused=False here). The default follows TORCH_LERP_FUSED."""
    if fused is None:
        fused = TORCH_LERP_FUSED
    if fused:
        if abs(weight) < 0.5:
            return fma(weight, end - start, start)
        return fma(weight - 1.0, end - start, end)
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def np_gradient_unit(f):
    """np.gradient(f) with unit spacing and edge_order=1 (what fastai's slide and torch-lr-finder's plot call):
    interior (f[i+1] - f[i-1]) / 2.0, ends (f[1] - f[0]) / 1.0 and (f[-1] - f[-2]) / 1.0. Raises ValueError for
    fewer than 2 points, as numpy does. This is numpy itself, so it is exact by construction."""
    with np.errstate(all="ignore"):
        return np.gradient(np.asarray(f, dtype=np.float64))


def torch_gradient_coordinates(f, x):
    """torch.gradient(f, spacing=[x])[0] for 1-D float64 f and coordinates x, edge_order=1, from
    aten/src/ATen/native/ReduceOps.cpp gradient_helper:

        auto ax_dx = coordinates[i].diff(1,0);
        auto dx1 = at::slice(ax_dx, 0, 0, -1);
        auto dx2 = at::slice(ax_dx, 0, 1);
        auto a = (   -dx2    / (dx1*(dx1+dx2)) ).reshape(shape);
        auto b = ( (dx2-dx1) / (dx1*dx2)       ).reshape(shape);
        auto c = (    dx1    / (dx2*(dx1+dx2)) ).reshape(shape);
        auto center = a * at::slice(self, direction, 0, -2) + b * at::slice(self, direction , 1, -1)
                      + c * at::slice(self, direction, 2);
        prepend = (at::slice(self, direction, 1, 2  ) - at::slice(self, direction, 0, 1   )) / ax_dx[0]  ;
        append  = (at::slice(self, direction, -1    ) - at::slice(self, direction, -2, -1 )) / ax_dx[-1] ;
        result = cat(prepend, center, append)

    Unlike np.gradient with coordinates, torch never switches to the uniform-spacing formula. Needs >= 2 points."""
    f = np.asarray(f, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if len(f) < 2:
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    with np.errstate(all="ignore"):
        ax_dx = x[1:] - x[:-1]
        dx1 = ax_dx[:-1]
        dx2 = ax_dx[1:]
        a = (-dx2) / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        center = a * f[:-2] + b * f[1:-1] + c * f[2:]
        prepend = (f[1:2] - f[0:1]) / ax_dx[0]
        append = (f[-1:] - f[-2:-1]) / ax_dx[-1]
    return np.concatenate([prepend, center, append])


def argmin_first(values):
    """torch.argmin / np.argmin on a 1-D array: the first NaN if there is one, else the first minimum.
    Raises ValueError on an empty array (torch raises RuntimeError)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError("argmin of an empty sequence")
    nan = np.isnan(v)
    if nan.any():
        return int(np.argmax(nan))
    return int(np.argmin(v))


# ----------------------------------------------------------------------------------------------------------------
# fastai
# ----------------------------------------------------------------------------------------------------------------

FASTAI_BETA = 0.98  # Recorder.__init__(..., beta=0.98): self.smooth_loss = AvgSmoothLoss(beta=beta)


def fastai_record(loss_row, base_lr, scan, factor, steps, status, epochs):
    """fastai's Recorder lists (recorder.lrs, recorder.losses) for ``learn.lr_find(start_lr=base_lr, num_it=epochs,
    stop_div=True)``; fastai/callback/schedule.py (LRFinder) and fastai/learner.py (Recorder, AvgSmoothLoss).

    Per batch, callbacks run in order: TrainEvalCallback (order -10), Recorder (order 50), LRFinder (ParamScheduler's
    order 60). So train_iter is already incremented when LRFinder.after_batch checks it, and the point that stops
    the fit is recorded."""
    rates = Rates(base_lr, scan, factor)
    num_it = epochs
    if num_it < 6:  # LRFinder.__init__: "if num_it < 6: num_it = 6"
        num_it = 6
    lrs, losses = [], []
    count, val = 0, 0.0  # AvgSmoothLoss.reset: "self.count,self.val = 0,tensor(0.)" (float32 there, float64 here)
    best_loss = math.inf  # LRFinder.before_fit: "self.best_loss = float('inf')"
    train_iter = 0  # TrainEvalCallback.before_fit: "self.learn.train_iter,self.learn.pct_train = 0,0."
    while True:
        # LRFinder.before_batch: "self._update_val(self.train_iter/self.num_it)" -- the rate of this batch; in
        # lrfinder's terms r_i with i = train_iter.
        i = train_iter
        loss = measured_loss(loss_row, steps, status, i)  # Learner._do_one_batch: loss before opt.step
        if loss is None:
            break
        # TrainEvalCallback.after_batch: "self.learn.train_iter += 1"
        train_iter += 1
        # Recorder.after_batch -> AvgSmoothLoss.accumulate:
        #   "self.count += 1"
        #   "self.val = torch.lerp(to_detach(learn.loss.mean(), gather=False), self.val, self.beta)"
        # torch.lerp as torch computes it on the CPU: fma(0.98 - 1, val - loss, val), one rounding (torch_lerp)
        count += 1
        val = torch_lerp(loss, val, FASTAI_BETA)
        # AvgSmoothLoss.value: "return self.val/(1-self.beta**self.count)"
        smooth = val / (1 - FASTAI_BETA ** count)
        # Recorder.after_batch: "self.lrs.append(self.opt.hypers[-1]['lr'])", "self.losses.append(...value)"
        lrs.append(rates[i])
        losses.append(smooth)
        # LRFinder.after_batch:
        #   "if self.smooth_loss < self.best_loss: self.best_loss = self.smooth_loss"
        #   "if self.smooth_loss > 4*self.best_loss and self.stop_div: raise CancelFitException()"
        #   "if self.train_iter >= self.num_it: raise CancelFitException()"
        if smooth < best_loss:
            best_loss = smooth
        if smooth > 4 * best_loss:
            break
        if train_iter >= num_it:
            break
    return lrs, losses


def fastai_inputs(loss_row, base_lr, scan, factor, steps, status, epochs):
    """The (lrs, losses) arrays lr_find hands to every suggestion function (fastai/callback/schedule.py lr_find):

        lrs, losses = tensor(self.recorder.lrs[num_it//10:-5]), tensor(self.recorder.losses[num_it//10:-5])
        nan_idxs = torch.nonzero(torch.isnan(losses.view(-1)))
        if len(nan_idxs) > 0:
            drop_idx = min(nan_idxs)
            lrs = lrs[:drop_idx]
            losses = losses[:drop_idx]

    num_it here is lr_find's own argument (epochs), not LRFinder's clamped copy. fastai's tensor() makes both
    float32; the port keeps float64."""
    lrs, losses = fastai_record(loss_row, base_lr, scan, factor, steps, status, epochs)
    lrs, losses = lrs[epochs // 10:-5], losses[epochs // 10:-5]
    for k, v in enumerate(losses):
        if v != v:  # first NaN (inf is kept)
            lrs, losses = lrs[:k], losses[:k]
            break
    return np.array(lrs, dtype=np.float64), np.array(losses, dtype=np.float64)


def _valley_index_literal(losses):
    """fastai valley's index computation, statement by statement (O(n^2)):

        n = len(losses)
        max_start, max_end = 0,0
        lds = [1]*n
        for i in range(1,n):
            for j in range(0,i):
                if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                    lds[i] = lds[j] + 1
                if lds[max_end] < lds[i]:
                    max_end = i
                    max_start = max_end - lds[max_end]
        sections = (max_end - max_start) / 3
        idx = max_start + int(sections) + int(sections/2)
    """
    losses = [float(v) for v in losses]
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        li = losses[i]
        for j in range(0, i):
            if (li < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def _valley_index_fast(losses):
    """The same index as _valley_index_literal in O(n log n).

    lds[i] is the length of the longest strictly decreasing subsequence ending at i, so patience sorting on the
    negated losses (longest strictly increasing subsequence, bisect_left) gives every lds[i] exactly. In the literal
    loop lds[max_end] is the running maximum of lds and lds[i] can exceed it only by reaching its final value (it is
    at most that maximum + 1), so max_end ends as the first index of the largest lds and max_start as max_end minus
    that length; with no strictly decreasing pair at all max_end and max_start stay 0. NaN breaks the ordering that
    bisect relies on, so a NaN sends the sequence to the literal loop (lr_find has cut at the first NaN anyway)."""
    losses = [float(v) for v in losses]
    n = len(losses)
    if any(v != v for v in losses):
        return _valley_index_literal(losses)
    tails = []
    best_len, max_end = 1, 0
    for i, v in enumerate(losses):
        y = -v
        pos = bisect.bisect_left(tails, y)
        if pos == len(tails):
            tails.append(y)
        else:
            tails[pos] = y
        if pos + 1 > best_len:
            best_len, max_end = pos + 1, i
    max_start = max_end - best_len if max_end > 0 else 0
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def _fastai_valley(lrs, losses, literal=False):
    # valley: "return float(lrs[idx]), (float(lrs[idx]), losses[idx])"; idx may be -1 (Python's last element)
    idx = _valley_index_literal(losses) if literal else _valley_index_fast(losses)
    if not -len(lrs) <= idx < len(lrs):  # IndexError: only with no points at all (idx 0)
        return NAN
    return float(lrs[idx])


def _fastai_slide(lrs, losses, lr_diff=15, thresh=.005, adjust_value=1.):
    """slide(lrs, losses, num_it, lr_diff=15, thresh=.005, adjust_value=1.):

        losses = to_np(losses)
        loss_grad = np.gradient(losses)
        r_idx = -1
        l_idx = r_idx - lr_diff
        local_min_lr = lrs[l_idx]
        while (l_idx >= -len(losses)) and (abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh):
            local_min_lr = lrs[l_idx]
            r_idx -= 1
            l_idx -= 1
        suggestion = float(local_min_lr) * adjust_value
    """
    if len(losses) < 2:  # np.gradient: ValueError, fewer than edge_order + 1 = 2 points
        return NAN
    loss_grad = np_gradient_unit(losses)
    r_idx = -1
    l_idx = r_idx - lr_diff
    if l_idx < -len(lrs):  # lrs[-16] on fewer than 16 points: IndexError
        return NAN
    local_min_lr = lrs[l_idx]
    with np.errstate(all="ignore"):
        while (l_idx >= -len(losses)) and (abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh):
            local_min_lr = lrs[l_idx]
            r_idx -= 1
            l_idx -= 1
    return float(local_min_lr) * adjust_value


def _fastai_minimum(lrs, losses):
    """minimum: "lr_min = lrs[losses.argmin()].item()" ... "return lr_min/10, ..." (argmin of an empty tensor
    raises RuntimeError)."""
    if len(losses) == 0:
        return NAN
    lr_min = float(lrs[argmin_first(losses)])
    return lr_min / 10


def fdlibm_log(x):
    """fdlibm's __ieee754_log, the one logarithm lrfinder uses on every backend (src/core/ieee_log.hpp), in
    float64 operations: within 1 ulp of the C library's log, but not always equal to it (about 4% of inputs).
    torch's own float64 log is neither (it differs from glibc in about 1 in 10^4 values); lrfinder fixes one."""
    ln2_hi, ln2_lo, two54 = 6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.80143985094819840000e+16
    Lg1, Lg2, Lg3, Lg4 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01
    Lg5, Lg6, Lg7 = 1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01
    x = float(x)
    u = struct.unpack("<Q", struct.pack("<d", x))[0]
    hx = u >> 32
    if hx >= 0x80000000:
        hx -= 1 << 32  # the high word as a signed 32-bit integer
    lx = u & 0xffffffff
    k = 0
    if hx < 0x00100000:
        if ((hx & 0x7fffffff) | lx) == 0:
            return -math.inf
        if hx < 0:
            return NAN
        k -= 54
        x *= two54
        u = struct.unpack("<Q", struct.pack("<d", x))[0]
        hx = u >> 32
    if hx >= 0x7ff00000:
        return x + x
    k += (hx >> 20) - 1023
    hx &= 0x000fffff
    i = (hx + 0x95f64) & 0x100000
    u = ((hx | (i ^ 0x3ff00000)) << 32) | (struct.unpack("<Q", struct.pack("<d", x))[0] & 0xffffffff)
    x = struct.unpack("<d", struct.pack("<Q", u))[0]
    k += i >> 20
    f = x - 1.0
    if (0x000fffff & (2 + hx)) < 3:
        if f == 0.0:
            if k == 0:
                return 0.0
            dk = float(k)
            return dk * ln2_hi + dk * ln2_lo
        R = f * f * (0.5 - 0.33333333333333333 * f)
        if k == 0:
            return f - R
        dk = float(k)
        return dk * ln2_hi - ((R - dk * ln2_lo) - f)
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    ii = hx - 0x6147a
    w = z * z
    j = 0x6b851 - hx
    t1 = w * (Lg2 + w * (Lg4 + w * Lg6))
    t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)))
    ii |= j
    R = t2 + t1
    if ii > 0:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + R))
        return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f)
    if k == 0:
        return f - s * (f - R)
    return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f)


def _fastai_steep(lrs, losses):
    """steep:

        grads = (losses[1:]-losses[:-1]) / (lrs[1:].log()-lrs[:-1].log())
        lr_steep = lrs[grads.argmin()].item()

    The natural log is lrfinder's, fdlibm's (fdlibm_log), element by element: the one log every lrfinder backend
    computes the same (torch's, glibc's and CUDA's differ from each other in the last bit). Fewer than 2 points:
    grads is empty and argmin raises RuntimeError."""
    if len(losses) < 2:
        return NAN
    log_lrs = np.array([fdlibm_log(v) for v in lrs], dtype=np.float64)
    with np.errstate(all="ignore"):
        grads = (losses[1:] - losses[:-1]) / (log_lrs[1:] - log_lrs[:-1])
    return float(lrs[argmin_first(grads)])


def _fastai_all(loss_row, base_lr, scan, factor, steps, status, epochs, literal_valley=False):
    lrs, losses = fastai_inputs(loss_row, base_lr, scan, factor, steps, status, epochs)
    return {
        "fastai-valley": _fastai_valley(lrs, losses, literal=literal_valley),
        "fastai-slide": _fastai_slide(lrs, losses),
        "fastai-minimum": _fastai_minimum(lrs, losses),
        "fastai-steep": _fastai_steep(lrs, losses),
    }


def fastai_valley(loss_row, base_lr, scan, factor, steps, status, epochs):
    """fastai ``valley``: fastai/fastai fastai/callback/schedule.py at 0a049e8a90b86d70860f68072698245a1ee787ca,
    functions ``valley`` (all of it) and ``lr_find`` (the [num_it//10:-5] trim and the cut at the first NaN), on the
    lists of ``LRFinder``/``Recorder``/``AvgSmoothLoss`` (fastai/learner.py at 5bc369c2) simulated by
    ``fastai_record``. Answer: lrs[max_start + int(L/3) + int(L/3/2)] of the longest strictly decreasing
    subsequence, where max_start is one before the subsequence's first element (idx -1 means the last rate)."""
    lrs, losses = fastai_inputs(loss_row, base_lr, scan, factor, steps, status, epochs)
    return _fastai_valley(lrs, losses)


def fastai_slide(loss_row, base_lr, scan, factor, steps, status, epochs):
    """fastai ``slide`` (lr_diff=15, thresh=.005, adjust_value=1.): fastai/fastai fastai/callback/schedule.py at
    0a049e8a90b86d70860f68072698245a1ee787ca, function ``slide`` (all of it) after ``lr_find``'s trim and NaN cut.
    NaN with fewer than 16 points (lrs[-16] raises IndexError; np.gradient raises below 2)."""
    lrs, losses = fastai_inputs(loss_row, base_lr, scan, factor, steps, status, epochs)
    return _fastai_slide(lrs, losses)


def fastai_minimum(loss_row, base_lr, scan, factor, steps, status, epochs):
    """fastai ``minimum``: fastai/fastai fastai/callback/schedule.py at 0a049e8a90b86d70860f68072698245a1ee787ca,
    function ``minimum`` ("lr_min = lrs[losses.argmin()].item()", "return lr_min/10") after ``lr_find``'s trim and
    NaN cut. First index among ties."""
    lrs, losses = fastai_inputs(loss_row, base_lr, scan, factor, steps, status, epochs)
    return _fastai_minimum(lrs, losses)


def fastai_steep(loss_row, base_lr, scan, factor, steps, status, epochs):
    """fastai ``steep``: fastai/fastai fastai/callback/schedule.py at 0a049e8a90b86d70860f68072698245a1ee787ca,
    function ``steep`` ("grads = (losses[1:]-losses[:-1]) / (lrs[1:].log()-lrs[:-1].log())",
    "lr_steep = lrs[grads.argmin()].item()") after ``lr_find``'s trim and NaN cut. The answer is the rate at the
    left end of the steepest segment."""
    lrs, losses = fastai_inputs(loss_row, base_lr, scan, factor, steps, status, epochs)
    return _fastai_steep(lrs, losses)


# ----------------------------------------------------------------------------------------------------------------
# PyTorch Lightning
# ----------------------------------------------------------------------------------------------------------------

LIGHTNING_BETA = 0.98  # _LRCallback.__init__(..., beta: float = 0.98)
LIGHTNING_EARLY_STOP = 4.0  # _lr_find(..., early_stop_threshold: Optional[float] = 4.0); Tuner.lr_find passes it


def lightning_record(loss_row, base_lr, scan, factor, steps, status, epochs):
    """_LRCallback's (lrs, losses) for ``Tuner(trainer).lr_find(model, min_lr=base_lr, num_training=epochs)``:
    Lightning-AI/pytorch-lightning src/lightning/pytorch/tuner/lr_finder.py at 001278272e8e.

    The fit runs until global_step >= max_steps = num_training (``__lr_finder_reset_params``), i.e. batches
    0..num_training-1, or stops after the batch whose on_train_batch_end set ``trainer.should_stop``."""
    rates = Rates(base_lr, scan, factor)
    lrs, losses = [], []
    avg_loss = 0.0  # _LRCallback.__init__: "self.avg_loss = 0.0"
    best_loss = 0.0  # "self.best_loss = 0.0"
    for i in range(epochs):  # _TrainingEpochLoop.done: _is_max_limit_reached(global_step, max_steps)
        loss = measured_loss(loss_row, steps, status, i)
        if loss is None:
            break
        # on_train_batch_start: "self.lrs.append(trainer.lr_scheduler_configs[0].scheduler.lr[0])" -- the value the
        # scheduler set after the previous batch, i.e. the rate this batch uses: r_i.
        lrs.append(rates[i])
        # on_train_batch_end (after the optimizer step, so trainer.global_step is already i + 1):
        current_loss = loss  # "current_loss = loss_tensor.item()"
        current_step = i + 1  # "current_step = trainer.global_step"
        # "self.avg_loss = self.beta * self.avg_loss + (1 - self.beta) * current_loss"
        avg_loss = LIGHTNING_BETA * avg_loss + (1 - LIGHTNING_BETA) * current_loss
        # "smoothed_loss = self.avg_loss / (1 - self.beta ** (current_step + 1))" -- debias power i + 2
        smoothed_loss = avg_loss / (1 - LIGHTNING_BETA ** (current_step + 1))
        # "if (self.early_stop_threshold is not None and current_step > 1
        #      and smoothed_loss > self.early_stop_threshold * self.best_loss): trainer.should_stop = True"
        should_stop = current_step > 1 and smoothed_loss > LIGHTNING_EARLY_STOP * best_loss
        # "if smoothed_loss < self.best_loss or current_step == 1: self.best_loss = smoothed_loss"
        if smoothed_loss < best_loss or current_step == 1:
            best_loss = smoothed_loss
        # "self.losses.append(smoothed_loss)"
        losses.append(smoothed_loss)
        if should_stop:  # _TrainingEpochLoop.done -> should_stop and _can_stop_early (min_epochs/min_steps None)
            break
    return lrs, losses


def _lightning_suggestion(result_lrs, result_losses, skip_begin=10, skip_end=1):
    """_LRFinder.suggestion(skip_begin=10, skip_end=1):

        losses = torch.tensor(self.results["loss"][skip_begin:-skip_end])
        lrs = torch.tensor(self.results["lr"][skip_begin:-skip_end])
        is_finite = torch.isfinite(losses)
        losses = losses[is_finite]
        lrs = lrs[is_finite]
        if len(losses) < 2: ... return None
        gradients = torch.gradient(losses, spacing=[lrs])[0]
        min_grad = torch.argmin(gradients).item()
        all_losses_idx = torch.arange(len(self.results["loss"]))
        idx_non_skipped = all_losses_idx[skip_begin:-skip_end]
        idx_finite = idx_non_skipped[is_finite]
        self._optimal_idx = idx_finite[min_grad].item()
        return self.results["lr"][self._optimal_idx]

    torch.tensor of Python floats is float32 there; float64 here. The answer is the recorded float64 rate."""
    losses = np.array(result_losses[skip_begin:-skip_end], dtype=np.float64)
    lrs = np.array(result_lrs[skip_begin:-skip_end], dtype=np.float64)
    is_finite = np.isfinite(losses)
    losses = losses[is_finite]
    lrs = lrs[is_finite]
    if len(losses) < 2:
        return NAN
    gradients = torch_gradient_coordinates(losses, lrs)
    min_grad = argmin_first(gradients)
    all_losses_idx = np.arange(len(result_losses))
    idx_non_skipped = all_losses_idx[skip_begin:-skip_end]
    idx_finite = idx_non_skipped[is_finite]
    optimal_idx = int(idx_finite[min_grad])
    return float(result_lrs[optimal_idx])


def lightning(loss_row, base_lr, scan, factor, steps, status, epochs):
    """PyTorch Lightning ``Tuner.lr_find()`` defaults (early_stop_threshold=4.0, _LRCallback beta=0.98) then
    ``suggestion()`` defaults (skip_begin=10, skip_end=1): Lightning-AI/pytorch-lightning
    src/lightning/pytorch/tuner/lr_finder.py at 001278272e8e91c85a74dd17449e4eafc489e25f, ``_LRCallback``
    (on_train_batch_start, on_train_batch_end), ``__lr_finder_reset_params`` (max_steps = num_training) and
    ``_LRFinder.suggestion``. Steepest torch.gradient of the finite smoothed losses against the rates."""
    lrs, losses = lightning_record(loss_row, base_lr, scan, factor, steps, status, epochs)
    return _lightning_suggestion(lrs, losses)


# ----------------------------------------------------------------------------------------------------------------
# torch-lr-finder (davidtvs/pytorch-lr-finder)
# ----------------------------------------------------------------------------------------------------------------

def torch_lr_finder_record(loss_row, base_lr, scan, factor, steps, status, epochs,
                           smooth_f=0.05, diverge_th=5):
    """LRFinder.history for ``range_test(train_loader, start_lr=base_lr, num_iter=epochs)`` with its defaults
    (end_lr=10, step_mode="exp", smooth_f=0.05, diverge_th=5): davidtvs/pytorch-lr-finder
    torch_lr_finder/lr_finder.py at 00abb9079101da04867e49fa67b16396f45d9179, ``range_test``'s loop. Returns None
    where range_test raises: ExponentialLR/LinearLR.__init__: "if num_iter <= 1: raise ValueError"."""
    num_iter = epochs
    if num_iter <= 1:
        return None
    rates = Rates(base_lr, scan, factor)
    history_lr, history_loss = [], []
    best_loss = None
    for iteration in range(num_iter):  # "for iteration in tqdm(range(num_iter)):"
        loss = measured_loss(loss_row, steps, status, iteration)  # _train_batch: loss before optimizer.step()
        if loss is None:
            break
        # "self.history["lr"].append(lr_schedule.get_lr()[0])" then "lr_schedule.step()": get_lr() is computed
        # from last_epoch == iteration, the rate the optimizer used for this iteration: r_i.
        history_lr.append(rates[iteration])
        # "if iteration == 0: self.best_loss = loss"
        # "else: if smooth_f > 0: loss = smooth_f * loss + (1 - smooth_f) * self.history["loss"][-1]"
        # "      if loss < self.best_loss: self.best_loss = loss"
        if iteration == 0:
            best_loss = loss
        else:
            if smooth_f > 0:
                loss = smooth_f * loss + (1 - smooth_f) * history_loss[-1]
            if loss < best_loss:
                best_loss = loss
        # "self.history["loss"].append(loss)"; "if loss > diverge_th * self.best_loss: ... break"
        history_loss.append(loss)
        if loss > diverge_th * best_loss:
            break
    return history_lr, history_loss


def _torch_lr_finder_suggestion(history_lr, history_loss, skip_start=10, skip_end=5):
    """LRFinder.plot(skip_start=10, skip_end=5, suggest_lr=True):

        lrs = lrs[skip_start:-skip_end]
        losses = losses[skip_start:-skip_end]
        ...
        try:
            min_grad_idx = (np.gradient(np.array(losses))).argmin()
        except ValueError:  # fewer than 2 points
            ...
        return ax, lrs[min_grad_idx]
    """
    lrs = history_lr[skip_start:-skip_end]
    losses = history_loss[skip_start:-skip_end]
    if len(losses) < 2:
        return NAN
    min_grad_idx = argmin_first(np_gradient_unit(np.array(losses, dtype=np.float64)))
    return float(lrs[min_grad_idx])


def torch_lr_finder(loss_row, base_lr, scan, factor, steps, status, epochs):
    """torch-lr-finder ``range_test()`` defaults then ``plot()``'s suggested lr: davidtvs/pytorch-lr-finder
    torch_lr_finder/lr_finder.py at 00abb9079101da04867e49fa67b16396f45d9179, ``LRFinder.range_test`` (the
    iteration loop, smoothing, best loss and divergence break) and ``LRFinder.plot`` (the [10:-5] trim and
    "min_grad_idx = (np.gradient(np.array(losses))).argmin()"). Pure float64 in the library too."""
    rec = torch_lr_finder_record(loss_row, base_lr, scan, factor, steps, status, epochs)
    if rec is None:
        return NAN
    return _torch_lr_finder_suggestion(*rec)


# ----------------------------------------------------------------------------------------------------------------
# pytorch-ignite
# ----------------------------------------------------------------------------------------------------------------

def ignite_record(loss_row, base_lr, scan, factor, steps, status, epochs,
                  smooth_f=0.05, diverge_th=5.0, extra_iteration=True):
    """FastaiLRFinder._history for ``attach(trainer, to_save, num_iter=epochs)`` (other arguments default:
    smooth_f=0.05, diverge_th=5.0, step_mode="exp") on a trainer whose run is longer than num_iter:
    pytorch/ignite ignite/handlers/lr_finder.py at 036765e00e96fd33443411ddddb836c29b880e66.

    _run adds three ITERATION_COMPLETED handlers in this order: _reached_num_iterations, _log_lr_and_loss,
    self._lr_schedule. Engine._fire_event runs every handler of the event; trainer.terminate() only sets a flag
    that is checked after the event. So:

    * iteration t (1-based, t = i + 1) with t > num_iter is still logged: "_reached_num_iterations:
      if trainer.state.iteration > num_iter: trainer.terminate()" lets iteration num_iter + 1 through, and
      _log_lr_and_loss then records it. The list has num_iter + 1 points. (extra_iteration=False gives the run
      whose length is exactly num_iter, e.g. attach(num_iter=None) with epoch_length * max_epochs == epochs.)
    * "lr = self._lr_schedule.get_param()" runs before the scheduler handler of the same event, and returns the
      value that handler is about to set for the next iteration (LRScheduler: get_lr() at the current last_epoch,
      then "last_epoch += 1"; PiecewiseLinear: value at event_index, then "event_index += 1"). The rate logged with
      the loss of iteration i is the rate of update i + 1: r_{i+1}.
    """
    rates = Rates(base_lr, scan, factor)
    num_iter = epochs
    history_lr, history_loss = [], []
    best_loss = None
    iteration = 0
    while True:
        iteration += 1  # trainer.state.iteration
        i = iteration - 1
        loss = measured_loss(loss_row, steps, status, i)  # create_supervised_trainer: loss before optimizer.step
        if loss is None:
            break
        terminate = False
        # handler 1, _reached_num_iterations: "if trainer.state.iteration > num_iter: trainer.terminate()"
        if iteration > num_iter:
            terminate = True
        # handler 2, _log_lr_and_loss:
        #   "lr = self._lr_schedule.get_param()"; "self._history["lr"].append(lr)"
        history_lr.append(rates[i + 1])
        #   "if trainer.state.iteration == 1: self._best_loss = loss"
        #   "else: if smooth_f > 0: loss = smooth_f * loss + (1 - smooth_f) * self._history["loss"][-1]"
        #   "      if loss < self._best_loss: self._best_loss = loss"
        if iteration == 1:
            best_loss = loss
        else:
            if smooth_f > 0:
                loss = smooth_f * loss + (1 - smooth_f) * history_loss[-1]
            if loss < best_loss:
                best_loss = loss
        #   "self._history["loss"].append(loss)"
        history_loss.append(loss)
        #   "if self._history["loss"][-1] > diverge_th * self._best_loss: ... trainer.terminate()"
        if history_loss[-1] > diverge_th * best_loss:
            terminate = True
        # handler 3, the scheduler, sets the next rate; then the engine checks should_terminate.
        if terminate:
            break
        if not extra_iteration and iteration >= num_iter:
            break
    return history_lr, history_loss


def _ignite_suggestion(history_lr, history_loss):
    """FastaiLRFinder.lr_suggestion:

        loss = self._history["loss"]
        min_loss_idx = torch.tensor(loss).argmin()
        decreasing_losses = self._history["loss"][: int(min_loss_idx.item()) + 1]
        if len(decreasing_losses) < 3: raise RuntimeError(...)
        losses = torch.tensor(decreasing_losses)
        grads = torch.tensor([0.5 * (losses[i + 1] - losses[i - 1]) for i in range(1, len(losses) - 1)])
        min_grad_idx = grads.argmin() + 1
        return self._history["lr"][int(min_grad_idx)]

    torch.tensor is float32 there, float64 here; the answer is the logged float64 rate."""
    if len(history_loss) == 0:  # argmin of an empty tensor: RuntimeError
        return NAN
    min_loss_idx = argmin_first(history_loss)
    decreasing = np.array(history_loss[: min_loss_idx + 1], dtype=np.float64)
    if len(decreasing) < 3:
        return NAN
    with np.errstate(all="ignore"):
        grads = np.array([0.5 * (decreasing[i + 1] - decreasing[i - 1]) for i in range(1, len(decreasing) - 1)],
                         dtype=np.float64)
    min_grad_idx = argmin_first(grads) + 1
    return float(history_lr[min_grad_idx])


def ignite(loss_row, base_lr, scan, factor, steps, status, epochs):
    """pytorch-ignite ``FastaiLRFinder.attach`` defaults (num_iter=epochs, smooth_f=0.05, diverge_th=5.0) then
    ``lr_suggestion()``: pytorch/ignite ignite/handlers/lr_finder.py at 036765e00e96fd33443411ddddb836c29b880e66,
    ``_run`` (handler order), ``_log_lr_and_loss``, ``_reached_num_iterations`` and ``lr_suggestion``; the logged
    rate from ignite/handlers/param_scheduler.py at 00af057e (``get_param`` before the scheduler's ``__call__``)."""
    return _ignite_suggestion(*ignite_record(loss_row, base_lr, scan, factor, steps, status, epochs))


# ----------------------------------------------------------------------------------------------------------------

RULES = {
    "fastai-valley": fastai_valley,
    "fastai-slide": fastai_slide,
    "fastai-steep": fastai_steep,
    "fastai-minimum": fastai_minimum,
    "lightning": lightning,
    "torch-lr-finder": torch_lr_finder,
    "ignite": ignite,
}


def suggest_all(loss_row, base_lr, scan, factor, steps, status, epochs, literal_valley=False):
    """Every rule in RULES for one trial, simulating each library's loop once. Same values as the RULES
    functions (tests/ports/test_ports.py checks it)."""
    args = (loss_row, base_lr, scan, factor, int(steps), int(status), int(epochs))
    out = _fastai_all(*args, literal_valley=literal_valley)
    out["lightning"] = lightning(*args)
    out["torch-lr-finder"] = torch_lr_finder(*args)
    out["ignite"] = ignite(*args)
    return {name: out[name] for name in RULES}
