"""The finishing touches every studylib chart shares: title, axis labels, legend, no box."""
from __future__ import annotations


def finish(ax, title: str, *, xlabel: str = "", ylabel: str | None = None, legend: bool = False):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if legend:
        ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
