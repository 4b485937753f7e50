"""The verdict on a system: predictable, not predictable, or too few points.

Held to a simulation of how often it is wrong on series of known shape (the fast version of
benchmarks/bench_predictability.py), to the published rules it follows, and to the check's words.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import studylib
from studylib.measures.predictability import exceptions_allowed, predictability
from studylib.measures.xmr import anhoej_limits, runs_analysis, xmr

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_predictability import SHAPES, STABLE_N, detections, false_alarms  # noqa: E402


def test_exported_at_the_top_level_with_its_columns():
    out = studylib.predictability(np.random.default_rng(0).normal(10, 2, 40))
    assert list(out.columns[:7]) == ["points", "verdict", "lower", "upper", "mean", "exceptions", "exceptions_above"]
    assert len(out) == 1 and "reason" in out


def test_too_few_points_below_twelve():
    out = predictability([3, 4, 5, 4, 3, 4, 5, 4, 3, 4, 5]).iloc[0]
    assert out["verdict"] == "too few points" and np.isnan(out["upper"])
    assert out["reason"] == "only 11 points: a verdict needs at least 12"
    assert predictability([3, 4, 5, 4, 3, 4, 5, 4, 3, 4, 5, 4]).iloc[0]["verdict"] == "predictable"


def test_runs_rules_are_anhoej_around_the_median_with_points_on_it_left_out():
    # The same counts as qicharts2's runs analysis (tested against its results in test_xmr.py).
    y = np.r_[np.full(8, 2.0), np.full(8, 9.0), [5.0] * 3]
    out = predictability(y).iloc[0]
    ref = runs_analysis(y).iloc[0]
    assert (out["longest_run"], out["crossings"]) == (ref["longest_run"], ref["n_crossings"])
    assert (out["longest_run_max"], out["crossings_min"]) == anhoej_limits(ref["n_useful"])
    assert ref["n_useful"] == len(y) - 3      # the three points on the median do not count


def test_a_long_run_and_too_few_crossings_are_named_in_words():
    run = predictability([5, 6, 5, 6, 5, 6, 5, 6] + [9] * 12 + [5, 6, 5, 6]).iloc[0]
    assert run["verdict"] == "not predictable" and np.isnan(run["lower"])
    assert run["reason"].startswith("a run of 12 points above the median, where 8 would be chance")
    few = predictability(np.r_[np.linspace(1, 2, 15), np.linspace(8, 9, 15)], unit="weeks").iloc[0]
    assert "the weeks cross the median only once, where chance gives at least" in few["reason"]


def test_exceptions_are_cases_to_look_at_not_a_verdict():
    # 300 stable points and 3 far out: predictable, the 3 counted as exceptions above the limit.
    y = np.random.default_rng(4).uniform(9, 11, 300)      # bounded: no point beyond the limits by itself
    y[[50, 150, 250]] = 25
    out = predictability(y, unit="cases").iloc[0]
    assert out["verdict"] == "predictable" and out["exceptions"] == out["exceptions_above"] == 3
    assert out["exceptions_allowed"] == exceptions_allowed(300) >= 3
    # The limits are xmr's, NHSRplotthedots' default (screened moving ranges).
    ref = xmr(y).iloc[0]
    assert (out["lower"], out["upper"]) == pytest.approx((ref["lower_limit"], ref["upper_limit"]))
    # Many more than chance gives count against the system.
    y[::10] = 25
    many = predictability(y, unit="cases").iloc[0]
    assert many["verdict"] == "not predictable" and "cases beyond the limits, where chance gives up to" in many["reason"]


def test_false_alarms_on_stable_series_of_three_shapes():
    # Fast version of benchmarks/bench_predictability.py: 150 series a cell, fixed seed.
    fa = false_alarms(150, seed=7)
    assert set(fa) == {(shape, n) for shape in SHAPES for n in STABLE_N}
    assert np.mean(list(fa.values())) <= 0.10
    assert max(fa.values()) <= 0.15


def test_a_shift_of_two_standard_deviations_is_found():
    found = detections(150, seed=7)
    for shape in ("normal(10, 2)", "gamma(2, 3), half days"):
        assert found[shape, 100] >= 0.95
        assert found[shape, 24] >= 0.60


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
