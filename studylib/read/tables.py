"""Reading a table from a study folder, and parsing its values, collecting every problem.

Nothing here raises on a bad *value*: parsers return what they could parse and a list of
problem records (see :data:`studylib.errors.PROBLEM_COLUMNS`) so that the caller can report every
problem at once. File-level problems (missing, empty, undecodable) raise :class:`DataError` at once,
because nothing below them can be checked.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .csvtext import file_problem, read_csv_file
from .headers import header_further_down, headed_columns

__all__ = [
    "read_raw_table",
    "parse_timestamps",
    "parse_booleans",
    "parse_numbers",
    "normalise_channels",
    "known_channel",
    "DEFAULT_CHANNELS",
    "ISO8601",
]

ISO8601 = "ISO8601"

#: Built-in spellings of each channel. study.yml ``channels:`` adds to these (and wins).
DEFAULT_CHANNELS: dict[str, list[str]] = {
    "phone": ["phone", "telephone", "tel", "call", "calls", "phone call", "voicemail",
              "call centre", "call center", "contact centre", "contact center"],
    "email": ["email", "e-mail", "e mail", "mail (electronic)"],
    "web": ["web", "web form", "webform", "online", "online form", "website", "internet",
            "self service", "self-service", "portal"],
    "app": ["app", "mobile app", "mobile", "mobile/open311", "open311", "smartphone app"],
    "face_to_face": ["face to face", "face-to-face", "f2f", "in person", "walk-in", "walk in",
                     "visit", "counter", "reception", "front desk"],
    "letter": ["letter", "post", "paper", "written"],
    "social": ["social", "social media", "twitter", "x", "facebook", "instagram"],
    "chat": ["chat", "webchat", "web chat", "live chat"],
    "other": ["other", "unknown", "not known"],
}

_SEPARATORS = re.compile(r"[\s_\-/]+")


def _spelling_key(value: str) -> str:
    return _SEPARATORS.sub(" ", str(value).strip().lower()).strip()


def read_raw_table(path: Path, *, label: str, encoding: str = "utf-8",
                   delimiter: str | None = None, sheet: str | int | None = None,
                   expected_columns: list[str] | None = None, header_row: int | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file with every value as a string.

    Ids stay strings and nothing is turned into a missing value by guessing: the id ``NA`` is an
    id. Missing cells are empty strings. The index is the spreadsheet row number (the header is
    row 1, or ``header_row`` where title rows sit above it).

    A column with values but no header (its header cell merged into the one beside it) is refused,
    never dropped; a column with neither is dropped. When none of ``expected_columns`` is in the
    header but one of the next rows holds them, the header row is named.

    Raises
    ------
    DataError
        The file is missing, empty, not UTF-8 (or the configured encoding), or cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([file_problem(label, "does not exist",
                                       f"check the path in study.yml (looked for {path})")])
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    if path.is_dir():
        raise DataError([file_problem(label, "is a folder, not a file", "name the data file in study.yml")])
    if not path.is_file():
        raise DataError([file_problem(label, "is not a file studylib can read twice (a pipe, a socket or a device)",
                                       "save the data to a file, and name that file in study.yml")])
    if path.stat().st_size == 0:
        raise DataError([file_problem(label, "is empty (0 bytes, not even a header row)",
                                       "export the data again, or remove the file from study.yml")])
    try:
        frame = _read_any(path, suffix, label=label, encoding=encoding, delimiter=delimiter, sheet=sheet,
                          expected_columns=expected_columns, header_row=header_row or 1)
    except DataError:
        raise
    except Exception as exc:   # a foreign file's reader fails in its own ways: said in words, never a traceback
        kind = {".xlsx": "an Excel workbook", ".xlsm": "an Excel workbook", ".xls": "an Excel workbook",
                ".parquet": "a Parquet file"}.get(suffix, "a table")
        from ..text import no_paths
        reason = no_paths(str(exc).splitlines()[0][:160]) if str(exc) else type(exc).__name__
        fix = ("export it again, or check sheet: in study.yml" if "Excel" in kind
               else "export it again, or check the file's name in study.yml")
        raise DataError([file_problem(label, f"cannot be read as {kind} ({reason})", fix)]) from None
    if header_row is None:
        header_further_down(frame, label, expected_columns)
    return headed_columns(frame, label, excel=suffix in (".xlsx", ".xlsm", ".xls"))


def _read_any(path: Path, suffix: str, *, label: str, encoding: str, delimiter: str | None,
              sheet, expected_columns, header_row: int = 1) -> pd.DataFrame:
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, na_filter=False, header=header_row - 1)
        frame = frame.astype(str)
        frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame), name="row")
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(frame[col]):
                frame[col] = frame[col].map(lambda t: "" if pd.isna(t) else t.isoformat())
            else:
                frame[col] = frame[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    else:
        frame = read_csv_file(path, label=label, encoding=encoding, delimiter=delimiter,
                          expected_columns=expected_columns, skip=header_row - 1)
    frame.columns = [str(c).strip() for c in frame.columns]
    if not isinstance(frame.index, pd.Index) or frame.index.name != "row":
        frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame


_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
# Formats we try only to *explain* a failure ("this looks day-first"), never to parse silently.
_HINT_FORMATS = {
    "day-first (e.g. 28/02/2024)": ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"],
    "month-first (e.g. 02/28/2024)": ["%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"],
    "ISO 8601 (e.g. 2024-02-28 14:05)": [ISO8601],
}
DAYFIRST_FORMATS = [ISO8601, "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"]


def _describe_formats(formats: list[str]) -> str:
    return " or ".join("ISO 8601 (e.g. 2024-02-28 14:05)" if f == ISO8601 else repr(f) for f in formats)


def parse_timestamps(values: pd.Series, *, formats: list[str] | None, dayfirst: bool,
                     timezone: str | None, label: str, column: str, period: tuple | None = None
                     ) -> tuple[pd.Series, list[dict]]:
    """Parse strings into timezone-aware timestamps with explicit formats.

    Each value is parsed by the first of ``formats`` that fits (default ISO 8601; with
    ``dayfirst`` also ``dd/mm/yyyy [HH:MM[:SS]]``). Values with a UTC offset keep their instant;
    values without one are local times in ``timezone`` (ambiguous autumn hours are taken as
    standard time, spring-forward gaps are shifted forward). The result is in ``timezone``
    (UTC when none is set). Empty values become NaT with no problem: the caller decides.

    A date such as 03/04/2025 reads both day-first and month-first. When two listed formats read
    the same values as different dates, or when the order used puts dates outside the study's
    ``period`` (start, end) that the other order would put inside it, that is a problem: which
    date is meant cannot be told, and guessing would move every figure.

    Returns
    -------
    (Series of datetime64[ns, tz], list of problem records)
    """
    if formats is None:
        formats = list(DAYFIRST_FORMATS) if dayfirst else [ISO8601]
    tz = timezone or "UTC"
    text = values.astype(str).str.strip()
    present = text != ""
    has_offset = text.str.contains(_TZ_SUFFIX) & present
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {tz}]")
    problems: list[dict] = []

    if timezone is None and (present & ~has_offset).any():
        first = text[present & ~has_offset]
        problems.append({
            "file": label, "row": int(first.index[0]), "column": column, "value": first.iloc[0],
            "problem": (f"has no UTC offset, and study.yml sets no timezone "
                        f"({len(first)} such value{'s' if len(first) != 1 else ''})"),
            "fix": "add timezone: Europe/London (or the service's zone) to study.yml, "
                   "or export timestamps with their offset, e.g. 2024-02-28T14:05:00+00:00",
        })
        return out, problems

    remaining = present.copy()
    for fmt in formats:
        if not remaining.any():
            break
        for aware in (True, False):
            mask = remaining & (has_offset if aware else ~has_offset)
            if not mask.any():
                continue
            kwargs = {"format": fmt} if fmt != ISO8601 else {"format": "ISO8601"}
            parsed = _to_datetime(text[mask], utc=aware, **kwargs)
            ok = parsed.notna()
            if not ok.any():
                continue
            good = parsed[ok]
            if aware:
                good = good.dt.tz_convert(tz)
            else:
                good = good.dt.tz_localize(tz, ambiguous=np.zeros(len(good), dtype=bool),
                                           nonexistent="shift_forward")
            out.loc[good.index] = good
            remaining.loc[good.index] = False

    problems += _ambiguous(text, present & ~remaining, out, formats, period, label=label, column=column)
    if remaining.any():
        bad = text[remaining]

        def fits(fmts):
            fit = pd.Series(False, index=bad.index)
            for f in fmts:
                fit |= pd.to_datetime(bad, errors="coerce", format=f if f != ISO8601 else "ISO8601").notna()
            return fit
        fit = {name: fits(fmts) for name, fmts in _HINT_FORMATS.items() if not any(f in formats for f in fmts)}
        day, month = next((k for k in fit if k.startswith("day")), None), next((k for k in fit if k.startswith("month")), None)
        if day and month:
            # 03/04/2025 fits both: only a value with a day above 12 tells the order.
            only_day, only_month = (fit[day] & ~fit[month]).sum(), (fit[month] & ~fit[day]).sum()
            if only_month and not only_day:
                fit.pop(day)
            elif only_day and not only_month:
                fit.pop(month)
        hints = [name for name, f in fit.items() if f.any()]
        n_ok = int((present & ~remaining).sum())
        if hints and n_ok:
            fix = (f"the column mixes formats: {n_ok} values fit {_describe_formats(formats)} and "
                   f"{len(bad)} look {' or '.join(hints)}; list every format used under "
                   f"timestamp_formats: in study.yml (or set dayfirst: true), or correct these rows")
        elif hints:
            month_first = all(h.startswith("month-first") for h in hints)
            both = len([h for h in hints if h.startswith(("day", "month"))]) == 2
            fix = (f"these look {' or '.join(hints)}"
                   + ("; no value has a day above 12, so which comes first cannot be told from the data: "
                      "check the export, then set timestamp_formats: ['%d/%m/%Y %H:%M'] or ['%m/%d/%Y %H:%M']"
                      if both else
                      "; set timestamp_formats: " + ("['%m/%d/%Y %H:%M'] (the month first; not dayfirst)" if month_first
                                                     else "(or dayfirst: true)"))
                   + " for this table in study.yml")
        else:
            fix = f"expected {_describe_formats(formats)}; correct the value or list its format under timestamp_formats: in study.yml"
        for row, value in bad.items():
            problems.append({"file": label, "row": int(row), "column": column, "value": value,
                             "problem": "is not a date", "fix": fix})
    return out, problems


def _to_datetime(text: pd.Series, **how) -> pd.Series:
    """``pd.to_datetime(text, errors="coerce", **how)``, each distinct value parsed once: a service's
    export stamps to the minute or the day, so a year's million contacts hold far fewer distinct
    times than rows, and parsing is most of reading them."""
    codes, distinct = pd.factorize(text)
    if len(distinct) > len(text) // 2:
        return pd.to_datetime(text, errors="coerce", **how)
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object), errors="coerce", **how)
    values = parsed.array.take(codes, allow_fill=True)
    return pd.Series(values, index=text.index, name=text.name)


def _swapped(fmt: str) -> str | None:
    """The same format with day and month the other way round, if it has both."""
    if "%d" in fmt and "%m" in fmt:
        return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return None


def _ambiguous(text: pd.Series, parsed_mask: pd.Series, parsed: pd.Series, formats: list[str],
               period, *, label: str, column: str) -> list[dict]:
    """Problems when values read as one date by one order could as well be another date."""
    problems, seen = [], set()
    for fmt in formats:
        other = _swapped(fmt) if fmt != ISO8601 else None
        if other is None or frozenset((fmt, other)) in seen:
            continue
        seen.add(frozenset((fmt, other)))
        # Only a value whose day of the month is 12 or less reads as two dates: the others are left
        # out before parsing (two parses of a million stamps took seconds). The day is the parsed
        # one, which a UTC offset can move by one, across a month's end too: hence 13 and 28.
        day = parsed.dt.day
        could = parsed_mask & ((day <= 13) | (day >= 28))
        # utc=True and then no zone: values with offsets (mixed ones too) as UTC, the others as read
        mine = _to_datetime(text[could], format=fmt, utc=True).dt.tz_localize(None)
        theirs = _to_datetime(text[could], format=other, utc=True).dt.tz_localize(None)
        both = mine.notna() & theirs.notna() & (mine != theirs)
        if not both.any():
            continue
        rows = both[both].index
        example = f"{text[rows[0]]!r} (row {int(rows[0])})"
        if other in formats:
            problems.append({"file": label, "row": int(rows[0]), "column": column, "value": text[rows[0]],
                             "problem": (f"and {len(rows) - 1:,} more values fit both {fmt!r} and {other!r}, which "
                                         "timestamp_formats both list, as different dates"),
                             "fix": "keep only the format the export uses (day first or month first) in timestamp_formats"})
            continue
        if period is None or period[0] is None or period[1] is None:
            continue
        start, end = period[0], period[1] + pd.Timedelta(days=1)
        local = parsed[rows].dt.tz_localize(None)
        outside_mine = ((local < start.tz_localize(None)) | (local >= end.tz_localize(None))).sum()
        alt = theirs[rows]
        outside_theirs = ((alt < start.tz_localize(None)) | (alt >= end.tz_localize(None))).sum()
        if outside_mine > outside_theirs and outside_mine >= max(1, 0.05 * parsed_mask.sum()):
            order = "day first" if fmt.index("%d") < fmt.index("%m") else "month first"
            other_order = "month first" if order == "day first" else "day first"
            problems.append({"file": label, "row": int(rows[0]), "column": column, "value": text[rows[0]],
                             "problem": (f"reads as two dates: {len(rows):,} values such as {example} fit day and month "
                                         f"either way. Read {order}, {outside_mine:,} fall outside the study period; "
                                         f"read {other_order}, {outside_theirs:,} do"),
                             "fix": (f"the export is likely {other_order}: set timestamp_formats: [{other!r}] for this "
                                     "table in study.yml" + (" and remove dayfirst: true" if order == "day first" else ""))})
    return problems


_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}


def parse_booleans(values: pd.Series, *, label: str, column: str) -> tuple[pd.Series, list[dict]]:
    """yes/no, y/n, true/false, 1/0 (any case) into a nullable boolean; empty is missing."""
    key = values.astype(str).str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[key.isin(_TRUE)] = True
    out[key.isin(_FALSE)] = False
    bad = key[(key != "") & ~key.isin(_TRUE | _FALSE)]
    problems = [{"file": label, "row": int(r), "column": column, "value": values[r],
                 "problem": "is not yes or no", "fix": "use yes/no, true/false or 1/0, or leave it empty"}
                for r in bad.index]
    return out, problems


def parse_numbers(values: pd.Series, *, label: str, column: str, low: float | None = None,
                  high: float | None = None) -> tuple[pd.Series, list[dict]]:
    """Decimal numbers; empty is missing; values outside [low, high] are problems."""
    text = values.astype(str).str.strip()
    out = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    problems = []
    for r in text[(text != "") & out.isna()].index:
        problems.append({"file": label, "row": int(r), "column": column, "value": values[r],
                         "problem": "is not a number", "fix": "use a decimal number such as 51.5074, or leave it empty"})
    if low is not None and high is not None:
        for r in out[(out < low) | (out > high)].index:
            problems.append({"file": label, "row": int(r), "column": column, "value": values[r],
                             "problem": f"is outside {low:g} to {high:g}",
                             "fix": "check the latitude and longitude are not swapped or in another unit"})
    return out, problems


def normalise_channels(values: pd.Series, extra: dict[str, list[str]] | None, *, label: str,
                       column: str = "channel") -> tuple[pd.Series, pd.DataFrame, list[dict]]:
    """Map each spelling of a channel to its canonical name.

    Returns the canonical channels, the mapping table actually used (``spelling, channel, rows``),
    and one problem per unknown spelling (with its count and first row). Each distinct spelling is
    looked up once, so a file of a million contacts costs about as much as its few spellings.
    """
    lookup = dict(_default_channel_lookup())
    for channel, spellings in (extra or {}).items():
        lookup[_spelling_key(channel)] = str(channel)
        for s in ([spellings] if isinstance(spellings, str) else spellings or []):
            lookup[_spelling_key(s)] = str(channel)
    text = values.astype(str)
    codes, spellings = pd.factorize(text, sort=True)          # a missing value has code -1
    keys = [_spelling_key(s) for s in spellings]
    found = np.array([lookup.get(k) for k in keys] + [None], dtype=object)    # [-1]: a missing value
    out = pd.Series(found[codes], index=values.index).astype("str")
    rows = np.bincount(codes[codes >= 0], minlength=len(spellings)).astype(np.int64)
    used = pd.DataFrame({"spelling": pd.Series(spellings, dtype="str"),
                         "channel": pd.Series(found[:-1], dtype="str"), "rows": rows})
    problems = []
    unknown = [j for j, key in enumerate(keys) if found[j] is None and key != ""]
    if unknown:
        present, first = np.unique(codes, return_index=True)
        first_row = values.index[first[np.searchsorted(present, unknown)]]
        for j, row in zip(unknown, first_row):
            problems.append({
                "file": label, "row": int(row), "column": column, "value": spellings[j],
                "problem": f"is not a known channel ({rows[j]} row{'s' if rows[j] != 1 else ''})",
                "fix": (f"say which channel it is under channels: in study.yml, e.g. channels: "
                        f"{{other: [{spellings[j]!r}]}} when the export does not say how the customer came "
                        f"(a channel given a unit cost is priced); known channels: "
                        f"{', '.join(sorted(set(lookup.values())))}"),
            })
    return out, used, problems


@functools.lru_cache(maxsize=1)
def _default_channel_lookup() -> dict[str, str]:
    """Each default spelling's key -> its channel (built once)."""
    return {_spelling_key(s): channel for channel, spellings in DEFAULT_CHANNELS.items() for s in spellings}


def known_channel(spelling: str) -> str | None:
    """The channel a spelling names among the built-in ones (:data:`DEFAULT_CHANNELS`), or None."""
    return _default_channel_lookup().get(_spelling_key(spelling))


def is_blank(values: pd.Series) -> np.ndarray:
    """Where a column holds nothing: missing, or only spaces."""
    return (values.isna() | values.astype(str).str.strip().eq("")).to_numpy()
