"""An export of one row a case: each case's opened and closed dates, read as the events they are.

Every 311 export (San Francisco, Los Angeles, New York, Boston) and most CRM exports give a case
as one row: when it was opened, when it was closed (empty while it is open), and where the export
has them its service-level date, status and resolution. study.yml names such a file under
``cases:``; :func:`load_cases` checks it row by row (a row without an id or an opened date, an id
used twice, a date far outside the study, a case closed before it was opened: each set aside with
its reason) and turns each kept row into its events: ``Case opened`` at the opened date (it starts
both clocks) and ``Case closed`` at the closed date (it ends both). Every flow, capability and
waiting-list figure then reads them as it reads an event log. What such an export cannot show
(the steps inside a case, hand-offs, rework) is said where those sections are left out.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import StudylibWarning
from .codebooks import FlowCodebook, flow_codebook_from_dict
from .plausible import date_window, outside_window
from .rows import (EVENT_COLUMNS, SET_ASIDE_COLUMNS, empty_table, map_columns, one_service, rows_aside,
                   set_aside_missing, set_aside_outside_services, set_aside_repeated_ids, split_kept)
from .tables import parse_timestamps

__all__ = ["CASE_COLUMNS", "CASE_REQUIRED", "OPENED", "CLOSED", "case_codebook", "load_cases", "cases_events"]

#: The columns of a case export studylib reads (study.yml ``cases: {columns: ...}`` maps an export's own).
CASE_COLUMNS = ["case_id", "opened", "closed", "service", "due", "status", "resolution"]
CASE_REQUIRED = ["case_id", "opened"]
#: The two events a case row becomes.
OPENED, CLOSED = "Case opened", "Case closed"


def case_codebook() -> FlowCodebook:
    """What the two events of a case export mean, when the study has no flow codebook of its own:
    opening a case starts the customer's clock and the organisation's (a case is opened when the
    customer asks), closing it solves the case and stops both."""
    return flow_codebook_from_dict({"customer_start": [OPENED], "official_start": [OPENED],
                                    "solved": [CLOSED], "official_end": [CLOSED],
                                    "activities": {OPENED: "value", CLOSED: "value"}},
                                   source="the case export's two events")


def load_cases(frame_reader, spec: dict, label: str, config: dict, timestamps: dict):
    """Read a case export: ``(events, cases, quality rows, rows set aside, problems)``.

    ``frame_reader(columns)`` reads the raw table (every value text, index the spreadsheet row).
    ``events`` has the event log's columns (:data:`~studylib.read.rows.EVENT_COLUMNS`) and ``row``,
    the source row of the case; ``cases`` one row per kept case: ``case_id, opened, closed, due,
    service, status, resolution, row``.
    """
    raw = frame_reader(CASE_COLUMNS)
    frame, problems = map_columns(raw, spec, label=label, columns=CASE_COLUMNS, required=CASE_REQUIRED)
    nothing = (empty_table(EVENT_COLUMNS), empty_table(CASE_COLUMNS), [], pd.DataFrame(columns=SET_ASIDE_COLUMNS))
    if problems:
        return (*nothing, problems)
    rows_read = len(frame)
    if rows_read == 0:
        warnings.warn(f"{label} has a header but no rows", StudylibWarning, stacklevel=3)
    for col in ("case_id", "service", "status", "resolution"):
        frame[col] = frame[col].astype(str).str.strip()
    mapping = spec.get("columns") or {}
    for col in ("opened", "closed", "due"):
        stamps, probs = parse_timestamps(frame[col], label=label, column=mapping.get(col, col),
                                         **{**timestamps, "period": timestamps.get("period") if col == "opened" else None})
        problems += probs
        frame[col] = stamps
    if problems:
        return (*nothing, problems)
    for col in ("service", "status", "resolution"):
        frame[col] = frame[col].where(frame[col] != "", None)
    one_service(frame, config)
    aside, keep = set_aside_missing(frame, label, "case_id", ["case_id", "opened"])
    keep = set_aside_outside_services(frame, keep, aside, config, label, "case_id", "case")
    keep = set_aside_repeated_ids(frame, keep, aside, label, "case_id")
    window = date_window(config, config.get("timezone") or "UTC")
    for col in ("opened", "closed"):
        far, detail = outside_window(frame[col].where(keep), window)
        if far.any():
            aside.append(rows_aside(label, frame[far], "case_id", "implausible date", detail))
            keep &= ~far
    backwards = keep & frame["closed"].notna() & (frame["closed"] < frame["opened"])
    if backwards.any():
        rows = frame[backwards]
        aside.append(rows_aside(label, rows, "case_id", "case closed before it was opened",
                                [f"closed {c:%Y-%m-%d %H:%M} before it was opened {o:%Y-%m-%d %H:%M}"
                                 for o, c in zip(rows["opened"], rows["closed"])]))
        keep &= ~backwards
    cases, quality, aside_frame = split_kept(frame, keep, aside, CASE_COLUMNS, label, rows_read)
    return cases_events(cases), cases, quality, aside_frame, []


def cases_events(cases: pd.DataFrame) -> pd.DataFrame:
    """Each case's events, in the order they happened: opened, then closed where it has closed."""
    n = len(cases)
    closed = cases["closed"].notna().to_numpy()
    # Opened at 2i, closed at 2i + 1: each case's two events in recorded order, cases in file order.
    at = np.concatenate([2 * np.arange(n), 2 * np.flatnonzero(closed) + 1])
    order = np.argsort(at, kind="stable")
    take = np.concatenate([np.arange(n), np.flatnonzero(closed)])[order]
    is_open = np.concatenate([np.ones(n, dtype=bool), np.zeros(int(closed.sum()), dtype=bool)])[order]
    rows = cases.iloc[take].reset_index(drop=True)
    stamps = rows["opened"].where(pd.Series(is_open), rows["closed"])
    events = pd.DataFrame({
        "case_id": rows["case_id"],
        "activity": pd.Categorical(np.where(is_open, OPENED, CLOSED), categories=[OPENED, CLOSED]),
        "timestamp": stamps,
        "resource": pd.Series(None, index=rows.index, dtype=object),
        "lifecycle": pd.Series(None, index=rows.index, dtype=object),
        "service": rows["service"],
        "due": rows["due"],
        "row": rows["row"],
    })
    return events[EVENT_COLUMNS + ["row"]]

