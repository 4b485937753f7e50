"""The two codebooks a team grows during a study, read and checked.

``demand_codebook.yml`` says which demand types exist, in customer language, whether each is value
or failure demand (and what kind of failure), and which words recognise it in a verbatim.
``flow_codebook.yml`` says what each activity in the case events means: value work or waste (of
which kind), which activity starts the customer's and the organisation's clocks, and which one
means the customer's problem is solved.

Both are checked when read; every problem is collected and raised as one :class:`ConfigError`
that names the entry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import ConfigError
from ..writing import atomic_text, said_in_words

__all__ = [
    "DemandCodebook",
    "FlowCodebook",
    "load_demand_codebook",
    "load_flow_codebook",
    "FAILURE_SUBTYPES",
    "WASTE_KINDS",
    "pattern_problem",
    "add_pattern",
]

#: Failure-demand sub-types of the study guide; a codebook may add its own.
FAILURE_SUBTYPES = ["progress chasing", "not done", "not done right", "clarification",
                    "wrong place", "repeat information"]
#: Kinds of waste a flow codebook may name.
WASTE_KINDS = ["handoff", "rework", "inspection", "waiting", "chasing", "duplication"]


def pattern_problem(pattern: str) -> str | None:
    """Why a demand pattern cannot be used, or None.

    Patterns are matched with RE2 (through pyarrow), which runs in time linear in the text, so no
    verbatim, however hostile, can make classification hang. RE2 has no look-arounds and no
    back-references (the features that allow catastrophic backtracking); a pattern using them
    is refused here rather than run with a backtracking engine.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    if not pattern.strip():
        return "is empty"
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    try:
        pc.match_substring_regex(pa.array([""]), pattern, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        return (f"uses a feature studylib does not run ({str(exc).split(': ', 1)[-1]}): look-arounds "
                "and back-references can make matching hang on hostile text; rewrite it without them")
    return None


def _read_yaml(path: Path, what: str) -> dict:
    from .yamlfile import load_yaml
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"), Path(path).name)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist (create it, or remove it from study.yml)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} must be a mapping of keys to values, found {type(data).__name__}")
    return data


@dataclass
class DemandCodebook:
    """Demand types with value/failure, sub-type, service, patterns and priority.

    ``types`` is a DataFrame, one row per type: ``demand_type, value_or_failure, failure_subtype,
    service, priority, patterns`` (a list of case-insensitive regular expressions).
    """

    types: pd.DataFrame
    failure_subtypes: list[str] = field(default_factory=lambda: list(FAILURE_SUBTYPES))
    path: Path | None = None

    def __repr__(self) -> str:
        n_fail = int((self.types["value_or_failure"] == "failure").sum()) if len(self.types) else 0
        return f"<DemandCodebook: {len(self.types)} demand types ({n_fail} failure)>"


