"""Does the redesign hold? The system since a dated change, judged against limits frozen on its first cases.

A redesigned system's limits, recalculated on every run, move with every new case: a system that
slowly got worse would carry its limits up with it. The reference tools fix them on a baseline
instead (NHSRplotthedots' ``fix_after_n_points``, qicharts2's ``freeze``): here the limits of the
system since the latest dated change come from its first ``freeze`` cases
(:func:`studylib.measures.xmr.xmr` with ``fix_after_n_points``), and every week of cases that
arrived since is judged against them.

A week is judged as a whole, by the ranks of its cases among the baseline's: the Mann-Whitney
chart of Chakraborti and van de Wiel ("A nonparametric control chart based on the Mann-Whitney
statistic", IMS Collections 1, 2008), which needs no assumption about the shape of the times (end
to end times are skewed; an average chart with limits from 30 skewed cases called stable systems
"changed" in a third of simulated years). A week signals when cases as slow as its own would come
by chance less often than :data:`WEEK_ALPHA` of weeks if the system still worked as in its first
cases (one-sided; ties, as whole days make them, with mid-ranks). That is about one false alarm in
a thousand weeks, whatever the shape. Single cases beyond the frozen limits are counted and named
(finished, and open ones already older than the upper limit) but, one at a time, are no verdict: a
few in hundreds are expected. ``benchmarks/bench_holds.py`` measures how often the verdict is
wrong on stable systems of five shapes, and how often it finds a slowdown.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..text import iso_date
from .xmr import xmr

__all__ = ["redesign_holds", "holds_summary", "holds_sentence", "frozen_limits", "DEFAULT_FREEZE", "WEEK_ALPHA"]

#: The fewest first cases since a change whose limits the system is held to (NHSRplotthedots'
#: advice: at least 12 points for limits; Wheeler: 20 to 30 for limits that stop moving).
DEFAULT_FREEZE = 30
#: The fewest cases limits are frozen on (xmr's fix_after_n_points, as NHSRplotthedots, needs 12).
MIN_FREEZE = 12

#: By default the baseline is every case of the first weeks since the change (and at least
#: :data:`DEFAULT_FREEZE`): a large service's first 30 cases arrive in its first hour.
BASELINE_WEEKS = 2

#: How rarely a week as slow as one that signals comes by chance from an unchanged system.
WEEK_ALPHA = 0.001


def redesign_holds(chart: pd.DataFrame, *, freeze: int | pd.Timestamp | None = None,
                   waiting: pd.DataFrame | None = None) -> dict | None:
    """The system since the chart's latest dated change, held to limits frozen on its first cases.

    Parameters
    ----------
    chart : DataFrame
        A capability chart (:func:`studylib.measures.capability.capability`), ordered by arrival,
        whose ``attrs["changes"]`` lists the dated changes.
    freeze : int or Timestamp, optional
        The first cases since the change (at least 12) whose limits the later ones are judged by,
        or a date: those that arrived before it (``freeze_date``); by default those that arrived in
        its first :data:`BASELINE_WEEKS` weeks, and at least :data:`DEFAULT_FREEZE`.
    waiting : DataFrame, optional
        The cases still open (:func:`studylib.measures.waiting.waiting_list`): those older than the
        frozen upper limit are exceptions too.

    Returns
    -------
    None where the chart has no dated change; else a dict: ``change`` (its date), ``what``,
    ``system``, ``freeze``, ``status`` ("holds", "no longer holds" or "too few cases"),
    ``baseline`` (cases the limits come from), ``baseline_end`` (when the last of them arrived),
    ``mean``, ``lower``, ``upper`` (the frozen limits of one case), ``median`` (the baseline's), ``weeks`` (one row per week since:
    ``week, cases, mean, median, slower_p, faster_p, signal``: ``signal`` "slower", "faster" or ""), ``later`` (cases judged), ``beyond`` (ids of
    finished cases above the upper limit), ``open_beyond`` (ids of open cases already older),
    ``signal`` (the first signal, in words, or "") and ``signal_week`` (its week, or None).
    """
    changes = chart.attrs.get("changes") or []
    if not changes or not len(chart):
        return None
    change = changes[-1]
    part = chart[chart["group"] == chart["group"].max()]
    if "edge" in part:
        part = part[~part["edge"].to_numpy(dtype=bool)]     # quick cases at the window's edge: biased short
    part = part[part["value"].notna()]
    chosen = freeze is not None
    freeze_date = None
    if isinstance(freeze, (pd.Timestamp, dt.date)):
        # The cases that arrived before the date, as many as they are: xmr's fix_after_n_points on them.
        freeze_date = pd.Timestamp(freeze)
        if freeze_date.tzinfo is None and part["arrived"].dt.tz is not None:
            freeze_date = freeze_date.tz_localize(part["arrived"].dt.tz)
        freeze = int((part["arrived"] < freeze_date).sum())
    if freeze is None:
        early = int((part["arrived"] < change["date"] + pd.Timedelta(weeks=BASELINE_WEEKS)).sum())
        freeze = max(DEFAULT_FREEZE, early)
    out = {"change": change["date"], "what": change.get("what", ""), "freeze": int(freeze), "chosen": chosen,
           "freeze_date": freeze_date,
           "system": f"since {change['date']:%-d %B %Y}", "baseline": min(len(part), int(freeze)),
           "later": 0, "beyond": [], "open_beyond": [], "signal": "", "signal_week": None,
           "weeks": pd.DataFrame(columns=["week", "cases", "mean", "median", "slower_p", "faster_p", "signal"])}
    if len(part) <= freeze or freeze < MIN_FREEZE:         # too few since the change, or before the date
        return {**out, "status": "too few cases", "mean": np.nan, "lower": np.nan, "upper": np.nan,
                "median": np.nan, "baseline_end": part["arrived"].max() if len(part) else None}
    fixed = xmr(part["value"].to_numpy(), np.arange(len(part)), fix_after_n_points=int(freeze),
                improvement="decrease")
    mean, upper, lower = (float(fixed[c].iloc[0]) for c in ("mean", "upper_limit", "lower_limit"))
    base, later = part.iloc[:freeze], part.iloc[freeze:]
    week = later["arrived"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    by_week = later.groupby(week.to_numpy())["value"]
    weeks = by_week.agg(cases="size", mean="mean", median="median").rename_axis("week").reset_index()
    baseline = base["value"].to_numpy(dtype=float)
    chance = [_slower_by_chance(group.to_numpy(dtype=float), baseline) for _, group in by_week]
    weeks["slower_p"] = [p for p, _ in chance]
    weeks["faster_p"] = [q for _, q in chance]
    slower = (weeks["slower_p"] < WEEK_ALPHA).to_numpy()
    weeks["signal"] = np.where(slower, "slower", np.where(weeks["faster_p"] < WEEK_ALPHA, "faster", ""))
    first = int(np.argmax(slower)) if slower.any() else None
    clock = "customer_age_days" if chart.attrs.get("clock", "customer") == "customer" else "official_age_days"
    open_beyond = []
    if waiting is not None and len(waiting) and clock in waiting:
        mine = waiting[(waiting["service"] == part["service"].iloc[0]) & (waiting["customer_start"] >= change["date"])]
        open_beyond = mine.loc[mine[clock] > upper, "case_id"].tolist()
    out.update({
        "status": "no longer holds" if first is not None else "holds",
        "mean": mean, "lower": max(lower, 0.0), "upper": upper, "median": float(np.median(baseline)),
        "baseline_end": base["arrived"].max(), "weeks": weeks, "later": len(later),
        "beyond": later.loc[later["value"] > upper, "case_id"].tolist(), "open_beyond": open_beyond,
        "signal": "" if first is None else _signal_words(weeks.iloc[first], out["baseline"]),
        "signal_week": None if first is None else weeks["week"].iloc[first],
    })
    return out


def _slower_by_chance(week: np.ndarray, baseline: np.ndarray) -> tuple[float, float]:
    """How often an unchanged system would give a week of cases as slow as ``week`` (and as fast),
    against ``baseline``: the one-sided Mann-Whitney p-values (exact where small and untied)."""
    from scipy.stats import mannwhitneyu
    slower = mannwhitneyu(week, baseline, alternative="greater").pvalue
    faster = mannwhitneyu(week, baseline, alternative="less").pvalue
    return float(slower), float(faster)


def _signal_words(week: pd.Series, baseline: int) -> str:
    n = int(week["cases"])
    return (f"the {n} case{'s' if n != 1 else ''} that arrived in the week of {week['week']:%-d %B %Y} took "
            f"{week['median']:.1f} days at the median ({week['mean']:.1f} on average): if the system still worked "
            f"as in its first {baseline} cases, a week this slow would come less than once in "
            f"{round(1 / WEEK_ALPHA):,} weeks")


def holds_summary(holds: dict | None) -> dict | None:
    """:func:`redesign_holds` in plain numbers and words (no tables), as results and ledgers keep it."""
    if not holds:
        return None
    weeks = holds["weeks"]
    return {"change": iso_date(holds["change"]), "what": holds["what"], "system": holds["system"],
            "freeze": holds["freeze"], "chosen": holds["chosen"], "baseline": holds["baseline"],
            "freeze_date": iso_date(holds.get("freeze_date")), "status": holds["status"],
            "mean": None if pd.isna(holds["mean"]) else round(float(holds["mean"]), 4),
            "upper": None if pd.isna(holds["upper"]) else round(float(holds["upper"]), 4),
            "later": int(holds["later"]), "weeks": int(len(weeks)),
            "slower_weeks": [iso_date(w) for w in weeks.loc[weeks["signal"] == "slower", "week"]],
            "signal": holds["signal"], "signal_week": iso_date(holds["signal_week"]),
            "beyond": len(holds["beyond"]), "open_beyond": len(holds["open_beyond"])}


def holds_sentence(holds: dict | None, unit: str = "days", *, checks: int = 1) -> str:
    """One sentence from :func:`holds_summary`: does the redesigned system still work as it did in
    its first cases? ``checks``: how many checks of a study's ledger say it holds."""
    if not holds:
        return ""
    since = f"since {pd.Timestamp(holds['change']):%-d %B %Y}"
    if holds["status"] == "too few cases" and holds.get("freeze_date") and holds["freeze"] < MIN_FREEZE:
        return (f"Only {holds['freeze']:,} of the cases finished {since} arrived before "
                f"{pd.Timestamp(holds['freeze_date']):%-d %B %Y} (the freeze setting's date), too few to set limits on "
                f"(at least {MIN_FREEZE}): choose a later date, or a number of cases.")
    if holds["status"] == "too few cases":
        return (f"Too few cases have finished {since} ({holds['baseline']:,}) to set limits on its first "
                f"{holds['freeze']:,} and judge later ones: whether the redesign holds is for a later check.")
    n_weeks, waiting = holds["weeks"], holds.get("open_beyond", 0)
    still = (f" {waiting:,} case{'s' if waiting != 1 else ''} still open {'are' if waiting != 1 else 'is'} already "
             f"older than that upper limit: look at {'them' if waiting != 1 else 'it'}." if waiting else "")
    if holds["status"] == "holds":
        return (f"S{since[1:]}, {n_weeks} week{'s' if n_weeks != 1 else ''} of new cases "
                f"({holds['later']:,}) sit inside {frozen_limits(holds, unit)}: the redesign holds"
                + (f" ({checks} checks say so)." if checks > 1 else ".") + still)
    return f"The redesign no longer holds: {holds['signal']}. It was held to {frozen_limits(holds, unit)}."


def frozen_limits(holds: dict, unit: str = "days") -> str:
    """The frozen limits of :func:`holds_summary`, in words."""
    weeks = {1: "week", 2: "two weeks", 3: "three weeks"}.get(BASELINE_WEEKS, f"{BASELINE_WEEKS} weeks")
    which = (f"the {holds['baseline']:,} cases that arrived before {pd.Timestamp(holds['freeze_date']):%-d %B %Y}"
             if holds.get("freeze_date") else
             f"its first {holds['baseline']:,} cases" if holds.get("chosen", True) or holds["baseline"] <= DEFAULT_FREEZE
             else f"the {holds['baseline']:,} cases of its first {weeks}")
    if holds["upper"] is None:       # every baseline case took the same time: no spread, no limits
        return f"{which}, which all took {holds['mean']:.1f} {unit}"
    return f"the limits set on {which} (a mean of {holds['mean']:.1f} {unit}, an upper limit of {holds['upper']:.1f} {unit})"
