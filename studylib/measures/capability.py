"""Capability: what the system predictably delivers, whatever the target says.

The capability chart (the Vanguard form) plots each case's end-to-end time in the order cases
finished, with the mean and natural process limits of an XmR chart, recalculated from each dated
system change. The lower limit is shown at 0 when it falls below: a case cannot take less than no
time. The target is drawn as a separate line; it plays no part in the limits.

The same engine charts periodic measures (weekly demand, monthly % within four hours): call
:func:`studylib.measures.xmr.xmr` with dates as ``x`` and draw it with :func:`plot_xmr`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .predictability import MIN_POINTS, predictability
from .xmr import xmr

__all__ = [
    "capability",
    "open_beyond",
    "capability_charts",
    "study_target",
    "limits_by_system",
    "MIN_POINTS_FOR_LIMITS",
    "capability_limits",
    "system_verdict",
    "daily_averages",
    "MANY_A_DAY",
]

_CLOCKS = {"customer": ("end_to_end_days", "end", "the customer's clock"),
           "organisation": ("official_days", "official_end", "the organisation's clock")}


def study_target(config: dict, *, measure: str = "end_to_end_days", service: str | None = None) -> dict | None:
    """The target study.yml sets for a measure (and service, falling back to one for all services)."""
    found = None
    for t in config.get("targets") or []:
        if t.get("measure") != measure:
            continue
        if t.get("service") == service:
            return t
        if t.get("service") in (None, "") and found is None:
            found = t
    return found


def capability(times: pd.DataFrame, *, clock: str = "customer", order: str = "arrival",
               system_changes: list[dict] | None = None, service: str | None = None,
               target: float | None = None, screen_outliers: bool = True) -> pd.DataFrame:
    """The capability chart of end-to-end times: one XmR row per finished case.

    Parameters
    ----------
    times : DataFrame
        From :func:`studylib.measures.flow.case_times`.
    clock : {"customer", "organisation"}
        ``end_to_end_days`` (first contact to solved) or ``official_days``.
    order : {"arrival", "completion"}
        Cases in the order they arrived (the default: each system's cases then lie in a span of their
        own, and a window's first days hold whole cases), or in the order they finished.
    system_changes : list of dict, optional
        study.yml ``system_changes`` (each with ``date`` and optionally ``service`` and ``what``):
        limits are recalculated from the first case at or after each date. A change for another
        service is ignored when ``service`` is given.
    service : str, optional
        Chart only this service's cases.
    target : float, optional
        Carried for the caption and the assurance icon; never used for the limits.

    Returns
    -------
    DataFrame
        The :func:`studylib.measures.xmr.xmr` columns, plus ``case_id``, ``service``, ``arrived``,
        ``finished``, ``lower_limit_shown`` (the lower limit floored at 0) and ``edge`` (a case at the
        edge of the window, left out of the verdict: see :func:`system_verdict`). ``x`` numbers the
        cases 1..n in the chosen order *within each system*: each case belongs to the system it
        arrived in (before or after each change), so old cases finishing after a change do not
        blur the new system's limits. Limits are recalculated at the first case of each system.
        Improvement direction is "decrease" (shorter is better). ``attrs``: ``clock``,
        ``order``, ``target``, ``open_left_out`` (open cases have no completion time, so they
        are not charted; their count is carried for the caption) and ``changes`` (the changes
        applied, with the x at which each group starts).
    """
    if clock not in _CLOCKS:
        raise ParameterError(f"clock must be 'customer' or 'organisation', got {clock!r}")
    if order not in ("completion", "arrival"):
        raise ParameterError(f"order must be 'completion' or 'arrival', got {order!r}")
    value_col, end_col, _ = _CLOCKS[clock]
    part = times if service is None else times[times["service"] == service]
    is_open = part["is_open"].astype(bool)
    finished = part[~is_open & part[value_col].notna() & part[end_col].notna()].copy()
    # A case belongs to the system it entered: a case that arrived before a change but finished
    # after it is an old-system case, whatever order the chart uses.
    era = np.zeros(len(finished), dtype=np.int64)
    applied = []
    arrived = finished["customer_start"]
    for change in sorted(system_changes or [], key=lambda c: pd.Timestamp(c["date"])):
        if service is not None and change.get("service") not in (None, "", service):
            continue
        when = pd.Timestamp(change["date"])
        if when.tzinfo is None and arrived.dt.tz is not None:
            when = when.tz_localize(arrived.dt.tz)
        later = (arrived >= when).to_numpy()
        if later.any() and not later.all():
            era = np.where(later, len(applied) + 1, era)
            applied.append({"date": when, "what": change.get("what", "")})
    finished["_era"] = era
    sort_col = end_col if order == "completion" else "customer_start"
    finished = finished.sort_values(["_era", sort_col, "case_id"], kind="stable").reset_index(drop=True)
    position = pd.Series(np.arange(1, len(finished) + 1))
    starts = finished.index[finished["_era"].ne(finished["_era"].shift())].tolist()[1:]
    for change, first in zip(applied, starts):
        change["starts_at"] = int(position[first])
    result = xmr(finished[value_col].to_numpy(dtype=float), position,
                 rebase_at=[int(position[i]) for i in starts] or None, improvement="decrease",
                 target=target, screen_outliers=screen_outliers)
    # As arrays with their time zone: to_numpy would make objects, read back one by one (seconds).
    result["arrived"] = finished["customer_start"].array
    result["finished"] = finished[end_col].array
    result.insert(0, "case_id", finished["case_id"].to_numpy())
    result["service"] = finished["service"].to_numpy()
    result["lower_limit_shown"] = result["lower_limit"].clip(lower=0)
    result.attrs.update(clock=clock, order=order, target=target, open_left_out=int(is_open.sum()),
                        as_of=times.attrs.get("as_of", finished[end_col].max() if len(finished) else None),
                        # one index, not a list of timestamps: pandas copies attrs deeply at every step
                        open_arrivals=pd.DatetimeIndex(part.loc[is_open, "customer_start"].dropna()),
                        changes=applied, unit=times.attrs.get("unit", "days"), service=service)
    # Cases at the edge of the window (see _edge): drawn apart and left out of every verdict.
    result["edge"] = False
    groups = result["group"].to_numpy()
    for group in np.unique(groups):
        at = np.flatnonzero(groups == group)
        rows = result.iloc[at]
        days = _edge_days(rows["upper_limit"].iloc[0])
        result.loc[result.index[at], "edge"] = _edge(rows, result.attrs, int(group), group == groups.max(), days)
    return result


#: Fewer points than this and no limits are promised (NHSRplotthedots warns below 12).
MIN_POINTS_FOR_LIMITS = MIN_POINTS
#: From this many cases a day (the median over the days that have any), cases that share a day
#: share its conditions, so the verdict reads the sequence of daily averages, as Vanguard's own
#: capability charts plot them.
MANY_A_DAY = 3
_STATUS = {"predictable": "predictable", "not predictable": "not predictable", "too few points": "too few"}
#: Limits from fewer points than this are provisional (Wheeler, *Making Sense of Data*: limits from
#: a few points are temporary, to be revised as points accrue; from about 20 they settle).
PROVISIONAL_BELOW = 20
#: The runs rule's figures a verdict carries from the series it read (the cases, or the days in turn).
RUNS_COLUMNS = ["median", "longest_run", "longest_run_max", "crossings", "crossings_min"]
SYSTEM_COLUMNS = ["n", "mean", "lower", "lower_raw", "upper", "start", "end", "signals", "status", "reason",
                  "judged", "edge", "edge_days", "by_day", "exceptions", "exceptions_above", "exceptions_allowed",
                  "exception_ids", "inside", "provisional", *RUNS_COLUMNS]


def _edge_days(upper: float) -> float:
    """How far the edge of the window reaches: the longest a case of the system is expected to take."""
    return float(np.ceil(upper)) if np.isfinite(upper) else 0.0


def _day_column(attrs: dict) -> str:
    """The day a case is counted on: the day it arrived, or finished in completion order."""
    return "arrived" if attrs.get("order", "arrival") == "arrival" else "finished"


def _edge(part: pd.DataFrame, attrs: dict, group: int, current: bool, days: float) -> np.ndarray:
    """Cases at the edge of the window: they can only be quick ones, so they would pass as better
    work. In arrival order, the system as it is now loses the cases that arrived from the first
    still-open case of its last ``days`` before the as-of date on (the slow cases that arrived then
    have not finished); in completion order, every system loses the ``days`` after it began (only
    quick cases can have finished by then)."""
    if not days or "arrived" not in part or not np.isfinite(days):
        return np.zeros(len(part), dtype=bool)
    span = pd.Timedelta(days=float(days))
    if attrs.get("order", "arrival") == "arrival":
        as_of = attrs.get("as_of")
        if not current or as_of is None:
            return np.zeros(len(part), dtype=bool)
        # Only where slow cases of those days are still open: from the first of them on.
        arrivals = attrs.get("open_arrivals")
        still_open = arrivals[arrivals > pd.Timestamp(as_of) - span] if arrivals is not None else []
        if not len(still_open):
            return np.zeros(len(part), dtype=bool)
        return (part["arrived"] >= still_open.min()).to_numpy()
    changes = attrs.get("changes") or []
    began = changes[group - 1]["date"] if 0 < group <= len(changes) else part["arrived"].min()
    return (part["finished"] < began + span).to_numpy()


def system_verdict(part: pd.DataFrame, *, attrs: dict | None = None, unit: str = "cases") -> dict:
    """Whether one system of a chart is predictable (:func:`studylib.measures.predictability.predictability`),
    judged on the points a verdict can rest on.

    A periodic measure (no ``arrived`` column) is judged point by point. A capability chart leaves
    out the cases at the edge of the window (its ``edge`` column, from :func:`capability`),
    and with :data:`MANY_A_DAY` or more cases a day judges the sequence of daily averages (the day
    a case arrived, or finished in completion order), while its exceptions are counted case by case
    against the limits drawn for one case.
    """
    attrs = attrs or {}
    values = part["value"].to_numpy(dtype=float)
    upper, lower = float(part["upper_limit"].iloc[0]), float(part["lower_limit"].iloc[0])
    edge = part["edge"].to_numpy(dtype=bool) if "edge" in part else np.zeros(len(part), dtype=bool)
    judged = part[~edge & ~np.isnan(values)]
    cases = predictability(judged["value"], unit=unit)
    verdict = cases.iloc[0].to_dict()
    runs = {name: verdict[name] for name in RUNS_COLUMNS}
    by_day = False
    if "arrived" in part and len(judged) >= MIN_POINTS:
        when = judged[_day_column(attrs)].dt.floor("D")
        per_day = judged.groupby(when)["value"]
        if per_day.size().median() >= MANY_A_DAY:
            by_day = True
            days = predictability(per_day.mean(), unit="days")
            day = days.iloc[0]
            runs = {name: day[name] for name in RUNS_COLUMNS}
            reasons = []
            if day["verdict"] != "predictable":
                reasons.append(f"day by day, {day['reason']}")
            if verdict["cluster"]:            # a bad week of cases, read case by case
                reasons.append(verdict["cluster"])
            if day["verdict"] == "too few points":
                n_days = int(day["points"])
                verdict.update(verdict="too few points",
                               reason=f"only {n_days} day{'' if n_days == 1 else 's'} with finished cases")
            else:
                verdict.update(verdict="not predictable" if reasons else "predictable",
                               reason="; ".join(reasons) if reasons else f"day by day, {day['reason']}")
    beyond = (values > upper) | (values < lower)
    finished = int((~np.isnan(values)).sum())
    exceptions_above = int((values > upper).sum())
    exceptions = int(beyond.sum())
    ids = part.loc[beyond, "case_id"].astype(str).tolist() if "case_id" in part else []
    return {"status": _STATUS[verdict["verdict"]], "reason": verdict["reason"], "judged": int(len(judged)),
            "edge": int(edge.sum()), "edge_days": _edge_days(upper) if edge.any() else 0.0, "by_day": by_day,
            "exceptions": exceptions, "exceptions_above": exceptions_above,
            "exceptions_allowed": int(verdict["exceptions_allowed"]), "exception_ids": ids,
            # limits from fewer than PROVISIONAL_BELOW of the points they are drawn from are provisional
            "provisional": bool(0 < finished < PROVISIONAL_BELOW),
            # the share of its finished cases inside the limits, for words that say how often the range held
            "inside": float((~beyond & ~np.isnan(values)).sum() / max(finished, 1)), **runs}


def limits_by_system(result: pd.DataFrame, *, unit: str | None = None) -> pd.DataFrame:
    """One row per system (xmr ``group``) of a chart: what it can promise.

    Returns
    -------
    DataFrame
        Indexed by group: ``n, mean, lower`` (shown, floored at 0 for times), ``lower_raw, upper``
        (the natural process limits drawn), ``start, end`` (x of the first and last point),
        ``signals`` (points Making Data Count marks as special causes), and the verdict of
        :func:`system_verdict`: ``status`` ("predictable", "not predictable" or "too few"),
        ``reason`` in words, ``judged`` (points the verdict rests on), ``edge`` and ``edge_days``
        (cases at the edge of the window left out of it), ``by_day`` (judged on daily averages),
        ``exceptions`` (points beyond the limits; ``exceptions_above``; ``exception_ids``, the cases
        beyond them) and ``exceptions_allowed``; ``provisional`` (limits from fewer than
        :data:`PROVISIONAL_BELOW` points); the runs rule as the verdict read it (on the daily
        averages where ``by_day``): ``median`` (its centre line), ``longest_run``, ``longest_run_max``,
        ``crossings``, ``crossings_min``.
        A range is promised only where ``status`` is "predictable".
    """
    if "lower_limit_shown" not in result:        # a periodic measure straight from xmr
        result = result.assign(lower_limit_shown=result["lower_limit"])
    unit = unit or ("cases" if "arrived" in result else result.attrs.get("points", "points"))
    rows = {}
    for group, part in result.groupby("group", sort=True):
        row = {"n": int(part["value"].notna().sum()), "mean": part["mean"].iloc[0],
               "lower": part["lower_limit_shown"].iloc[0], "lower_raw": part["lower_limit"].iloc[0],
               "upper": part["upper_limit"].iloc[0], "start": part["x"].min(), "end": part["x"].max(),
               "signals": int((part["special_cause"] != "none").sum())}
        row.update(system_verdict(part, attrs=result.attrs, unit=unit))
        rows[group] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=SYSTEM_COLUMNS)
    out.index.name = "group"
    return out


def open_beyond(chart: pd.DataFrame, stats: pd.DataFrame, waiting: pd.DataFrame | None) -> list[str]:
    """The cases still open that are already older, on the chart's clock, than its current system's
    upper limit: exceptions as much as the finished cases beyond it (a case's age is a lower bound
    of its time), though no chart can draw them. Of the chart's service (every service for "All
    services"), arrived since the latest dated change; oldest first.

    ``stats``: the chart's :func:`limits_by_system`; ``waiting``: the open cases
    (:func:`studylib.measures.waiting.waiting_list`, with ``customer_age_days`` and
    ``official_age_days``)."""
    clock = "customer_age_days" if chart.attrs.get("clock", "customer") == "customer" else "official_age_days"
    if waiting is None or not len(waiting) or not len(stats) or clock not in waiting:
        return []
    upper = float(stats["upper"].iloc[-1])
    mine = waiting
    service = chart.attrs.get("service")
    if service is not None and "service" in mine:
        mine = mine[mine["service"] == service]
    changes = chart.attrs.get("changes") or []
    if changes and "customer_start" in mine:
        mine = mine[mine["customer_start"] >= changes[-1]["date"]]
    older = mine[mine[clock] > upper].sort_values(clock, ascending=False, kind="stable")
    return older["case_id"].astype(str).tolist()


def daily_averages(result: pd.DataFrame, *, stats: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The daily average chart of a capability chart whose systems finish many cases a day
    (:data:`MANY_A_DAY`), as Vanguard's capability charts plot it: one point per day, the average
    end-to-end time of the cases that arrived that day (finished, in completion order), limits
    recalculated at each change. Its limits are limits of a day's average, never of one case.
    None where no system has so many cases a day. ``stats``: the chart's :func:`limits_by_system`,
    where the caller has it (computed here otherwise).

    Returns
    -------
    DataFrame
        The :func:`studylib.measures.xmr.xmr` columns with ``x`` the day, plus ``cases`` (how many
        cases the day's average is of); ``attrs``: ``changes``, ``unit``, ``points`` ("days").
    """
    if "arrived" not in result or result.empty:
        return None
    stats = limits_by_system(result) if stats is None else stats
    if not stats["by_day"].any():
        return None
    days = (result.assign(day=result[_day_column(result.attrs)].dt.floor("D"), edge=result.get("edge", False))
            .groupby(["group", "day"], sort=True).agg(mean=("value", "mean"), size=("value", "size"),
                                                      edge=("edge", "any")).reset_index())
    starts = days.index[days["group"].ne(days["group"].shift())].tolist()[1:]
    out = xmr(days["mean"].to_numpy(dtype=float), days["day"], rebase_at=[days["day"].iloc[i] for i in starts] or None,
              improvement="decrease", target=result.attrs.get("target"))
    out["cases"] = days["size"].to_numpy()
    out["edge"] = days["edge"].to_numpy(dtype=bool)
    out["lower_limit_shown"] = out["lower_limit"].clip(lower=0)
    out.attrs.update(changes=result.attrs.get("changes", []), unit=result.attrs.get("unit", "days"), points="days",
                     order=result.attrs.get("order"), daily=True, target=result.attrs.get("target"))
    return out


def capability_charts(times: pd.DataFrame, config: dict, *, clock: str = "customer",
                      order: str = "arrival", target: float | None = None, services: list | None = None,
                      whole: bool = True) -> dict[str, pd.DataFrame]:
    """Capability results for the whole service and each service with finished cases.

    The whole comes first, then each service (by name). With only one service the whole *is*
    that service, so it appears once, under the service's name. ``target`` None takes each
    service's target from study.yml (``targets:`` with ``measure: end_to_end_days``). ``services``
    (default: every one) and ``whole`` (all services together) choose the charts made.
    """
    changes = config.get("system_changes") or []
    measure = "end_to_end_days" if clock == "customer" else "official_days"
    every = sorted(s for s in times["service"].dropna().unique()) if "service" in times else []
    services = every if services is None else sorted(s for s in services if s in set(every))

    def target_for(service):
        if target is not None:
            return target
        found = study_target(config, measure=measure, service=service)
        if found is None and measure == "official_days":
            found = study_target(config, measure="end_to_end_days", service=service)
        return None if found is None else float(found["value"])

    charts: dict[str, pd.DataFrame] = {}
    if len(every) != 1 and whole:
        charts["All services"] = capability(times, clock=clock, order=order, system_changes=changes,
                                            target=target_for(None))
    for service in services:
        charts[service] = capability(times, clock=clock, order=order, system_changes=changes,
                                     service=service, target=target_for(service))
    # A chart needs finished cases: a service whose cases are all open has none to show.
    return {name: chart for name, chart in charts.items() if len(chart)}


def capability_limits(charts: dict[str, pd.DataFrame], *, points: str = "cases",
                      stats: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The current system's verdict, limits and Making Data Count icons of each chart, one row per chart.

    Limits and assurance are given only where :func:`limits_by_system` says the system is
    predictable; otherwise ``status`` says why they are left empty. The variation icon of the
    latest point stays Making Data Count's: it describes a point, not the system. ``stats``: each
    chart's :func:`limits_by_system` by name, where the caller has them (computed here otherwise).

    Returns
    -------
    DataFrame
        ``chart, cases, status, mean, lower limit`` (floored at 0), ``upper limit, exceptions``
        (points beyond the limits), ``latest case`` (variation), ``target, assurance``; charts with
        no finished case are left out. ``points`` names what is counted ("cases"; "months" for a
        periodic measure).
    """
    from .xmr import xmr_summary
    rows = []
    for name, result in charts.items():
        if result["value"].notna().sum() == 0:
            continue
        current = result[result["group"] == result["group"].max()]
        if "edge" in current and not current["edge"].all():
            current = current[~current["edge"].astype(bool)]   # the latest case judged, not a quick one at the edge
        row = xmr_summary(current).iloc[0].to_dict()
        stats_now = (limits_by_system(result, unit=points) if stats is None else stats[name]).iloc[-1]
        promised = stats_now["status"] == "predictable"
        status = {"predictable": "predictable", "too few": f"too few {points} ({stats_now['n']}) to judge",
                  "not predictable": "not predictable"}[stats_now["status"]]
        rows.append({"chart": name, points: int(stats_now["n"]), "status": status, "mean": row["mean"],
                     "lower limit": max(row["lower_limit"], 0) if promised else np.nan,
                     "upper limit": row["upper_limit"] if promised else np.nan,
                     "exceptions": int(stats_now["exceptions"]),
                     f"latest {points.rstrip('s')}": row["variation"], "target": row["target"],
                     "assurance": row["assurance"] if promised else None})
    return pd.DataFrame(rows, columns=["chart", points, "status", "mean", "lower limit", "upper limit", "exceptions",
                                       f"latest {points.rstrip('s')}", "target", "assurance"])
