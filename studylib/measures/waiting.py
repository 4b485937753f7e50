"""The waiting list as of a date, on both clocks: the list the customer is on, and the one the
organisation counts.

The organisation's list holds the cases it has registered and not closed. The customer's list
holds everyone who has asked and not yet had the problem solved. The difference is the list nobody
counts: customers who have made contact but have no case yet (**not yet registered**), and cases
closed on paper that are not solved for the customer (**closed, not solved**). Ages are calendar
days at the as-of date; a case's service-level date, where the log has one (events column ``due``),
says whether it is past the level the organisation published.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["waiting_list", "waiting_summary", "list_over_time"]

_DAY = pd.Timedelta(days=1)


def waiting_list(times: pd.DataFrame, events: pd.DataFrame | None = None, *, as_of: pd.Timestamp | None = None,
                 targets: dict | None = None) -> pd.DataFrame:
    """Every case open on the customer's clock at ``as_of``, with its age on both clocks.

    Parameters
    ----------
    times : DataFrame
        :func:`studylib.case_times` at the as-of date (``is_open``, ``customer_start``,
        ``official_start``, ``official_end``; ``system`` where split by changes).
    events : DataFrame, optional
        The case events; a ``due`` column (the case's service-level date) is carried over.
    as_of : Timestamp, optional
        Default ``times.attrs["as_of"]``.
    targets : dict, optional
        Service -> end-to-end target in days (study.yml ``targets``).

    Returns
    -------
    DataFrame
        One row per open case, oldest first: ``case_id, service, system, customer_start,
        official_start, customer_age_days, official_age_days, status, past_target,
        past_target_official, due, past_due``. ``official_age_days`` is the age since registration
        for cases on the organisation's list, missing otherwise; ``status`` is "on both lists",
        "not yet registered" (contact made, no case yet) or "closed, not solved"; ``past_target``
        compares the customer's age with the service's target (missing without one), and
        ``past_target_official`` the organisation's age; ``past_due`` is whether ``as_of`` is past
        the case's service-level date (missing without one).
    """
    as_of = as_of if as_of is not None else times.attrs.get("as_of")
    open_ = times[times["is_open"].astype(bool)].copy()
    registered = open_["official_start"].notna() & (open_["official_start"] <= as_of)
    closed = open_["official_end"].notna() & (open_["official_end"] <= as_of)
    out = pd.DataFrame({
        "case_id": open_["case_id"].astype(str),
        "service": open_["service"],
        "system": open_["system"] if "system" in open_ else None,
        "customer_start": open_["customer_start"],
        "official_start": open_["official_start"],
        "customer_age_days": (as_of - open_["customer_start"]) / _DAY,
        "official_age_days": ((as_of - open_["official_start"]) / _DAY).where(registered & ~closed),
        "status": np.select([~registered, closed], ["not yet registered", "closed, not solved"], "on both lists"),
    })
    target = out["service"].map(targets or {}).astype(float)
    out["past_target"] = (out["customer_age_days"] > target).where(target.notna())
    out["past_target_official"] = (out["official_age_days"] > target).where(target.notna() & out["official_age_days"].notna())
    due = pd.Series(pd.NaT, index=out.index, dtype=f"datetime64[ns, {as_of.tz}]" if as_of is not None and as_of.tz else "datetime64[ns]")
    if events is not None and "due" in events and events["due"].notna().any():
        first_due = events.dropna(subset=["due"]).groupby(events["case_id"].astype(str))["due"].first()
        due = out["case_id"].map(first_due)
    out["due"] = due
    out["past_due"] = (out["due"] < as_of).where(out["due"].notna())
    return out.sort_values("customer_age_days", ascending=False, kind="stable").reset_index(drop=True)


def waiting_summary(waiting: pd.DataFrame) -> pd.DataFrame:
    """The waiting list by service: how many wait, for how long, on each clock.

    Returns
    -------
    DataFrame
        One row per service: ``service, waiting, on_organisation_list, not_yet_registered,
        closed_not_solved, median_age_days, median_age_official_days, oldest_days, past_target,
        past_target_official, past_due`` (counts of cases; the past counts are missing where the
        service has no target or no service-level dates).
    """
    rows = []
    for service, part in waiting.groupby("service", sort=True, dropna=False):
        official = part["official_age_days"].dropna()
        rows.append({
            "service": service, "waiting": len(part),
            "on_organisation_list": int((part["status"] == "on both lists").sum()),
            "not_yet_registered": int((part["status"] == "not yet registered").sum()),
            "closed_not_solved": int((part["status"] == "closed, not solved").sum()),
            "median_age_days": float(part["customer_age_days"].median()),
            "median_age_official_days": float(official.median()) if len(official) else np.nan,
            "oldest_days": float(part["customer_age_days"].max()),
            "past_target": int(part["past_target"].sum()) if part["past_target"].notna().any() else np.nan,
            "past_target_official": (int(part["past_target_official"].fillna(False).astype(bool).sum())
                                     if part["past_target"].notna().any() else np.nan),
            "past_due": int(part["past_due"].fillna(False).astype(bool).sum()) if part["past_due"].notna().any() else np.nan,
        })
    return pd.DataFrame(rows, columns=["service", "waiting", "on_organisation_list", "not_yet_registered",
                                       "closed_not_solved", "median_age_days", "median_age_official_days",
                                       "oldest_days", "past_target", "past_target_official", "past_due"])


def list_over_time(times: pd.DataFrame, *, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Week by week: arrivals, completions, and the list at each week's end on both clocks.

    Returns
    -------
    DataFrame
        One row per week (Monday): ``week, arrivals, completions, waiting, on_organisation_list``.
        ``arrivals`` are first contacts that week, ``completions`` problems solved that week,
        ``waiting`` the cases open on the customer's clock at the week's end (or at ``as_of`` for
        the last, part week) and ``on_organisation_list`` those registered and not closed then.
    """
    as_of = as_of if as_of is not None else times.attrs.get("as_of")
    if times.empty:
        return pd.DataFrame(columns=["week", "arrivals", "completions", "waiting", "on_organisation_list"])
    start = times["customer_start"].min()
    first = (start - pd.Timedelta(days=start.weekday())).normalize()
    weeks = pd.date_range(first, as_of, freq="7D")
    weeks = weeks[weeks < as_of]
    begin = _ns(weeks)
    until = np.minimum(begin + 7 * 86_400 * 10**9, _ns([as_of])[0])

    def before(stamps) -> np.ndarray:
        """How many of ``stamps`` (missing: never) fall before each week's end."""
        return np.searchsorted(np.sort(stamps), until, side="left")

    def within(stamps) -> np.ndarray:
        ordered = np.sort(stamps)
        return (np.searchsorted(ordered, until, side="left") - np.searchsorted(ordered, begin, side="left"))

    started, end = _ns(times["customer_start"]), _ns(times["end"])
    registered, closed = _ns(times["official_start"]), _ns(times["official_end"])
    # Open at a week's end: begun before it, and not both begun and ended before it.
    out = pd.DataFrame({"week": weeks.tz_localize(None) if weeks.tz is not None else weeks,
                        "arrivals": within(started), "completions": within(end),
                        "waiting": before(started) - before(np.maximum(started, end)),
                        "on_organisation_list": before(registered) - before(np.maximum(registered, closed))})
    return out.astype({c: "int64" for c in ("arrivals", "completions", "waiting", "on_organisation_list")})


def _ns(stamps) -> np.ndarray:
    """Timestamps as int64 nanoseconds since the epoch (UTC); a missing one as never (the largest)."""
    index = pd.DatetimeIndex(stamps)
    values = index.as_unit("ns").asi8.copy()
    values[index.isna()] = np.iinfo(np.int64).max
    return values
