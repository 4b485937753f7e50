"""The study's ledger of checks: one line of JSON a check, so that a study followed over months shows
what changed and whether the redesign holds.

Every ``studylib check`` of a team's study adds one record to ``checks.jsonl`` in the study folder
(or the file ``--ledger`` names): when it ran, the as-of date and period, the settings, the
inputs' SHA-256, studylib's version, and the headline figures and verdicts per service and system
(:func:`headline_figures`). The file is append-only and diffable: each line is one JSON object,
its keys sorted. A check of the same inputs, settings and figures as one already in the ledger adds
nothing. A line that is not a record (cut short, edited by hand) or was written by a newer format
is named and skipped, never fatal; the rest are read.

Record (format 1)::

    {"ledger": 1, "studylib": "0.1.0", "run_at": "2026-12-07T22:30:00+00:00", "study": "...",
     "as_of": "2025-05-12", "period": ["2025-01-06", "2025-05-11"], "settings": {...},
     "inputs": {"demand.csv": "<sha256>", ...}, "key": "<sha256 of settings, inputs, figures>",
     "figures": {"overall": {...}, "services": [...], "systems": [...], "holds": {...} | null}}
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..measures.holds import holds_summary
from ..read.settings import settings_as_text

__all__ = ["LEDGER_FILE", "LEDGER_FORMAT", "Ledger", "headline_figures", "check_record", "add_check",
           "read_ledger", "default_ledger"]

#: The ledger's file name in the study folder.
LEDGER_FILE = "checks.jsonl"

#: The record format this studylib writes and reads; a record of a higher one is skipped in words.
LEDGER_FORMAT = 1


@dataclass
class Ledger:
    """The checks of a ledger that could be read, oldest first, and what could not, in words."""

    path: Path
    records: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def default_ledger(study: Path) -> Path | None:
    """Where a check of ``study`` keeps its ledger by default: in the study folder, except for the
    studies bundled with studylib (the sample and the examples), which keep none unless asked: they
    are teaching material, and often installed where nothing may be written."""
    from ..read.sample import bundled_sample
    sample = bundled_sample().resolve()
    examples = sample.parent.parent / "examples"
    study = Path(study).resolve()
    if study == sample or examples in study.parents:
        return None
    return study / LEDGER_FILE


def _number(value, digits: int = 4):
    if value is None or isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    value = float(value)
    if math.isinf(value):
        return None
    return int(round(value)) if digits == 0 else round(value, digits)


def headline_figures(results) -> dict:
    """The figures a ledger keeps of one check: plain numbers and words, per service and system.

    ``overall``: contacts, failure share, the cost range of failure demand where priced.
    ``services``: per service, contacts, failure share, cases, open, the end-to-end mean (the
    system as it is now, on the customer's clock), its verdict, cases waiting.
    ``systems``: per service and system, contacts a week, failure share, and on each clock the
    mean, standard deviation and finished cases; on the capability chart's clock its limits,
    verdict and reason. ``holds``: the redesign held to its frozen limits
    (:func:`studylib.measures.holds.redesign_holds`), or None.
    """
    demand, flow, capability = results.demand or {}, results.flow or {}, results.capability or {}
    overall = {"contacts": int(results.counts.get("contacts", 0)), "cases": int(results.counts.get("cases", 0))}
    if demand:
        o = demand["overall"].iloc[0]
        overall.update(labelled=int(o["labelled"]), failure_share=_number(o["failure_share"]),
                       days=_number(demand.get("days"), 2))
        if demand.get("days"):
            overall["contacts_per_week"] = _number(len(demand["classified"]) / demand["days"] * 7, 2)
        costs = demand.get("costs")
        if costs is not None and len(costs):
            overall.update(cost_low=_number(costs["cost_low"].sum(), 2), cost_high=_number(costs["cost_high"].sum(), 2),
                           currency=demand.get("currency"))
    services = []
    priced = demand.get("costs_by_service")
    priced = priced.set_index("service") if priced is not None and len(priced) else None
    waiting = flow.get("waiting_summary")
    waiting = waiting.set_index("service")["waiting"] if waiting is not None and len(waiting) else pd.Series(dtype=float)
    for rec in results.services.to_dict("records"):
        services.append({"service": str(rec["service"]), "contacts": _number(rec.get("contacts"), 0),
                         "failure_share": _number(rec.get("failure_share")), "cases": _number(rec.get("cases"), 0),
                         "open": _number(rec.get("open"), 0), "end_to_end_mean": _number(rec.get("end_to_end_mean")),
                         "capability": None if pd.isna(rec.get("capability")) else str(rec["capability"]),
                         "waiting": _number(waiting.get(rec["service"]), 0)})
        if priced is not None and rec["service"] in priced.index:
            services[-1].update(cost_low=_number(priced.at[rec["service"], "cost_low"], 2),
                                cost_high=_number(priced.at[rec["service"], "cost_high"], 2))
    return {"overall": overall, "services": services, "systems": _system_figures(results, demand, flow, capability),
            "clock": capability.get("clock"), "holds": holds_summary(capability.get("holds"))}


def _system_figures(results, demand: dict, flow: dict, capability: dict) -> list[dict]:
    rows: dict[tuple, dict] = {}
    for rec in results.systems.to_dict("records"):
        rows[(rec["service"], rec["system"])] = {"service": str(rec["service"]), "system": str(rec["system"])}
    by_system = demand.get("by_system")
    if by_system is not None:
        for rec in by_system.to_dict("records"):
            rows.setdefault((rec["service"], rec["system"]), {"service": rec["service"], "system": rec["system"]}).update(
                contacts=_number(rec["contacts"], 0), contacts_per_week=_number(rec["contacts_per_week"], 2),
                labelled=_number(rec["labelled"], 0), failure_share=_number(rec["failure_share"]))
    times = flow.get("times")
    if times is not None and len(times):
        done = times[~times["is_open"].astype(bool)]
        for (service, system), part in done.groupby(["service", "system"], sort=False, observed=True):
            row = rows.setdefault((service, system), {"service": service, "system": system})
            for clock, column in (("customer", "end_to_end_days"), ("organisation", "official_days")):
                values = part[column].dropna()
                row[clock] = {"finished": int(len(values)), "mean": _number(values.mean()),
                              "sd": _number(values.std(ddof=1))}
        opened = times.groupby(["service", "system"], sort=False, observed=True)["is_open"].sum()
        for (service, system), n in opened.items():
            if (service, system) in rows:
                rows[(service, system)]["open"] = int(n)
    services = {service for service, _ in rows}
    system_of = times.set_index("case_id")["system"] if times is not None else pd.Series(dtype=object)
    for name, limits in (capability.get("limits") or {}).items():
        chart = capability["charts"][name]
        if name not in services:          # "All services": its systems are each service's
            continue
        for group, lim in limits.iterrows():
            ids = chart.loc[chart["group"] == group, "case_id"]
            named = system_of.reindex(ids).dropna()
            if named.empty:
                continue
            row = rows.get((name, named.mode().iloc[0]))
            if row is None:
                continue
            row["limits"] = {"cases": int(lim["n"]), "mean": _number(lim["mean"]), "lower": _number(lim["lower"]),
                             "upper": _number(lim["upper"]), "status": str(lim["status"]), "reason": str(lim["reason"]),
                             "exceptions": [str(i) for i in (lim["exception_ids"] or [])],
                             "open_beyond": [str(i) for i in (lim.get("open_beyond") or [])]}
    return list(rows.values())


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def check_record(results, *, inputs: dict, run_at, version: str | None) -> dict:
    """One check's ledger record (see the module's docstring)."""
    settings = settings_as_text(results.settings)
    figures = results.figures or headline_figures(results)
    key = hashlib.sha256(_canonical({"settings": settings, "inputs": inputs, "figures": figures}).encode()).hexdigest()
    return {"ledger": LEDGER_FORMAT, "studylib": version, "run_at": pd.Timestamp(run_at).isoformat(),
            "study": results.study.name, "as_of": settings.get("as_of"),
            "period": [settings.get("period_start"), settings.get("period_end")],
            "settings": settings, "inputs": inputs, "key": key, "figures": figures}


def read_ledger(path: str | Path) -> Ledger:
    """Every record of the ledger at ``path`` that can be read, oldest first; what cannot, in words.
    A missing file is an empty ledger."""
    path = Path(path)
    return _parsed(path, path.read_text(encoding="utf-8", errors="replace") if path.exists() else "")


def _parsed(path: Path, text: str) -> Ledger:
    """The ledger whose file ``path`` holds ``text``."""
    ledger = Ledger(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            ledger.problems.append(f"line {number} of {path.name} is not a check record ({exc.msg} at character "
                                   f"{exc.pos + 1}): it is skipped")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("ledger"), int) or "figures" not in record:
            ledger.problems.append(f"line {number} of {path.name} is not a check record (no ledger format or "
                                   "figures): it is skipped")
            continue
        if record["ledger"] > LEDGER_FORMAT:
            ledger.problems.append(f"line {number} of {path.name} was written by studylib {record.get('studylib') or 'of a later version'} "
                                   f"in ledger format {record['ledger']}, newer than this studylib reads "
                                   f"({LEDGER_FORMAT}): it is skipped; update studylib to read it")
            continue
        record["line"] = number
        ledger.records.append(record)
    return ledger


def add_check(path: str | Path, record: dict) -> bool:
    """Add ``record`` to the ledger at ``path``, unless a record of the same inputs, settings and
    figures is there already. True when it was added.

    The file is appended to, one line; lines already there (even damaged ones) are left as they
    are. Raises OSError when the file cannot be written (the caller says so in words).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    if any(r.get("key") == record["key"] for r in _parsed(path, text).records):
        return False
    line = json.dumps(record, sort_keys=True, default=str)
    ends_cleanly = not text or text.endswith("\n")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("" if ends_cleanly else "\n") + line + "\n")
        fh.flush()
    return True
