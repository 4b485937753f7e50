"""What counting only finished cases hides, shown on the study's own cases by cutting the data short.

A system whose cases have all finished shows no gap between the finished-only figures and the
Kaplan-Meier ones: nothing is open. Seen as if the data had ended part way (when 85% of its cases
had started), many of those same cases are still open, and the slowest most of all: the finished
ones alone give a shorter median than the cases in fact took, and the estimate that counts each
open case for as long as it had waited comes close to the truth, which the full data knows.
"""
from __future__ import annotations

import pandas as pd

from ..measures.flow import open_case_effect
from ..text import long_date

__all__ = ["cut_short"]


def cut_short(results, *, started: float = 0.85, min_cases: int = 50) -> dict | None:
    """The earliest system with at least ``min_cases`` cases, at most 5% of them open, seen as if
    the data had ended when ``started`` of its cases had begun; None where the study has no such
    system. Returns ``date, system, cases, open, finished_only, estimate, truth`` (each a
    ``(median, 85th percentile)`` in days) and ``sentence``."""
    if not results.flow:
        return None
    times, figures = results.flow["times"], results.flow["figures"]
    done = figures[(figures["cases"] >= min_cases) & (figures["open"] <= 0.05 * figures["cases"])]
    if done.empty:
        return None
    row = done.sort_values("era", kind="stable").iloc[0]
    cases = times[(times["service"] == row["service"]) & (times["era"] == row["era"]) & ~times["is_open"].astype(bool)]
    cutoff = cases["customer_start"].quantile(started).normalize()
    seen = cases[cases["customer_start"] < cutoff].copy()
    truth = open_case_effect(seen)["closed_only"].tolist()          # all finished: the figures as they were
    seen["is_open"] = seen["end"] > cutoff
    seen["end_to_end_days"] = (seen["end"].where(~seen["is_open"], cutoff) - seen["customer_start"]) / pd.Timedelta(days=1)
    effect = open_case_effect(seen)
    finished, estimate = effect["closed_only"].tolist(), effect["estimate"].tolist()
    system = ", ".join(str(x) for x in (row["service"], row["system"]) if x is not None and x == x)
    n_open = int(seen["is_open"].sum())

    def pair(values):
        return " and ".join(f"{v:.1f}" if v == v and v != float("inf") else "not yet known" for v in values)
    sentence = (f"Had the data ended on {long_date(cutoff)}, {n_open:,} of the {len(seen):,} cases of {system} would "
                f"still have been open. Counting only the finished ones gives a median of {finished[0]:.1f} days and "
                f"an 85th percentile of {finished[1]:.1f}; counting the open cases for as long as they had waited gives "
                f"{pair(estimate)}. Those cases in fact took {truth[0]:.1f} and {truth[1]:.1f} days: the finished cases "
                f"alone made the service look {truth[0] - finished[0]:.1f} days faster at the median.")
    return {"date": cutoff, "system": system, "cases": len(seen), "open": n_open, "finished_only": tuple(finished),
            "estimate": tuple(estimate), "truth": tuple(truth), "sentence": sentence}
