"""What a person types in the capture form's *When* box, read one way or refused with the fix.

The same rules as a demand file's timestamps, for one value typed by hand: a date that reads two
ways (03/04/2025, 03.04.2025, 03-04-2025) is refused; a local time that does not exist (the hour the
clocks go forward) or happens twice (the hour they go back) is named, with how to write it; a date
outside 1900–2100 is refused; a date without a time of day, or a month without a day, is refused
rather than read as midnight on the first.
"""
from __future__ import annotations

import re

import pandas as pd

from ..errors import CaptureError

__all__ = ["read_when", "EXAMPLE"]

#: How a time is asked for, in every message.
EXAMPLE = "2025-03-14 10:30"

_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?"
_OFFSET = r"(?P<offset>Z|[+-]\d{2}:?\d{2})?"
_FORMS = [
    ("iso", re.compile(rf"^(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?:[ T]+{_TIME})?\s*{_OFFSET}$", re.I)),
    ("numbers", re.compile(rf"^(?P<a>\d{{1,2}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep)(?P<year>\d{{4}})(?:[ T,]+{_TIME})?$", re.I)),
    ("day month", re.compile(rf"^(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<name>[a-z]+)\.?,?\s+(?P<year>\d{{4}})(?:[ ,]+(?:at\s+)?{_TIME})?$", re.I)),
    ("month day", re.compile(rf"^(?P<name>[a-z]+)\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?:[ ,]+(?:at\s+)?{_TIME})?$", re.I)),
]


def read_when(text: str, timezone: str) -> pd.Timestamp | None:
    """The time typed, in ``timezone`` (None when nothing was typed: now), or :class:`CaptureError`
    saying why it cannot be read and how to write it."""
    text = " ".join((text or "").split())
    if not text:
        return None
    for form, pattern in _FORMS:
        found = pattern.match(text)
        if found:
            return _stamp(text, form, found.groupdict(), timezone)
    raise CaptureError(f"'{text}' is not a date and time studylib can read: write it as {EXAMPLE} "
                       "(a day, a month, a year and a time of day), or leave When empty for now")


def _stamp(text: str, form: str, parts: dict, timezone: str) -> pd.Timestamp:
    year = int(parts["year"])
    if form == "numbers":
        a, b = int(parts["a"]), int(parts["b"])
        if a <= 12 and b <= 12 and a != b:
            raise CaptureError(f"'{text}' reads two ways ({_day_month(a, b, year)} or {_day_month(b, a, year)}?): "
                               f"write it as {EXAMPLE}, year first")
        day, month = (a, b) if a > 12 or a == b else (b, a)
    else:
        day = int(parts["day"])
        month = int(parts["month"]) if form == "iso" else _MONTHS.get(parts["name"].lower())
        if month is None:
            raise CaptureError(f"'{text}': {parts['name']!r} is not a month; write it as {EXAMPLE}")
    if not 1900 <= year <= 2100:
        raise CaptureError(f"'{text}': the year {year} cannot be a contact's; write it as {EXAMPLE}")
    if parts.get("hour") is None:
        raise CaptureError(f"'{text}' has no time of day: write it as {text} 10:30 (the hour is charted), "
                           "or leave When empty for now")
    hour, minute = int(parts["hour"]), int(parts["minute"])
    if parts.get("ampm"):
        if not 1 <= hour <= 12:
            raise CaptureError(f"'{text}': {hour} is not an hour with am or pm; write it as {EXAMPLE}")
        hour = hour % 12 + (12 if parts["ampm"].lower().startswith("p") else 0)
    try:
        local = pd.Timestamp(year=year, month=month, day=day, hour=hour, minute=minute,
                             second=int(parts.get("second") or 0))
    except ValueError:
        raise CaptureError(f"'{text}' is not a day and time on the calendar; write it as {EXAMPLE}") from None
    if parts.get("offset"):
        offset = parts["offset"].upper().replace("Z", "+00:00")
        return pd.Timestamp(f"{local.isoformat()}{offset}").tz_convert(timezone)
    return _local(text, local, timezone)


def _local(text: str, local: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """A wall-clock time in ``timezone``; one that the clocks skip or show twice is named."""
    at = f"{local:%Y-%m-%d %H:%M}"
    if pd.isna(local.tz_localize(timezone, ambiguous=False, nonexistent="NaT")):
        later = (local + pd.Timedelta(hours=1)).strftime("%H:%M")
        raise CaptureError(f"'{text}' did not happen in {timezone}: the clocks went forward that night and skipped "
                           f"that hour. Write the time the clocks showed, e.g. {at[:11]}{later}") from None
    summer = local.tz_localize(timezone, ambiguous=True).strftime("%z")
    winter = local.tz_localize(timezone, ambiguous=False).strftime("%z")
    if summer == winter:
        return local.tz_localize(timezone)
    raise CaptureError(f"'{text}' happened twice in {timezone}: the clocks went back that night. Say which: "
                       f"{at}{summer[:3]}:{summer[3:]} (the first, before the change) or "
                       f"{at}{winter[:3]}:{winter[3:]} (the second)") from None


def _day_month(day: int, month: int, year: int) -> str:
    return f"{day} {pd.Timestamp(year=2000, month=month, day=1):%B}"
