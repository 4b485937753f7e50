"""Process-behaviour charts in Making Data Count colours, over :func:`studylib.measures.xmr.xmr` results.
"""
from __future__ import annotations

import pandas as pd

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
             title: str | None = None, ylabel: str | None = None, annotate_changes: bool = True):
    """Draw an XmR result: the values, mean and limits per group, coloured special causes, target.

    Time runs along the x axis: a capability chart (from :func:`studylib.measures.capability.capability`)
    places each case at the date it finished (or arrived, in arrival order), and its dated changes
    are drawn where they happened. Lines carry a ``gid`` for tests: ``values`` (one per group),
    ``mean``, ``upper limit``, ``lower limit``, ``target``; the special-cause points are scatters
    with gid ``signals``, one per kind, each in the legend. ``floor`` (0 for times) draws the lower
    limit no lower than it. Counts get whole-number ticks. Nothing is computed here.
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if ax is None:
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
        # Each system in its own colour, the one as it is now in the darkest; its lines span its points only.
        colour = SYSTEM_COLOURS[-1] if i == len(groups) - 1 else SYSTEM_COLOURS[i % (len(SYSTEM_COLOURS) - 1)]
        if len(groups) == 1:
            name = ""
        elif i == 0:
            name = f" before {_short_date(changes[0]['date'])}" if changes else ""
        else:
            name = f" since {_short_date(changes[i - 1]['date'])}" if len(changes) >= i else ""
        gx = x.loc[g.index]
        ax.plot(gx, g["value"], color=colour, lw=0.6, marker="o", ms=3, gid="values", alpha=0.85,
                label=f"{'value' if xcol == 'x' else 'case'}{name}", zorder=2)
        lower = g["lower_limit"] if floor is None else g["lower_limit"].clip(lower=floor)
        ax.plot(gx, g["mean"], color=colour, lw=1.6, gid="mean", label=f"average{name}")
        ax.plot(gx, g["upper_limit"], color=colour, lw=1.1, ls="--", gid="upper limit",
                label=f"{'daily average limits' if result.attrs.get('daily') else 'natural process limits'}{name}")
        ax.plot(gx, lower, color=colour, lw=1.1, ls="--", gid="lower limit")
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
                        fontsize=8, color="#555")
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
    ax.studylib_main = _xmr_main(result, floor)
    return ax


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
