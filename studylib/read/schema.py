"""study.yml checked as a whole: every key, type, shape and range, every problem at once.

The shape of study.yml is a JSON Schema (:data:`STUDY_SCHEMA`), checked by :func:`iter_errors`
(the tests hold it to what ``jsonschema`` finds); each error is turned into a problem record
in the same words as the data problems: where (the line of study.yml and the key), what was found,
and how to fix it, with an example. An unknown key names the nearest known one, because a typo
such as ``sytem_changes:`` would otherwise drop the system change without a word. What a schema
cannot say (a time zone name, an encoding, low above high, a change for a service the study does
not have, a file outside the study folder) is checked after it.
"""
from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..text import did_you_mean
from .settings import iso_datetime
from .yamlfile import load_yaml

__all__ = ["STUDY_SCHEMA", "FINDINGS_SCHEMA", "check_config", "check_findings", "key_lines", "load_yaml",
           "named_files"]


_DATE = {"type": "string", "format": "date", "x-example": "2025-03-10"}
#: The measures a target can be set on: days on the customer's clock (first contact to solved) and
#: on the organisation's (registered to closed).
TARGET_MEASURES = ("end_to_end_days", "official_days")
_TEXT = {"type": "string"}
_NUMBER = {"type": "number", "x-example": "28"}
_FILE = {"type": "string", "x-example": "demand.csv"}


def _table(extra: dict) -> dict:
    props = {
        "file": _FILE,
        "columns": {"type": "object", "additionalProperties": {"type": "string"},
                    "x-example": "{contact_id: SRNumber, received_at: CreatedDate}"},
        "values": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                   "x-example": "{service: Repairs}"},
        "timestamp_formats": {"type": ["string", "array"], "items": {"type": "string"},
                              "x-example": '["%d/%m/%Y %H:%M"]'},
        "timestamp_format": {"type": "string", "x-example": '"%d/%m/%Y %H:%M"'},
        "dayfirst": {"type": "boolean", "x-example": "true"},
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1, "x-example": '";"'},
        "encoding": {"type": "string", "x-example": "cp1252"},
        "sheet": {"type": ["string", "integer"], "x-example": "Sheet1"},
        "header_row": {"type": "integer", "minimum": 1, "x-example": "3 (title rows sit above the header)"},
        **extra,
    }
    return {"type": ["object", "string"], "required": ["file"], "properties": props, "additionalProperties": False,
            "x-example": "{file: demand.csv}"}


STUDY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": ["string", "number"], "x-example": "My service check"},
        "services": {"type": ["array", "string"], "items": _TEXT, "x-example": "[Repairs, Highways] (or all)"},
        "timezone": {"type": "string", "x-example": "Europe/London"},
        "period": {"type": "object", "properties": {"start": _DATE, "end": _DATE}, "additionalProperties": False,
                   "x-example": "{start: 2025-01-06, end: 2025-04-27}"},
        "as_of": _DATE,
        "targets": {"type": "array", "x-example": "[{measure: end_to_end_days, value: 28, label: 28-day target}]",
                    "items": {"type": "object", "required": ["value"], "additionalProperties": False,
                              "x-example": "{measure: end_to_end_days, value: 28}",
                              "properties": {"measure": _TEXT, "value": {**_NUMBER, "exclusiveMinimum": 0},
                                             "service": _TEXT, "label": _TEXT}}},
        "system_changes": {"type": "array", "x-example": "[{date: 2025-03-10, service: Repairs, what: Redesign}]",
                           "items": {"type": "object", "required": ["date"], "additionalProperties": False,
                                     "x-example": "{date: 2025-03-10, what: Redesign}",
                                     "properties": {"date": _DATE, "service": _TEXT, "what": _TEXT}}},
        "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "x-example": "GBP"},
        "channel_costs": {"type": "object", "x-example": "{phone: {low: 1.34, high: 3.21, source: ...}}",
                          "additionalProperties": {
                              "type": "object", "required": ["low"], "additionalProperties": False,
                              "x-example": "{low: 1.34, high: 3.21, source: where the figure comes from}",
                              "properties": {"low": {**_NUMBER, "minimum": 0, "x-example": "1.34"},
                                             "high": {**_NUMBER, "minimum": 0, "x-example": "3.21"},
                                             "source": _TEXT}}},
        "channels": {"type": "object", "additionalProperties": {"type": ["array", "string"], "items": _TEXT},
                     "x-example": '{phone: ["Rang in"]}'},
        "check": {"type": "object", "x-example": "{radius_m: 50, window_days: 28}"},
        "demand": _table({"empty_verbatim": {"enum": ["keep", "set_aside"], "x-example": "keep"}}),
        "events": _table({}),
        "cases": _table({}),
        "demand_codebook": {**_FILE, "x-example": "demand_codebook.yml"},
        "flow_codebook": {**_FILE, "x-example": "flow_codebook.yml"},
        "findings": {**_FILE, "x-example": "findings.yml"},
        "capture": {**_FILE, "x-example": "capture.sqlite"},
        "never_show": {"type": ["array", "string"], "items": _TEXT, "x-example": "[customer_ref, address]"},
        "holidays": {"type": "array", "items": _DATE, "x-example": "[2025-04-18, 2025-04-21]"},
        "allow_outside": {"type": "boolean", "x-example": "true"},
    },
}

