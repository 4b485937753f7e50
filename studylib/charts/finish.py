"""The finishing touches every studylib chart shares: title, axis labels, legend, no box."""
from __future__ import annotations

import pandas as pd

#: An axis labelled with one of these words counts things: its ticks are whole numbers.
COUNT_WORDS = ("contacts", "cases", "problems", "number")


def plain_dates(values: pd.Series) -> pd.Series:
    """Zone-aware dates as UTC without the zone, the form matplotlib converts at once (its date
    ticks are in UTC either way): a zone-aware date is converted one by one, at every draw, which
    takes seconds on a chart of ten thousand cases. Other values are returned as they are."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        return values
    return pd.Series(values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(), index=values.index,
                     name=values.name)


def finish(ax, title: str, *, xlabel: str = "", ylabel: str | None = None, legend: bool = False,
           main: str | None = None):
    """Title, labels, whole-number ticks for counts, no box. ``main``: the chart's main figure in
    words, computed from the data it draws, for its alt text (read from the axes otherwise)."""
    from matplotlib.ticker import MaxNLocator
    ax.set_title(title)
    ax.studylib_main = main
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    for label, axis in ((ax.get_xlabel(), ax.xaxis), (ax.get_ylabel(), ax.yaxis)):
        if label.split(" ")[0] in COUNT_WORDS:
            axis.set_major_locator(MaxNLocator(integer=True))
    if legend:
        ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
