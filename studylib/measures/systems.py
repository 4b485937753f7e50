"""Dated system changes: which system each case and contact belongs to.

study.yml's ``system_changes`` date each change to a service's design. Every figure of that
service is split at each change, in every stage, so that the system as it is now is never
averaged with the one it replaced. A case belongs to the system it *entered* (its first event);
a contact to the system in place when it arrived.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..text import long_date

__all__ = ["system_periods", "assign_systems", "current_system", "WHOLE_PERIOD"]

#: The label of a service's figures where no dated change applies.
WHOLE_PERIOD = "whole period"


def _changes_for(changes: list[dict], service) -> list[dict]:
    """The changes that apply to a service (a change with no service applies to all), by date."""
    found = [c for c in changes or [] if c.get("service") in (None, "") or service is None
             or c.get("service") == service]
    return sorted(found, key=lambda c: pd.Timestamp(c["date"]))


def system_periods(changes: list[dict], services) -> pd.DataFrame:
    """The systems of each service: one row per period between dated changes.

    Parameters
    ----------
    changes : list of dict
        study.yml ``system_changes`` (``date``, optionally ``service`` and ``what``).
    services : iterable of str
        The services to describe.

    Returns
    -------
    DataFrame
        ``service, era, system, start, end, what``: ``era`` counts from 0 (before the first
        change); ``system`` is the label prose and tables use ("before 10 March 2025", "since 10
        March 2025", or :data:`WHOLE_PERIOD` for a service no change names); ``start``/``end``
        are the change dates bounding it (missing at the open ends); ``what`` describes the
        change that started it.

    Examples
    --------
    >>> system_periods([{"date": "2025-03-10", "service": "Repairs", "what": "redesign"}], ["Repairs"])["system"].tolist()
    ['before 10 March 2025', 'since 10 March 2025']
    """
    rows = []
    for service in services:
        mine = _changes_for(changes, service)
        if not mine:
            rows.append({"service": service, "era": 0, "system": WHOLE_PERIOD, "start": pd.NaT, "end": pd.NaT,
                         "what": ""})
            continue
        dates = [pd.Timestamp(c["date"]) for c in mine]
        rows.append({"service": service, "era": 0, "system": f"before {long_date(dates[0])}", "start": pd.NaT,
                     "end": dates[0], "what": ""})
        for i, change in enumerate(mine, start=1):
            end = dates[i] if i < len(dates) else pd.NaT
            label = (f"since {long_date(dates[i - 1])}" if i == len(dates)
                     else f"{long_date(dates[i - 1])} to {long_date(dates[i])}")
            rows.append({"service": service, "era": i, "system": label, "start": dates[i - 1], "end": end,
                         "what": str(change.get("what") or "")})
    return pd.DataFrame(rows, columns=["service", "era", "system", "start", "end", "what"])


def assign_systems(stamps: pd.Series, services: pd.Series, changes: list[dict]) -> pd.DataFrame:
    """Which system each row belongs to, from when it started and its service.

    Parameters
    ----------
    stamps : Series of timestamps
        When each case entered (its first event) or each contact arrived. Missing stamps belong
        to the first system.
    services : Series
        Each row's service (aligned with ``stamps``); a change with no service applies to all.
    changes : list of dict
        study.yml ``system_changes``.

    Returns
    -------
    DataFrame
        Aligned with ``stamps``: ``era`` (0 before the first change of the row's service) and
        ``system`` (the label of :func:`system_periods`).
    """
    stamps = pd.Series(stamps)
    services = pd.Series(services, index=stamps.index)
    era = np.zeros(len(stamps), dtype=np.int64)
    system = np.full(len(stamps), WHOLE_PERIOD, dtype=object)
    keys = services.astype(object).where(services.notna(), None)
    periods = system_periods(changes, pd.unique(keys))
    for service, part in periods.groupby("service", sort=False, dropna=False):
        mine = (keys == service).to_numpy() if service is not None else keys.isna().to_numpy()
        if not mine.any():
            continue
        for rec in part.to_dict("records"):
            if rec["era"] == 0:
                system[mine] = rec["system"]
                continue
            when = rec["start"]
            if when.tzinfo is None and getattr(stamps.dt, "tz", None) is not None:
                when = when.tz_localize(stamps.dt.tz)
            later = mine & (stamps >= when).fillna(False).to_numpy(dtype=bool)
            era[later] = rec["era"]
            system[later] = rec["system"]
    return pd.DataFrame({"era": era, "system": system}, index=stamps.index)


def current_system(periods: pd.DataFrame, service) -> dict:
    """The latest period of a service (from :func:`system_periods`), as a dict."""
    part = periods[periods["service"] == service]
    return part.iloc[-1].to_dict() if len(part) else {"service": service, "era": 0, "system": WHOLE_PERIOD,
                                                       "start": pd.NaT, "end": pd.NaT, "what": ""}
