"""Hand-worked cases for the library ports in library_rules.py (pytest).

Rates are chosen to be exact: linear with base_lr 1 and factor 1 gives r_i = i + 1, exp with base_lr 1 and factor 2
gives r_i = 2**i, so every expected answer below is an exact float and the index arithmetic is the whole story.
The comments work each answer out from the library code (README.md has the conventions).
"""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import library_rules as L  # noqa: E402

NAN = float("nan")


def row(values, epochs):
    r = np.full(epochs + 1, np.nan)
    r[: len(values)] = values
    return r


def bits_equal(a, b):
    a, b = float(a), float(b)
    if a != a or b != b:
        return a != a and b != b
    return np.float64(a).view(np.uint64) == np.float64(b).view(np.uint64)


def case(values, steps, status, epochs, expected, base_lr=1.0, scan=L.LINEAR, factor=1.0):
    return dict(row=row(values, epochs), steps=steps, status=status, epochs=epochs, base_lr=base_lr, scan=scan,
                factor=factor, expected=expected)


HAND_CASES = {
    # U shape: 100, 98, ..., 40 (i = 0..30), then a jump to 200, 210, ..., 280 (i = 31..39), diverged at i = 40.
    # Every smoothed curve falls strictly to i = 30 and rises from i = 31 (the jump outweighs the lag).
    #  fastai: 41 points recorded (its 4x stop fires only at the 1e8); lr_find keeps [60//10:-5] = i 6..35 (30).
    #    valley: the strictly decreasing run is t = 0..24 (i 6..30), L = 25, max_end = 24, max_start = 24 - 25 = -1;
    #      idx = -1 + int(25/3) + int(8.33/2) = -1 + 8 + 4 = 11 -> i = 17 -> r = 18.
    #    slide: |g[r] - g[l]| > .005 for all 15 pairs (t 29/14 ... 15/0), so l runs out: lrs[-30] = i 6 -> 7.
    #    minimum: i = 30 -> 31 / 10 = 3.1.
    #    steep: the loss falls ~1-2 per step while ln((k+2)/(k+1)) shrinks: steepest last segment i 29 -> 30;
    #      steep names its left end, r_29 = 30.
    #  lightning: [10:-1] = i 10..39, spacing 1; steepest central difference at i = 29 -> 30.
    #  torch-lr-finder: [10:-5] = i 10..35; np.gradient steepest at i = 29 -> 30.
    #  ignite: min at i = 30; grads over i 1..29 steepest at i = 29; lr logged at i 29 is r_30 = 31.
    "u_shape": case([100.0 - 2 * i for i in range(31)] + [200.0 + 10 * (i - 31) for i in range(31, 40)] + [1e8],
                    40, L.DIVERGED, 60,
                    {"fastai-valley": 18.0, "fastai-slide": 7.0, "fastai-minimum": 3.1, "fastai-steep": 30.0,
                     "lightning": 30.0, "torch-lr-finder": 30.0, "ignite": 31.0}),
    # Three points (steps 2, completed after epochs 2): 3, 2, 1.
    #  fastai records i 0..2 (LRFinder would go on to 6, the data ends); [0:-5] is empty: all four NaN.
    #  lightning records 2 (num_training 2): [10:-1] empty: NaN. torch-lr-finder records 2: [10:-5] empty: NaN.
    #  ignite lets iteration 3 > num_iter 2 through: losses 3, 2.95, 2.8525; min at 2; grads [0.5*(2.8525-3)];
    #    index 0 + 1 = 1; lr logged at i 1 is r_2 = 3.
    "three_points": case([3.0, 2.0, 1.0], 2, L.COMPLETED, 2,
                         {"fastai-valley": NAN, "fastai-slide": NAN, "fastai-minimum": NAN, "fastai-steep": NAN,
                          "lightning": NAN, "torch-lr-finder": NAN, "ignite": 3.0}),
    # An inf loss: 50, 49, ..., 39 (i 0..11), inf at i = 12, then 1s; completed at 30 (the inf stops every library).
    #  fastai: smoothed inf > 4*best at i 12: 13 points; [3:-5] = i 3..7, strictly decreasing (5 points).
    #    valley: L = 5, max_end 4, max_start -1: idx = -1 + 1 + 0 = 0 -> i 3 -> 4. slide: 5 < 16 points: NaN.
    #    minimum: i 7 -> 0.8. steep: steepest last segment, left end i 6 -> 7.
    #  lightning: stops at i 12 (appended, inf); [10:-1] = i 10, 11: two finite points, gradient [d, d]: first, r_10.
    #  torch-lr-finder: breaks at i 12: 13 points, [10:-5] is empty: NaN.
    #  ignite: breaks at i 12; min at i 11 (the inf is no minimum); the undebiased EMA of a ramp falls faster and
    #    faster, so the steepest grad is at i 10; lr logged at i 10 is r_11 = 12.
    "inf_loss": case([50.0 - i for i in range(12)] + [math.inf] + [1.0] * 18, 30, L.COMPLETED, 30,
                     {"fastai-valley": 4.0, "fastai-slide": NAN, "fastai-minimum": 0.8, "fastai-steep": 7.0,
                      "lightning": 11.0, "torch-lr-finder": NAN, "ignite": 12.0}),
    # Stalled at 25 of 40: 60, 58, ..., 20 (i 0..20), 20 (i 21..25), NaN after (every library measures NaN there).
    #  fastai runs to train_iter 40 (NaN neither improves nor diverges); [4:-5] = i 4..34, cut at the first NaN
    #    (i 26): i 4..25, 22 points, strictly decreasing (the flat 20s pull the EMA down).
    #    valley: L 22, max_end 21, max_start -1: idx = -1 + 7 + 3 = 9 -> i 13 -> 14.
    #    slide: all 7 pairs differ by > .005 (0.044 at least): l runs out, lrs[-22] = i 4 -> 5.
    #    minimum: i 25 -> 2.6. steep: steepest at the ramp's last segment, left end i 19 -> 20.
    #  lightning: 40 points, NaN from 26 dropped by isfinite: i 10..25; steepest at i 19 -> 20.
    #  torch-lr-finder: 40 points, NaN from 26; [10:-5]: np.gradient at i 25 is (NaN - s24)/2, the first NaN,
    #    and argmin returns the first NaN: r_25 = 26.
    #  ignite: 41 points; argmin is the first NaN (i 26); decreasing = i 0..26; grad at i 25 is 0.5*(NaN - s24), the
    #    first NaN: index 25; lr logged at i 25 is r_26 = 27.
    "stalled": case([60.0 - 2 * i for i in range(21)] + [20.0] * 5, 25, L.STALLED, 40,
                    {"fastai-valley": 14.0, "fastai-slide": 5.0, "fastai-minimum": 2.6, "fastai-steep": 20.0,
                     "lightning": 20.0, "torch-lr-finder": 26.0, "ignite": 27.0}),
    # Completed, exp scan r_i = 2**i: 40, 39, ..., 10 (i 0..30).
    #  fastai: 30 points (train_iter >= 30 after i 29); [3:-5] = i 3..24, 22 points, strictly decreasing.
    #    valley: idx = -1 + 7 + 3 = 9 -> i 12 -> 4096. slide: all pairs differ by > .005 (0.048 at least):
    #    lrs[-22] = i 3 -> 8. minimum: i 24 -> 2**24 / 10. steep: equal log steps, the debiased EMA of a ramp falls
    #    faster and faster: last segment, left end i 23 -> 2**23.
    #  lightning: 30 points, [10:-1] = i 10..28; the gradient is against lr, whose steps double: steepest at the
    #    first point, r_10 = 1024.
    #  torch-lr-finder: 30 points, [10:-5] = i 10..24; the EMA falls faster and faster: last point, 2**24.
    #  ignite: 31 points (the extra iteration reads loss[30]); min at i 30; steepest at i 29: r_30 = 2**30.
    "completed": case([40.0 - i for i in range(31)], 30, L.COMPLETED, 30,
                      {"fastai-valley": 4096.0, "fastai-slide": 8.0, "fastai-minimum": 16777216 / 10,
                       "fastai-steep": 8388608.0, "lightning": 1024.0, "torch-lr-finder": 16777216.0,
                       "ignite": 1073741824.0},
                      scan=L.EXP, factor=2.0),
    # A tie everywhere: every loss 0 (every smoothed value exactly 0), completed at 30.
    #  fastai: [3:-5] = i 3..24. valley: no strictly decreasing pair: idx 0 -> 4. slide: every |0 - 0| <= .005,
    #    the loop never runs: lrs[-16] = i 9 -> 10. minimum: first of the ties, i 3 -> 0.4. steep: all 0: i 3 -> 4.
    #  lightning: [10:-1], all-zero gradient: first, r_10 = 11. torch-lr-finder: the same, 11.
    #  ignite: argmin is the first 0 (i 0): one decreasing point, fewer than 3: NaN.
    "flat_ties": case([0.0] * 31, 30, L.COMPLETED, 30,
                      {"fastai-valley": 4.0, "fastai-slide": 10.0, "fastai-minimum": 0.4, "fastai-steep": 4.0,
                       "lightning": 11.0, "torch-lr-finder": 11.0, "ignite": NAN}),
    # An inf at the start: fastai's lerp gives inf, then inf - (inf - x)*0.02 = NaN: the whole list is cut.
    #  lightning: the EMA stays inf (0.98*inf + ...), never finite: NaN. torch-lr-finder: all inf, np.gradient is
    #  inf - inf = NaN everywhere: the first NaN, r_10 = 11. ignite: all inf: argmin 0, one point: NaN.
    "inf_first": case([math.inf] + [10.0 - 0.1 * i for i in range(1, 31)], 30, L.COMPLETED, 30,
                      {"fastai-valley": NAN, "fastai-slide": NAN, "fastai-minimum": NAN, "fastai-steep": NAN,
                       "lightning": NAN, "torch-lr-finder": 11.0, "ignite": NAN}),
}


