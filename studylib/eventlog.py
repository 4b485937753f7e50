"""Reading event logs: XES (streamed) and CSV, with ids as text and timestamps parsed explicitly.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from .errors import DataError
from .tables import parse_timestamps

__all__ = ["read_xes", "read_event_log"]


def read_xes(path: str | Path, *, timezone: str | None = None) -> pd.DataFrame:
    """Read the events of an XES event log (``.xes`` or ``.xes.gz``), streaming.

    The file is parsed trace by trace with ``lxml.etree.iterparse`` and each trace is freed once
    read, so memory stays flat however large the log.

    Parameters
    ----------
    path : str or Path
        An ``.xes`` file, or a gzipped one (``.xes.gz``).
    timezone : str, optional
        Convert timestamps to this zone (e.g. ``"Europe/London"``); by default they are in UTC.

    Returns
    -------
    DataFrame
        One row per event, in file order: ``case_id`` (the trace's ``concept:name``), ``activity``
        (the event's ``concept:name``), ``timestamp`` (timezone-aware), ``resource``
        (``org:resource``) and ``lifecycle`` (``lifecycle:transition``), missing where the log has
        none.

    Raises
    ------
    DataError
        If an event has no timestamp or no activity, or a trace has no name; every such event is
        listed.

    Examples
    --------
    >>> events = read_xes("../shared/data/eventlogs/roadtraffic100traces.xes")  # doctest: +SKIP
    >>> events["case_id"].nunique(), len(events)                                 # doctest: +SKIP
    (100, 390)
    """
    from lxml import etree

    path = Path(path)
    if not path.exists():
        raise DataError([{"file": path.name, "row": None, "column": None, "value": None,
                          "problem": "does not exist", "fix": f"check the path {path}"}])
    opener = gzip.open if path.suffix == ".gz" else open
    cases: list = []
    events: list[dict] = []
    problems: list[dict] = []
    n_trace = 0
    with opener(path, "rb") as handle:
        for _, trace in etree.iterparse(handle, events=("end",), tag="{*}trace", huge_tree=True,
                                        remove_comments=True, remove_blank_text=True,
                                        collect_ids=False):
            n_trace += 1
            case = None
            n_before = len(events)
            for child in trace:
                key = child.get("key")
                if key is None:  # an event (a trace's other children are keyed attributes)
                    events.append({a.get("key"): a.get("value") for a in child})
                elif key == "concept:name":
                    case = child.get("value")
            if case is None:
                problems.append({"file": path.name, "row": None, "column": "concept:name",
                                 "value": None, "problem": f"trace {n_trace} has no concept:name",
                                 "fix": "every trace needs a case id"})
            cases.extend([case] * (len(events) - n_before))
            trace.clear()
            parent = trace.getparent()
            while trace.getprevious() is not None:
                del parent[0]
    columns = {name: [e.get(key) for e in events]
               for name, key in (("activity", "concept:name"), ("timestamp", "time:timestamp"),
                                 ("resource", "org:resource"), ("lifecycle", "lifecycle:transition"))}
    for name in ("activity", "timestamp"):
        if None in columns[name]:
            bad = [c for c, v in zip(cases, columns[name]) if v is None][:20]
            problems += [{"file": path.name, "row": None, "column": name, "value": None,
                          "problem": f"an event of case {case!r} has no {name}",
                          "fix": f"every event needs {'time:timestamp' if name == 'timestamp' else 'concept:name'}"}
                         for case in bad]
    if problems:
        raise DataError(problems)
    stamps = pd.to_datetime(pd.Series(columns["timestamp"], dtype=object), format="ISO8601", utc=True)
    return pd.DataFrame({
        "case_id": pd.Series(cases, dtype="str"),
        # few distinct values: categories are lean and fast to group by
        "activity": pd.Categorical(columns["activity"]),
        "timestamp": stamps.dt.tz_convert(timezone) if timezone else stamps,
        "resource": pd.Categorical(columns["resource"]),
        "lifecycle": pd.Categorical(columns["lifecycle"]),
    })


def read_event_log(path: str | Path, *, case_id: str = "case_id", activity: str = "activity",
                   timestamp: str = "timestamp", resource: str | None = None,
                   timezone: str | None = None) -> pd.DataFrame:
    """Read an event log from XES or from a CSV with one row per event.

    CSV values are read as text with no missing-value guessing, so a case id such as ``NA`` stays
    an id. Timestamps must carry a UTC offset unless ``timezone`` says where the times are local.

    Returns
    -------
    DataFrame
        ``case_id, activity, timestamp, resource`` (and ``lifecycle`` from XES).
    """
    path = Path(path)
    if path.name.endswith((".xes", ".xes.gz")):
        return read_xes(path, timezone=timezone)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    wanted = {"case_id": case_id, "activity": activity, "timestamp": timestamp}
    if resource:
        wanted["resource"] = resource
    missing = [src for src in wanted.values() if src not in raw.columns]
    if missing:
        raise DataError([{"file": path.name, "row": None, "column": src, "value": None,
                          "problem": "is not in the file",
                          "fix": f"name the column with case_id=/activity=/timestamp=; columns: {list(raw.columns)}"}
                         for src in missing])
    frame = pd.DataFrame({name: raw[src] for name, src in wanted.items()})
    raw_ts = frame["timestamp"]
    frame.index = frame.index + 2  # spreadsheet row numbers in problems
    ts, problems = parse_timestamps(frame["timestamp"], formats=None, dayfirst=False, timezone=timezone,
                                    label=path.name, column=timestamp)
    empty = raw_ts.str.strip().eq("").to_numpy()
    if empty.any():
        problems += [{"file": path.name, "row": int(r), "column": timestamp, "value": "",
                      "problem": "is empty", "fix": "every event needs a timestamp"}
                     for r in frame.index[empty][:20]]
    if problems:
        raise DataError(problems)
    frame["timestamp"] = ts
    if "resource" in frame:
        frame["resource"] = frame["resource"].replace("", None)
    return frame.reset_index(drop=True)
