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


def small_multiples(panels: dict, draw, *, columns: int = 2, title: str = "", sharex: bool = False):
    """Small multiples: a panel a name (the largest services, or each system of a service), laid out
    by seaborn's FacetGrid, each drawn by ``draw(data, ax=ax)`` on its own scale and titled by its
    name (``title`` says what they all show), with one legend for them all. On a phone they stand in one
    column (:func:`studylib.charts.display.chart_html`). Returns the figure."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    names = list(panels)
    grid = sns.FacetGrid(pd.DataFrame({"panel": names}), col="panel", col_wrap=min(columns, len(names)),
                         col_order=names, height=2.5, aspect=2.0, sharex=sharex, sharey=False)
    legend = {}

    def one(data, **_):
        name = data["panel"].iloc[0]
        ax = plt.gca()
        draw(panels[name], ax=ax)
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    grid.map_dataframe(one)
    for ax, name in zip(grid.axes.flat, names):
        ax.set_title(str(name))         # the panel's name, not FacetGrid's "panel = name"
    if legend:
        grid.figure.legend(legend.values(), legend.keys(), loc="lower center", ncol=3, fontsize=8, frameon=False,
                           bbox_to_anchor=(0.5, -0.06))
    if title:
        grid.figure.suptitle(title, y=1.02)
    return grid.figure
