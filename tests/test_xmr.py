"""The XmR engine against NHSRplotthedots 0.2.2 and qicharts2, exactly.

References: ../shared/data/spc/ (see its README). Limits to 1e-9, point types and rules exactly.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import shared_file
from studylib import StudylibError
from studylib.measures.xmr import _extend_back, _seven_point_one_side, _seven_point_trend, _two_in_three, anhoej_limits, runs_analysis, xmr, xmr_summary

# NHSRplotthedots' special_cause_type for each of our rule names
NHS_NAME = {"above upper limit": "Above UCL", "below lower limit": "Below LCL",
            "trend up": "7 Point Trend (Increasing)", "trend down": "7 Point Trend (Decreasing)",
            "two in three above": "2 in 3 Above CL", "two in three below": "2 in 3 Below CL",
            "shift above": "7 Points Above CL", "shift below": "7 Points Below CL",
            "none": "Common Cause"}

NHS_FILES = {
    # file: options, as the file name says (../shared/data/README.md)
    "ae_RRK_stable_decrease_last_NA_issue156.csv": {"improvement": "decrease"},
    "ae_RRK_type1_breaches_stable_decrease.csv": {"improvement": "decrease"},
    "ae_RRK_type1_breaches_stable_decrease_unscreened.csv": {"improvement": "decrease", "screen_outliers": False},
    "montgomery_tbl_06.07_cost_fix20.csv": {"fix_after_n_points": 20},
    "nhspy_1to10.csv": {},
    "nhspy_degenerate_11112.csv": {},
    "rnorm20_seed123_default.csv": {},
    "rnorm20_seed123_facet_10_10.csv": {"facet": True},
    "rnorm20_seed123_fix12.csv": {"fix_after_n_points": 12},
    "rnorm20_seed123_neutral.csv": {"improvement": "neutral"},
    "rnorm20_seed123_rebase_at_11.csv": {"rebase_at": ["2020-01-12"]},
    "rnorm20_seed123_y15eq10_screened.csv": {},
    "rnorm20_seed123_y15eq10_unscreened.csv": {"screen_outliers": False},
    "two_in_three_opposite_sides.csv": {},
    "vignette_outlier_unscreened.csv": {"screen_outliers": False},
}


def test_every_reference_file_is_listed():
    folder = shared_file("spc/nhsrplotthedots")
    assert sorted(p.name for p in folder.glob("*.csv")) == sorted(NHS_FILES)


@pytest.mark.parametrize("name", sorted(NHS_FILES))
def test_reproduces_nhsrplotthedots(name):
    ref = pd.read_csv(shared_file(f"spc/nhsrplotthedots/{name}"))
    options = dict(NHS_FILES[name])
    facet = ref["f"] if options.pop("facet", False) else None
    # R: ptd_spc(data, value_field = y, date_field = x, ...) with the options in the file name
    r = xmr(ref["y"], pd.to_datetime(ref["x"]), facet=facet, **options)
    assert r["value"].equals(ref["y"].astype(float))
    np.testing.assert_allclose(r["mean"], ref["mean_col"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(r["lower_limit"], ref["lpl"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(r["upper_limit"], ref["upl"], rtol=0, atol=1e-9)
    assert r["point_type"].tolist() == ref["point_type"].tolist()
    assert r["special_cause"].map(NHS_NAME).tolist() == ref["special_cause_type"].tolist()
    assert r["short_group_warning"].tolist() == ref["short_group_warning"].tolist()
    assert r["group"].tolist() == ref["rebase_group"].tolist()


def test_reference_exercises_every_rule():
    """The files above are not all common cause: they test the rules."""
    seen = set()
    for name in NHS_FILES:
        seen |= set(pd.read_csv(shared_file(f"spc/nhsrplotthedots/{name}"))["special_cause_type"])
    assert {"Above UCL", "Below LCL", "7 Point Trend (Increasing)", "7 Points Below CL"} <= seen


@pytest.fixture(scope="module")
def vectors():
    return json.loads(shared_file("spc/nhsrplotthedots_unit_vectors.json").read_text())


def _starts(n):
    s = np.zeros(n, dtype=bool)
    s[:1] = True
    return s


def test_unit_vectors_seven_on_one_side(vectors):
    for case in vectors["seven_point_one_side_mean"]:
        v = np.array(case["in"], dtype=np.int64)
        assert np.abs(_seven_point_one_side(v, _starts(len(v)))).tolist() == case["out"]


def test_unit_vectors_seven_point_trend(vectors):
    for case in vectors["seven_point_trend"]:
        y = np.array(case["in"], dtype=float)
        step = np.diff(y, prepend=np.nan)
        assert _seven_point_trend(step, _starts(len(y))).tolist() == case["out"], case


def test_unit_vectors_part_of_seven_trend(vectors):
    for case in vectors["part_of_seven_trend"]:
        v = np.array(case["in"]) != 0
        assert _extend_back(v, _starts(len(v))).astype(int).tolist() == case["out"], case


def test_unit_vectors_two_in_three(vectors):
    for case in vectors["two_in_three"]:
        close, rtm = np.array(case["v"], dtype=bool), np.array(case["rtm"])
        got = _two_in_three(close, rtm, np.zeros(len(rtm), bool), _starts(len(rtm)))
        assert got.astype(int).tolist() == case["out"], case
    for case in vectors["part_of_two_in_three(two_in_three(v,rtm), v)"]:
        close, rtm = np.array(case["v"], dtype=bool), np.array(case["rtm"])
        got = _two_in_three(close, rtm, np.zeros(len(rtm), bool), _starts(len(rtm))) & close
        assert got.astype(int).tolist() == case["out"], case


def test_unit_vectors_short_group_warning(vectors):
    for case in vectors["short_group_warning"]["cases"]:
        sizes = case.get("groups", [case.get("n")])
        facet = np.repeat(np.arange(len(sizes)), sizes)
        r = xmr(np.arange(len(facet), dtype=float), facet=facet, short_group_threshold=case["threshold"])
        flags = r.groupby("facet")["short_group_warning"].first().tolist()
        assert flags == case.get("flags", [case.get("warn")])
    # default threshold 13
    assert xmr(np.arange(12.0))["short_group_warning"].all()
    assert not xmr(np.arange(13.0))["short_group_warning"].any()


def test_unit_vectors_assurance(vectors):
    for case in vectors["assurance_type"]["cases"]:
        if "lpl" not in case:
            continue
        for lpl, upl, want in zip(case["lpl"], case["upl"], case["out"]):
            # a two-point series whose limits are exactly lpl/upl: mean m, MR d, m +/- 2.66 d
            m, half = (lpl + upl) / 2, (upl - lpl) / 2
            d = half / 2.66
            r = xmr([m - d / 2, m + d / 2])
            s = xmr_summary(r, target=case["target"], improvement=case["direction"])
            np.testing.assert_allclose([s.loc[0, "lower_limit"], s.loc[0, "upper_limit"]], [lpl, upl])
            assert s.loc[0, "assurance"] == want


def test_unit_vectors_precedence(vectors):
    """Outside beats trend beats two-in-three beats shift; the side comes from the mean."""
    # 7-point rise that ends above the upper limit: the last point is 'above', the others 'trend up'
    y = [5, 5.2, 4.8, 5.1, 4.9, 5, 5.1, 4.9, 5.0, 5.1, 5.2, 5.3, 5.4, 5.5, 9]
    r = xmr(y)
    assert r["special_cause"].iloc[-1] == "above upper limit"
    assert set(r["special_cause"].iloc[-7:-1]) == {"trend up"}
    order = vectors["special_cause_type_precedence"]["order"]
    assert order[0].startswith("outside") and order[1].startswith("part of 7-point trend")


def test_trend_direction_at_a_peak():
    baseline = [0, 20] * 6                      # wide limits: 10 +/- 53
    y = baseline + [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    r = xmr(y, fix_after_n_points=12)
    assert r["upper_limit"].iloc[0] == pytest.approx(10 + 2.66 * 20)
    causes = r["special_cause"].iloc[12:].tolist()
    # the peak (7) starts the falling trend: the next point is in the trend, and falls
    assert causes == ["trend up"] * 6 + ["trend down"] * 7


def test_missing_value_breaks_rules_and_is_common_cause():
    y = [1, 2, 3, np.nan, 4, 5, 6, 7, 8, 9, 10, 11]
    r = xmr(y, screen_outliers=False)
    assert r.loc[3, ["special_cause", "point_type"]].tolist() == ["none", "common_cause"]
    assert np.isnan(r.loc[3, "moving_range"]) and np.isnan(r.loc[4, "moving_range"])
    assert r["special_cause"].iloc[4:9].eq("trend up").all()    # 4..11 rise unbroken
    # with wide limits, 1 2 3 _ 4 5 6 7 would be a 7-point trend but for the gap
    r = xmr([0, 20] * 6 + [1, 2, 3, np.nan, 4, 5, 6, 7], fix_after_n_points=12)
    assert (r["special_cause"].iloc[12:] == "none").all()
    r = xmr([0, 20] * 6 + [1, 2, 3, 4, 5, 6, 7], fix_after_n_points=12)
    assert (r["special_cause"].iloc[12:] == "trend up").all()


def test_flat_series_has_no_limits():
    r = xmr([3, 3, 3, 3])
    assert r["upper_limit"].isna().all() and (r["point_type"] == "common_cause").all()
    r1 = xmr([3])
    assert np.isnan(r1.loc[0, "upper_limit"]) and r1.loc[0, "mean"] == 3


def test_rows_sorted_by_facet_then_x_and_rebase_by_facet():
    x = [3, 1, 2, 3, 1, 2]
    f = ["b", "b", "b", "a", "a", "a"]
    r = xmr([30, 10, 20, 3, 1, 2], x, facet=f)
    assert r["facet"].tolist() == ["a"] * 3 + ["b"] * 3
    assert r["value"].tolist() == [1, 2, 3, 10, 20, 30]
    r = xmr(range(20), list(range(20)) * 1, rebase_at={"no facet": [10, 99]})
    assert r["group"].tolist() == [0] * 10 + [1] * 10


def test_bad_options_are_refused():
    with pytest.raises(StudylibError, match="fix_after_n_points must be at least 12"):
        xmr(range(20), fix_after_n_points=11)
    with pytest.raises(StudylibError, match="improvement must be"):
        xmr(range(20), improvement="up")


# -- other traditions -------------------------------------------------------------------------

def test_qicharts2_i_chart_montgomery_frozen_on_20():
    ref = pd.read_csv(shared_file("spc/qicharts2/ex_6.5_3.csv"))
    # qicharts2: qic(cost, chart = "i", freeze = 20) on Montgomery Table 6.7
    r = xmr(ref["y"], ref["x"], method="qicharts2", fix_after_n_points=20, screen_outliers=False)
    np.testing.assert_allclose(r["mean"], 300.5, atol=1e-9)
    np.testing.assert_allclose(r["lower_limit"], ref["lcl"], atol=1e-9)
    np.testing.assert_allclose(r["upper_limit"], ref["ucl"], atol=1e-9)
    assert r["lower_limit"].iloc[0] == pytest.approx(279.783315, abs=1e-6)
    mr = pd.read_csv(shared_file("spc/qicharts2/ex_6.5_4.csv"))
    # the MR chart: ranges of the first 20 points, centre = their mean, UCL = 3.267 x centre
    np.testing.assert_allclose(r["moving_range"].iloc[:20], mr["y"].iloc[:20], atol=1e-12)
    assert r["moving_range"].iloc[:20].mean() == pytest.approx(mr["cl"].iloc[0], abs=1e-12)
    assert 3.267 * mr["cl"].iloc[0] == pytest.approx(mr["ucl"].iloc[0], abs=1e-9)


QI_FILES = ["ae_RRK_stable_i_screenedMR.csv", "montgomery_cost_i_freeze20_rawMR.csv",
            "montgomery_cost_i_freeze20_screenedMR.csv", "rnorm20_seed123_i_rawMR.csv",
            "rnorm20_seed123_i_screenedMR.csv", "rnorm20_seed123_y15eq10_i_rawMR.csv",
            "rnorm20_seed123_y15eq10_i_screenedMR.csv", "vignette_outlier_i_rawMR.csv",
            "vignette_outlier_i_screenedMR.csv"]
RUN_FILES = ["ae_RRK_stable_run.csv", "montgomery_cost_run.csv"]


def test_every_qicharts2_runs_file_is_listed():
    assert sorted(QI_FILES + RUN_FILES) == sorted(p.name for p in shared_file("spc/qicharts2_runs").glob("*.csv"))


@pytest.mark.parametrize("name", QI_FILES)
def test_qicharts2_i_charts_and_their_runs(name):
    ref = pd.read_csv(shared_file(f"spc/qicharts2_runs/{name}"))
    r = xmr(ref["y"], method="qicharts2", screen_outliers="screened" in name,
            fix_after_n_points=20 if "freeze20" in name else None)
    np.testing.assert_allclose(r["mean"], ref["cl"], atol=1e-9)
    np.testing.assert_allclose(r["lower_limit"], ref["lcl"], atol=1e-9)
    np.testing.assert_allclose(r["upper_limit"], ref["ucl"], atol=1e-9)
    _check_runs(runs_analysis(ref["y"], centre="mean"), ref)


@pytest.mark.parametrize("name", RUN_FILES)
def test_qicharts2_run_charts(name):
    ref = pd.read_csv(shared_file(f"spc/qicharts2_runs/{name}"))
    assert np.median(ref["y"]) == ref["cl"].iloc[0]
    _check_runs(runs_analysis(ref["y"]), ref)


def _check_runs(got, ref):
    want = ref[["longest.run", "longest.run.max", "n.crossings", "n.crossings.min", "runs.signal",
                "n.useful"]].iloc[0].tolist()
    assert got.iloc[0][["longest_run", "longest_run_max", "n_crossings", "n_crossings_min",
                        "runs_signal", "n_useful"]].tolist() == want


def test_anhoej_critical_values():
    table = pd.read_csv(shared_file("spc/anhoej_critical_values_10_100.csv"))
    for n, longest, crossings in table.itertuples(index=False):
        assert anhoej_limits(n) == (longest, crossings), n


def _exact_crossings_min_up_to(n_max: int) -> list[int]:
    """qbinom(0.05, n - 1, 0.5) for every n from 1 to n_max, in exact integers, walked along n:
    S(m, k) = sum of C(m, j) for j <= k; S(m + 1, k) = 2 S(m, k) - C(m, k); the quantile is the
    smallest k with 20 S(m, k) >= 2^m, and moves by at most one from m to m + 1."""
    out, k, c, s = [], 0, 1, 1            # m = 0: C(0, 0) = 1, S(0, 0) = 1
    for m in range(n_max):
        if m:
            s, c = 2 * s - c, c * m // (m - k)        # from m - 1 to m at the same k
        while k > 0 and 20 * (s - c) >= 2 ** m:      # S(m, k - 1) already enough
            s, c, k = s - c, c * k // (m - k + 1), k - 1
        while 20 * s < 2 ** m:
            c, k = c * (m - k) // (k + 1), k + 1
            s += c
        out.append(k)
    return out


def test_anhoej_crossings_are_the_exact_binomial_quantile_for_every_n_up_to_5000():
    exact = _exact_crossings_min_up_to(5000)
    table = pd.read_csv(shared_file("spc/anhoej_critical_values_10_100.csv"))
    assert [exact[n - 1] for n in table.iloc[:, 0]] == table.iloc[:, 2].tolist()   # the walk itself, held to qicharts2
    got = [anhoej_limits(n)[1] for n in range(1, 5001)]
    wrong = [(n, g, e) for n, g, e in zip(range(1, 5001), got, exact) if g != e]
    assert not wrong, wrong[:10]


def test_anhoej_limits_at_a_million_points():
    from scipy.stats import binom
    longest, cmin = anhoej_limits(1_000_000)
    assert longest == round(np.log2(1_000_000) + 3) == 23
    # the quantile's own definition, from the binomial distribution function
    assert binom.cdf(cmin, 999_999, 0.5) >= 0.05 > binom.cdf(cmin - 1, 999_999, 0.5)
    assert cmin == binom.ppf(0.05, 999_999, 0.5) == 499_177


def test_anhoej_limits_fall_back_to_the_exact_sum_where_the_float_is_too_close_to_call(monkeypatch):
    import sys
    module = sys.modules["studylib.measures.xmr"]       # the package's name xmr is the function
    calls = []
    exact = module._crossings_min_exact
    monkeypatch.setattr(module, "_crossings_min_exact", lambda *a: calls.append(a) or exact(*a))
    assert anhoej_limits(2000)[1] == _exact_crossings_min_up_to(2000)[-1] and not calls
    monkeypatch.setattr(module, "_QUANTILE_MARGIN", 1.0)       # every answer "too close"
    assert anhoej_limits(2000)[1] == _exact_crossings_min_up_to(2000)[-1] and calls == [(1999,)]


def test_points_on_the_median_are_not_useful():
    r = runs_analysis([1, 2, 3, 3, 3, 4, 5]).iloc[0]
    assert r["n_useful"] == 4 and r["n_crossings"] == 1 and r["longest_run"] == 2


def test_wheeler_median_moving_range():
    y = np.array([10, 12, 11, 13, 12, 30, 11, 12, 13, 11, 12, 10.0])
    r = xmr(y, method="median", screen_outliers=False)
    mr = np.abs(np.diff(y))
    # Wheeler, Understanding Variation: limits = mean +/- 3.145 x median moving range
    assert r["upper_limit"].iloc[0] == pytest.approx(y.mean() + 3.145 * np.median(mr), abs=1e-12)
    assert r["lower_limit"].iloc[0] == pytest.approx(y.mean() - 3.145 * np.median(mr), abs=1e-12)


def test_ae_rrk_from_the_raw_nhs_file():
    """RRK's type-1 four-hour breaches, Apr 2016 - Mar 2018, straight from NHS England's file,
    give the NHSRplotthedots limits (the reference charts the first 24 months)."""
    ae = pd.read_csv(shared_file("nhs/ae_attendances.csv"), dtype={"org_code": str, "type": str})
    rrk = ae[(ae["org_code"] == "RRK") & (ae["type"] == "1")].sort_values("period")
    rrk = rrk[rrk["period"] < "2018-04-01"]
    for name, screen in [("ae_RRK_type1_breaches_stable_decrease.csv", True),
                         ("ae_RRK_type1_breaches_stable_decrease_unscreened.csv", False)]:
        ref = pd.read_csv(shared_file(f"spc/nhsrplotthedots/{name}"))
        r = xmr(rrk["breaches"], pd.to_datetime(rrk["period"]), improvement="decrease",
                screen_outliers=screen)
        assert r["value"].tolist() == ref["y"].tolist()
        np.testing.assert_allclose(r[["mean", "lower_limit", "upper_limit"]].to_numpy(),
                                   ref[["mean_col", "lpl", "upl"]].to_numpy(), atol=1e-9)
        assert r["point_type"].tolist() == ref["point_type"].tolist()
