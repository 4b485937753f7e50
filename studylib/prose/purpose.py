"""Purpose in words.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["purpose_summary"]


def purpose_summary(table: pd.DataFrame, n_contacts: int) -> str:
    """A sentence about what matters, from the :func:`what_matters` table."""
    if table.empty:
        return ("No contact has a 'what matters' recorded yet: listen to demand and write down "
                "what matters to each customer.")
    heard = int(table["contacts"].sum())
    top = table.iloc[0]
    return (f"What matters was recorded for {heard:,} of {n_contacts:,} contacts. "
            f"Most often heard: \u201c{top['what_matters']}\u201d ({top['share']:.0%} of them).")