#: Keys that must have a value when they are written; any other may be left empty (not set).
_NEEDED = {"file", "value", "date", "low"}


def _nullable(node: dict, name: str | None = None) -> dict:
    """Allow an empty value (YAML's ``key:`` with nothing after it) wherever a key may be left unset."""
    node = dict(node)
    if "type" in node and name not in _NEEDED:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = types + (["null"] if "null" not in types else [])
    if "enum" in node and name not in _NEEDED:
        node["enum"] = list(node["enum"]) + [None]
    if "properties" in node:
        node["properties"] = {k: _nullable(v, k) for k, v in node["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _nullable(node[key])
    return node


STUDY_SCHEMA = _nullable(STUDY_SCHEMA)
STUDY_SCHEMA["type"] = "object"

_TEXTS = {"type": "array", "items": _TEXT, "x-example": "[progress chasing, hand-offs]"}
FINDINGS_SCHEMA = _nullable({
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "purpose": {**_TEXT, "x-example": "Help me get things put right, first time, when it suits me."},
        "de_facto_purpose": {**_TEXT, "x-example": "Close repairs within 28 days of registration."},
        "what_matters": {**_TEXTS, "x-example": "[fixed first time, know when someone is coming]"},
        "system_conditions": {"type": "array", "x-example": "[{condition: 28-day target, causes: [progress chasing]}]",
                              "items": {"type": "object", "required": ["condition"], "additionalProperties": False,
                                        "x-example": "{condition: 28-day target, causes: [progress chasing]}",
                                        "properties": {"condition": {**_TEXT, "x-example": "28-day target"},
                                                       "causes": _TEXTS, "evidence": _TEXT,
                                                       "ended_by": _DATE}}},
        "thinking": {"type": "array", "x-example": "[{belief: Targets drive performance., behind: [28-day target]}]",
                     "items": {"type": "object", "required": ["belief"], "additionalProperties": False,
                               "x-example": "{belief: Targets drive performance., behind: [28-day target]}",
                               "properties": {"belief": {**_TEXT, "x-example": "Targets drive performance."},
                                              "consequence": _TEXT, "behind": _TEXTS}}},
    },
})
FINDINGS_SCHEMA["type"] = "object"

_TYPE_WORDS = {"object": "a mapping (key: value)", "array": "a list", "string": "text", "number": "a number",
               "integer": "a whole number", "boolean": "true or false", "null": "empty"}


def key_lines(text: str) -> dict[tuple, int]:
    """The line (1-based) of every key and list item in a YAML text, by its path."""
    import yaml
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple, int] = {}
    twice: list = []

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if path + (key.value,) in lines:
                    twice.append((path + (key.value,), key.start_mark.line + 1))
                lines[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))
    if root is not None:
        walk(root, ())
    lines[("__twice__",)] = twice      # keys written twice: YAML keeps the last without a word
    return lines


