"""``studylib new DIR --from EXPORT``: a study.yml that maps a service's export as it comes.

An export (a 311 city's, a CRM's) names its columns its own way: ``SRNumber``, ``Created Date``,
``open_dt``. :func:`map_export` reads its header and its rows, and guesses which column is which:
the id, when each case was opened and closed, its service, the channel it came through, its place;
how its dates are written (a format that reads two ways is asked, never guessed); the period and
the as-of date from the data. It writes a study.yml that maps both the contacts (``demand:``) and the
cases (``cases:``, one row a case) from the same file, with every guess commented, and returns the
guesses to print. It writes no target, no cost and no currency: those are the team's to say.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import StudylibError
from .headers import HeaderBelow
from .tables import read_raw_table

__all__ = ["ExportMap", "map_export", "study_yaml", "summary_of", "DATE_FORMATS"]

#: What each column studylib reads is called in exports seen so far (names compared in lower case,
#: without spaces or punctuation), best first.
NAMES = {
    "id": ["srnumber", "uniquekey", "caseenquiryid", "servicerequestid", "requestid", "caseid", "casenumber",
           "ticketid", "ticketnumber", "incidentid", "reference", "ref", "id"],
    "opened": ["createddate", "created", "createdat", "opendt", "opened", "openeddate", "requesteddatetime",
               "requesteddate", "receivedat", "received", "datereceived", "reporteddate", "startdate", "opendate"],
    "closed": ["closeddate", "closed", "closedat", "closeddt", "closedate", "resolveddate", "resolvedat",
               "completeddate", "enddate", "dateclosed"],
    "due": ["duedate", "due", "slatargetdt", "slatarget", "targetdate", "sladuedate", "expecteddate"],
    "service": ["category", "servicename", "service", "requesttype", "type", "complainttype", "department",
                "agency", "servicearea", "categoryid", "servicetypeid", "requesttypeid", "typeid"],
    "demand_type": ["complainttype", "requesttype", "descriptor", "type", "subject", "reason", "subcategory"],
    "channel": ["source", "requestsource", "opendatachanneltype", "channel", "channeltype", "origin",
                "contactmethod", "method", "medium", "sourceid", "channelid"],
    "status": ["status", "casestatus", "state"],
    "resolution": ["resolutiondescription", "closurereason", "statusnotes", "resolution", "outcome"],
    "latitude": ["latitude", "lat", "y"],
    "longitude": ["longitude", "lon", "lng", "long", "x"],
    "address": ["address", "incidentaddress", "location", "fulladdress", "streetaddress"],
}

#: How exports write their dates and times, tried in this order.
DATE_FORMATS = ["ISO8601", "%m/%d/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                "%d.%m.%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d"]

#: Where the cases are (the median latitude and longitude), for the time zone's first guess.
_ZONES = [("Europe/London", (49.8, 61.0), (-8.7, 1.8)), ("America/Los_Angeles", (32.0, 49.0), (-125.0, -114.0)),
          ("America/Denver", (31.0, 49.0), (-114.0, -102.0)), ("America/Chicago", (25.0, 49.0), (-102.0, -87.5)),
          ("America/New_York", (24.0, 48.0), (-87.5, -66.0)), ("Europe/Amsterdam", (50.7, 53.6), (3.3, 7.3))]


@dataclass
class ExportMap:
    """What :func:`map_export` found: ``columns`` (studylib's name -> the export's), ``formats``
    (the date format of each date column), and ``notes`` (each guess, with what to check)."""

    file: Path
    rows: int
    columns: dict[str, str]
    formats: list[str]
    timezone: str
    period: tuple[pd.Timestamp, pd.Timestamp]
    as_of: pd.Timestamp
    channels: dict[str, list[str]]
    services: pd.Series
    all_open: bool
    zone_note: str = "as given"
    notes: list[str] = field(default_factory=list)
    header_row: int | None = None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _find(raw: pd.DataFrame, role: str, taken: set[str]) -> str | None:
    by_key = {}
    for col in raw.columns:
        by_key.setdefault(_key(col), col)
    for name in NAMES[role]:
        col = by_key.get(name)
        if col is not None and col not in taken and (raw[col].astype(str).str.strip() != "").any():
            return col
    return None


def _date_format(values: pd.Series, column: str, order: str | None) -> str:
    """The one format every written value of ``column`` reads with; refuse one that reads two ways."""
    present = values[values.astype(str).str.strip() != ""].astype(str).str.strip()
    sample = present.drop_duplicates().head(2000)
    fits = []
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce", utc=fmt == "ISO8601")
        if parsed.notna().all():
            fits.append((fmt, parsed))
    if not fits:
        raise StudylibError(f"the dates in column {column!r} are written in a way studylib does not know "
                            f"(e.g. {sample.iloc[0]!r}): map the export in study.yml by hand, with "
                            "timestamp_formats: [...] (see studylib new without --from)")
    day_month = [f for f, _ in fits if "%d/%m" in f or "%d.%m" in f]
    month_day = [f for f, _ in fits if "%m/%d" in f]
    if day_month and month_day:
        if order is None:
            example = sample.iloc[0]
            raise StudylibError(f"the dates in column {column!r} read two ways ({example!r} is "
                                f"{pd.to_datetime(example, format=month_day[0]):%d %B %Y} month first and "
                                f"{pd.to_datetime(example, format=day_month[0]):%d %B %Y} day first): run again with "
                                "--dates monthfirst or --dates dayfirst")
        return (day_month if order == "dayfirst" else month_day)[0]
    return fits[0][0]


def _timezone(raw: pd.DataFrame, columns: dict) -> tuple[str, str]:
    if "latitude" in columns and "longitude" in columns:
        lat = pd.to_numeric(raw[columns["latitude"]], errors="coerce")
        lon = pd.to_numeric(raw[columns["longitude"]], errors="coerce")
        placed = (lat.abs() > 0.1) & (lon.abs() > 0.1)
        if placed.sum():
            y, x = float(lat[placed].median()), float(lon[placed].median())
            for zone, (y0, y1), (x0, x1) in _ZONES:
                if y0 <= y <= y1 and x0 <= x <= x1:
                    return zone, f"guessed from where the cases are ({y:.2f}, {x:.2f})"
    return "UTC", "no place to guess it from"


def map_export(path: str | Path, *, timezone: str | None = None, dates: str | None = None) -> ExportMap:
    """Read an export (CSV, Excel or Parquet) and guess how a study reads it.

    Parameters
    ----------
    timezone : str, optional
        The zone the export's local times are in (default: guessed from where its cases are).
    dates : {"dayfirst", "monthfirst"}, optional
        How to read dates that read two ways (03/04/2025); without it such dates are refused.

    Raises
    ------
    StudylibError
        No column holds an id or an opening date, or the dates read two ways or in no known way.
    """
    path = Path(path)
    if not path.is_file():
        raise StudylibError(f"{path} is not a file: --from names the export to read (CSV, Excel or Parquet)")
    header_row = None
    try:
        raw = read_raw_table(path, label=path.name)
    except HeaderBelow as below:    # title rows above the header: read past them, and say so in study.yml
        header_row = below.row
        raw = read_raw_table(path, label=path.name, header_row=header_row)
    if not len(raw):
        raise StudylibError(f"{path.name} has a header but no rows: there is nothing to map")
    notes: list[str] = ([f"the header is on row {header_row}: the rows above it read as a title (header_row: "
                         f"{header_row} in study.yml)"] if header_row else [])
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for role in ("id", "opened", "closed", "due", "service", "demand_type", "channel", "status", "resolution",
                 "latitude", "longitude", "address"):
        col = _find(raw, role, taken)
        if col is not None:
            columns[role] = col
            taken.add(col)
    for role, what in (("id", "an id for each case (e.g. SRNumber, unique_key)"),
                       ("opened", "the date each case was opened (e.g. CreatedDate, open_dt)")):
        if role not in columns:
            raise StudylibError(f"no column of {path.name} looks like {what}; its columns are "
                                f"{', '.join(map(str, raw.columns[:30]))}. Map it by hand: studylib new DIR, then "
                                "edit study.yml")
    ids = raw[columns["id"]].astype(str).str.strip()
    if ids.duplicated().any():
        notes.append(f"{columns['id']} holds {int(ids.duplicated().sum()):,} ids used more than once: those rows are "
                     "set aside at the check; check that it is the case's own id")
    zone_note = "as given"
    if timezone is None:
        timezone, why = _timezone(raw, columns)
        zone_note = f"{why}: check it is the zone the export's times are in"
        notes.append(f"timezone {timezone}: {zone_note}")
    formats = []
    stamps = {}
    for role in ("opened", "closed", "due"):
        if role in columns:
            fmt = _date_format(raw[columns[role]], columns[role], dates)
            if fmt not in formats:
                formats.append(fmt)
            text = raw[columns[role]].astype(str).str.strip()
            text = text.where(text != "")
            offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", na=False)
            # Local dates, as the study reads them: a time with a UTC offset in the zone, one without as written.
            local = pd.to_datetime(text.where(~offset), format=fmt, errors="coerce")
            if offset.any():
                shifted = pd.to_datetime(text.where(offset), format=fmt, errors="coerce", utc=True)
                local = local.where(~offset, shifted.dt.tz_convert(timezone).dt.tz_localize(None))
            stamps[role] = local
    opened = stamps["opened"].dropna()
    latest = max(s.max() for s in stamps.values() if s.notna().any() and s is not stamps.get("due"))
    period = (opened.min().normalize(), opened.max().normalize())
    as_of = (latest.normalize() + pd.Timedelta(days=1))
    notes.append(f"period {period[0]:%Y-%m-%d} to {period[1]:%Y-%m-%d}: the first and last {columns['opened']}")
    notes.append(f"as_of {as_of:%Y-%m-%d}: the day after the export's latest date; set it to the day it was exported")
    channels: dict[str, list[str]] = {}
    if "channel" in columns:
        from .tables import known_channel
        values = raw[columns["channel"]].astype(str).str.strip()
        counts = values[values != ""].value_counts()
        unknown = [v for v in counts.index if known_channel(v) is None]
        if unknown:
            channels["other"] = unknown
            notes.append("channel values studylib does not know, mapped to other: "
                         + ", ".join(f"{v} ({counts[v]:,})" for v in unknown)
                         + ". Say which channel each is under channels: (a staff report is not customer demand)")
    else:
        notes.append("no channel column: every contact's channel is other")
    service = raw[columns["service"]].astype(str).str.strip() if "service" in columns else pd.Series(path.stem, index=raw.index)
    services = service[service != ""].value_counts()
    if "service" not in columns:
        notes.append(f"no service column: every case is of one service, {path.stem!r}; rename it under values:")
    all_open = "closed" not in columns or stamps["closed"].isna().all()
    if all_open:
        notes.append("no case has a closed date: the export holds open cases only (its waiting list, no "
                     "end-to-end time)")
    for role in ("demand_type", "status", "resolution", "due", "latitude", "longitude", "address"):
        if role in columns:
            notes.append(f"{role}: {columns[role]}")
    return ExportMap(file=path, rows=len(raw), columns=columns, formats=formats, timezone=timezone,
                     period=period, as_of=as_of, channels=channels, services=services, all_open=all_open,
                     zone_note=zone_note, notes=notes, header_row=header_row)


def _quote(value: str) -> str:
    import json
    return value if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ ]*[A-Za-z0-9_]|[A-Za-z_]", value) else json.dumps(value)


def study_yaml(found: ExportMap, folder: Path) -> str:
    """The text of a study.yml that maps the export, every guess commented."""
    c = found.columns
    try:
        relative = Path(os.path.relpath(found.file.resolve(), folder.resolve()))
        inside = not relative.as_posix().startswith("..")
    except ValueError:             # another drive
        relative, inside = found.file.resolve(), False
    file = relative.as_posix() if inside else found.file.resolve().as_posix()
    top = ", ".join(f"{name} ({n:,})" for name, n in found.services.head(8).items())
    more = f" and {len(found.services) - 8:,} more" if len(found.services) > 8 else ""
    formats = ", ".join(_quote(f) if f != "ISO8601" else '"ISO8601"' for f in found.formats)
    lines = [
        f"# study.yml written by studylib new --from {found.file.name}: every line below is a guess from",
        "# the export's header and rows. Check each one, then: studylib validate .",
        f"name: {_quote(found.file.stem)}",
        f"services: all                     # {len(found.services):,} in the export: {top}{more}",
        "                                  # or list the ones studied: the others are then left out, and counted",
        f"timezone: {found.timezone}            # {found.zone_note}",
        f"period: {{start: {found.period[0]:%Y-%m-%d}, end: {found.period[1]:%Y-%m-%d}}}   "
        f"# the first and last {c['opened']} in the export",
        f"as_of: {found.as_of:%Y-%m-%d}                 # the day after its latest date: set the day it was exported",
        "",
        "# No target, no costs and no currency: add them only where your organisation has them, e.g.",
        "# targets: [{measure: end_to_end_days, value: 28, label: 28-day target}]",
        "# currency: USD",
        "# channel_costs: {phone: {low: 1.34, high: 3.21, source: where the figure comes from}}",
    ]
    if not inside:
        lines += ["", "allow_outside: true               # the export stays where it is, outside this folder"]
    above = ([f"  header_row: {found.header_row}                    # the rows above it are a title"]
             if found.header_row else [])
    lines += ["", "demand:                           # each row is one request: a contact", f"  file: {_quote(file)}",
              *above, "  columns:"]
    demand = {"contact_id": c["id"], "received_at": c["opened"], "channel": c.get("channel"),
              "service": c.get("service"), "demand_type": c.get("demand_type"), "latitude": c.get("latitude"),
              "longitude": c.get("longitude"), "address": c.get("address")}
    lines += [f"    {k}: {_quote(v)}" for k, v in demand.items() if v]
    constants = {}
    if "channel" not in c:
        constants["channel"] = "other"
    if "service" not in c:
        constants["service"] = found.file.stem
    if constants:
        lines.append("  values: {" + ", ".join(f"{k}: {_quote(v)}" for k, v in constants.items()) + "}")
    typed = "demand is typed by its type column" if "demand_type" in c else "add a demand_type column if it has one"
    lines += [f"  timestamp_formats: [{formats}]",
              f"  empty_verbatim: keep              # the export carries no customer's words: {typed}", ""]
    lines += ["cases:                            # and each row is one case, opened and (when done) closed",
              f"  file: {_quote(file)}", *above, "  columns:"]
    cases = {"case_id": c["id"], "opened": c["opened"], "closed": c.get("closed"), "due": c.get("due"),
             "service": c.get("service"), "status": c.get("status"), "resolution": c.get("resolution")}
    lines += [f"    {k}: {_quote(v)}" for k, v in cases.items() if v]
    if "service" not in c:
        lines.append(f"  values: {{service: {_quote(found.file.stem)}}}")
    lines += [f"  timestamp_formats: [{formats}]", ""]
    if found.channels:
        lines.append("channels:                         # values studylib does not know: say which channel each is")
        for channel, values in found.channels.items():
            lines.append(f"  {channel}: [{', '.join(_quote(v) for v in values)}]")
    elif "channel" in c:
        lines.append("channels: {}                      # every channel value is one studylib knows")
    else:
        lines.append("channels: {}                      # the export has no channel column: every contact is other")
    lines += ["", "demand_codebook: null             # add one to classify value and failure demand "
                  "(see studylib new without --from)",
              "flow_codebook: null               # a case starts when opened and ends when closed",
              "findings: findings.yml", ""]
    return "\n".join(lines)


def summary_of(found: ExportMap) -> str:
    """What was guessed, to print."""
    c = found.columns
    lines = [f"Read {found.rows:,} rows of {found.file.name}. Guessed (each is commented in study.yml; check it):",
             f"  - each row is a case and a contact: id {c['id']}, opened {c['opened']}"
             + (f", closed {c['closed']}" if "closed" in c else ", no closed column")
             + (f", service {c['service']} ({len(found.services):,} services)" if "service" in c else "")
             + (f", channel {c['channel']}" if "channel" in c else ""),
             f"  - dates written as {' and '.join(found.formats)}"]
    lines += [f"  - {n}" for n in found.notes]
    return "\n".join(lines)

