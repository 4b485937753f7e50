"""Capability: the chart of end-to-end times, its caption and prose, the chart drawn, real A&E data."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, shared_file, slower_from_mid_april
from studylib import ParameterError, xmr_summary
from studylib.measures import xmr
from studylib.measures.capability import capability, capability_charts, limits_by_system, study_target
from studylib.charts.capability import POINT_COLOURS, POINT_WORDS, SYSTEM_COLOURS, plot_xmr
from studylib.prose.capability import capability_caption, capability_prose, verdict_sentences
from studylib.measures.flow import case_times
from studylib.measures.nhs import FOUR_HOUR_STANDARD, four_hour_performance, read_ae_attendances
from studylib.check.runner import run_notebook

TZ = "Europe/London"


def _times(rows):
    """rows: (case_id, service, arrived, finished or None, days, official_days)."""
    frame = pd.DataFrame(rows, columns=["case_id", "service", "customer_start", "end", "end_to_end_days",
                                        "official_days"])
    frame["customer_start"] = pd.to_datetime(frame["customer_start"]).dt.tz_localize(TZ)
    frame["end"] = pd.to_datetime(frame["end"]).dt.tz_localize(TZ)
    frame["official_end"] = frame["end"]
    frame["is_open"] = frame["end"].isna()
    return frame


@pytest.fixture
def two_systems():
    rng = np.random.default_rng(3)
    rows = []
    start = pd.Timestamp("2025-01-01")
    for i in range(40):          # old system: ~20 days
        arrived = start + pd.Timedelta(days=i)
        days = 80.0 if i == 10 else float(rng.integers(12, 29))   # one case far beyond the limits
        rows.append((f"A{i:02d}", "Repairs", arrived, arrived + pd.Timedelta(days=days), days, days - 3))
    for i in range(30):          # new system from 20 Feb: ~4 days
        arrived = pd.Timestamp("2025-02-20") + pd.Timedelta(days=i)
        days = float(rng.integers(2, 7))
        rows.append((f"B{i:02d}", "Repairs", arrived, arrived + pd.Timedelta(days=days), days, days))
    rows.append(("OPEN", "Repairs", pd.Timestamp("2025-03-01"), None, 30.0, 30.0))
    rows.append(("H1", "Highways", pd.Timestamp("2025-01-05"), pd.Timestamp("2025-01-09"), 4.0, 4.0))
    return _times(rows)


CHANGE = [{"date": pd.Timestamp("2025-02-20"), "service": "Repairs", "what": "Redesign"}]


def test_limits_split_by_the_system_each_case_entered(two_systems):
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28, order="completion")
    assert len(r) == 70 and r.attrs["open_left_out"] == 1
    old, new = r[r["group"] == 0], r[r["group"] == 1]
    # Every old-system case comes first, even those finishing after the new system started.
    assert set(old["case_id"].str[0]) == {"A"} and set(new["case_id"].str[0]) == {"B"}
    assert r["x"].tolist() == list(range(1, 71))
    # Each group's limits are exactly xmr's on that group's values alone, in completion order.
    for part in (old, new):
        alone = xmr(part["value"].to_numpy(), improvement="decrease")
        np.testing.assert_allclose(part[["mean", "lower_limit", "upper_limit"]].to_numpy(),
                                   alone[["mean", "lower_limit", "upper_limit"]].to_numpy())
        assert part["finished"].is_monotonic_increasing
    assert (r["lower_limit_shown"] == r["lower_limit"].clip(lower=0)).all()
    assert r.attrs["changes"][0]["starts_at"] == 41


def test_arrival_order_and_other_services(two_systems):
    r = capability(two_systems, service="Repairs", order="arrival", system_changes=CHANGE)
    assert r[r["group"] == 0]["arrived"].is_monotonic_increasing
    # A change for Repairs does not split the Highways chart.
    h = capability(two_systems, service="Highways", system_changes=CHANGE)
    assert len(h) == 1 and h.attrs["changes"] == []
    with pytest.raises(ParameterError, match="clock must be"):
        capability(two_systems, clock="wall")
    with pytest.raises(ParameterError, match="order must be"):
        capability(two_systems, order="random")


#: End-to-end days of a stable system: 45 cases, no signal (mean 20.3; limits 12 to 29 with the
#: moving ranges screened for outliers, as capability does).
STABLE = [20, 24, 17, 22, 18, 23, 19, 21, 16, 25, 20, 18, 22, 19, 21] * 3
#: A stable system whose lower limit falls below zero (limits -13.8 to 23.8).
WIDE = [2, 9, 1, 8] * 4


def _series(values, *, start="2025-01-01", prefix="S", service="Repairs"):
    rows = []
    for i, days in enumerate(values):
        arrived = pd.Timestamp(start) + pd.Timedelta(days=i)
        rows.append((f"{prefix}{i:03d}", service, arrived, arrived + pd.Timedelta(days=float(days)), float(days),
                     float(days)))
    return rows


def test_caption_gives_a_range_only_for_a_stable_system_with_enough_cases():
    stable = capability(_times(_series(STABLE)), target=40)
    row = stable.iloc[0]
    text = capability_caption(stable)
    assert limits_by_system(stable).iloc[0]["status"] == "predictable"
    inside = stable["value"].between(stable["lower_limit"], stable["upper_limit"])
    assert inside.all()     # the words count cases inside the limits, and never round up
    assert text.startswith(f"Every one of its {len(stable)} finished cases took between {row['lower_limit']:.1f} and "
                           f"{row['upper_limit']:.0f} days (its natural process limits, the range it can be expected "
                           f"to keep to); on average {row['mean']:.0f}.")   # >= 10: whole days
    assert "while the system stays as it is, cases can be expected to meet it" in text and "anywhere" not in text
    # A lower limit below zero is shown at 0, and the caption says so.
    wide = capability(_times(_series(WIDE)))
    assert wide["lower_limit"].iloc[0] < 0
    assert f"finished cases took between 0 and {wide['upper_limit'].iloc[0]:.0f} days" in capability_caption(wide)
    assert "the lower limit is shown at 0" in capability_caption(wide)


def test_caption_promises_no_range_from_too_few_cases_or_an_unstable_system(two_systems):
    # Eight cases since the change: too few for limits, whatever they look like.
    thin = _times(_series(STABLE) + _series([4, 5, 3, 6, 4, 5, 3, 4], start="2025-03-01", prefix="N"))
    change = [{"date": pd.Timestamp("2025-03-01"), "service": "Repairs", "what": "Redesign"}]
    r = capability(thin, system_changes=change, target=28)
    text = capability_caption(r)
    assert text.startswith("Since the change of 1 March 2025 (Redesign), only 8 cases finished, too few to judge "
                           "(at least 12 are needed); on average 4.2 days.")
    assert "finished cases took between" not in text and "target" not in text
    before = r[r["group"] == 0].iloc[0]
    assert f"Before it, between {before['lower_limit']:.1f} and {before['upper_limit']:.0f}; on average 20." in text
    prose = capability_prose(r, name="repairs")
    assert "finished cases took between" not in " ".join(prose.values()) and "upper limit" not in prose["so what"]
    # A system that shifts halfway: not predictable, no range, the reason in words.
    shifted = capability(_times(_series(STABLE + [v + 25 for v in STABLE])))
    text = capability_caption(shifted)
    assert text.startswith("The system is not predictable (") and "so no range can be promised" in text
    assert "the median" in text and "finished cases took between" not in text
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28)
    assert "1 open case is not charted" in capability_caption(r)


@pytest.mark.parametrize("target, words", [
    (3, "No case can be expected to meet the 3-day target"),
    (20, "The 20-day target says nothing about what it delivers."),
    (60, "The 60-day target lies above the upper limit: while the system stays as it is, cases can be expected "
         "to meet it"),
])
def test_caption_says_what_the_target_means(target, words):
    r = capability(_times(_series(STABLE)), target=target)
    assert r["lower_limit"].iloc[0] > 3 and r["upper_limit"].iloc[0] < 60
    assert words in capability_caption(r)


def test_prose_has_four_parts_from_the_numbers(two_systems):
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28)
    prose = capability_prose(r, name="repairs")
    assert list(prose) == ["what", "how we know", "so what", "now what", "then what"]
    assert prose["how we know"] == verdict_sentences(limits_by_system(r).iloc[-1])
    old_mean = r.loc[r["group"] == 0, "mean"].iloc[0]
    new_mean = r.loc[r["group"] == 1, "mean"].iloc[0]
    assert f"{1 - new_mean / old_mean:.0%} less" in prose["so what"]
    now = limits_by_system(r).iloc[-1]
    if now["status"] == "not predictable":
        assert prose["now what"].startswith("Find out what made the system unpredictable before changing")
    elif now["exceptions"]:
        assert prose["now what"].startswith(f"Follow the {now['exceptions']} case")
    else:
        assert prose["now what"].startswith("No case since the last change is beyond the limits")
    stable = capability_prose(capability(_times(_series(STABLE))), name="repairs")
    assert stable["now what"].startswith("No case since the last change is beyond the limits")
    upper = capability(_times(_series(STABLE)))["upper_limit"].iloc[0]
    assert stable["so what"].startswith(f"A customer of repairs can expect anything up to {upper:.0f} days")


def test_plot_draws_what_the_result_says(two_systems):
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28, order="completion")
    ax = plot_xmr(r, floor=0)
    by_gid = {}
    for line in ax.lines:
        by_gid.setdefault(line.get_gid(), []).append(line)
    # One line of values per system, at the date each case finished.
    np.testing.assert_array_equal(np.concatenate([ln.get_ydata() for ln in by_gid["values"]]), r["value"])
    assert [len(ln.get_xdata()) for ln in by_gid["values"]] == r.groupby("group").size().tolist()
    # (the instant, as UTC without its zone: the form matplotlib converts at once)
    assert pd.Timestamp(by_gid["values"][1].get_xdata()[0]).tz_localize("UTC") == r.loc[r["group"] == 1, "finished"].iloc[0]
    assert len(by_gid["mean"]) == 2 and len(by_gid["upper limit"]) == 2
    for line, (_, g) in zip(by_gid["lower limit"], r.groupby("group")):
        np.testing.assert_allclose(line.get_ydata(), g["lower_limit"].clip(lower=0))
        assert min(line.get_ydata()) >= 0
    for line, (_, g) in zip(by_gid["upper limit"], r.groupby("group")):
        np.testing.assert_allclose(line.get_ydata(), g["upper_limit"])
    assert list(by_gid["target"][0].get_ydata()) == [28, 28]
    # In completion order a system's first days hold only quick cases: drawn hollow, never as signals.
    assert r["edge"].any()
    edge = [c for c in ax.collections if c.get_gid() == "edge"]
    assert len(edge) == 1 and len(edge[0].get_offsets()) == int(r["edge"].sum())
    special = r[(r["point_type"] != "common_cause") & ~r["edge"]]
    assert len(special) > 0
    # Signals drawn one kind at a time, each colour in the legend with its words.
    signals = [c for c in ax.collections if c.get_gid() == "signals"]
    assert sum(len(c.get_offsets()) for c in signals) == len(special)
    legend = {text.get_text() for text in ax.get_legend().get_texts()}
    for collection in signals:
        kind = next(k for k, words in POINT_WORDS.items() if words == collection.get_label())
        assert matplotlib.colors.to_hex(collection.get_facecolors()[0]) == POINT_COLOURS[kind].lower()
        assert collection.get_label() in legend
        np.testing.assert_allclose(sorted(collection.get_offsets()[:, 1]),
                                   sorted(special.loc[special["point_type"] == kind, "value"]))
    assert ax.get_xlabel() == "date each case finished"
    assert any(line.get_gid() == "change" for line in ax.lines)
    # Each system in its own colour: dots, average and limits alike.
    for gid in ("values", "mean", "upper limit", "lower limit"):
        assert [matplotlib.colors.to_hex(ln.get_color()) for ln in by_gid[gid]] == [SYSTEM_COLOURS[0], SYSTEM_COLOURS[-1]]
    plt.close(ax.figure)


def test_the_chart_draws_the_line_its_verdict_reads_and_the_moving_ranges(two_systems):
    # The verdict reads runs around the median (Anhøj): each system's median is drawn where the verdict
    # read these points, and the mR chart under the values shows the ranges the limits come from.
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28)
    stats = limits_by_system(r)
    assert not stats["by_day"].any()
    for group, part in r.groupby("group"):
        judged = part.loc[~part["edge"], "value"]
        assert stats.loc[group, "median"] == pytest.approx(judged.median())
    ax = plot_xmr(r, floor=0, stats=stats, moving_ranges=True)
    medians = [ln for ln in ax.lines if ln.get_gid() == "median"]
    assert [ln.get_ydata()[0] for ln in medians] == pytest.approx(stats["median"].tolist())
    ranges_ax = next(other for other in ax.figure.axes if other is not ax)
    by_gid = {}
    for line in ranges_ax.lines:
        by_gid.setdefault(line.get_gid(), []).append(line)
    for line, (_, g) in zip(by_gid["moving ranges"], r.groupby("group")):
        np.testing.assert_allclose(line.get_ydata(), g["value"].diff().abs(), equal_nan=True)
    for line, (group, g) in zip(by_gid["mean moving range"], r.groupby("group")):
        # the mean moving range drawn is the one the limits were made from
        assert line.get_ydata()[0] == pytest.approx((g["upper_limit"].iloc[0] - g["mean"].iloc[0]) / 2.66)
    screened = [c for c in ranges_ax.collections if c.get_gid() == "screened ranges"]
    assert sum(len(c.get_offsets()) for c in screened) == int((r.groupby("group")["value"].diff().notna()
                                                                 & r["moving_range"].isna()).sum()) > 0
    legend = {t.get_text() for t in ranges_ax.get_legend().get_texts()}
    assert {"median: the runs rule's line before 20 Feb 2025", "moving range"} <= legend and ax.get_legend() is None
    plt.close(ax.figure)
    # Without the verdict's figures, or where it read the days in turn, no median is drawn on the cases.
    ax = plot_xmr(r, floor=0)
    assert not any(ln.get_gid() == "median" for ln in ax.lines) and len(ax.figure.axes) == 1
    plt.close(ax.figure)
    ax = plot_xmr(r, floor=0, stats=stats.assign(by_day=True))
    assert not any(ln.get_gid() == "median" for ln in ax.lines)
    plt.close(ax.figure)


def test_a_daily_caption_says_the_runs_it_read_and_what_the_marks_are(sample_results):
    from studylib.prose.capability import daily_caption
    c = sample_results.capability
    name = c["lead"]
    daily, stats = c["daily"][name], c["daily_limits"][name]
    now = stats.iloc[-1]
    assert now["status"] == "predictable" and now["signals"] > 0
    # the case chart's verdict read the same days: one median, one count of runs
    assert c["limits"][name].iloc[-1]["by_day"]
    words = daily_caption(daily, stats=stats)
    assert (f"the longest run of days on one side of it is {now['longest_run']}, where chance allows up to "
            f"{now['longest_run_max']}") in words
    assert f"cross it {now['crossings']} times, where chance needs at least {now['crossings_min']}" in words
    assert f"The {now['signals']} days coloured are Making Data Count marks" in words


def test_systems_never_interleave_in_arrival_order(two_systems):
    # The default order: each case at the date it arrived, so each system keeps a span of its own
    # and its average and limits end where it ends.
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28)
    assert r.attrs["order"] == "arrival"
    ax = plot_xmr(r, floor=0)
    spans = [(pd.Timestamp(min(ln.get_xdata())).tz_localize("UTC"), pd.Timestamp(max(ln.get_xdata())).tz_localize("UTC"))
             for ln in ax.lines if ln.get_gid() == "mean"]
    assert spans[0][1] < pd.Timestamp(CHANGE[0]["date"]).tz_localize("Europe/London") <= spans[1][0]
    assert ax.get_xlabel() == "date each case arrived"
    # Signal colours mean one thing on every chart: higher and lower are told apart.
    assert POINT_COLOURS["special_cause_neutral_high"] != POINT_COLOURS["special_cause_neutral_low"]
    plt.close(ax.figure)


def test_sample_study_capability(sample_study):
    times = case_times(sample_study.events, codebook=sample_study.flow_codebook, as_of=sample_study.as_of)
    charts = capability_charts(times, sample_study.config)
    assert list(charts) == ["Housing repairs"]   # one service: the whole is that service
    r = charts["Housing repairs"]
    assert r.attrs["target"] == 28 and r.attrs["open_left_out"] == 17 and len(r) == 705
    stats = r.groupby("group")["mean"].first()
    assert stats[0] == pytest.approx(24.85, abs=0.01) and stats[1] == pytest.approx(4.39, abs=0.01)
    assert study_target(sample_study.config, service="Housing repairs")["value"] == 28
    assert study_target(sample_study.config, service="Highways") is None


def test_ae_rrk_through_the_nhs_reader():
    """RRK's type-1 breaches via read_ae_attendances give NHSRplotthedots' limits."""
    ae = read_ae_attendances(shared_file("nhs/ae_attendances.csv"))
    rrk = ae[(ae["org_code"] == "RRK") & (ae["type"] == "1") & (ae["period"] < "2018-04-01")]
    ref = pd.read_csv(shared_file("spc/nhsrplotthedots/ae_RRK_type1_breaches_stable_decrease.csv"))
    r = xmr(rrk["breaches"], rrk["period"], improvement="decrease")
    np.testing.assert_allclose(r[["mean", "lower_limit", "upper_limit"]].to_numpy(),
                               ref[["mean_col", "lpl", "upl"]].to_numpy(), atol=1e-9)
    assert r["point_type"].tolist() == ref["point_type"].tolist()


def test_four_hour_performance_and_assurance():
    ae = read_ae_attendances(shared_file("nhs/ae_attendances.csv"))
    england = four_hour_performance(ae, types=["1"])
    assert len(england) == 36
    # Study guide: England's type-1 departments ran at 76-86% in 2016-2019.
    share = england["within_four_hours"] * 100
    assert (round(share.min()), round(share.max())) == (76, 86)
    r = xmr(england["within_four_hours"] * 100, england["period"], target=FOUR_HOUR_STANDARD * 100)
    assert xmr_summary(r)["assurance"].iloc[0] == "consistent_fail"
    with pytest.raises(ParameterError, match="no rows for org_code 'XXX'"):
        four_hour_performance(ae, org_code="XXX")


@pytest.mark.slow
def test_ae_example_notebook_runs(tmp_path):
    shared_file("nhs/ae_attendances.csv")
    nb = ROOT / "examples" / "ae" / "ae_four_hours.ipynb"
    status, error = run_notebook(nb, tmp_path / "ae.ipynb", tmp_path / "ae.html", parameters={})
    assert (status, error) == ("ok", "")
    html = (tmp_path / "ae.html").read_text()
    assert html.count("<picture>") == 2
    # England's major departments: too few crossings of the median and 9 months beyond limits that a
    # stable process keeps 8 of 36 inside: not predictable, no range, no assurance. Both series'
    # months are alike (lag-1 autocorrelation near 0.6): the words say limits from moving ranges are
    # narrower than the spread, and that the verdict is cautious.
    text = re.sub(r"\s+", " ", html)
    assert ("This system is not predictable: the months cross the median only 7 times, where chance gives at least "
            "8; 9 months beyond the limits, where a stable process gives up to 8") in text
    assert text.count("neighbouring months are alike (lag-1 autocorrelation 0.") == 2
    assert text.count("this verdict is cautious") == 2
    assert "consistent_fail" not in html and "common_cause" not in html


def test_periodic_caption_gives_a_range_only_for_a_stable_system():
    from studylib.prose.capability import xmr_caption
    values = [90.0, 92.5, 89.0, 91.5, 90.5, 92.0, 89.5, 91.0, 90.0, 92.5, 89.0, 91.5, 90.5, 92.0]
    stable = xmr(values, improvement="increase", target=95)
    text = xmr_caption(stable, unit="%", ceiling=100, standard_words="the 95% standard")
    row = stable.iloc[0]
    assert text.startswith(f"Month by month this system delivers between {row['lower_limit']:.1f}% and "
                           f"{row['upper_limit']:.1f}%; on average {row['mean']:.1f}%.")
    assert text.endswith("While it stays as it is, it will sometimes meet and sometimes miss the 95% standard.")
    few = xmr(values[:8], improvement="increase", target=95)
    assert xmr_caption(few, unit="%").startswith("Only 8 months: too few to judge")
    shifted = xmr(values + [80.0] * 9, improvement="increase", target=95)
    assert xmr_caption(shifted, unit="%").startswith("This system is not predictable: the level changes after the "
                                                     "first 14 months: those after sit lower than those before")


def test_limits_table_promises_nothing_an_unstable_system_cannot_keep(two_systems):
    from studylib.measures.capability import capability_limits
    stable = capability_limits({"Stable": capability(_times(_series(STABLE)), target=40)}).iloc[0]
    assert stable["status"] == "predictable" and stable["assurance"] == "consistent_pass"
    assert stable["upper limit"] == pytest.approx(capability(_times(_series(STABLE)))["upper_limit"].iloc[0])
    r = capability(two_systems, service="Repairs", system_changes=CHANGE, target=28)
    new = r[r["group"] == 1]
    row = capability_limits({"Repairs": r}).iloc[0]
    assert row["cases"] == 30 == len(new)
    if limits_by_system(r).iloc[-1]["status"] != "predictable":
        assert row["status"] == "not predictable"
        assert np.isnan(row["upper limit"]) and row["assurance"] is None
    shifted = capability(_times(_series(STABLE + [v + 25 for v in STABLE])), target=40)
    row = capability_limits({"Shifted": shifted}).iloc[0]
    assert row["status"] == "not predictable" and np.isnan(row["upper limit"]) and row["assurance"] is None
    thin = capability(_times(_series(STABLE[:8])))
    row = capability_limits({"Thin": thin}).iloc[0]
    assert row["status"] == "too few cases (8) to judge" and np.isnan(row["lower limit"])


# -- the verdict on the sample, as the check gives it ---------------------------------------------

def _sample_chart(study_dir):
    from studylib import compute_check, load_study
    results = compute_check(load_study(study_dir))
    return results, results.capability["charts"]["Housing repairs"]


def test_the_sample_redesign_is_predictable_and_the_front_page_says_its_range(sample_study):
    from studylib import compute_check
    from studylib.measures.capability import daily_averages
    from studylib.prose import stage_headlines
    results = compute_check(sample_study)
    chart = results.capability["charts"]["Housing repairs"]
    now = limits_by_system(chart).iloc[-1]
    # The generator draws each redesigned case from one process, apart from the working week: cases
    # sharing a day share its conditions, so the days are judged in turn (none beyond chance).
    assert now["status"] == "predictable" and now["by_day"] and now["n"] == 353
    assert (round(now["lower"], 1), round(now["upper"], 1)) == (0.0, 9.6)
    assert now["exceptions"] == 3 and len(now["exception_ids"]) == 3
    # The cases arrived since the first still-open case of the last days are left out of the verdict.
    assert now["edge"] == 14 and now["judged"] == 353 - 14
    headline = stage_headlines(results)["Capability"]
    assert headline.startswith("Since the change of 10 March 2025")
    # How often the range held, counted and never rounded up: 350 of its 353 finished cases.
    assert now["inside"] == pytest.approx(350 / 353)
    assert "99 in every 100 of its finished cases took between 0 and 9.6 days (its natural process limits" in headline
    assert all(case in headline for case in now["exception_ids"]) and "took longer than the limits allow" in headline
    # The daily average chart: its limits are a day's average, labelled so, never one case's.
    daily = daily_averages(chart)
    assert daily is not None and daily.attrs["daily"] and daily["cases"].sum() == len(chart)
    ax = plot_xmr(daily, floor=0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(text.startswith("daily average limits") for text in legend)
    assert not any("natural process limits" in text for text in legend)
    plt.close(ax.figure)


def test_a_real_deterioration_is_not_predictable_and_says_why(tmp_path):
    study = slower_from_mid_april(tmp_path / "worse")
    _, chart = _sample_chart(study)
    now = limits_by_system(chart).iloc[-1]
    assert now["status"] == "not predictable"
    assert now["reason"].startswith("day by day, a run of") and "above the median" in now["reason"]
    caption = capability_caption(chart)
    assert "the system is not predictable (day by day, a run of" in caption
    assert "so no range can be promised" in caption and "took between" not in caption.split("Before it")[0]


def _count_verdicts(monkeypatch) -> list:
    """Every call of system_verdict from now on, one entry each (the series' length)."""
    import sys
    module = sys.modules["studylib.measures.capability"]
    real, calls = module.system_verdict, []

    def counting(part, **kwargs):
        calls.append(len(part))
        return real(part, **kwargs)
    monkeypatch.setattr(module, "system_verdict", counting)
    return calls


@pytest.mark.slow
def test_each_verdict_is_computed_once_a_check(sample_study, monkeypatch, tmp_path):
    """compute_check judges each system of each chart once (both clocks, the daily averages); the
    words, the front page, the predictions, the exercises and the capability notebook read those
    verdicts and judge nothing again."""
    from IPython.core.interactiveshell import InteractiveShell
    import nbformat
    from studylib import compute_check
    from studylib.check.results import save_results
    from studylib.teaching.exercises import EXERCISES
    from studylib.teaching.predictions import PREDICTIONS
    calls = _count_verdicts(monkeypatch)
    results = compute_check(sample_study)
    c = results.capability
    # one verdict a system: repairs before and after the change, on both clocks and day by day
    systems = sum(len(frame) for group in ("limits", "other_limits", "daily_limits") for frame in c[group].values())
    assert c["daily"] and systems == 6
    assert len(calls) == systems
    judged = len(calls)

    for key, exercise in EXERCISES.items():
        if key.startswith("capability."):
            exercise.answer(results)
    for prediction in PREDICTIONS.values():
        prediction.result(results)
    saved = save_results(results, tmp_path / "results.pkl")
    notebook = nbformat.read(ROOT / "notebooks" / "03_capability.ipynb", as_version=4)
    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(study=str(ROOT / "data" / "sample"), results=str(saved))
        for cell in notebook.cells:
            if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
                outcome = shell.run_cell(source, silent=True)        # no inline backend outside a kernel
                assert outcome.error_in_exec is None and outcome.error_before_exec is None, cell.source
    finally:
        InteractiveShell.clear_instance()
        plt.close("all")
    assert len(calls) == judged, "a verdict was computed again after the check"


def test_an_open_case_older_than_the_upper_limit_is_an_exception_named_with_the_finished(sample_results):
    """HR-00673, open 12.4 days at the as-of date, is older than the redesigned system's upper limit
    (9.6 days): it is named with the three finished cases beyond it, on the page and in the ledger.
    On the organisation's clock it is not (its clock never started), and no case before the change
    is named against the redesigned system's limit."""
    from studylib.check.ledger import headline_figures
    from studylib.prose.capability import exceptions_sentence
    cap = sample_results.capability
    now = cap["limits"]["Housing repairs"].iloc[-1]
    assert now["open_beyond"] == ["HR-00673"] and cap["limits"]["Housing repairs"].iloc[0]["open_beyond"] == []
    said = exceptions_sentence(now)
    assert "3 cases (HR-00460, HR-00561 and HR-00604) took longer than the limits allow (9.6 days), and 1 case " \
           "still open (HR-00673) is already older than that: look at what happened to each." in said
    assert cap["other_limits"]["Housing repairs"].iloc[-1]["open_beyond"] == []
    assert "HR-00673" in " ".join(sample_results.prose["Capability"].values())
    assert sample_results.prose["Capability"]["now what"].startswith(
        "Follow the 3 cases beyond the limits and the 1 case still open past the upper limit end to end")
    figures = headline_figures(sample_results)
    assert [s["limits"]["open_beyond"] for s in figures["systems"] if s.get("limits")] == [[], ["HR-00673"]]


def test_open_beyond_reads_the_charts_clock_service_and_latest_system():
    """Only the chart's own service, only cases arrived since its latest change, the age on the
    chart's clock, oldest first; none without a waiting list."""
    from studylib.measures.capability import open_beyond
    change = pd.Timestamp("2025-03-10", tz="UTC")
    chart = pd.DataFrame({"x": [1]})
    chart.attrs.update(clock="customer", service="Repairs", changes=[{"date": change}])
    stats = pd.DataFrame({"upper": [30.0, 10.0]})
    waiting = pd.DataFrame({
        "case_id": ["old", "before", "other", "young", "oldest", "stopped"],
        "service": ["Repairs", "Repairs", "Roads", "Repairs", "Repairs", "Repairs"],
        "customer_start": pd.to_datetime(["2025-04-01", "2025-03-01", "2025-04-01", "2025-04-20", "2025-03-20",
                                          "2025-04-02"], utc=True),
        "customer_age_days": [12.0, 40.0, 50.0, 3.0, 20.0, 11.0],
        "official_age_days": [2.0, 40.0, 50.0, 1.0, np.nan, 11.0]})
    assert open_beyond(chart, stats, waiting) == ["oldest", "old", "stopped"]
    chart.attrs["clock"] = "organisation"
    assert open_beyond(chart, stats, waiting) == ["stopped"]
    chart.attrs.update(clock="customer", service=None, changes=[])          # All services, no change
    assert open_beyond(chart, stats, waiting) == ["other", "before", "oldest", "old", "stopped"]
    assert open_beyond(chart, stats, None) == [] and open_beyond(chart, stats, waiting.iloc[:0]) == []


def test_limits_from_fewer_than_20_cases_are_called_provisional_in_words_and_on_the_chart():
    """Wheeler's limits from 12 to 19 points are temporary: the range is given, said to be
    provisional and from how many cases, and the chart's legend says so; from 20 it is not."""
    from studylib.measures.capability import PROVISIONAL_BELOW
    few = capability(_times(_series(STABLE[:15])))
    rec = limits_by_system(few).iloc[0]
    assert rec["status"] == "predictable" and rec["provisional"] and PROVISIONAL_BELOW == 20
    text = capability_caption(few)
    assert ("(its natural process limits, provisional: drawn from only 15 cases, they will move as more finish, "
            "and settle from about 20)") in text and "the range it can be expected to keep to" not in text
    plt.close("all")
    ax = plot_xmr(few, floor=0)
    assert any(t.get_text() == "provisional limits, from 15 cases" for t in ax.get_legend().get_texts())
    enough = capability(_times(_series(STABLE[:20])))
    assert not limits_by_system(enough).iloc[0]["provisional"]
    assert "provisional" not in capability_caption(enough)
    ax = plot_xmr(enough, floor=0)
    assert any(t.get_text() == "natural process limits" for t in ax.get_legend().get_texts())
    plt.close("all")