# Near-flat losses where torch's fused lerp decides fastai's answer (checked against fastai itself by
# crosscheck_libraries.py). Completed at 12; fastai records 12 points, [1:-5] keeps i 1..6. The fused smoothed
# values there are ...986, ...996, ...998, 10.000000000000002, 10.000000000000002, 10.000000000000005: nothing
# strictly decreasing, valley idx 0 -> r_1 = 2. With the unfused formula they would be ...986, ...996, ...996,
# 10.000000000000002, 10.0, 10.000000000000004: one decreasing pair at t 3 -> 4, max_start 2, idx 2 -> r_3 = 4.
HAND_CASES["near_flat_fused_lerp"] = case(
    [9.999999999999991, 10.000000000000002, 10.00000000000001, 10.000000000000014, 9.999999999999988,
     9.999999999999996, 10.000000000000005, 10.00000000000001, 10.000000000000004, 9.999999999999995,
     10.000000000000002, 10.0, 9.999999999999998], 12, L.COMPLETED, 12,
    {"fastai-valley": 2.0, "fastai-slide": NAN, "fastai-minimum": 0.2, "fastai-steep": 5.0,
     "lightning": NAN, "torch-lr-finder": NAN, "ignite": NAN})


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_hand_case(name):
    c = HAND_CASES[name]
    args = (c["row"], c["base_lr"], c["scan"], c["factor"], c["steps"], c["status"], c["epochs"])
    got_all = L.suggest_all(*args)
    got_literal = L.suggest_all(*args, literal_valley=True)
    for rule, f in L.RULES.items():
        want = c["expected"][rule]
        got = f(*args)
        assert bits_equal(got, want), f"{name} {rule}: got {got!r}, want {want!r}"
        assert bits_equal(got_all[rule], want), f"{name} {rule} (suggest_all): got {got_all[rule]!r}"
        assert bits_equal(got_literal[rule], want), f"{name} {rule} (literal valley)"


