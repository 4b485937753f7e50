"""Capability: what the system predictably delivers, whatever the target says.

The capability chart (the Vanguard form) plots each case's end-to-end time in the order cases
finished, with the mean and natural process limits of an XmR chart, recalculated from each dated
system change. The lower limit is shown at 0 when it falls below: a case cannot take less than no
time. The target is drawn as a separate line; it plays no part in the limits.

The same engine charts periodic measures (weekly demand, monthly % within four hours): call
:func:`studylib.xmr` with dates as ``x`` and draw it with :func:`plot_xmr`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ParameterError
from .xmr import xmr

__all__ = [
    "capability",
    "capability_caption",
    "capability_prose",
    "capability_charts",
    "study_target",
    "plot_xmr",
    "POINT_COLOURS",
]

#: Making Data Count colours: grey common cause, blue improvement, orange concern, purple neutral.
POINT_COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289de0",
    "special_cause_concern": "#fab428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
}
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
        From :func:`studylib.flow.case_times`.
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
        The :func:`studylib.xmr` columns, plus ``case_id``, ``service``, ``arrived``,
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


def _group_stats(result: pd.DataFrame) -> pd.DataFrame:
    g = result.groupby("group", sort=True)
    stats = g.agg(n=("value", "count"), mean=("mean", "first"), lower=("lower_limit_shown", "first"),
                  upper=("upper_limit", "first"), start=("x", "min"), end=("x", "max"),
                  signals=("special_cause", lambda s: int((s != "none").sum())))
    return stats


def _days(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 or x == 0 else f"{x:.1f}"


def capability_caption(result: pd.DataFrame) -> str:
    """The chart in plain words, computed from the result.

    e.g. "This system will deliver anywhere between 3 and 61 days; on average 24. The 28-day
    target says nothing about what it delivers."
    """
    if result["value"].notna().sum() == 0:
        return "No case has finished yet, so there is nothing to chart."
    unit = result.attrs.get("unit", "days")
    stats = _group_stats(result)
    current = stats.iloc[-1]
    if np.isnan(current["upper"]):
        text = (f"Every case took the same time ({_days(current['mean'])} {unit}), so no limits can "
                f"be computed.")
    else:
        lead = "This system will deliver"
        if len(stats) > 1:
            change = result.attrs["changes"][-1]
            what = f" ({change['what']})" if change.get("what") else ""
            lead = f"Since the change of {change['date']:%d %B %Y}{what}, this system will deliver"
        text = (f"{lead} anywhere between {_days(current['lower'])} and {_days(current['upper'])} "
                f"{unit}; on average {_days(current['mean'])}.")
        if len(stats) > 1:
            before = stats.iloc[-2]
            text += (f" Before it, between {_days(before['lower'])} and {_days(before['upper'])}; "
                     f"on average {_days(before['mean'])}.")
    target = result.attrs.get("target")
    if target is not None and not np.isnan(current["upper"]):
        if target < current["lower"]:
            text += f" No case can be expected to meet the {target:g}-day target while the system stays as it is."
        elif target >= current["upper"]:
            text += (f" Cases will meet the {target:g}-day target while the system stays as it is, "
                     f"but the target says nothing about what the system delivers.")
        else:
            text += f" The {target:g}-day target says nothing about what it delivers."
    n_open = result.attrs.get("open_left_out", 0)
    if n_open:
        text += (f" {n_open:,} open case{'s are' if n_open != 1 else ' is'} not charted: "
                 f"{'they have' if n_open != 1 else 'it has'} not finished yet.")
    return text


def capability_prose(result: pd.DataFrame, *, name: str = "the service") -> dict[str, str]:
    """What / so what / now what / then what, from the numbers of a capability chart."""
    unit = result.attrs.get("unit", "days")
    stats = _group_stats(result)
    if stats.empty:
        return {"what": f"No {name} case has finished yet.", "so what": "", "now what": "", "then what": ""}
    current = stats.iloc[-1]
    n = int(result["value"].notna().sum())
    signals = result[result["special_cause"] != "none"]
    latest_signals = int(current["signals"])
    what = f"{n:,} finished {name} cases. {capability_caption(result)}"
    if len(stats) > 1:
        before = stats.iloc[-2]
        change = (before["mean"] - current["mean"]) / before["mean"] if before["mean"] else 0
        so_what = (f"Customers of {name} now wait {_days(current['mean'])} {unit} on average against "
                   f"{_days(before['mean'])} before the change ({change:.0%} less), and the slowest "
                   f"predictable case {_days(current['upper'])} {unit} against {_days(before['upper'])}.")
    else:
        so_what = (f"A customer of {name} can expect anything up to {_days(current['upper'])} {unit}. "
                   f"That range, not the average and not the target, is what the system delivers.")
    if latest_signals:
        kinds = signals[signals["group"] == stats.index[-1]]["special_cause"].astype(str).value_counts()
        named = ", ".join(f"{k} ({v})" for k, v in kinds.items())
        now_what = (f"{latest_signals} cases since the last change are signals ({named}): find out what "
                    f"happened to them before changing anything else.")
    else:
        now_what = ("No case since the last change is a signal: the variation is the system's own, so "
                    "improvement means changing the system, not chasing individual cases.")
    then_what = (f"Keep plotting each finished case in order. If the system is improved, expect a run of "
                 f"points below the mean of {_days(current['mean'])} {unit}; recalculate the limits only "
                 f"at a dated change.")
    return {"what": what, "so what": so_what, "now what": now_what, "then what": then_what}


def plot_xmr(result: pd.DataFrame, *, ax=None, target: float | None = None, floor: float | None = None,
             title: str | None = None, ylabel: str | None = None, annotate_changes: bool = True):
    """Draw an XmR result: the values, mean and limits per group, coloured special causes, target.

    Lines carry a ``gid`` for tests: ``values``, ``mean``, ``upper limit``, ``lower limit``,
    ``target``; the special-cause points are a scatter with gid ``signals``. ``floor`` (0 for
    times) draws the lower limit no lower than it. Nothing is computed here.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.2))
    if target is None:
        target = result.attrs.get("target")
    ax.plot(result["x"], result["value"], color=POINT_COLOURS["common_cause"], lw=1, marker="o",
            ms=3, gid="values", label="value", zorder=2)
    for i, (_, g) in enumerate(result.groupby("group", sort=True)):
        lower = g["lower_limit"] if floor is None else g["lower_limit"].clip(lower=floor)
        ax.plot(g["x"], g["mean"], color="black", lw=1.2, gid="mean", label="mean" if i == 0 else None)
        ax.plot(g["x"], g["upper_limit"], color="#a00", lw=1, ls="--", gid="upper limit",
                label="natural process limits" if i == 0 else None)
        ax.plot(g["x"], lower, color="#a00", lw=1, ls="--", gid="lower limit")
    special = result[result["point_type"] != "common_cause"]
    if len(special):
        ax.scatter(special["x"], special["value"], c=special["point_type"].astype(str).map(POINT_COLOURS).tolist(),
                   s=22, zorder=3, gid="signals", label="signal")
    if target is not None:
        ax.plot([result["x"].min(), result["x"].max()], [target, target], color="#2a7f2a", lw=1.2,
                ls=":", gid="target", label=f"target ({target:g})")
    if annotate_changes:
        for change in result.attrs.get("changes", []):
            ax.axvline(change["starts_at"], color="#555", lw=0.8, ls="-.")
            label = change.get("what") or "system change"
            label = label if len(label) <= 40 else label[:39].rstrip() + "\u2026"
            ax.annotate(f"{change['date']:%d %b %Y}: {label}", (change["starts_at"], 1),
                        xycoords=("data", "axes fraction"), xytext=(3, 4), textcoords="offset points",
                        fontsize=8, color="#555")
    if title:
        ax.set_title(title, pad=18 if result.attrs.get("changes") else 6)
    if ylabel:
        ax.set_ylabel(ylabel)
    if "order" in result.attrs:
        ax.set_xlabel(f"cases, in order of {result.attrs['order']}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=5, fontsize=8, frameon=False)
    return ax


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
    return charts
