"""The headline of a check: one paragraph, at most 60 words, in the time frame of the system as it
is now, with the figures that matter. It opens the front page and the summary.

Where a dated change split a service, the headline speaks of that service since its latest change,
and sets each figure beside the one before ("Since 10 March 2025, Housing repairs take 4.4 days on
average ..., against 24.9 before"). A figure over the whole period says so in words.
"""
from __future__ import annotations

import pandas as pd

from ..text import long_date

__all__ = ["headline", "HEADLINE_WORDS"]

#: The most words a headline may take.
HEADLINE_WORDS = 60


def _latest_change(results):
    systems = results.systems
    if systems is None or systems.empty or "start" not in systems:
        return None
    dated = systems.dropna(subset=["start"])
    return None if dated.empty else dated.sort_values("start").iloc[-1]


def _pair(table: pd.DataFrame | None, service: str, era: int, column: str):
    """(now, before) of a column for a service's era and the one before it, where both are there."""
    if table is None or table.empty:
        return None, None
    rows = table[table["service"] == service].set_index("era")[column]
    now = rows.get(era)
    before = rows.get(era - 1)
    return (None if now is None or pd.isna(now) else float(now),
            None if before is None or pd.isna(before) else float(before))


def _range_words(results, service: str) -> str | None:
    from ..measures.capability import limits_by_system
    charts = (results.capability or {}).get("charts") or {}
    if service not in charts:
        return None
    now = limits_by_system(charts[service]).iloc[-1]
    if now["status"] == "predictable":
        return f"the system is predictable, and a case takes up to {now['upper']:.1f} days"
    if now["status"] == "not predictable":
        return "the system is not yet predictable, so no range can be promised"
    return None


def headline(results) -> str | None:
    """The check's headline, or None when the data gives no figure to lead with."""
    parts: list[str] = []
    change = _latest_change(results)
    overall = results.demand["overall"].iloc[0] if results.demand else None
    if change is not None:
        service, era = str(change["service"]), int(change["era"])
        wait_now, wait_before = _pair((results.flow or {}).get("figures"), service, era, "end_to_end_mean")
        fail_now, fail_before = _pair((results.demand or {}).get("by_system"), service, era, "failure_share")
        lead = f"Since {long_date(change['start'])}, {service}"
        said = []
        if wait_now is not None:
            said.append(f"customers wait {wait_now:.1f} days on average from first contact to solved"
                        + (f", against {wait_before:.1f} before" if wait_before is not None else ""))
        promise = _range_words(results, service)
        if promise:
            said.append(promise)
        if fail_now is not None:
            said.append(f"failure demand is {fail_now:.0%} of its contacts"
                        + (f", against {fail_before:.0%} before" if fail_before is not None else ""))
        if said:
            parts.append(f"{lead}: " + "; ".join(said) + ".")
    if overall is not None and overall["labelled"]:
        start, end = results.settings.get("period_start"), results.settings.get("period_end")
        span = (f"from {long_date(start)} to {long_date(end)}" if start is not None and end is not None
                else "over the whole of the data")
        parts.append(f"Across every service {span}, {overall['failure_share']:.0%} of demand is failure demand.")
    if change is None and results.flow:
        figures = results.flow["figures"]
        now = figures[figures["current"].astype(bool) & (figures["finished"] > 0)]
        if len(now) == 1:
            parts.append(f"Customers wait {float(now['end_to_end_mean'].iloc[0]):.1f} days on average from first "
                         "contact to solved.")
    text = " ".join(parts)
    while parts and len(text.split()) > HEADLINE_WORDS:
        parts.pop()
        text = " ".join(parts)
    return text or None
