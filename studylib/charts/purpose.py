"""Purpose charts.
"""
from __future__ import annotations

import pandas as pd

from .finish import finish

__all__ = ["plot_what_matters"]


def plot_what_matters(table: pd.DataFrame, *, top: int = 12, ax=None):
    """Horizontal bars of the :func:`what_matters` tally (most heard at the top)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.35 * min(top, len(table)) + 1.2))
    shown = table.head(top).iloc[::-1]
    ax.barh(shown["what_matters"].astype(str), shown["contacts"], color="#2b6ca3")
    big = table.loc[table["contacts"].idxmax()] if len(table) else None
    main = (None if big is None else f"most often heard: \u201c{big['what_matters']}\u201d, in {int(big['contacts']):,} "
            f"of {int(table['contacts'].sum()):,} contacts")
    return finish(ax, "What matters to customers, in their words", xlabel="contacts where this was what mattered",
                  main=main)