def demand_codebook_from_dict(data: dict, *, source: str = "demand_codebook.yml",
                              path: Path | None = None) -> DemandCodebook:
    problems: list[str] = []
    subtypes = data.get("failure_subtypes", FAILURE_SUBTYPES)
    if not isinstance(subtypes, list):
        problems.append("failure_subtypes must be a list of names")
        subtypes = FAILURE_SUBTYPES
    subtypes = [str(s) for s in subtypes]
    entries = data.get("types") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: 'types' must be a list of demand types")
    rows, seen = [], {}
    for i, entry in enumerate(entries, start=1):
        where = f"{source} type #{i}"
        if not isinstance(entry, dict) or not entry.get("type"):
            problems.append(f"{where}: each entry needs a 'type' (the demand type in customer language)")
            continue
        name = str(entry["type"]).strip()
        where = f"{source} type #{i} '{name}'"
        if name.lower() in seen:
            problems.append(f"{where}: duplicate type (also entry #{seen[name.lower()]}); merge the two entries")
        seen.setdefault(name.lower(), i)
        vof = str(entry.get("value_or_failure", "")).strip().lower()
        if vof not in ("value", "failure"):
            problems.append(f"{where}: value_or_failure is {entry.get('value_or_failure')!r}; expected 'value' or 'failure'")
        sub = entry.get("failure_subtype")
        sub = None if sub in (None, "") else str(sub).strip().lower()
        if vof == "failure" and sub is None:
            problems.append(f"{where}: a failure type needs a failure_subtype, one of {subtypes}")
        if sub is not None and sub not in [s.lower() for s in subtypes]:
            problems.append(f"{where}: unknown failure_subtype {sub!r}; expected one of {subtypes} "
                            f"(or add it under failure_subtypes:)")
        if vof == "value" and sub is not None:
            problems.append(f"{where}: a value type has no failure_subtype (found {sub!r})")
        patterns = entry.get("patterns") or []
        if isinstance(patterns, str):
            patterns = [patterns]
        for p in patterns:
            problem = pattern_problem(str(p))
            if problem:
                problems.append(f"{where}: pattern {p!r} {problem}")
        try:
            priority = int(entry.get("priority", 0))
        except (TypeError, ValueError):
            problems.append(f"{where}: priority {entry.get('priority')!r} is not a whole number")
            priority = 0
        rows.append({"demand_type": name, "value_or_failure": vof, "failure_subtype": sub,
                     "service": entry.get("service"), "priority": priority,
                     "patterns": [str(p) for p in patterns]})
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in {source}:\n  - " + "\n  - ".join(problems))
    types = pd.DataFrame(rows, columns=["demand_type", "value_or_failure", "failure_subtype",
                                        "service", "priority", "patterns"])
    return DemandCodebook(types=types, failure_subtypes=subtypes, path=path)


def load_demand_codebook(path: str | Path) -> DemandCodebook:
    """Read and check ``demand_codebook.yml``.

    Examples
    --------
    >>> cb = load_demand_codebook("data/sample/demand_codebook.yml")  # doctest: +SKIP
    """
    path = Path(path)
    return demand_codebook_from_dict(_read_yaml(path, "demand codebook"), source=path.name, path=path)


@dataclass
class FlowCodebook:
    """What each activity means.

    ``activities`` is a DataFrame, one row per activity: ``activity, kind`` ("value" or "waste"),
    ``waste_kind`` (one of :data:`WASTE_KINDS` or missing). The clock lists hold activity names.
    """

    activities: pd.DataFrame
    customer_start: list[str] = field(default_factory=list)
    official_start: list[str] = field(default_factory=list)
    solved: list[str] = field(default_factory=list)
    official_end: list[str] = field(default_factory=list)
    dirty: list[str] = field(default_factory=list)
    path: Path | None = None

    def __repr__(self) -> str:
        n_waste = int((self.activities["kind"] == "waste").sum()) if len(self.activities) else 0
        return f"<FlowCodebook: {len(self.activities)} activities ({n_waste} waste)>"


