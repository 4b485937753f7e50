"""Process-behaviour charts in Making Data Count colours, over :func:`studylib.measures.xmr.xmr` results.
"""
from __future__ import annotations

import pandas as pd

from ..measures.capability import PROVISIONAL_BELOW
from ..measures.xmr import SCREEN_FACTOR
from .finish import plain_dates

__all__ = ["plot_xmr", "plot_xmr_grid", "POINT_COLOURS", "POINT_WORDS", "SYSTEM_COLOURS"]


#: Signal colours, the same on every chart: Making Data Count's blue better and orange worse; where no
#: direction is better, purple higher and teal lower (Making Data Count draws both purple; a reader
#: must tell them apart).
POINT_COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289de0",
    "special_cause_concern": "#fab428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#1a9e8f",
}

#: Each system's own colour, the system as it is now last: its dots, average and limits.
SYSTEM_COLOURS = ["#9c8f80", "#b5835a", "#7d6b91", "#003a63"]


#: Legend words for the point types of :data:`POINT_COLOURS` (Making Data Count's colours).
POINT_WORDS = {"special_cause_improvement": "signal: better", "special_cause_concern": "signal: worse",
               "special_cause_neutral_high": "signal: higher", "special_cause_neutral_low": "signal: lower"}


def _short_date(stamp) -> str:
    return f"{stamp.day} {stamp:%b %Y}"


