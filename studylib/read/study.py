"""The study folder: read it, check every table against its contract, and account for every row.

A study folder holds ``study.yml`` (what the study is and how to read its files), ``demand.csv``
(one row per contact), ``events.csv`` (one row per case event), the two codebooks and
``findings.yml``. :func:`load_study` is the one edge where data is validated; past it, code trusts
its inputs.

Problems are of two kinds. Those a team must fix before any figure can be trusted (a missing
column, a value that is not a date, a channel nobody mapped) are collected, all of them, and raised
together as one :class:`DataError`. Row-level problems that need not stop a study (an empty
verbatim, a contact recorded twice, a case closed before it was opened) set the row aside with its
reason. :attr:`Study.quality` accounts for every row read: rows read = rows kept + rows set aside.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
import pandas as pd

from .codebooks import DemandCodebook, FlowCodebook, load_demand_codebook, load_flow_codebook
from ..errors import ConfigError, DataError, StudylibWarning
from .plausible import case_problems, date_window, outside_window
from .rows import (DEMAND_COLUMNS, EVENT_COLUMNS, EVENT_REQUIRED, QUALITY_COLUMNS, SET_ASIDE_COLUMNS, TEXT_COLUMNS,
                   rows_aside, demand_rows, empty_table, map_columns, one_service, set_aside_missing,
                   set_aside_outside_services, split_kept)
from .tables import parse_timestamps, read_raw_table

__all__ = [
    "Study",
    "load_study",
    "read_config",
    "DEMAND_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_REQUIRED",
    "QUALITY_COLUMNS",
    "SET_ASIDE_COLUMNS",
    "quality_summary",
]


@dataclass
class Study:
    """A loaded, validated study folder.

    Attributes
    ----------
    path : Path
        The study folder.
    config : dict
        study.yml with defaults filled in.
    demand : DataFrame
        Kept contacts, canonical columns (:data:`DEMAND_COLUMNS`) plus ``row``, the row number in
        the source file. Empty (with the columns) when the study has no demand file.
    events : DataFrame
        Kept case events, canonical columns (:data:`EVENT_COLUMNS`) plus ``row``, and ``order``
        when study.yml names an order column (``events: {columns: {order: EventNo}}``): the order
        of events that share a timestamp.
    demand_codebook, flow_codebook : codebooks, or None when the study has none.
    findings : dict
        The team's own words (purpose, what matters, system conditions, thinking).
    quality : DataFrame
        Per file and reason: ``file, rows_read, rows_kept, reason, rows_set_aside``.
    set_aside : DataFrame
        Every row set aside: ``file, row, id, reason, detail``.
    channel_map : DataFrame
        How each channel spelling found was mapped: ``spelling, channel, rows``.
    cases : DataFrame or None
        Where study.yml names an export of one row a case (``cases:``), its kept cases
        (``case_id, opened, closed, service, due, status, resolution, row``); ``events`` then holds
        each case's ``Case opened`` and ``Case closed`` events (:mod:`studylib.read.cases`).
    """

    path: Path
    config: dict
    demand: pd.DataFrame
    events: pd.DataFrame
    demand_codebook: DemandCodebook | None
    flow_codebook: FlowCodebook | None
    findings: dict
    quality: pd.DataFrame
    set_aside: pd.DataFrame
    channel_map: pd.DataFrame = field(default_factory=pd.DataFrame)
    cases: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.path.name)

    def __getattr__(self, name: str):
        # Only for an attribute not set: a table saved apart from the check's results
        # (studylib.check.results.save_results) is read the first time it is asked for.
        deferred = self.__dict__.get("_deferred") or {}
        if name in deferred:
            value = deferred.pop(name).load()
            setattr(self, name, value)
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def has_demand(self) -> bool:
        return len(self.demand) > 0

    @property
    def has_events(self) -> bool:
        return len(self.events) > 0

    @property
    def as_of(self) -> pd.Timestamp | None:
        return self.config.get("as_of")

    @property
    def timezone(self) -> str:
        return self.config.get("timezone") or "UTC"

    def __repr__(self) -> str:
        n_aside = len(self.set_aside)
        cases = self.events["case_id"].nunique() if self.has_events else 0
        return (f"<Study {self.name!r}: {len(self.demand):,} contacts, {cases:,} cases / "
                f"{len(self.events):,} events, {n_aside:,} rows set aside>")


def read_config(path: str | Path) -> dict:
    """Read ``study.yml`` and fill in defaults. Dates become timezone-aware timestamps."""
    path = Path(path)
    file = path / "study.yml" if path.is_dir() else path
    if not file.exists():
        raise ConfigError(f"{file} does not exist: a study folder needs a study.yml "
                          f"(run `studylib new {path}` to create one)")
    if file.is_dir():
        raise ConfigError(f"{file.name} is a folder, not a file: a study folder needs a study.yml file "
                          f"(run `studylib new` in an empty folder to make one)")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("study.yml is not UTF-8 text: save it as UTF-8") from None
    from .schema import check_config, load_yaml
    config = load_yaml(text, "study.yml") or {}
    if not isinstance(config, dict):
        raise ConfigError("study.yml must be a mapping of keys to values (name: ..., services: [...], ...)")
    problems = check_config(config, text, file.parent)
    if problems:
        raise ConfigError(problems)
    if isinstance(config.get("never_show"), str):
        config["never_show"] = [config["never_show"]]     # one column, not a set of characters
    if isinstance(config.get("name"), (int, float)):
        config["name"] = str(config["name"])
    tz = config.get("timezone") or "UTC"

    def _date(value):   # the schema has checked that it is one
        if value is None or value == "":
            return None
        ts = pd.Timestamp(str(value))
        return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)

    config["as_of"] = _date(config.get("as_of"))
    period = config.get("period") or {}
    config["period"] = {"start": _date(period.get("start")), "end": _date(period.get("end"))}
    config["system_changes"] = _one_change_a_day([{**c, "date": _date(c["date"])}
                                                  for c in config.get("system_changes") or []])
    # services: all (or none written) studies every service in the data; a list studies those only.
    if isinstance(config.get("services"), str):
        config["services"] = []
    for key, empty in (("services", []), ("targets", []), ("channel_costs", {}), ("channels", {}),
                       ("holidays", []), ("never_show", [])):
        config[key] = config.get(key) or empty
    return config


def _one_change_a_day(changes: list[dict]) -> list[dict]:
    """Changes of one service on one date are one change, their descriptions joined ("Book on the
    tenant's day; one team does the job"): two would make a system that lasts no time at all."""
    merged: dict[tuple, dict] = {}
    for change in changes:
        key = (change["date"], change.get("service") or None)
        if key in merged:
            whats = [str(w) for w in (merged[key].get("what"), change.get("what")) if w]
            merged[key] = {**merged[key], "what": "; ".join(dict.fromkeys(whats))}
        else:
            merged[key] = dict(change)
    return list(merged.values())


def load_study(path: str | Path) -> Study:
    """Read a study folder, check it against its contracts, and account for every row.

    Parameters
    ----------
    path : str or Path
        The study folder (holding study.yml).

    Returns
    -------
    Study

    Raises
    ------
    ConfigError
        study.yml or a codebook cannot be used.
    DataError
        A table breaks its contract; ``.problems`` lists every problem found (file, row, column,
        value, problem, fix).

    Examples
    --------
    >>> study = load_study("data/sample")   # doctest: +SKIP
    >>> study.quality                       # doctest: +SKIP
    """
    path = Path(path)
    config = read_config(path)
    problems: list[dict] = []
    quality: list[dict] = []
    set_aside: list[pd.DataFrame] = []

    no_map = pd.DataFrame(columns=["spelling", "channel", "rows"])
    from .captured import combine_contacts, has_capture, load_captured
    captured = load_captured(path, config) if has_capture(path, config) else None
    sources = []
    # One export for both contacts and cases: each reading is named for what it counts.
    both = bool(config.get("demand") and config.get("cases")
                and _table_spec(config, "cases")["file"] == _table_spec(config, "demand")["file"])
    if config.get("demand"):
        sources.append(_load_demand(path, config, warn_empty=captured is None, suffix=" (contacts)" if both else ""))
    if captured is not None:
        sources.append(captured)
    demand, channel_map = empty_table(DEMAND_COLUMNS), no_map
    problems += [p for source in sources for p in source[4]]
    if sources and not problems:
        combined = sources[0][:4]
        for source in sources[1:]:
            combined = combine_contacts(combined, source[:4])
        demand, channel_map, q, aside = combined
        channel_map = no_map if channel_map is None else channel_map
        quality += q
        set_aside.append(aside)

    events = empty_table(EVENT_COLUMNS)
    flow_codebook = _load_codebook(path, config, "flow_codebook", load_flow_codebook)
    cases = None
    if config.get("events"):
        events, q, aside, probs = _load_events(path, config, flow_codebook)
        quality += q
        set_aside.append(aside)
        problems += probs
    elif config.get("cases"):
        from .cases import case_codebook, load_cases
        spec = _table_spec(config, "cases")
        label = Path(spec["file"]).name + (" (cases)" if both else "")
        events, cases, q, aside, probs = load_cases(lambda columns: _read(path, spec, label, columns), spec, label,
                                                    config, _timestamp_options(spec, config))
        quality += q
        set_aside.append(aside)
        problems += probs
        flow_codebook = flow_codebook or case_codebook()

    if problems:
        raise DataError(problems)

    demand_codebook = _load_codebook(path, config, "demand_codebook", load_demand_codebook)
    findings = _load_findings(path, config)
    _name_services_without_data(config, demand, events)

    aside = (pd.concat(set_aside, ignore_index=True) if set_aside
             else pd.DataFrame(columns=SET_ASIDE_COLUMNS))
    return Study(path=path, config=config, demand=demand, events=events,
                 demand_codebook=demand_codebook, flow_codebook=flow_codebook, findings=findings,
                 quality=pd.DataFrame(quality, columns=QUALITY_COLUMNS), set_aside=aside,
                 channel_map=channel_map, cases=cases)


def _name_services_without_data(config: dict, demand: pd.DataFrame, events: pd.DataFrame) -> None:
    """A target or system change whose service has no contact and no case would change nothing
    without a word (study.yml checks the names against ``services:`` only when it lists them)."""
    # The distinct names first: a set built from every row of a million took seconds.
    seen = {str(s) for frame in (demand, events) for s in frame["service"].dropna().unique()}
    for section, noun in (("targets", "target"), ("system_changes", "system change")):
        for item in config.get(section) or []:
            service = item.get("service") if isinstance(item, dict) else None
            if service and seen and str(service) not in seen:
                from ..text import did_you_mean
                warnings.warn(f"study.yml {section}: the {noun} for {service!r} changes nothing, since no contact "
                              f"or case is of that service (leave service: out for one that applies to every "
                              f"service){did_you_mean(str(service), sorted(seen))}", StudylibWarning, stacklevel=3)


def _load_findings(path: Path, config: dict) -> dict:
    """The team's findings file, checked against its schema (every problem at once)."""
    from .schema import check_findings, load_yaml
    name = config.get("findings", "findings.yml")
    if not name or not (path / name).exists():
        if name and "findings" in config:
            raise ConfigError(f"study.yml findings: {name} does not exist in {path.name}")
        return {}
    text = (path / name).read_text(encoding="utf-8")
    findings = load_yaml(text, Path(name).name)
    problems = check_findings(findings, text, Path(name).name)
    if problems:
        raise ConfigError(problems)
    return findings or {}


def _load_codebook(path, config, key, loader):
    name = config.get(key, f"{key}.yml")
    if not name:
        return None
    file = path / name
    if not file.exists():
        if key in config:
            raise ConfigError(f"study.yml {key}: {name} does not exist in {path}")
        return None
    return loader(file)


def _table_spec(config: dict, key: str) -> dict:
    spec = config.get(key)
    if isinstance(spec, str):
        spec = {"file": spec}
    if not isinstance(spec, dict) or not spec.get("file"):
        raise ConfigError(f"study.yml {key}: needs file: (e.g. {key}: {{file: {key}.csv}})")
    return spec


def _read(path: Path, spec: dict, label: str, columns: list[str]) -> pd.DataFrame:
    file = (path / spec["file"]).resolve()
    if file.name.lower().endswith((".xes", ".xes.gz")) and file.is_file():
        return _xes_as_text(file)
    return read_raw_table(file, label=label, encoding=spec.get("encoding", "utf-8"),
                          delimiter=spec.get("delimiter"), sheet=spec.get("sheet"), header_row=spec.get("header_row"),
                          expected_columns=columns + [str(v) for v in (spec.get("columns") or {}).values()])


def _xes_as_text(file: Path) -> pd.DataFrame:
    """An XES event log's events as text under the event table's own names (timestamps keep their
    UTC offsets), so that study.yml needs no mapping for it: ``events: {file: log.xes}``."""
    from .eventlog import read_xes
    events = read_xes(file)
    text = {name: events[name].astype(object).where(events[name].notna(), "").astype(str)
            for name in ("case_id", "activity", "resource", "lifecycle")}
    frame = pd.DataFrame({**text, "timestamp": [t.isoformat() for t in events["timestamp"]]})
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame


def _timestamp_options(spec: dict, config: dict) -> dict:
    formats = spec.get("timestamp_formats", spec.get("timestamp_format"))
    if isinstance(formats, str):
        formats = [formats]
    period = config.get("period") or {}
    return {"formats": formats, "dayfirst": bool(spec.get("dayfirst", False)),
            "timezone": config.get("timezone"), "period": (period.get("start"), period.get("end"))}


def _load_demand(path: Path, config: dict, *, warn_empty: bool = True, suffix: str = ""):
    spec = _table_spec(config, "demand")
    label = Path(spec["file"]).name + suffix
    raw = _read(path, spec, label, DEMAND_COLUMNS)
    return demand_rows(raw, spec, label, config, _timestamp_options(spec, config), warn_empty=warn_empty)


def _load_events(path: Path, config: dict, codebook: FlowCodebook | None):
    spec = _table_spec(config, "events")
    label = Path(spec["file"]).name
    raw = _read(path, spec, label, EVENT_COLUMNS)
    # The order of events that share a timestamp: only from a column study.yml names, since a
    # column that happens to be called "order" may mean something else (a purchase order).
    columns = EVENT_COLUMNS + (["order"] if (spec.get("columns") or {}).get("order") else [])
    frame, problems = map_columns(raw, spec, label=label, columns=columns, required=EVENT_REQUIRED)
    if problems:
        return empty_table(EVENT_COLUMNS), [], pd.DataFrame(columns=SET_ASIDE_COLUMNS), problems
    rows_read = len(frame)
    if rows_read == 0:
        warnings.warn(f"{label} has a header but no rows", StudylibWarning, stacklevel=3)
    for col in TEXT_COLUMNS["events"]:
        frame[col] = frame[col].astype(str).str.strip()
    ts, problems = parse_timestamps(frame["timestamp"], label=label,
                                    column=spec.get("columns", {}).get("timestamp", "timestamp"),
                                    **_timestamp_options(spec, config))
    if problems:
        return empty_table(EVENT_COLUMNS), [], pd.DataFrame(columns=SET_ASIDE_COLUMNS), problems
    frame["timestamp"] = ts
    # A case's service-level date, where the log has one (the date the organisation promised).
    due, problems = parse_timestamps(frame["due"], label=label, column=spec.get("columns", {}).get("due", "due"),
                                     **{**_timestamp_options(spec, config), "period": None})
    if problems:
        return empty_table(EVENT_COLUMNS), [], pd.DataFrame(columns=SET_ASIDE_COLUMNS), problems
    frame["due"] = due
    if "order" in frame:
        frame["order"], problems = _order_numbers(frame["order"], label, spec["columns"]["order"])
        if problems:
            return empty_table(EVENT_COLUMNS), [], pd.DataFrame(columns=SET_ASIDE_COLUMNS), problems
    for col in ("resource", "lifecycle", "service"):
        frame[col] = frame[col].where(frame[col] != "", None)
    one_service(frame, config)
    aside, keep = set_aside_missing(frame, label, "case_id", ["case_id", "activity", "timestamp"])
    keep = set_aside_outside_services(frame, keep, aside, config, label, "case_id", "case")
    key = ["case_id", "activity", "timestamp", "resource"]
    dup = keep & frame[key].duplicated(keep="first")       # on the values: formatting a million stamps takes 10 s
    if dup.any():
        aside.append(rows_aside(label, frame[dup], "case_id", "duplicate event",
                                  "same case, activity, timestamp and resource as an earlier row"))
        keep &= ~dup
    far, detail = outside_window(frame["timestamp"].where(keep), date_window(config, config.get("timezone") or "UTC"))
    if far.any():
        aside.append(rows_aside(label, frame[far], "case_id", "implausible date", detail))
        keep &= ~far
    for rows, reason, detail in case_problems(frame, keep, codebook):
        aside.append(rows_aside(label, frame[rows], "case_id", reason, detail.values))
        keep &= ~rows
    kept, quality, aside_frame = split_kept(frame, keep, aside, columns, label, rows_read)
    return kept, quality, aside_frame, []


def _order_numbers(values: pd.Series, label: str, source: str) -> tuple[pd.Series, list[dict]]:
    """The order column as numbers; every value that is not one is a problem, with its row."""
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() | numbers.abs().eq(float("inf"))
    problems = [{"file": label, "row": int(r), "column": source, "value": v,
                 "problem": ("is not a finite number" if v.lower().lstrip("+-") in ("inf", "infinity")
                             else "is not a number" if v else "is empty"),
                 "fix": "the order column gives each event's place in the log as a number (1, 2, 3 ...)"}
                for r, v in text[bad].head(20).items()]
    if bad.sum() > 20:
        problems.append({"file": label, "row": None, "column": source, "value": None,
                         "problem": f"{int(bad.sum()) - 20:,} more values are not numbers", "fix": ""})
    return numbers, problems


def quality_summary(study: Study) -> str:
    """One sentence per file: rows read, kept and set aside, with the reasons.

    Examples
    --------
    >>> quality_summary(load_study("data/sample"))   # doctest: +SKIP
    'demand.csv: 5,307 rows read, 5,302 kept, 5 set aside (empty verbatim 3, duplicate contact_id 2). ...'
    """
    if study.quality.empty:
        return "The study has no demand or event data yet."
    parts = []
    for file, rows in study.quality.groupby("file", sort=False):
        read, kept = int(rows["rows_read"].iloc[0]), int(rows["rows_kept"].iloc[0])
        aside = rows[rows["rows_set_aside"] > 0]
        text = f"{file}: {read:,} rows read, {kept:,} kept, {read - kept:,} set aside"
        if len(aside):
            text += " (" + ", ".join(f"{r} {n:,}" for r, n in zip(aside["reason"], aside["rows_set_aside"])) + ")"
        parts.append(text + ".")
    return " ".join(parts)
