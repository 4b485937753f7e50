"""Rows that read well but cannot be true: set aside at load, each with its reason, never absorbed.

A date in 1900 or 2100 parses; one such event makes a customer's wait 79 days instead of 15 and
moves every capability limit. A case whose organisation's clock closes before it opens gives
negative days. Two cases that share one id merge into one long case. Each is found here, while the
study is read, and set aside with the rows named, so that no figure downstream is moved by it.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["date_window", "outside_window", "case_problems"]

#: How far outside the study's period a date may lie and still be believed.
SLACK = pd.Timedelta(days=366)


def date_window(config: dict, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The dates a row of this study can believably carry: from a year before the period starts
    to a year after its end (or its as-of date); without a period, 1990 to a year from now."""
    period = config.get("period") or {}
    start, end = period.get("start"), period.get("end")
    as_of = config.get("as_of")
    last = max([t for t in (end, as_of) if t is not None], default=None)
    low = start - SLACK if start is not None else pd.Timestamp("1990-01-01", tz=timezone)
    high = (last + pd.Timedelta(days=1) + SLACK if last is not None
            else pd.Timestamp.now(tz=timezone).normalize() + SLACK)
    return low, high


def outside_window(stamps: pd.Series, window) -> tuple[pd.Series, list[str]]:
    """Which timestamps lie outside the believable window, and a detail for each."""
    low, high = window
    bad = stamps.notna() & ((stamps < low) | (stamps >= high))
    detail = [f"{t:%Y-%m-%d %H:%M} is far outside the study (believable: {low:%Y-%m-%d} to {high:%Y-%m-%d}); "
              "correct it, or widen period: in study.yml" for t in stamps[bad]]
    return bad, detail


def _first(frame: pd.DataFrame, activities: list[str]) -> pd.Series:
    return frame[frame["activity"].isin(activities)].groupby("case_id")["timestamp"].min()


def case_problems(frame: pd.DataFrame, keep: pd.Series, codebook) -> list[tuple[pd.Series, str, pd.Series]]:
    """Cases whose events cannot all be true, as ``(rows, reason, detail per row)``.

    - **closed before it was opened**: solved before its first contact (the customer's clock).
    - **organisation's clock runs backwards**: closed before it was registered.
    - **one id for two cases**: two first contacts (the codebook's ``customer_start``) at
      different times, so two cases share the id and would merge into one.
    """
    out = []
    if codebook is None:
        return out
    live = frame[keep]
    checks = []
    if codebook.solved and codebook.customer_start:
        opened, solved = _first(live, codebook.customer_start), _first(live, codebook.solved)
        checks.append(("case closed before it was opened", opened, solved,
                       "solved {b:%Y-%m-%d %H:%M} before its first contact {a:%Y-%m-%d %H:%M}; all its events set aside"))
    if codebook.official_start and codebook.official_end:
        registered, closed = _first(live, codebook.official_start), _first(live, codebook.official_end)
        checks.append(("organisation's clock runs backwards", registered, closed,
                       "closed {b:%Y-%m-%d %H:%M} before it was registered {a:%Y-%m-%d %H:%M}; all its events set aside"))
    for reason, first, second, words in checks:
        both = pd.concat([first.rename("a"), second.rename("b")], axis=1).dropna()
        bad = both[both["b"] < both["a"]]
        if len(bad):
            rows = keep & frame["case_id"].isin(bad.index)
            detail = frame.loc[rows, "case_id"].map(lambda c: words.format(a=bad.at[c, "a"], b=bad.at[c, "b"]))
            out.append((rows, reason, detail))
            keep = keep & ~rows
    if codebook.customer_start:
        live = frame[keep]
        starts = live[live["activity"].isin(codebook.customer_start)].drop_duplicates(["case_id", "timestamp"])
        twice = starts[starts["case_id"].duplicated(keep=False)]
        if len(twice):
            rows = keep & frame["case_id"].isin(twice["case_id"])
            where = {c: ", ".join(str(r) for r in g.index[:4]) for c, g in twice.groupby("case_id")}
            detail = frame.loc[rows, "case_id"].map(
                lambda c: f"two first contacts (rows {where[c]}): two cases seem to share this id; give each its "
                          "own id. All its events set aside")
            out.append((rows, "one id for two cases", detail))
    return out