def _names(value, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    problems.append(f"{where} must be an activity name or a list of them, found {value!r}")
    return []


def flow_codebook_from_dict(data: dict, *, source: str = "flow_codebook.yml",
                            path: Path | None = None) -> FlowCodebook:
    problems: list[str] = []
    acts = data.get("activities") or {}
    if not isinstance(acts, dict):
        raise ConfigError(f"{source}: 'activities' must map each activity name to 'value' or {{waste: KIND}}")
    rows = []
    for name, spec in acts.items():
        where = f"{source} activity '{name}'"
        if spec == "value" or (isinstance(spec, dict) and spec.get("kind") == "value"):
            rows.append({"activity": str(name), "kind": "value", "waste_kind": None})
            continue
        kind = spec.get("waste") if isinstance(spec, dict) else None
        if isinstance(spec, str) and spec.startswith("waste"):
            kind = spec.split(":", 1)[1].strip() if ":" in spec else None
        if kind is None:
            problems.append(f"{where}: expected 'value' or {{waste: KIND}} with KIND one of {WASTE_KINDS}, found {spec!r}")
            continue
        kind = str(kind).strip().lower().replace("-", "")
        if kind not in WASTE_KINDS:
            problems.append(f"{where}: unknown waste kind {kind!r}; expected one of {WASTE_KINDS}")
            continue
        rows.append({"activity": str(name), "kind": "waste", "waste_kind": kind})
    lists = {key: _names(data.get(key), f"{source} '{key}'", problems)
             for key in ("customer_start", "official_start", "solved", "official_end", "dirty")}
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in {source}:\n  - " + "\n  - ".join(problems))
    return FlowCodebook(activities=pd.DataFrame(rows, columns=["activity", "kind", "waste_kind"]),
                        path=path, **lists)


def load_flow_codebook(path: str | Path) -> FlowCodebook:
    """Read and check ``flow_codebook.yml``."""
    path = Path(path)
    return flow_codebook_from_dict(_read_yaml(path, "flow codebook"), source=path.name, path=path)


def add_pattern(path: str | Path, demand_type: str, pattern: str) -> Path:
    """Add a pattern to a demand type in ``demand_codebook.yml``, safely.

    The pattern is refused (:class:`ConfigError`) if it is empty, invalid, or uses a feature that
    could hang matching (see :func:`pattern_problem`), or if the type is not in the codebook. The
    file is rewritten atomically (a temporary file replaced in one step) after a backup of the
    previous version is kept beside it as ``demand_codebook.yml.bak``. Comments survive when the
    type's patterns are written on one line (``patterns: [...]``), as the templates write them.

    Returns
    -------
    Path of the backup.
    """
    import shutil

    path = Path(path)
    problem = pattern_problem(str(pattern))
    if problem:
        raise ConfigError(f"pattern {pattern!r} {problem}")
    text = path.read_text(encoding="utf-8")
    from .yamlfile import load_yaml
    data = load_yaml(text, path.name) or {}
    entries = data.get("types") or []
    target = next((e for e in entries if isinstance(e, dict) and str(e.get("type", "")).strip() == demand_type), None)
    if target is None:
        raise ConfigError(f"{path.name} has no demand type {demand_type!r}; add the type first")
    current = target.get("patterns") or []
    current = [current] if isinstance(current, str) else list(current)
    if pattern in current:
        return path.with_name(path.name + ".bak")
    target["patterns"] = current + [pattern]
    demand_codebook_from_dict(data, source=path.name)   # the new codebook must still be valid

    new_text = _insert_pattern(text, demand_type, pattern)
    if new_text is None or yaml.safe_load(new_text) != data:
        new_text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    backup = path.with_name(path.name + ".bak")
    with said_in_words(f"{backup.name}", f"{path.name} is as it was"):
        shutil.copy2(path, backup)
    atomic_text(path, new_text)
    return backup


def _insert_pattern(text: str, demand_type: str, pattern: str) -> str | None:
    """The codebook text with ``pattern`` appended to the type's one-line ``patterns: [...]``."""
    lines = text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("- type:") and yaml.safe_load(stripped[len("- type:"):].split(" #")[0] or "''") == demand_type:
            start = i
            break
    if start is None:
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    for j in range(start + 1, len(lines)):
        line = lines[j]
        if line.strip().startswith("- ") and len(line) - len(line.lstrip()) <= indent:
            return None   # the next entry: this type has no one-line patterns
        if line.strip().startswith("patterns:"):
            head, _, rest = line.partition("patterns:")
            body = rest.rstrip("\n")
            close = body.rfind("]")
            if "[" not in body or close < 0:
                return None
            inner = body[body.index("[") + 1:close].strip()
            quoted = yaml.safe_dump([pattern], default_flow_style=True, width=10_000).strip()[1:-1]
            new_body = body[:close].rstrip() + (", " if inner else "") + quoted + body[close:]
            lines[j] = head + "patterns:" + new_body + "\n"
            return "".join(lines)
    return None


def activity_flags(names: pd.Index, codebook: FlowCodebook) -> dict[str, np.ndarray]:
    """Per activity name: whether it is value work, waste, known to the codebook, starts the
    organisation's clock, solves the problem, stops the official clock, or marks a dirty case."""
    acts = codebook.activities.set_index("activity")["kind"] if len(codebook.activities) else pd.Series(dtype=object)
    kind = pd.Series(names, index=names).map(acts)
    return {
        "value": (kind == "value").to_numpy(),
        "waste": (kind == "waste").to_numpy(),
        "known": kind.notna().to_numpy(),
        "official_start": names.isin(codebook.official_start),
        "solved": names.isin(codebook.solved),
        "official_end": names.isin(codebook.official_end),
        "dirty": names.isin(codebook.dirty),
    }
