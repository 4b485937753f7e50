"""The check's settings: declared once, read from study.yml, overridden on the command line.

Every stage reads the same settings, so two reports of one run can never disagree because one
of them was given another radius or another as-of date. The order of precedence is: the
defaults below, then study.yml (``period:`` and ``as_of:`` at the top, the rest under
``check:``), then ``studylib check -p NAME VALUE``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from ..errors import ConfigError, ParameterError

__all__ = ["SETTINGS", "Setting", "resolve_settings", "settings_help", "settings_as_text"]


@dataclass(frozen=True)
class Setting:
    """One setting: its kind (``date``, ``number``, ``count`` (a whole number of at least
    ``minimum``), ``count or date``, ``bool`` or ``choice``), default and meaning."""

    kind: str
    default: object
    meaning: str
    choices: tuple = ()
    minimum: int = 1


#: Every setting of a check, with its meaning. ``None`` as a default means "from study.yml".
SETTINGS: dict[str, Setting] = {
    "period_start": Setting("date", None, "first day of demand to include (default: study.yml period.start)"),
    "period_end": Setting("date", None, "last day of demand to include (default: study.yml period.end)"),
    "as_of": Setting("date", None, "the end of the data: cases not solved by then are open "
                                   "(default: study.yml as_of, else the last event)"),
    "radius_m": Setting("number", 50.0, "contacts of one kind this close, in metres, ..."),
    "window_days": Setting("number", 28.0, "... and this close in days, are about the same problem"),
    "business_days": Setting("bool", False, "count working days (weekends and study.yml holidays left out)"),
    "clock": Setting("choice", "customer", "the capability chart's clock: customer (first contact to "
                                           "solved) or organisation (registered to closed)",
                     ("customer", "organisation")),
    "order": Setting("choice", "arrival", "capability chart order: arrival (each system in a span of its own) "
                     "or completion", ("arrival", "completion")),
    "target": Setting("number", None, "end-to-end target in days (default: study.yml targets)"),
    "redact": Setting("bool", True, "hide e-mails, phone numbers, postcodes and card numbers in reports"),
    "engine": Setting("choice", "pandas", "where the flow figures and weekly demand are computed: pandas (in "
                      "memory), duckdb (pip install 'studylib[duckdb]') or spark (the active or a local Spark "
                      "session; pip install 'studylib[spark]'); the figures are the same", ("pandas", "duckdb", "spark")),
    "freeze": Setting("count or date", None, "the first cases since a dated change whose limits the redesigned "
                      "system is held to: how many (at least 12), or a date (those that arrived before it); default: "
                      "those of its first two weeks, and at least 30. Later weeks of cases are judged against them",
                      minimum=12),
}


def settings_help() -> str:
    """Every setting with its default and meaning, one a line (for error messages and --help)."""
    width = max(len(n) for n in SETTINGS)
    lines = []
    for name, s in SETTINGS.items():
        default = "" if s.default is None else f" [default {str(s.default).lower() if s.kind == 'bool' else s.default}]"
        lines.append(f"  {name.ljust(width)}  {s.meaning}{default}")
    return "\n".join(lines)


def settings_as_text(settings: dict) -> dict:
    """Resolved settings as a manifest or a ledger writes them: dates as 2025-03-10, the rest as they are."""
    from ..text import iso_date
    return {k: (iso_date(v) if isinstance(v, pd.Timestamp) else v) for k, v in settings.items()}


def iso_datetime(text: str):
    """A date, or a date and time, written the ISO way (2025-03-10, 2025-03-10 14:30), read whole:
    '2025-05-12 at noon' and '2025-03-10T99:00' are not dates. None when it is not one."""
    import datetime as dt
    text = text.strip()
    if len(text) < 10 or text[4] != "-":
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def coerce_setting(name: str, value, timezone: str, error, *, kind: str | None = None):
    setting = SETTINGS[name]
    if kind is not None:                  # one kind of a setting of two ("count or date")
        setting = dataclasses.replace(setting, kind=kind)
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "null")):
        return None if setting.kind in ("date", "number", "count", "count or date") else setting.default
    if setting.kind == "count or date":
        text = str(value).strip()
        whole = isinstance(value, int) or text.isdigit() or (isinstance(value, float) and value.is_integer())
        if whole:
            return coerce_setting(name, value, timezone, error, kind="count")
        if len(text) >= 10 or "/" in text or hasattr(value, "year"):
            return coerce_setting(name, value, timezone, error, kind="date")
        raise error(f"{name}: {value!r} is neither a number of cases nor a date (expected e.g. 30 or 2025-03-24)")
    if setting.kind == "date":
        text = str(value).strip()
        if "/" in text:
            raise error(f"{name}: {value!r} reads two ways (day first or month first); write it as 2025-04-01")
        moment = iso_datetime(text)
        if moment is None:
            raise error(f"{name}: {value!r} is not a date (expected e.g. 2025-04-01, or 2025-04-01 17:00)")
        stamp = pd.Timestamp(moment)
        return stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp.tz_convert(timezone)
    if setting.kind == "number":
        if isinstance(value, bool):
            raise error(f"{name}: {value!r} is not a number")
        try:
            number = float(value)
        except (ValueError, TypeError):
            raise error(f"{name}: {value!r} is not a number (expected e.g. {setting.default or 28})") from None
        if not number > 0 or number == float("inf"):
            raise error(f"{name}: {value!r} must be a positive number")
        return number
    if setting.kind == "count":
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() and not (isinstance(value, float) and value.is_integer()):
            raise error(f"{name}: {value!r} is not a whole number (expected e.g. {setting.default})")
        count = int(float(text))
        if count < setting.minimum:
            raise error(f"{name}: {value!r} is too few: limits need at least {setting.minimum} cases")
        return count
    if setting.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise error(f"{name}: {value!r} is not true or false")
    text = str(value).strip().lower()
    if text not in setting.choices:
        raise error(f"{name}: {value!r} is not one of {', '.join(setting.choices)}")
    return text


def resolve_settings(config: dict, overrides: dict | None = None) -> dict:
    """The settings of one check: defaults, then study.yml, then ``overrides``.

    Parameters
    ----------
    config : dict
        study.yml as :func:`studylib.read.study.read_config` returns it.
    overrides : dict, optional
        ``{name: value}`` from ``studylib check -p NAME VALUE``; values may be text.

    Returns
    -------
    dict
        Every name in :data:`SETTINGS`, with dates as timezone-aware timestamps.

    Raises
    ------
    ConfigError
        study.yml's ``check:`` section names an unknown setting or a bad value.
    ParameterError
        An override names an unknown setting or a bad value; the message lists every setting.
    """
    tz = config.get("timezone") or "UTC"
    period = config.get("period") or {}
    out = {name: s.default for name, s in SETTINGS.items()}
    out.update(period_start=period.get("start"), period_end=period.get("end"), as_of=config.get("as_of"))
    section = config.get("check") or {}
    if not isinstance(section, dict):
        raise ConfigError("study.yml check: must be a mapping of setting names to values, e.g. "
                          "check: {radius_m: 80}")
    if "as_of" in section and config.get("as_of") is not None and section["as_of"] is not None:
        raise ConfigError(f"study.yml gives two as-of dates: as_of: {config['as_of']:%Y-%m-%d} at the top and "
                          f"as_of: {section['as_of']} under check:; keep one (the top-level as_of: is the study's)")
    for source, values, error in (("study.yml check:", section, ConfigError),
                                  ("-p", dict(overrides or {}), ParameterError)):
        for name, value in values.items():
            if "." in str(name) and str(name).split(".", 1)[1] in SETTINGS:
                raise error(f"{source} {name}: settings apply to the whole check, so that every stage "
                            f"shows the same figures; write {str(name).split('.', 1)[1]} without the stage")
            if name not in SETTINGS:
                raise error(f"{source} has no setting {name!r}. The settings are:\n{settings_help()}")
            out[name] = coerce_setting(name, value, tz, lambda msg: error(f"{source} {msg}"))
    if out["period_start"] is not None and out["period_end"] is not None and out["period_end"] < out["period_start"]:
        raise ParameterError(f"period_end {out['period_end']:%Y-%m-%d} is before period_start "
                             f"{out['period_start']:%Y-%m-%d}")
    return out