def plot_xmr(result: pd.DataFrame, *, ax=None, target: float | None = None, floor: float | None = None,
             title: str | None = None, ylabel: str | None = None, annotate_changes: bool = True,
             stats: pd.DataFrame | None = None, moving_ranges: bool = False):
    """Draw an XmR result: the values, mean and limits per group, coloured special causes, target.

    Time runs along the x axis: a capability chart (from :func:`studylib.measures.capability.capability`)
    places each case at the date it finished (or arrived, in arrival order), and its dated changes
    are drawn where they happened. Lines carry a ``gid`` for tests: ``values`` (one per group),
    ``mean``, ``upper limit``, ``lower limit``, ``target``; the special-cause points are scatters
    with gid ``signals``, one per kind, each in the legend. ``floor`` (0 for times) draws the lower
    limit no lower than it. Counts get whole-number ticks. Nothing is computed here.

    ``stats`` (the chart's :func:`~studylib.measures.capability.limits_by_system`, or for one
    series :func:`~studylib.measures.predictability.predictability`) draws each
    system's **median**, the line its verdict reads runs around (gid ``median``), where the verdict
    read these points (not the days in turn: the daily chart draws that one). ``moving_ranges``
    draws the mR chart under the values (a new figure only): each moving range, their mean that
    sets the limits, and the screening line above which a range is left out of them.
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    ranges_ax = None
    if ax is None and moving_ranges:
        _, (ax, ranges_ax) = plt.subplots(2, 1, figsize=(10, 6.2), sharex=True,
                                          gridspec_kw={"height_ratios": [3, 1.3], "hspace": 0.45})
    elif ax is None:
        _, ax = plt.subplots(figsize=(10, 4.2))
    if target is None:
        target = result.attrs.get("target")
    order = result.attrs.get("order")
    xcol = {"completion": "finished", "arrival": "arrived"}.get(order, "x")
    xcol = xcol if xcol in result else "x"
    x = plain_dates(result[xcol])
    groups = list(result.groupby("group", sort=True))
    changes = result.attrs.get("changes", [])
    for i, (_, g) in enumerate(groups):
        colour = _system_colour(i, len(groups))      # its lines span its points only
        if len(groups) == 1:
            name = ""
        elif i == 0:
            name = f" before {_short_date(changes[0]['date'])}" if changes else ""
        else:
            name = f" since {_short_date(changes[i - 1]['date'])}" if len(changes) >= i else ""
        gx = x.loc[g.index]
        ax.plot(gx, g["value"], color=colour, lw=0.6, marker="o", ms=3, gid="values", alpha=0.85,
                label=f"{_point_word(result, xcol)}{name}", zorder=2)
        lower = g["lower_limit"] if floor is None else g["lower_limit"].clip(lower=floor)
        ax.plot(gx, g["mean"], color=colour, lw=1.6, gid="mean", label=f"average{name}")
        kind = "daily average limits" if result.attrs.get("daily") else "natural process limits"
        drawn_from = int(g["value"].notna().sum())
        if 0 < drawn_from < PROVISIONAL_BELOW:          # Wheeler: limits from a few points are temporary
            points = "days" if result.attrs.get("daily") else "cases" if "arrived" in result else "points"
            kind = f"provisional limits, from {drawn_from} {points}"
        ax.plot(gx, g["upper_limit"], color=colour, lw=1.1, ls="--", gid="upper limit", label=f"{kind}{name}")
        ax.plot(gx, lower, color=colour, lw=1.1, ls="--", gid="lower limit")
        median = _runs_median(stats, g["group"].iloc[0])
        if median is not None:
            ax.plot(gx, [median] * len(gx), color=colour, lw=1.3, ls=(0, (1, 2)), gid="median",
                    label=f"median: the runs rule's line{name}")
    edge = result["edge"].astype(bool) if "edge" in result else pd.Series(False, index=result.index)
    if edge.any():
        # Only the quick ones of these have finished: drawn hollow, never as signals of better work.
        ax.scatter(x[edge], result.loc[edge, "value"], s=26, facecolors="white", edgecolors="#555", zorder=4,
                   gid="edge", label="edge of the window: not judged")
    special = result[(result["point_type"] != "common_cause") & ~edge]
    for kind, part in special.groupby(special["point_type"].astype(str), sort=True):
        ax.scatter(x.loc[part.index], part["value"], c=POINT_COLOURS[kind], s=22, zorder=3, gid="signals",
                   label=POINT_WORDS.get(kind, "signal"))
    if target is not None:
        ax.plot([x.min(), x.max()], [target, target], color="#2a7f2a", lw=1.2,
                ls=":", gid="target", label=f"target ({target:g})")
    if annotate_changes:
        for change in result.attrs.get("changes", []):
            where = change["date"] if pd.api.types.is_datetime64_any_dtype(x) else change["starts_at"]
            ax.axvline(where, color="#555", lw=0.8, ls="-.", gid="change")
            label = change.get("what") or "system change"
            label = label if len(label) <= 40 else label[:39].rstrip() + "\u2026"
            ax.annotate(f"{change['date'].day} {change['date']:%b %Y}: {label}", (where, 1),
                        xycoords=("data", "axes fraction"), xytext=(3, 4), textcoords="offset points",
                        fontsize=8, color="#555", gid="detail")   # a phone leaves it out: the legend dates it
    if pd.api.types.is_datetime64_any_dtype(x):
        locator = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    values = result["value"].dropna()
    if len(values) and (values == values.round()).all():
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        ax.set_title(title, pad=18 if result.attrs.get("changes") else 6)
    if ylabel:
        ax.set_ylabel(ylabel)
    if order:
        ax.set_xlabel({"finished": "date each case finished", "arrived": "date each case arrived"}.get(
            xcol, "day" if result.attrs.get("daily") else f"cases, in order of {order}"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.16), ncol=3, fontsize=8, frameon=False)
    if ranges_ax is not None:      # one legend for both panels, under the moving ranges
        _plot_moving_ranges(result, x, groups, ranges_ax)
        ax.tick_params(labelbottom=True)
        ax.get_legend().remove()
        handles, labels = ax.get_legend_handles_labels()
        more, more_labels = ranges_ax.get_legend_handles_labels()
        ranges_ax.legend(handles + more, labels + more_labels, loc="upper left", bbox_to_anchor=(0, -0.3),
                         ncol=3, fontsize=8, frameon=False)
    ax.studylib_main = _xmr_main(result, floor)
    return ax


def _system_colour(i: int, n: int) -> str:
    """Each system in its own colour, the one as it is now (the last of ``n``) in the darkest."""
    return SYSTEM_COLOURS[-1] if i == n - 1 else SYSTEM_COLOURS[i % (len(SYSTEM_COLOURS) - 1)]


def _point_word(result: pd.DataFrame, xcol: str) -> str:
    """What one point of the chart is, for its legend."""
    if result.attrs.get("daily"):
        return "day's average"
    return "value" if xcol == "x" else "case"


def _runs_median(stats: pd.DataFrame | None, group) -> float | None:
    """The median a system's verdict read its runs around, where it read this chart's points."""
    if stats is None or "median" not in stats or group not in stats.index:
        return None
    row = stats.loc[group]
    if bool(row.get("by_day", False)) or pd.isna(row["median"]):
        return None
    return float(row["median"])


def _plot_moving_ranges(result: pd.DataFrame, x: pd.Series, groups: list, ax) -> None:
    """The mR chart: each moving range (the difference from the point before, without its sign), the
    mean moving range that sets the limits, and the screening line (3.27 times the mean of every
    range) above which a range is left out of them, drawn hollow."""
    middle = "median" if result.attrs.get("method") == "median" else "mean"
    centres, screened = [], 0
    for i, (_, g) in enumerate(groups):
        colour = _system_colour(i, len(groups))
        gx = x.loc[g.index]
        every = g["value"].diff().abs()
        used = g["moving_range"]
        first = i == 0
        ax.plot(gx, every, color=colour, lw=0.6, marker="o", ms=2.5, alpha=0.85, gid="moving ranges",
                label="moving range" if first else None)
        centre = float(getattr(used, middle)())
        centres.append(centre)
        ax.plot(gx, [centre] * len(gx), color=colour, lw=1.4, gid="mean moving range",
                label=f"{middle} moving range (sets the limits)" if first else None)
        if result.attrs.get("screen_outliers", True) and every.notna().any():
            screen = SCREEN_FACTOR * float(every.mean())
            ax.plot(gx, [screen] * len(gx), color=colour, lw=0.9, ls="--", gid="screening line",
                    label="above this, a range is left out of the limits" if first else None)
            out = every.notna() & used.isna()
            screened += int(out.sum())
            if out.any():
                ax.scatter(gx[out], every[out], s=18, facecolors="white", edgecolors=colour, zorder=3,
                           gid="screened ranges")
    ax.set_title("Moving ranges: how far each point is from the one before", fontsize=9)
    ax.set_ylabel("moving range")
    ax.set_ylim(bottom=0)
    ax.studylib_main = (f"{middle} moving range {centres[-1]:.1f}{' in the latest system' if len(centres) > 1 else ''}; "
                        f"{screened:,} range{'s' if screened != 1 else ''} left out of the limits")
    ax.spines[["top", "right"]].set_visible(False)


def plot_xmr_grid(results: dict[str, pd.DataFrame], *, floor: float | None = None, ylabel: str | None = None,
                  title: str = ""):
    """The largest services' XmR charts as small multiples (:func:`studylib.charts.finish.small_multiples`):
    each panel :func:`plot_xmr` of its own result, on its own scale. Returns the figure."""
    from .finish import small_multiples
    return small_multiples(results, lambda result, ax: plot_xmr(result, ax=ax, floor=floor, ylabel=ylabel,
                                                                annotate_changes=False),
                           title=title, sharex=True)


def _xmr_main(result: pd.DataFrame, floor: float | None) -> str | None:
    """The chart's main figure from its result: the latest system's points, average and limits."""
    last = result[result["group"] == result["group"].max()] if len(result) else result
    values = last["value"].dropna()
    if not len(values):
        return None
    mean = float(last["mean"].dropna().iloc[0]) if last["mean"].notna().any() else float(values.mean())
    text = f"{len(values):,} points{' in the latest system' if result['group'].nunique() > 1 else ''}, average {mean:.1f}"
    if last["upper_limit"].notna().any():
        lower = float(last["lower_limit"].dropna().iloc[0])
        lower = max(lower, floor) if floor is not None else lower
        text += f", limits {lower:.1f} to {float(last['upper_limit'].dropna().iloc[0]):.1f}"
    signals = int((last["point_type"] != "common_cause").sum()) if "point_type" in last else 0
    return text + f"; {signals:,} point{'s' if signals != 1 else ''} marked as signals"
