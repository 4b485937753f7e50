"""The verdict on a system: predictable, not predictable, or too few points.

Held to a simulation of how often it is wrong on series of known shape (the fast version of
benchmarks/bench_predictability.py), to the published rules it follows, and to the check's words.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import studylib
from studylib.measures.predictability import _longest_run_tail, predictability, runs_limits
from studylib.measures.xmr import runs_analysis, xmr

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_predictability import POWER_SHAPES, SHAPES, detections, false_alarms  # noqa: E402


def test_exported_at_the_top_level_with_its_columns():
    out = studylib.predictability(np.random.default_rng(0).normal(10, 2, 40))
    assert list(out.columns[:7]) == ["points", "verdict", "lower", "upper", "mean", "exceptions", "exceptions_above"]
    assert len(out) == 1 and "reason" in out


def test_too_few_points_below_twelve():
    out = predictability([3, 4, 5, 4, 3, 4, 5, 4, 3, 4, 5]).iloc[0]
    assert out["verdict"] == "too few points" and np.isnan(out["upper"])
    assert out["reason"] == "only 11 points: a verdict needs at least 12"
    assert predictability([3, 4, 5, 4, 3, 4, 5, 4, 3, 4, 5, 4]).iloc[0]["verdict"] == "predictable"


def test_runs_are_counted_as_anhoej_counts_them_around_the_median():
    # The same counts as qicharts2's runs analysis (tested against its results in test_xmr.py).
    y = np.r_[np.full(8, 2.0), np.full(8, 9.0), [5.0] * 3]
    out = predictability(y).iloc[0]
    ref = runs_analysis(y).iloc[0]
    assert (out["longest_run"], out["crossings"]) == (ref["longest_run"], ref["n_crossings"])
    assert ref["n_useful"] == len(y) - 3      # the three points on the median do not count


@pytest.mark.parametrize("m", [12, 15])
def test_the_longest_run_tail_is_exact_against_every_sequence(m):
    """The dynamic programme gives the share of all 2^m sequences of sides whose longest run reaches
    each length, exactly (split 1/2, no autocorrelation)."""
    import itertools
    counts = {}
    for sides in itertools.product((0, 1), repeat=m):
        change = np.flatnonzero(np.diff(sides)) + 1
        longest = int(np.diff(np.r_[0, change, m]).max())
        counts[longest] = counts.get(longest, 0) + 1
    for length in range(2, m + 1):
        exact = sum(c for k, c in counts.items() if k >= length) / 2 ** m
        assert _longest_run_tail(m, 0.5, 0.5, length) == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize("m, split, phi", [(60, 0.5, 0.0), (400, 0.5, 0.0), (400, 0.4, 0.0), (400, 0.5, 0.3),
                                           (2000, 0.45, 0.2)])
def test_the_runs_limits_hold_their_false_alarm_rate(m, split, phi):
    """Simulated sides (a share ``split`` above, neighbours correlated by ``phi``, as a Gaussian AR(1)
    series' sides are): a run longer than the limit, and fewer crossings than the limit, each come
    at most 1% of the time (within the simulation's error), and not far under it."""
    from scipy.stats import norm
    rng = np.random.default_rng(5)
    lmax, cmin = runs_limits(m, split=split, phi=phi)
    z = np.empty((3000, m))
    z[:, 0] = rng.normal(size=3000)
    for i in range(1, m):
        z[:, i] = phi * z[:, i - 1] + np.sqrt(1 - phi ** 2) * rng.normal(size=3000)
    above = z > norm.ppf(1 - split)
    change = np.diff(above.astype(int), axis=1) != 0
    crossings = change.sum(axis=1)
    longest = np.array([np.diff(np.r_[0, np.flatnonzero(row) + 1, m]).max() for row in change])
    assert (longest > lmax).mean() <= 0.016 and (crossings < cmin).mean() <= 0.016
    assert (longest > lmax - 1).mean() > 0.01 or (crossings < cmin + 1).mean() > 0.01      # not needlessly wide


def test_a_change_of_level_and_too_few_crossings_are_named_in_words():
    run = predictability([5, 6, 5, 6, 5, 6, 5, 6] + [9] * 12 + [5, 6, 5, 6]).iloc[0]
    assert run["verdict"] == "not predictable" and np.isnan(run["lower"])
    assert run["reason"].startswith("the points cross the median only twice, where chance gives at least ")
    few = predictability(np.r_[np.linspace(1, 2, 15), np.linspace(8, 9, 15)], unit="weeks").iloc[0]
    assert "the weeks cross the median only once, where chance gives at least" in few["reason"]
    # two ramps: each half's weeks follow one another closely, which the verdict says it allowed for
    assert "neighbouring weeks are alike (lag-1 autocorrelation" in few["reason"]
    step = predictability(np.r_[np.random.default_rng(2).normal(5, 1, 15), np.random.default_rng(3).normal(9, 1, 15)],
                          unit="weeks").iloc[0]
    assert "the level changes after the first 15 weeks: those after sit higher than those before" in step["reason"]


def test_exceptions_are_cases_to_look_at_and_a_bad_week_is_a_signal():
    # 300 stable points and 3 far out: predictable, the 3 counted as exceptions above the limit.
    y = np.random.default_rng(4).uniform(9, 11, 300)      # bounded: no point beyond the limits by itself
    y[[50, 150, 250]] = 25
    out = predictability(y, unit="cases").iloc[0]
    assert out["verdict"] == "predictable" and out["exceptions"] == out["exceptions_above"] == 3
    # The limits are xmr's, NHSRplotthedots' default (screened moving ranges).
    ref = xmr(y).iloc[0]
    assert (out["lower"], out["upper"]) == pytest.approx((ref["lower_limit"], ref["upper_limit"]))
    # More beyond the limits than a stable process of any shape gives (8% of 300, at the 99.5% quantile)
    # count against it: limits far too narrow for the spread it keeps to, as a drifting series' are.
    drift = np.zeros(300)
    steps = np.random.default_rng(4).normal(size=300)
    for i in range(1, 300):
        drift[i] = 0.9 * drift[i - 1] + steps[i]          # neighbours alike far past 0.3
    counted = predictability(10 + drift, unit="cases").iloc[0]
    assert counted["verdict"] == "not predictable" and counted["exceptions"] > counted["exceptions_allowed"]
    assert f"where a stable process gives up to {int(counted['exceptions_allowed'])}" in counted["reason"]
    # A bad week: seven cases in a row far out together are a signal, wherever they fall.
    y[[50, 150, 250]] = 10
    y[200:207] = 14
    week = predictability(y, unit="cases").iloc[0]
    assert week["verdict"] == "not predictable" and week["cluster_p"] < 0.01
    assert week["cluster"] == ("the 7 cases in a row from the 201st sit so high together that chance would put 7 in "
                               "a row there less than once in 100")


def test_autocorrelation_is_said_and_allowed_for_up_to_three_tenths():
    """A stationary AR(1) series is one process: up to phi = 0.3 the tests allow for it; above, the
    verdict says neighbours are alike and why it is cautious."""
    rng = np.random.default_rng(8)

    def ar(phi, n):
        y = np.empty(n)
        y[0] = rng.normal()
        for i in range(1, n):
            y[i] = phi * y[i - 1] + rng.normal()
        return 10 + y
    calm = [predictability(ar(0.3, 1000)).iloc[0] for _ in range(40)]
    assert sum(r["verdict"] == "not predictable" for r in calm) <= 4
    assert 0.2 < np.mean([r["autocorrelation"] for r in calm]) < 0.35
    strong = predictability(ar(0.7, 1000), unit="cases").iloc[0]
    assert "neighbouring cases are alike (lag-1 autocorrelation 0." in strong["reason"]
    assert "this verdict is cautious" in strong["reason"]
    # A change of level also makes neighbours alike: it is still found.
    shifted = ar(0.0, 200)
    shifted[100:] += 1.5
    assert predictability(shifted).iloc[0]["verdict"] == "not predictable"


@pytest.mark.slow
def test_false_alarms_on_stable_series_of_every_shape():
    # benchmarks/bench_predictability.py at 150 series a cell, fixed seed, lengths to 1,000 (the
    # benchmark runs 5,000 too). At 150 a cell a true 5% reads up to 9% by chance (a 95% bound).
    fa = false_alarms(150, seed=7, sizes=(12, 20, 100, 353, 1000))
    assert set(fa) == {(shape, n) for shape in SHAPES for n in (12, 20, 100, 353, 1000)}
    assert np.mean(list(fa.values())) <= 0.04
    assert max(fa.values()) <= 0.09, fa


@pytest.mark.slow
def test_a_shift_and_a_bad_week_are_found():
    found = detections(150, seed=7)
    for shape in POWER_SHAPES:
        assert found[shape, "shift of 2 SD, n = 100"] >= 0.95
        assert found[shape, "shift of 2 SD, n = 24"] >= 0.60
        assert found[shape, "bad week, n = 353"] >= 0.80


def test_the_old_rule_fails_the_same_simulation():
    # "Any Making Data Count signal means not stable" on 353 normal points: almost always wrong.
    rng = np.random.default_rng(3)
    called = [bool((xmr(rng.normal(10, 2, 353))["special_cause"] != "none").any()) for _ in range(40)]
    assert np.mean(called) > 0.9
    verdicts = [predictability(rng.normal(10, 2, 353)).iloc[0]["verdict"] for _ in range(40)]
    assert verdicts.count("not predictable") <= 8


def test_missing_values_are_left_out():
    y = pd.Series([5, 6, None, 5, 7, 6, 5, 6, 7, 5, 6, 6, 5, float("nan")])
    assert predictability(y).iloc[0]["points"] == 12
