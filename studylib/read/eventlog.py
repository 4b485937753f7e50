"""Reading event logs: XES (streamed) and CSV, with ids as text and timestamps parsed explicitly.
"""
from __future__ import annotations

import contextlib
import gzip
import os
import re
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..parallel import can_fork, fork_pool
from .tables import parse_timestamps

__all__ = ["read_xes", "read_event_log"]


#: The XES attributes read from each event, and the columns they become.
_EVENT_KEYS = {"activity": "concept:name", "timestamp": "time:timestamp", "resource": "org:resource",
               "lifecycle": "lifecycle:transition"}
#: XES (bytes on disk; a gzipped file a tenth of that) from which parsing is split over processes:
#: below it, starting them costs more than it saves.
_PARALLEL_BYTES = 8 * 2**20
_CHUNK_BYTES = 8 * 2**20


def read_xes(path: str | Path, *, timezone: str | None = None, processes: int | None = None) -> pd.DataFrame:
    """Read the events of an XES event log (``.xes`` or ``.xes.gz``), streaming.

    The file is parsed trace by trace with ``lxml.etree.iterparse`` and each trace is freed once
    read, so memory stays flat however large the log. A large file is cut at trace boundaries
    into pieces of about 8 MB that ``processes`` (default: two where there are two cores) parse
    side by side, a few pieces at a time.

    Parameters
    ----------
    path : str or Path
        An ``.xes`` file, or a gzipped one (``.xes.gz``).
    timezone : str, optional
        Convert timestamps to this zone (e.g. ``"Europe/London"``); by default they are in UTC.
    processes : int, optional
        How many processes parse the file (1: this one only). With none given and rustxes
        installed (``pip install 'studylib[xes]'``), rustxes reads the file: the same frame, faster.

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
    path = Path(path)
    if not path.exists():
        raise DataError([{"file": path.name, "row": None, "column": None, "value": None,
                          "problem": "does not exist", "fix": f"check the path {path}"}])
    fast = _read_with_rustxes(path) if processes is None else None
    if fast is not None:
        return _events_frame(*fast, timezone=timezone)
    opener = gzip.open if path.suffix == ".gz" else open
    if processes is None:
        size = path.stat().st_size * (10 if path.suffix == ".gz" else 1)
        processes = min(2, os.cpu_count() or 1) if size > _PARALLEL_BYTES else 1
    with opener(path, "rb") as handle:
        parts = [_parse_traces(handle)] if processes <= 1 or not can_fork() else \
            list(_parse_in_processes(handle, processes))
    cases, problems, columns, n_trace = [], [], {name: [] for name in _EVENT_KEYS}, 0
    for part in parts:
        cases += part["cases"]
        for name in _EVENT_KEYS:
            columns[name] += part[name]
        problems += [{"file": path.name, "row": None, "column": "concept:name", "value": None,
                      "problem": f"trace {n_trace + k} has no concept:name", "fix": "every trace needs a case id"}
                     for k in part["unnamed"]]
        n_trace += part["traces"]
    columns = dict(zip(_EVENT_KEYS, columns.values()))
    for name in ("activity", "timestamp"):
        if None in columns[name]:
            bad = [c for c, v in zip(cases, columns[name]) if v is None][:20]
            problems += [{"file": path.name, "row": None, "column": name, "value": None,
                          "problem": f"an event of case {case!r} has no {name}",
                          "fix": f"every event needs {'time:timestamp' if name == 'timestamp' else 'concept:name'}"}
                         for case in bad]
    if problems:
        raise DataError(problems)
    stamps = pd.to_datetime(pd.Series(columns["timestamp"], dtype=object), format="ISO8601", utc=True,
                            errors="coerce")
    if stamps.isna().any():
        bad = stamps.isna().to_numpy().nonzero()[0][:20]
        raise DataError([{"file": path.name, "row": None, "column": "time:timestamp", "value": columns["timestamp"][i],
                          "problem": f"an event of case {cases[i]!r} has a time:timestamp that is not a date and time",
                          "fix": "write it as XES does, e.g. 2025-03-10T09:30:00.000+00:00"} for i in bad])
    return _events_frame(cases, columns["activity"], stamps, columns["resource"], columns["lifecycle"],
                         timezone=timezone)


def _events_frame(cases, activity, stamps: pd.Series, resource, lifecycle, *, timezone: str | None) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": pd.Series(cases, dtype="str"),
        # few distinct values: categories are lean and fast to group by
        "activity": pd.Categorical(activity),
        "timestamp": stamps.dt.tz_convert(timezone) if timezone else stamps,
        "resource": pd.Categorical(resource),
        "lifecycle": pd.Categorical(lifecycle),
    })


def _read_with_rustxes(path: Path):
    """The log's columns read by the process-mining field's Rust XES reader (r4pm, or rustxes
    before it; MIT or Apache-2.0; ``pip install 'studylib[xes]'``), or None where neither is
    installed, it cannot read the file, or it finds an event without a case, activity or timestamp
    (the streaming reader then names each one). Its timestamps arrive in UTC without a zone."""
    try:
        from r4pm import df as reader          # the newer of the two, and the faster
    except ImportError:
        try:
            import rustxes as reader
        except ImportError:
            return None
    try:
        with _quiet():           # its parser prints what it skips ("Could not parse UUID ..."), which is not for users
            frame, _ = reader.import_xes(str(path))
        wanted = {"case:concept:name": "case_id", "concept:name": "activity", "time:timestamp": "timestamp",
                  "org:resource": "resource", "lifecycle:transition": "lifecycle"}
        table = frame.select([c for c in wanted if c in frame.columns]).to_arrow()
    except Exception:                 # a file it cannot parse: the streaming reader says what is wrong
        return None
    columns = {wanted[name]: table.column(name) for name in table.column_names}
    if any(k not in columns or columns[k].null_count for k in ("case_id", "activity", "timestamp")):
        return None
    stamps = pd.Series(columns["timestamp"].to_pandas()).dt.tz_localize("UTC")
    # The resolution the text reader gives: microseconds, unless a stamp carries nanoseconds.
    ns = stamps.dt.as_unit("ns").astype("int64")
    stamps = stamps.dt.as_unit("us" if not (ns % 1000).any() else "ns")

    def categories(name):
        # Arrow's dictionary, sorted as pandas sorts categories: codes without a Python string each.
        if name not in columns:
            return pd.Categorical([None] * len(stamps))
        import pyarrow as pa
        import pyarrow.compute as pc
        encoded = pc.dictionary_encode(columns[name]).combine_chunks()
        order = pc.array_sort_indices(encoded.dictionary).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        codes = np.where(pa.compute.is_null(encoded.indices).to_numpy(zero_copy_only=False), -1,
                         rank[np.nan_to_num(codes, nan=0).astype(np.int64)] if len(rank) else -1)
        names = pd.Index(pd.array(encoded.dictionary.take(pa.array(order)), dtype="str"))
        return pd.Categorical.from_codes(codes, categories=names)
    case_ids = pd.array(columns["case_id"], dtype="str")
    return case_ids, categories("activity"), stamps, categories("resource"), categories("lifecycle")


@contextlib.contextmanager
def _quiet():
    """What native code writes to this process's stdout and stderr goes nowhere while inside."""
    import sys
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as nowhere:
            os.dup2(nowhere.fileno(), 1)
            os.dup2(nowhere.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def _parse_traces(source) -> dict:
    """The traces in ``source`` (a file or bytes of XES): their events' columns, case ids, count,
    and the numbers of traces without a name."""
    from lxml import etree
    values = etree._Element.values
    out = {"cases": [], "unnamed": [], "traces": 0}
    events: list[dict] = []
    cases = out["cases"]
    for _, trace in etree.iterparse(source, events=("end",), tag="{*}trace", huge_tree=True,
                                    remove_comments=True, remove_blank_text=True, collect_ids=False):
        out["traces"] += 1
        case, before = None, len(events)
        key_first = None
        for child in trace:
            key = child.get("key")
            if key is None:  # an event (a trace's other children are keyed attributes)
                if key_first is None:       # every XES writer puts key before value: ask once a trace
                    key_first = not len(child) or child[0].keys()[0] == "key"
                # Each attribute's [key, value] in one call where the key comes first; else by name.
                # An attribute with no value (a list, a container) or extra ones has no [key, value]
                # pair: such an event is read by name.
                try:
                    events.append(dict(map(values, child)) if key_first else _by_name(child))
                except ValueError:
                    events.append(_by_name(child))
            elif key == "concept:name":
                case = child.get("value")
        if case is None:
            out["unnamed"].append(out["traces"])
        cases.extend([case] * (len(events) - before))
        trace.clear()
        parent = trace.getparent()
        while trace.getprevious() is not None:
            del parent[0]
    out.update({name: [e.get(key) for e in events] for name, key in _EVENT_KEYS.items()})
    return out


def _by_name(event) -> dict:
    """An event's attributes as {key: value}, each read by name."""
    return {a.get("key"): a.get("value") for a in event}


def _chunks(handle):
    """The log as pieces of whole traces, each a document of its own: the log's root start tag
    (with its namespace), the traces, the closing tag."""
    buffer, root, closing = b"", None, b""
    while True:
        block = handle.read(_CHUNK_BYTES)
        buffer += block
        if block:
            cut = buffer.rfind(b"</trace>")
            if cut < 0:
                continue                        # not one whole trace yet
            cut += len(b"</trace>")
        else:
            cut = len(buffer)                   # the end: what is left closes the log
        piece, buffer = buffer[:cut], buffer[cut:]
        if root is None:                        # the first piece holds the header and the root
            found = re.search(rb"<((?:[\w.-]+:)?log)\b[^>]*>", piece)
            root = found.group(0) if found else b"<log>"
            closing = b"</" + (found.group(1) if found else b"log") + b">"
            yield piece + (closing if block else b"")
        elif block:
            yield root + piece + closing
        elif piece.strip():
            yield root + piece
        if not block:
            return


def _parse_bytes(piece: bytes) -> dict:
    import io
    return _parse_traces(io.BytesIO(piece))


def _parse_in_processes(handle, processes: int):
    """Pieces parsed in forked processes, a few in flight at a time, results in file order."""
    with fork_pool(processes) as pool:
        pending: deque = deque()
        for piece in _chunks(handle):
            pending.append(pool.submit(_parse_bytes, piece))
            if len(pending) > 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


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
