"""The study's capture store as a source of its contacts: read with the demand file by load_study, so
what a team captures reaches the check with no export.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..errors import CaptureError, DataError, StudylibWarning
from ..text import long_date
from .rows import demand_rows, quality_rows
from .stores import backend_for, is_url, stored_contacts

__all__ = ["capture_path", "has_capture", "load_captured", "combine_contacts", "outside_period"]


def capture_path(path: str | Path, config: dict) -> Path | str:
    """Where the study's capture store lives: study.yml ``capture:`` (a file in the folder, or a
    ``postgresql://`` server), or ``capture.sqlite`` in the folder."""
    named = config.get("capture")
    if is_url(named):
        return named
    return Path(path) / str(named or "capture.sqlite")


def has_capture(path: str | Path, config: dict) -> bool:
    """Whether the study has a capture store to read: a server named in study.yml, or the file."""
    where = capture_path(path, config)
    return isinstance(where, str) or where.exists()


def load_captured(path: Path, config: dict):
    """The contacts captured in the study's store, through the same checks as a demand file
    (None when the store holds none yet)."""
    where = capture_path(path, config)
    label = where.name if isinstance(where, Path) else "capture server"
    try:
        captured = stored_contacts(backend_for(where, 30.0))
    except CaptureError as exc:
        if isinstance(where, str):
            raise DataError([{"file": label, "row": None, "column": None, "value": None,
                              "problem": str(exc), "fix": "check capture: in study.yml, and that the server is up"}]) from None
        raise DataError(exc.problems) from None
    if captured.empty:
        return None
    raw = captured.drop(columns=["captured_by"]).assign(customer_ref="")
    raw = raw.astype(object).where(raw.notna(), "").astype(str)
    raw.index = pd.RangeIndex(1, len(raw) + 1)   # the order stored
    read = demand_rows(raw, {}, label, config, {"formats": None, "dayfirst": False,
                                                "timezone": config.get("timezone")})
    _say_outside_period(captured["received_at"], config, label)
    return read


def outside_period(stamps: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Which contact times lie outside the study's period, judged in whole days of the period's own
    timezone, from its start to its end (a time that is missing or not a time is not outside)."""
    when = pd.to_datetime(stamps, utc=True, format="ISO8601", errors="coerce")
    day = when.dt.tz_convert(start.tz).dt.normalize()
    return ((day < start.normalize()) | (day > end.normalize())).fillna(False).astype(bool)


def _say_outside_period(stamps: pd.Series, config: dict, label: str) -> None:
    """Warn, in words and with the fix, when captured contacts are dated outside the study's period:
    the check leaves them out (set aside when far outside, left out of the period's figures when near)."""
    period = config.get("period") or {}
    start, end = period.get("start"), period.get("end")
    if start is None or end is None:
        return
    outside = outside_period(stamps, start, end)
    if not outside.any():
        return
    n = int(outside.sum())
    days = pd.to_datetime(stamps[outside], utc=True, format="ISO8601").dt.tz_convert(start.tz)
    shown = sorted({long_date(d) for d in days})
    dated = ", ".join(shown[:3]) + (f" and {len(shown) - 3} more days" if len(shown) > 3 else "")
    warnings.warn(StudylibWarning(
        f"{n:,} contact{'' if n == 1 else 's'} captured in {label} {'is' if n == 1 else 'are'} dated outside the "
        f"study's period ({long_date(start)} to {long_date(end)}), on {dated}, so the check leaves "
        f"{'it' if n == 1 else 'them'} out. The capture form takes each contact's date and time in its When box "
        "(a paper sheet, or practice on the sample: a date in the period); if the study runs on, widen period: in "
        "study.yml"), stacklevel=2)


def combine_contacts(first, second):
    """Contacts of the demand file and of the capture store as one table; a captured contact whose
    id the file already holds (exported and still in the store) is set aside, not counted twice."""
    (demand, channel_map, quality, aside), (more, more_map, more_quality, more_aside) = first, second
    label = more_quality[0]["file"] if more_quality else "capture"
    seen = dict(zip(demand["contact_id"], demand["row"]))
    dup = more["contact_id"].isin(seen)
    if dup.any():
        extra = pd.DataFrame({"file": label, "row": more.loc[dup, "row"].astype(int).values,
                              "id": more.loc[dup, "contact_id"].values, "reason": "duplicate contact_id",
                              "detail": [f"already in the demand file, row {seen[i]}" for i in more.loc[dup, "contact_id"]]})
        more_aside = pd.concat([more_aside, extra], ignore_index=True)
        rows_read = more_quality[0]["rows_read"]
        more_quality = quality_rows(label, rows_read, more_aside)
        more = more[~dup]
    parts = [f for f in (demand, more) if len(f)] or [demand]
    maps = [m for m in (channel_map, more_map) if m is not None and len(m)]
    combined_map = (pd.concat(maps).groupby(["spelling", "channel"], as_index=False)["rows"].sum() if maps
                    else pd.DataFrame(columns=["spelling", "channel", "rows"]))
    return (pd.concat(parts, ignore_index=True), combined_map, quality + more_quality,
            pd.concat([aside, more_aside], ignore_index=True))