def _plain(value):
    """YAML's dates as ISO text, so that the schema sees JSON types."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _subschema(path, root: dict) -> dict:
    node = root
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return {}
    return node


def _problem(lines, path, value, problem, fix, label: str = "study.yml") -> dict:
    line = None
    for i in range(len(path), 0, -1):
        if tuple(path[:i]) in lines:
            line = lines[tuple(path[:i])]
            break
    shown = value if isinstance(value, (str, int, float, bool)) or value is None else None
    return {"file": label, "row": line, "column": _where(path) or None, "value": shown,
            "problem": problem, "fix": fix}


@dataclass
class SchemaError:
    """One place an instance breaks its schema, in the shape jsonschema's ValidationError has."""

    absolute_path: list
    validator: str
    validator_value: object
    instance: object
    schema: dict
    message: str = ""


_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, kind: str) -> bool:
    if kind in ("number", "integer"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and (kind == "number" or float(value).is_integer())
    return isinstance(value, _JSON_TYPES[kind])


def _is_date(value) -> bool:
    return iso_datetime(value) is not None


def iter_errors(instance, schema: dict, path: tuple = ()):
    """Every error of ``instance`` against ``schema``, for the JSON Schema keywords studylib's
    schemas use (type, enum, required, properties, additionalProperties, items, minimum,
    exclusiveMinimum, minLength, maxLength, pattern, format: date). The tests check that it finds
    what jsonschema finds; it is written here because importing jsonschema takes over a second
    (it compiles URI grammars at import), longer than reading the whole sample study."""
    def error(keyword, message=""):
        return SchemaError(list(path), keyword, schema[keyword], instance, schema, message)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(instance, k) for k in kinds):
            yield error("type")
            return
    if "enum" in schema and instance not in schema["enum"]:
        yield error("enum")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                yield error("required")
                break
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if extra is False and set(instance) - set(props):
            yield error("additionalProperties")
        for key, value in instance.items():
            if key in props:
                yield from iter_errors(value, props[key], path + (key,))
            elif isinstance(extra, dict):
                yield from iter_errors(value, extra, path + (key,))
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(instance):
            yield from iter_errors(value, schema["items"], path + (i,))
    if _is(instance, "number"):
        if "minimum" in schema and instance < schema["minimum"]:
            yield error("minimum")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            yield error("exclusiveMinimum")
    if isinstance(instance, str):
        if "minLength" in schema and len(instance) < schema["minLength"]:
            yield error("minLength")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            yield error("maxLength")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            yield error("pattern")
        if schema.get("format") == "date" and not _is_date(instance):
            yield error("format")


