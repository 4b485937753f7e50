"""Process-behaviour charts in Making Data Count colours, over :func:`studylib.xmr` results.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["plot_xmr", "POINT_COLOURS"]


#: Making Data Count colours: grey common cause, blue improvement, orange concern, purple neutral.
POINT_COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289de0",
    "special_cause_concern": "#fab428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
}


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
