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
from .xmr import xmr

__all__ = [
    "capability",
    "capability_charts",
    "study_target",
    "limits_by_system",
    "MIN_POINTS_FOR_LIMITS",
    "capability_limits",
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


def capability(times: pd.DataFrame, *, clock: str = "customer", order: str = "completion",
               system_changes: list[dict] | None = None, service: str | None = None,
               target: float | None = None, screen_outliers: bool = True) -> pd.DataFrame:
    """The capability chart of end-to-end times: one XmR row per finished case.

    Parameters
    ----------
    times : DataFrame
        From :func:`studylib.measures.flow.case_times`.
    clock : {"customer", "organisation"}
        ``end_to_end_days`` (first contact to solved) or ``official_days``.
    order : {"completion", "arrival"}
        Cases in the order they finished (the capability chart) or arrived.
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
        ``finished`` and ``lower_limit_shown`` (the lower limit floored at 0). ``x`` numbers the
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
    result["arrived"] = finished["customer_start"].to_numpy()
    result["finished"] = finished[end_col].to_numpy()
    result.insert(0, "case_id", finished["case_id"].to_numpy())
    result["service"] = finished["service"].to_numpy()
    result["lower_limit_shown"] = result["lower_limit"].clip(lower=0)
    result.attrs.update(clock=clock, order=order, target=target, open_left_out=int(is_open.sum()),
                        changes=applied, unit=times.attrs.get("unit", "days"), service=service)
    return result


#: Fewer points than this and no limits are promised (NHSRplotthedots warns below 12).
MIN_POINTS_FOR_LIMITS = 12


def limits_by_system(result: pd.DataFrame) -> pd.DataFrame:
    """One row per system (xmr ``group``) of a capability chart: what it can promise.

    Returns
    -------
    DataFrame
        Indexed by group: ``n, mean, lower`` (shown, floored at 0), ``lower_raw, upper, start, end``
        (x of the first and last case), ``signals`` (cases that are special causes) and ``status``:
        "too few" (fewer than :data:`MIN_POINTS_FOR_LIMITS` cases: no range is promised),
        "not stable" (signals: no range is promised) or "stable".
    """
    if "lower_limit_shown" not in result:        # a periodic measure straight from xmr
        result = result.assign(lower_limit_shown=result["lower_limit"])
    g = result.groupby("group", sort=True)
    stats = g.agg(n=("value", "count"), mean=("mean", "first"), lower=("lower_limit_shown", "first"),
                  lower_raw=("lower_limit", "first"), upper=("upper_limit", "first"), start=("x", "min"),
                  end=("x", "max"), signals=("special_cause", lambda s: int((s != "none").sum())))
    stats["status"] = np.where(stats["n"] < MIN_POINTS_FOR_LIMITS, "too few",
                               np.where(stats["signals"] > 0, "not stable", "stable"))
    return stats


def capability_charts(times: pd.DataFrame, config: dict, *, clock: str = "customer",
                      order: str = "completion", target: float | None = None) -> dict[str, pd.DataFrame]:
    """Capability results for the whole service and each service with finished cases.

    The whole comes first, then each service (by name). With only one service the whole *is*
    that service, so it appears once, under the service's name. ``target`` None takes each
    service's target from study.yml (``targets:`` with ``measure: end_to_end_days``).
    """
    changes = config.get("system_changes") or []
    measure = "end_to_end_days" if clock == "customer" else "official_days"
    services = sorted(s for s in times["service"].dropna().unique()) if "service" in times else []

    def target_for(service):
        if target is not None:
            return target
        found = study_target(config, measure=measure, service=service)
        if found is None and measure == "official_days":
            found = study_target(config, measure="end_to_end_days", service=service)
        return None if found is None else float(found["value"])

    charts: dict[str, pd.DataFrame] = {}
    if len(services) != 1:
        charts["All services"] = capability(times, clock=clock, order=order, system_changes=changes,
                                            target=target_for(None))
    for service in services:
        charts[service] = capability(times, clock=clock, order=order, system_changes=changes,
                                     service=service, target=target_for(service))
    # A chart needs finished cases: a service whose cases are all open has none to show.
    return {name: chart for name, chart in charts.items() if len(chart)}


def capability_limits(charts: dict[str, pd.DataFrame], *, points: str = "cases") -> pd.DataFrame:
    """The current system's limits and Making Data Count icons of each chart, one row per chart.

    Limits and assurance are given only where :func:`limits_by_system` says the system is stable
    with enough cases; otherwise ``status`` says why they are left empty.

    Returns
    -------
    DataFrame
        ``chart, cases, status, mean, lower limit`` (floored at 0), ``upper limit, latest case``
        (variation), ``target, assurance``; charts with no finished case are left out. ``points``
        names what is counted ("cases"; "months" for a periodic measure).
    """
    from .xmr import xmr_summary
    rows = []
    for name, result in charts.items():
        if result["value"].notna().sum() == 0:
            continue
        current = result[result["group"] == result["group"].max()]
        row = xmr_summary(current).iloc[0].to_dict()
        stats = limits_by_system(result).iloc[-1]
        promised = stats["status"] == "stable"
        status = {"stable": "stable", "too few": f"too few {points} ({stats['n']}) to set limits",
                  "not stable": f"not stable: {stats['signals']} signals"}[stats["status"]]
        rows.append({"chart": name, points: int(stats["n"]), "status": status, "mean": row["mean"],
                     "lower limit": max(row["lower_limit"], 0) if promised else np.nan,
                     "upper limit": row["upper_limit"] if promised else np.nan,
                     f"latest {points.rstrip('s')}": row["variation"], "target": row["target"],
                     "assurance": row["assurance"] if promised else None})
    return pd.DataFrame(rows, columns=["chart", points, "status", "mean", "lower limit", "upper limit",
                                       f"latest {points.rstrip('s')}", "target", "assurance"])