def _schema_problems(data: dict, lines: dict, root: dict = STUDY_SCHEMA, label: str = "study.yml") -> list[dict]:
    out = []
    for err in sorted(iter_errors(data, root), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        schema = err.schema if isinstance(err.schema, dict) else {}
        example = schema.get("x-example") or _subschema(path, root).get("x-example")
        key = _where(path) or label
        if err.validator == "additionalProperties":
            allowed = list(schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                out.append(_problem(lines, path + [extra], None,
                                    f"'{extra}' is not a key studylib knows{did_you_mean(extra, allowed)}",
                                    f"the keys here are: {', '.join(allowed)}", label))
            continue
        if err.validator == "type":
            wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
            # A table may be just its file name; a list of texts may be one text: say the fuller form.
            shown = [w for w in wanted if w != "null" and not (w == "string" and "object" in wanted)]
            words = " or ".join(_TYPE_WORDS.get(w, w) for w in shown)
            problem = f"should be {words}, not {_TYPE_WORDS.get(_json_type(err.instance), 'that')}"
        elif err.validator == "required":
            missing = [r for r in err.validator_value if r not in (err.instance or {})]
            problem = f"needs {', '.join(missing)}"
        elif err.validator in ("minimum", "exclusiveMinimum"):
            problem = "must be above 0" if err.validator == "exclusiveMinimum" else f"must be {err.validator_value} or more"
        elif err.validator == "enum":
            problem = f"should be one of {', '.join(map(str, err.validator_value))}"
        elif err.validator == "format":
            problem = "is not a date"
        elif err.validator == "pattern" and path[-1:] == ["currency"]:
            problem = "is not a three-letter currency code"
        elif err.validator in ("minLength", "maxLength"):
            problem = "should be one character"
        else:
            problem = err.message
        if isinstance(err.instance, str) and err.validator == "type" and "number" in wanted:
            example = f"a plain number such as {example}, without a currency sign or thousands separator"
        out.append(_problem(lines, path, err.instance, problem, f"write {key}: {example}" if example else "", label))
    return out


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


#: What people write to mean every service, where the rule is to leave service out.
_EVERY = {"all", "all services", "every", "every service", "any", "*", "everything"}


def _meaning_problems(data: dict, lines: dict, folder: Path | None) -> list[dict]:
    """What the schema cannot say: names, orders, references, and where files are."""
    from .settings import SETTINGS
    from .tables import DEFAULT_CHANNELS
    out = []
    tz = data.get("timezone")
    if isinstance(tz, str):
        try:
            import zoneinfo
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            out.append(_problem(lines, ["timezone"], tz, "is not a time zone name",
                                "write timezone: Europe/London (or the service's own zone, e.g. America/Los_Angeles)"))
    period = data.get("period")
    if isinstance(period, dict) and isinstance(period.get("start"), str) and isinstance(period.get("end"), str) \
            and period["end"][:10] < period["start"][:10]:
        out.append(_problem(lines, ["period", "end"], period["end"], f"is before period.start ({period['start'][:10]})",
                            "swap them: the period runs from start to end"))
    if isinstance(data.get("services"), str) and data["services"].strip().lower() != "all":
        out.append(_problem(lines, ["services"], data["services"], "should be a list (or all), not text",
                            f"services: [{data['services']}] (one service), or services: all (every service in the data)"))
    services = [s for s in data.get("services") or [] if isinstance(s, str)] if isinstance(data.get("services"), list) else []
    for section in ("targets", "system_changes"):
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            service = item.get("service") if isinstance(item, dict) else None
            if isinstance(service, str) and service.strip().lower() in _EVERY:
                out.append(_problem(lines, [section, i, "service"], service, "is not a service's name",
                                    "leave service: out: a target or change without one applies to every service"))
            elif services and isinstance(service, str) and service not in services:
                out.append(_problem(lines, [section, i, "service"], service,
                                    f"is not one of the study's services{did_you_mean(service, services)}",
                                    f"services: {', '.join(services)}; leave service: out for one that applies to "
                                    "every service"))
    costs = data.get("channel_costs")
    channels = set(DEFAULT_CHANNELS) | set(data.get("channels") or {} if isinstance(data.get("channels"), dict) else {})
    for channel, cost in (costs.items() if isinstance(costs, dict) else []):
        if channel not in channels:
            out.append(_problem(lines, ["channel_costs", channel], None,
                                f"'{channel}' is not a channel{did_you_mean(channel, channels)}",
                                f"channels: {', '.join(sorted(channels))}"))
        if isinstance(cost, dict) and all(isinstance(cost.get(k), (int, float)) and not isinstance(cost.get(k), bool)
                                          for k in ("low", "high")) and cost["high"] < cost["low"]:
            out.append(_problem(lines, ["channel_costs", channel, "high"], cost["high"],
                                f"is below low ({cost['low']})", "the range runs from low to high: swap them"))
    check = data.get("check")
    if isinstance(check, dict) and check.get("as_of") is not None and data.get("as_of") is not None:
        out.append(_problem(lines, ["check", "as_of"], check["as_of"],
                            f"is a second as-of date (the top-level as_of: says {data['as_of']})",
                            "keep one as_of:, at the top of study.yml"))
    targets = data.get("targets")
    for i, item in enumerate(targets if isinstance(targets, list) else []):
        measure = item.get("measure") if isinstance(item, dict) else None
        if isinstance(measure, str) and measure not in TARGET_MEASURES:
            out.append(_problem(lines, ["targets", i, "measure"], measure,
                                f"is not a measure a target can be set on{did_you_mean(measure, TARGET_MEASURES)}",
                                f"measures: {', '.join(TARGET_MEASURES)}"))
    for name, value in (check.items() if isinstance(check, dict) else []):
        if name not in SETTINGS:
            out.append(_problem(lines, ["check", name], None, f"'{name}' is not a setting{did_you_mean(name, SETTINGS)}",
                                "the settings: studylib check --list-settings"))
            continue
        from ..errors import ConfigError
        from .settings import coerce_setting
        try:
            coerce_setting(name, value, "UTC", ConfigError)      # the settings' own reading of a value
        except ConfigError as exc:
            problem = str(exc).split(": ", 1)[-1]
            problem = problem[len(repr(value)):].strip() if problem.startswith(repr(value)) else problem
            out.append(_problem(lines, ["check", name], value, problem,
                                f"{name}: {SETTINGS[name].meaning}"))
    if data.get("events") and data.get("cases"):
        out.append(_problem(lines, ["cases"], None, "is a second source of cases beside events:",
                            "keep one: events: for a log of one row an event, cases: for an export of one row a case"))
    for section in ("demand", "events", "cases"):
        spec = data.get(section)
        if isinstance(spec, dict) and isinstance(spec.get("encoding"), str):
            try:
                codecs.lookup(spec["encoding"])
            except LookupError:
                out.append(_problem(lines, [section, "encoding"], spec["encoding"], "is not an encoding",
                                    "write encoding: utf-8, cp1252 or utf-16"))
    if folder is not None and data.get("allow_outside") is not True:
        for key, path in named_files(data):
            inside = _inside(folder, path)
            if inside is False:
                out.append(_problem(lines, key, path, "is outside the study folder",
                                    "copy the file into the study folder, or say allow_outside: true in study.yml "
                                    "to read data from elsewhere"))
    return out


def named_files(data: dict):
    """``(key path, file name)`` of every file study.yml names."""
    from .stores import is_url
    for section in ("demand", "events", "cases"):
        spec = data.get(section)
        file = spec if isinstance(spec, str) else spec.get("file") if isinstance(spec, dict) else None
        if isinstance(file, str):
            yield ([section, "file"] if isinstance(spec, dict) else [section]), file
    for key in ("demand_codebook", "flow_codebook", "findings", "capture"):
        if isinstance(data.get(key), str) and not is_url(data[key]):     # a server is not a file
            yield [key], data[key]


def _inside(folder: Path, name: str) -> bool:
    """Whether a file named in study.yml is in the study folder, symlinks followed."""
    root = folder.resolve()
    target = (folder / name).resolve()
    return target == root or root in target.parents


def check_config(data: dict, text: str = "", folder: str | Path | None = None) -> list[dict]:
    """Every problem in study.yml, as problem records (``file, row, column, value, problem, fix``).

    ``text`` (the file's text) gives the line numbers; ``folder`` checks that the files it names
    lie inside the study folder unless ``allow_outside: true``.
    """
    lines = key_lines(text) if text else {}
    plain = _plain(data)
    return (_twice(lines) + _schema_problems(plain, lines)
            + _meaning_problems(plain, lines, Path(folder) if folder else None))


def _twice(lines: dict, label: str = "study.yml") -> list[dict]:
    return [{"file": label, "row": line, "column": _where(path), "value": None,
             "problem": "is written twice; only the last would count",
             "fix": "keep one, and put everything it should say under it"}
            for path, line in lines.get(("__twice__",), [])
            if not any(path[:i] in {p for p, _ in lines.get(("__twice__",), [])} for i in range(1, len(path)))]


def check_findings(data, text: str = "", label: str = "findings.yml") -> list[dict]:
    """Every problem in the team's findings file, as problem records (line numbers from ``text``)."""
    lines = key_lines(text) if text else {}
    if data is None:
        return []
    if not isinstance(data, dict):
        return [_problem(lines, [], None, f"should hold the team's findings as keys and values, not {_TYPE_WORDS.get(_json_type(data), 'that')}",
                         "purpose:, de_facto_purpose:, what_matters:, system_conditions:, thinking:", label)]
    known = FINDINGS_SCHEMA["properties"]
    if data and not set(data) & set(known):
        return [_problem(lines, [], None, f"does not look like a findings file: its keys are {', '.join(map(str, list(data)[:6]))}",
                         "study.yml findings: should name the team's findings file, with purpose:, "
                         "system_conditions: and thinking:", label)]
    return _twice(lines, label) + _schema_problems(_plain(data), lines, FINDINGS_SCHEMA, label)
