"""A study's headline measures along the as-of dates of its checks (``history.html``)."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.dates import DateFormatter

__all__ = ["plot_history"]


def plot_history(title: str, series: dict[str, list[tuple]], unit: str, *, percent: bool = False,
                 limits: list[tuple] | None = None):
    """One line per series (name -> [(as-of date, value or None)]), points marked, from 0; ``limits``
    (the upper limit of one case at each check) dashed. Returns the figure."""
    fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
    for name, points in series.items():
        points = [(d, v) for d, v in points if v is not None]
        if points:
            xs, ys = zip(*points)
            ax.plot(xs, [100 * y for y in ys] if percent else ys, marker="o", label=name)
    drawn = [(d, v) for d, v in (limits or []) if v is not None]
    if drawn:
        xs, ys = zip(*drawn)
        ax.plot(xs, ys, linestyle="--", marker="_", color="#a00", label="upper limit of one case")
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_ylabel(unit)
    ax.xaxis.set_major_formatter(DateFormatter("%-d %b %Y"))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if len(ax.get_lines()) > 1:
        ax.legend(fontsize=8, loc="lower left")
    return fig
