"""The headline of a check: one paragraph, at most 60 words, in the time frame of the system as it
is now, with the figures that matter. It opens the front page and the summary.

Where a dated change split a service, the headline speaks of that service since its latest change,
and sets each figure beside the one before ("Since 10 March 2025, Housing repairs take 4.4 days on
average ..., against 24.9 before"). A figure over the whole period says so in words.
"""
from __future__ import annotations

import pandas as pd

from ..text import long_date

__all__ = ["headline", "HEADLINE_WORDS", "period_words", "failure_now_words"]

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
    limits = (results.capability or {}).get("limits") or {}
    if service not in limits:
        return None
    now = limits[service].iloc[-1]
    if now["status"] == "predictable":
        return f"the system is predictable, its upper limit {now['upper']:.1f} days"
    if now["status"] == "not predictable":
        return "the system is not yet predictable, so no range can be promised"
    return None


def period_words(results) -> str:
    """The study period in words: "from 6 January 2025 to 11 May 2025", or "over the whole of the data"."""
    start, end = results.settings.get("period_start"), results.settings.get("period_end")
    return (f"from {long_date(start)} to {long_date(end)}" if start is not None and end is not None
            else "over the whole of the data")


def failure_now_words(results) -> str | None:
    """Failure demand of the service changed latest, since its change, beside the share before:
    "Housing repairs since 10 March 2025: 43%, against 66% before"; None without a dated change."""
    change = _latest_change(results)
    if change is None:
        return None
    service, era = str(change["service"]), int(change["era"])
    now, before = _pair((results.demand or {}).get("by_system"), service, era, "failure_share")
    if now is None:
        return None
    return (f"{service} since {long_date(change['start'])}: {now:.0%}"
            + (f", against {before:.0%} before" if before is not None else ""))


def _fallback(results) -> list[str]:
    """With no change, no label and no finished case, the headline is what the data does show:
    who is waiting now, or how much demand came in and what is still to do before it can be judged."""
    flow = results.flow or {}
    if flow.get("waiting_summary") is not None and "times" in flow:
        from .people import waiting_sentence
        times = flow["times"]
        lead = "No case has finished yet. " if times["is_open"].astype(bool).all() else ""
        return [lead + waiting_sentence(flow["waiting_summary"], times.attrs.get("as_of"))]
    overall = results.demand["overall"].iloc[0] if results.demand else None
    if overall is not None:
        return [f"{int(overall['contacts']):,} contacts {period_words(results)}; none is labelled value or failure yet, "
                "so how much of the demand is failure cannot be told."]
    return ["Nothing to conclude yet: the study holds no contacts and no case events. Add what customers ask for "
            "or the cases' events to the study, and run the check again."]


def headline(results) -> str | None:
    """The check's headline: the figures that matter, or, where the data gives none yet, what it
    does show (who is waiting, how much demand came in) or what to add."""
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
        parts.append(f"Across every service {period_words(results)}, {overall['failure_share']:.0%} of demand is "
                     "failure demand.")
    if change is None and results.flow:
        figures = results.flow["figures"]
        now = figures[figures["current"].astype(bool) & (figures["finished"] > 0)]
        if len(now) == 1 and "solved" in (results.flow.get("lacks") or {}):
            parts.append(f"Cases run {float(now['end_to_end_mean'].iloc[0]):.1f} days on average from their first to "
                         "their last recorded event (nothing in the data says when a case is solved).")
        elif len(now) == 1:
            parts.append(f"Customers wait {float(now['end_to_end_mean'].iloc[0]):.1f} days on average from first "
                         "contact to solved.")
        elif len(now) > 1 and results.flow.get("all_services", {}).get("finished"):
            every = results.flow["all_services"]
            parts.append(f"Across all {every['services']:,} services, customers wait {every['end_to_end_mean']:.1f} "
                         "days on average from first contact to solved.")
    if not parts:
        parts = _fallback(results)
    text = " ".join(parts)
    while parts and len(text.split()) > HEADLINE_WORDS:
        parts.pop()
        text = " ".join(parts)
    return text or None