def test_near_flat_unfused_lerp_would_differ():
    c = HAND_CASES["near_flat_fused_lerp"]
    args = (c["row"], c["base_lr"], c["scan"], c["factor"], c["steps"], c["status"], c["epochs"])
    try:
        L.TORCH_LERP_FUSED = False
        assert L.fastai_valley(*args) == 4.0
    finally:
        L.TORCH_LERP_FUSED = True
    assert L.fastai_valley(*args) == 2.0


def test_rules_table():
    assert list(L.RULES) == ["fastai-valley", "fastai-slide", "fastai-steep", "fastai-minimum", "lightning",
                             "torch-lr-finder", "ignite"]


# ---------------------------------------------------------------- loops: lengths, rates, smoothing


def test_recorded_rates():
    r = row([5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.25, 0.125], 7)
    args = (r, 1.0, L.LINEAR, 1.0, 7, L.COMPLETED, 7)
    # fastai, Lightning, torch-lr-finder: the rate of the iteration's own update, r_i = i + 1
    assert L.fastai_record(*args)[0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert L.lightning_record(*args)[0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert L.torch_lr_finder_record(*args)[0] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    # ignite: get_param() before the scheduler's own handler: the next update's rate, r_{i+1}; 8 points (i 0..7)
    assert L.ignite_record(*args)[0] == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert L.ignite_record(*args, extra_iteration=False)[0] == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


def test_rates_by_repeated_operation():
    # 0.1 added ten times is not 1.0: the rates are never a closed form
    rates = L.Rates(0.1, L.LINEAR, 0.1)
    acc = 0.1
    for _ in range(9):
        acc = acc + 0.1
    assert rates[9] == acc and rates[9] != 1.0
    e = L.Rates(1e-7, L.EXP, 1.1)
    acc = 1e-7
    for _ in range(50):
        acc = acc * 1.1
    assert e[50] == acc


def test_fastai_num_it_floor_of_six():
    # LRFinder raises num_it to 6; lr_find trims with the caller's num_it (3). Stalled at 1: NaN after.
    r = row([4.0, 2.0], 3)
    lrs, losses = L.fastai_record(r, 1.0, L.LINEAR, 1.0, 1, L.STALLED, 3)
    assert lrs == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # six iterations, not three
    assert losses[0] == 4.0 and all(v != v for v in losses[2:])
    # [3//10:-5] keeps one point, the first: valley and minimum answer from it, slide and steep cannot.
    args = (r, 1.0, L.LINEAR, 1.0, 1, L.STALLED, 3)
    assert L.fastai_valley(*args) == 1.0
    assert L.fastai_minimum(*args) == 0.1
    assert math.isnan(L.fastai_steep(*args)) and math.isnan(L.fastai_slide(*args))


def test_fastai_smoothing_is_torch_lerp_debiased_by_count():
    from fractions import Fraction as F

    r = row([2.0, 4.0, 8.0], 10)
    _, losses = L.fastai_record(r, 1.0, L.LINEAR, 1.0, 2, L.DIVERGED, 10)
    w1 = 0.98 - 1.0  # exact (Sterbenz): -0.020000000000000018

    def lerp(loss, val):  # torch.lerp(loss, val, 0.98) on the CPU: val + (0.98 - 1)*(val - loss), rounded once
        return float(F(val) + F(w1) * F(val - loss))

    v0 = lerp(2.0, 0.0)
    v1 = lerp(4.0, v0)
    v2 = lerp(8.0, v1)
    assert losses == [v0 / (1 - 0.98 ** 1), v1 / (1 - 0.98 ** 2), v2 / (1 - 0.98 ** 3)]
    # the unfused source formula would give a different last bit here
    c = 1.0 - 0.98
    u1 = v0 - (v0 - 4.0) * c
    u2 = u1 - (u1 - 8.0) * c
    assert u2 / (1 - 0.98 ** 3) != losses[2]


def test_lightning_debias_power_is_step_plus_two():
    r = row([2.0, 4.0, 8.0], 10)
    _, losses = L.lightning_record(r, 1.0, L.LINEAR, 1.0, 2, L.DIVERGED, 10)
    a0 = 0.98 * 0.0 + (1 - 0.98) * 2.0
    a1 = 0.98 * a0 + (1 - 0.98) * 4.0
    a2 = 0.98 * a1 + (1 - 0.98) * 8.0
    # current_step = trainer.global_step = i + 1 in on_train_batch_end, and the power is current_step + 1
    assert losses == [a0 / (1 - 0.98 ** 2), a1 / (1 - 0.98 ** 3), a2 / (1 - 0.98 ** 4)]
    assert losses[0] < 2.0 / 1.9  # about half the first loss: the debias is one power too high


def test_torch_lr_finder_and_ignite_smoothing_start_raw():
    r = row([2.0, 4.0, 8.0], 10)
    _, tl = L.torch_lr_finder_record(r, 1.0, L.LINEAR, 1.0, 2, L.DIVERGED, 10)
    _, ig = L.ignite_record(r, 1.0, L.LINEAR, 1.0, 2, L.DIVERGED, 10)
    s1 = 0.05 * 4.0 + (1 - 0.05) * 2.0
    s2 = 0.05 * 8.0 + (1 - 0.05) * s1
    assert tl == [2.0, s1, s2] and ig == [2.0, s1, s2]


def test_torch_lr_finder_needs_two_iterations():
    r = row([3.0, 2.0], 1)
    assert L.torch_lr_finder_record(r, 1.0, L.LINEAR, 1.0, 1, L.COMPLETED, 1) is None  # num_iter <= 1 raises
    assert math.isnan(L.torch_lr_finder(r, 1.0, L.LINEAR, 1.0, 1, L.COMPLETED, 1))


def test_lists_end_with_the_data():
    r = row([3.0, 2.0, 1.5], 50)
    for rec in (L.fastai_record, L.lightning_record, L.torch_lr_finder_record, L.ignite_record):
        lrs, losses = rec(r, 1.0, L.LINEAR, 1.0, 2, L.DIVERGED, 50)
        assert len(lrs) == len(losses) == 3, rec.__name__
        lrs, losses = rec(r, 1.0, L.LINEAR, 1.0, 2, L.STALLED, 50)  # stalled: NaN losses until the loop ends
        want = {"fastai_record": 50, "lightning_record": 50, "torch_lr_finder_record": 50, "ignite_record": 51}
        assert len(losses) == want[rec.__name__], rec.__name__
        assert all(v != v for v in losses[3:])


# ---------------------------------------------------------------- relative stops at their thresholds


def _tail(x1, n=11):
    return [1.0, x1] + [1.0] * n


def test_torch_lr_finder_and_ignite_stop_above_five_times_best():
    at = 81.0  # 0.05*81 + 0.95*1 is exactly 5.0 = 5 * best (best is the raw first loss)
    assert 0.05 * at + (1 - 0.05) * 1.0 == 5.0
    above = np.nextafter(at, np.inf)
    assert 0.05 * above + (1 - 0.05) * 1.0 > 5.0
    for rec, full in ((L.torch_lr_finder_record, 12), (L.ignite_record, 13)):
        lrs, losses = rec(row(_tail(at), 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
        assert losses[1] == 5.0 and len(losses) == full, rec.__name__  # "loss > diverge_th * best": equal goes on
        lrs, losses = rec(row(_tail(above), 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
        assert len(losses) == 2, rec.__name__  # stops at i = 1, which is recorded


def test_fastai_stops_above_four_times_best():
    from fractions import Fraction as F

    w1 = 0.98 - 1.0
    v0 = float(F(0.0) + F(w1) * F(0.0 - 1.0))  # torch.lerp(1.0, 0.0, 0.98), fused
    assert v0 / (1 - 0.98) == 1.0  # best after the first batch
    at = 6.940000000000009
    assert float(F(v0) + F(w1) * F(v0 - at)) / (1 - 0.98 ** 2) == 4.0
    above = np.nextafter(at, np.inf)
    assert float(F(v0) + F(w1) * F(v0 - above)) / (1 - 0.98 ** 2) > 4.0
    _, losses = L.fastai_record(row(_tail(at), 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
    assert losses[1] == 4.0 and len(losses) == 12  # "smooth_loss > 4*best_loss": equal goes on
    _, losses = L.fastai_record(row(_tail(above), 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
    assert len(losses) == 2


def test_lightning_stops_above_four_times_best_from_step_two():
    a0 = 0.98 * 0.0 + (1 - 0.98) * 1.0
    best = a0 / (1 - 0.98 ** 2)  # set at current_step 1, unchecked
    at = 4.960202020202017
    assert (0.98 * a0 + (1 - 0.98) * at) / (1 - 0.98 ** 3) == 4.0 * best
    above = np.nextafter(at, np.inf)
    assert (0.98 * a0 + (1 - 0.98) * above) / (1 - 0.98 ** 3) > 4.0 * best
    _, losses = L.lightning_record(row(_tail(at), 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
    assert len(losses) == 12
    _, losses = L.lightning_record(row(_tail(above), 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
    assert len(losses) == 2
    # the first batch is never checked: a huge first loss does not stop it
    _, losses = L.lightning_record(row([1e300] + [1.0] * 12, 12), 1.0, L.LINEAR, 1.0, 12, L.COMPLETED, 12)
    assert len(losses) == 12


# ---------------------------------------------------------------- suggestion functions on hand-made lists


def test_minimum_tie_takes_first():
    lrs = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert L._fastai_minimum(lrs, np.array([3.0, 1.0, 2.0, 1.0, 4.0])) == 0.2
    # ignite: the first of the tied minima ends the decreasing part: [5, 3, 1] -> one grad at index 1
    assert L._ignite_suggestion([10.0, 20.0, 30.0, 40.0, 50.0], [5.0, 3.0, 1.0, 2.0, 1.0]) == 20.0
    # Lightning: a tie in the gradient takes the first point
    assert L._lightning_suggestion([float(i) for i in range(14)], [9.0] * 10 + [4.0, 3.0, 2.0, 7.0]) == 10.0


def test_valley_two_point_valley_wraps_to_last_rate():
    # lds max 2 first reached at index 1: max_start = 1 - 2 = -1, idx = -1 + 0 + 0 -> lrs[-1]
    lrs = np.array([1.0, 2.0, 3.0, 4.0])
    assert L._fastai_valley(lrs, np.array([2.0, 1.0, 3.0, 5.0])) == 4.0
    assert L._valley_index_literal([2.0, 1.0, 3.0, 5.0]) == -1
    assert L._fastai_valley(lrs, np.array([1.0, 2.0, 3.0, 4.0])) == 1.0  # nothing decreasing: idx 0
    assert math.isnan(L._fastai_valley(np.array([]), np.array([])))  # lrs[0] of nothing: IndexError


def test_valley_fast_equals_literal():
    rng = np.random.default_rng(7)
    for n in list(range(0, 12)) * 20 + [60, 150, 300]:
        kind = rng.integers(0, 4)
        if kind == 0:
            v = rng.normal(size=n)
        elif kind == 1:
            v = np.round(rng.normal(size=n), 0)  # many ties
        elif kind == 2:
            v = np.cumsum(rng.normal(size=n)) + np.where(rng.random(n) < 0.1, np.inf, 0)
        else:
            v = np.where(rng.random(n) < 0.2, -np.inf, np.sort(rng.normal(size=n))[::-1])
        assert L._valley_index_fast(v) == L._valley_index_literal(v), list(v)


def test_slide_needs_sixteen_points_and_stops_at_small_gradient_change():
    lrs = np.arange(1.0, 16.0)
    assert math.isnan(L._fastai_slide(lrs, np.arange(15.0)))  # lrs[-16] on 15 points
    lrs = np.arange(1.0, 21.0)
    # a straight line: every gradient is equal, the loop never runs: lrs[-16] = 5
    assert L._fastai_slide(lrs, 100.0 - 3.0 * np.arange(20.0)) == 5.0
    # a kink: losses 100, 97, ..., 73 (t 0..9) then 69, 68, ..., 60 (t 10..19); np.gradient is -3 at t 0..8,
    # -3.5 at t 9, -2.5 at t 10, -1 at t 11..19. Pairs (r, l) = (19, 4), (18, 3), (17, 2), (16, 1), (15, 0) all
    # differ by 2 > .005, each taking lrs[l]; then l = -21 < -20 ends the loop: lrs[0] = 1.
    losses = np.concatenate([100.0 - 3.0 * np.arange(10.0), 70.0 - 1.0 * np.arange(1.0, 11.0)])
    assert list(np.gradient(losses)[[0, 8, 9, 10, 11, 19]]) == [-3.0, -3.0, -3.5, -2.5, -1.0, -1.0]
    assert L._fastai_slide(lrs, losses) == 1.0
    # stop on the first pair within .005: 100, 99, ..., 82 (t 0..18), then 79: np.gradient is -1 at t 0..17, -2 at
    # t 18, -3 at t 19. (19, 4) differ by 2 and (18, 3) by 1, taking lrs[4] then lrs[3]; (17, 2) are equal: lrs[3] = 4.
    losses = np.concatenate([100.0 - np.arange(19.0), [79.0]])
    assert list(np.gradient(losses)[[0, 17, 18, 19]]) == [-1.0, -1.0, -2.0, -3.0]
    assert L._fastai_slide(lrs, losses) == 4.0


def test_steep_names_left_end():
    lrs = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    assert L._fastai_steep(lrs, np.array([10.0, 9.0, 5.0, 4.0, 3.0])) == 2.0
    assert math.isnan(L._fastai_steep(lrs[:1], np.array([1.0])))


def test_ignite_needs_three_decreasing_points():
    assert math.isnan(L._ignite_suggestion([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]))
    assert L._ignite_suggestion([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == 2.0
    assert math.isnan(L._ignite_suggestion([], []))


def test_argmin_first_nan():
    assert L.argmin_first([3.0, 1.0, 1.0]) == 1
    assert L.argmin_first([3.0, np.nan, -np.inf, np.nan]) == 1
    with pytest.raises(ValueError):
        L.argmin_first([])


# ---------------------------------------------------------------- torch operations in numpy


def test_torch_lerp_branches():
    from fractions import Fraction as F

    # weight >= 0.5: fma(weight - 1, end - start, end); below: fma(weight, end - start, start); one rounding
    assert L.torch_lerp(1.0, 3.0, 0.98) == float(F(3.0) + F(0.98 - 1.0) * F(3.0 - 1.0))
    assert L.torch_lerp(1.0, 3.0, 0.25) == float(F(1.0) + F(0.25) * F(3.0 - 1.0))
    # torch.lerp(tensor(63.09), tensor(4.19), 0.98) is 5.368000000000001 on an AVX2 CPU (torch 2.15 and 1.13);
    # the source's unfused end - (end - start) * (1 - weight) gives 5.368000000000002
    assert L.torch_lerp(63.09, 4.19, 0.98) == 5.368000000000001
    assert L.torch_lerp(63.09, 4.19, 0.98, fused=False) == 4.19 - (4.19 - 63.09) * (1 - 0.98) == 5.368000000000002
    # after an inf, end = inf: (w - 1) * (inf - x) + inf = -inf + inf = NaN (start + w*(end - start) would be inf)
    assert math.isnan(L.torch_lerp(2.0, math.inf, 0.98))
    assert L.torch_lerp(math.inf, 0.0, 0.98) == math.inf


def test_fma_is_exact():
    from fractions import Fraction as F

    rng = np.random.default_rng(3)
    for _ in range(2000):
        a, b, c = (float(v) for v in rng.normal(size=3) * 2.0 ** rng.integers(-40, 40, 3))
        assert L.fma(a, b, c) == float(F(a) * F(b) + F(c))
    assert L.fma(0.1, 10.0, -1.0) == float(F(0.1) * 10 - 1) != 0.1 * 10.0 - 1.0
    assert math.copysign(1.0, L.fma(-0.0, 1.0, -0.0)) < 0 and math.copysign(1.0, L.fma(1.0, 1.0, -1.0)) > 0


def test_torch_gradient_coordinates():
    f = np.array([1.0, 4.0, 9.0, 16.0])
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # uniform spacing 1: a = -0.5, b = 0, c = 0.5; ends (f1 - f0)/dx0, (f3 - f2)/dx2
    assert list(L.torch_gradient_coordinates(f, x)) == [3.0, 4.0, 6.0, 7.0]
    x2 = np.array([0.0, 1.0, 3.0])
    g = L.torch_gradient_coordinates(np.array([0.0, 1.0, 9.0]), x2)
    dx1, dx2 = 1.0, 2.0
    mid = (-dx2) / (dx1 * (dx1 + dx2)) * 0.0 + (dx2 - dx1) / (dx1 * dx2) * 1.0 + dx1 / (dx2 * (dx1 + dx2)) * 9.0
    assert list(g) == [1.0, mid, 4.0]
    assert list(L.torch_gradient_coordinates(np.array([2.0, 5.0]), np.array([1.0, 3.0]))) == [1.5, 1.5]
    with pytest.raises(RuntimeError):
        L.torch_gradient_coordinates(np.array([1.0]), np.array([1.0]))


# ---------------------------------------------------------------- check_library_rules.py on a made-up file


def test_check_script(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    import check_library_rules as C

    epochs, names = 40, ["u_shape", "stalled", "inf_loss", "flat_ties"]
    cases = [HAND_CASES[n] for n in names]
    # rows of epochs + 1: the hand cases' epochs differ, so rebuild them at 40 where they fit
    rows, meta = [], []
    for c in cases:
        r = np.full(epochs + 1, np.nan)
        k = min(len(c["row"]), epochs + 1, c["steps"] + 1)
        r[:k] = c["row"][:k]
        steps = k - 1
        rows.append(r)
        meta.append((L.LINEAR, 1.0, steps, c["status"] if steps == c["steps"] else L.DIVERGED))

    def write(path, dtype=np.float64, perturb=None, drop=None):
        with h5py.File(path, "w") as f:
            f.attrs["base_lr"] = 1.0
            f.attrs["epochs"] = epochs
            f["loss"] = np.array(rows).astype(dtype)
            t = f.create_group("trials")
            t["scan"] = np.array([m[0] for m in meta], dtype=np.uint8)
            t["factor"] = np.array([m[1] for m in meta])
            t["steps"] = np.array([m[2] for m in meta], dtype=np.int32)
            t["status"] = np.array([m[3] for m in meta], dtype=np.uint8)
            g = t.create_group("suggest")
            for name, fn in L.RULES.items():
                if name == drop:
                    continue
                v = np.array([fn(r, 1.0, *m, epochs) for r, m in zip(rows, meta)])
                if name == perturb:
                    v[1] = np.nextafter(v[1], np.inf) if v[1] == v[1] else 1.0
                g[name] = v

    write(tmp_path / "good.h5")
    assert C.main([str(tmp_path / "good.h5"), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "fastai-valley: 4 trials, 0 differ" in out and "ignite: 4 trials, 0 differ" in out
    write(tmp_path / "bad.h5", perturb="lightning")
    assert C.main([str(tmp_path / "bad.h5"), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "lightning: 4 trials, 1 differ" in out and "  trial 1: file" in out
    write(tmp_path / "missing.h5", drop="torch-lr-finder")
    assert C.main([str(tmp_path / "missing.h5"), "--jobs", "1"]) == 1
    assert "torch-lr-finder: dataset /trials/suggest/torch-lr-finder is missing" in capsys.readouterr().out
    write(tmp_path / "f32.h5", dtype=np.float32)
    assert C.main([str(tmp_path / "f32.h5"), "--jobs", "1"]) == 2
    assert "f32" in capsys.readouterr().out
    assert C.main([str(tmp_path / "good.h5"), "--jobs", "2"]) == 0


def test_fdlibm_log_is_lrfinders_log():
    """The same bits as src/core/ieee_log.hpp (tests/analysis_test.cpp holds the same three cases), where
    the C library's log is 1 ulp away, and within 1 ulp of it everywhere."""
    import math
    import random
    cases = {float.fromhex("0x1.7126b931f15cep-1"): float.fromhex("-0x1.4ef80e94ffe8ep-2"),
             float.fromhex("0x1.4222d31e0d2dap-1"): float.fromhex("-0x1.da789b532faa6p-2"),
             float.fromhex("0x1.ae5342ce9436fp+0"): float.fromhex("0x1.09ea0edb48b76p-1")}
    for x, want in cases.items():
        assert L.fdlibm_log(x) == want
        assert math.log(x) != want
    rng = random.Random(2)
    for _ in range(20000):
        x = rng.uniform(0.5, 2) if rng.random() < 0.5 else math.exp(rng.uniform(-700, 700))
        got, libm = L.fdlibm_log(x), math.log(x)
        assert got == libm or math.nextafter(got, libm) == libm
    assert L.fdlibm_log(0.0) == -math.inf and math.isnan(L.fdlibm_log(-1.0)) and L.fdlibm_log(1.0) == 0.0
