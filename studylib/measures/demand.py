"""Demand: what customers ask for, value or failure, and how many problems lie behind the contacts.

- :func:`classify_demand` labels contacts from the demand codebook's patterns. Labels the team
  gave by hand always win; the codebook fills the gaps, and says where it disagrees.
- :func:`rater_agreement` compares two people's labels of the same contacts (Cohen's kappa).
- :func:`link_problems` counts problems, not callers: contacts about the same pot-hole become one
  problem, by an explicit reference or by the same kind of demand at nearly the same place within
  a short time.

Patterns run on hyperscan (every pattern in one pass) where it is installed, else on RE2 through
pyarrow (:mod:`studylib.matching`): matching time is linear in the text, whatever it holds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..read.codebooks import DemandCodebook
from ..read.tables import is_blank
from ..errors import ParameterError
from ..engines.matching import type_hits

__all__ = [
    "classify_demand",
    "codebook_agreement",
    "rater_agreement",
    "demand_frequency",
    "failure_share",
    "weekly_demand",
    "demand_predictability",
    "weekly_verdicts",
    "change_weeks",
    "failure_cost",
    "DEFAULT_CHANNEL_COSTS",
    "example_verbatims",
    "currency_symbol",
    "demand_by_system",
]


def classify_demand(demand: pd.DataFrame, codebook: DemandCodebook, *, engine: str | None = None) -> pd.DataFrame:
    """Label each contact with a demand type from the codebook, keeping the team's own labels.

    Parameters
    ----------
    demand : DataFrame
        Contacts with ``verbatim`` and, where the team labelled them, ``demand_type``,
        ``value_or_failure`` and ``failure_subtype``.
    codebook : DemandCodebook
        Types with patterns (case-insensitive) and priorities; the highest priority wins when
        several types match.
    engine : "hyperscan" or "re2", optional
        How the patterns are matched (:mod:`studylib.matching`); by default hyperscan, in one pass
        for every pattern, when it is installed. Both give the same labels.

    Returns
    -------
    DataFrame
        The contacts with ``demand_type``, ``value_or_failure``, ``failure_subtype`` filled,
        plus ``codebook_type`` (what the patterns say, whatever the hand label), ``matched_types``
        (every type whose patterns matched, "; "-joined), ``matched_by`` ("hand label",
        "pattern" or "none") and ``needs_review`` (no label and no match, or several types
        matching at the top priority). A hand label is never overwritten.

    Examples
    --------
    >>> labelled = classify_demand(study.demand, study.demand_codebook)  # doctest: +SKIP
    """
    if "verbatim" not in demand.columns:
        raise ParameterError("demand needs a verbatim column to classify")
    out = demand.copy()
    for col in ("demand_type", "value_or_failure", "failure_subtype"):
        if col not in out.columns:
            out[col] = None
    n = len(out)
    types = codebook.types.reset_index(drop=True)
    names = types["demand_type"].to_numpy(dtype=object)
    rows, kinds = type_hits(out["verbatim"], list(types["patterns"]), engine=engine)
    codebook_type, matched, any_hit, n_best = _resolve(rows, kinds, n, names, types["priority"].to_numpy(dtype=np.int64))
    hand = ~is_blank(out["demand_type"])
    conflict = any_hit & (n_best > 1)
    out["codebook_type"] = codebook_type.set_axis(out.index)
    out["matched_types"] = matched.set_axis(out.index)
    by_name = types.set_index("demand_type")
    fill = ~hand & codebook_type.notna().to_numpy()
    out["demand_type"] = out["demand_type"].astype(object).where(hand, out["codebook_type"].astype(object))
    for col in ("value_or_failure", "failure_subtype"):
        from_codebook = out["demand_type"].map(by_name[col]) if len(by_name) else pd.Series(None, index=out.index)
        own = out[col].astype(object).where(~is_blank(out[col]), None)
        # Hand-labelled rows keep what the team wrote; if they gave only the type, the codebook
        # supplies its value/failure. Pattern rows take the codebook's.
        out[col] = np.where(fill, from_codebook, own.where(own.notna(), from_codebook if hand.any() else None))
        out[col] = out[col].where(pd.notna(out[col]), None)
    out["matched_by"] = np.select([hand, fill], ["hand label", "pattern"], "none")
    out["needs_review"] = ~hand & (~any_hit | conflict)
    return out


def _resolve(rows: np.ndarray, kinds: np.ndarray, n: int, names: np.ndarray, priority: np.ndarray):
    """From the (row, type) matches, sorted by row then type: the codebook's type where one type
    has the top priority, every type matched ("; "-joined), whether any matched, and how many
    share the top priority."""
    import pyarrow as pa
    import pyarrow.compute as pc
    n_hits = np.bincount(rows, minlength=n)
    any_hit = n_hits > 0
    prio = priority[kinds]
    first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.empty(0, dtype=np.int64)
    best = np.full(n, np.iinfo(np.int64).min)
    if len(rows):
        best[rows[first]] = np.maximum.reduceat(prio, first)
    at_best = prio == best[rows]
    n_best = np.bincount(rows[at_best], minlength=n)
    top_rows, top_kinds = rows[at_best], kinds[at_best]
    lead = np.r_[True, top_rows[1:] != top_rows[:-1]] if len(top_rows) else np.empty(0, dtype=bool)
    pick = np.zeros(n, dtype=np.int64)
    pick[top_rows[lead]] = top_kinds[lead]
    dictionary = pa.array(names.astype(str) if len(names) else [], type=pa.string())
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    # Columns built in arrow, as pandas stores text: no million Python strings on the way.
    codebook_type = pd.Series(pa.DictionaryArray.from_arrays(
        pa.array(pick, type=pa.int32(), mask=~(any_hit & (n_best == 1))), dictionary).cast(pa.string()), dtype=text)
    lists = pa.ListArray.from_arrays(pa.array(np.r_[0, np.cumsum(n_hits)], type=pa.int32()),
                                     pa.DictionaryArray.from_arrays(pa.array(kinds, type=pa.int32()), dictionary)
                                     .cast(pa.string()))
    matched = pd.Series(pc.binary_join(lists, "; "), dtype=text)
    return codebook_type, matched, any_hit, n_best


def codebook_agreement(classified: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where the team labelled by hand and the codebook also matched: how often they agree.

    Returns
    -------
    (summary, confusion)
        ``summary``: one row, ``contacts_compared, agree, agreement``; ``confusion``: a crosstab
        of hand label (rows) against codebook type (columns).
    """
    used = classified[["matched_by", "codebook_type", "demand_type"]]      # not every column copied
    both = used[(used["matched_by"] == "hand label") & used["codebook_type"].notna()]
    agree = int((both["demand_type"] == both["codebook_type"]).sum())
    summary = pd.DataFrame([{"contacts_compared": len(both), "agree": agree,
                             "agreement": agree / len(both) if len(both) else float("nan")}])
    confusion = pd.crosstab(both["demand_type"].rename("hand label"), both["codebook_type"].rename("codebook"))
    return summary, confusion


def rater_agreement(first, second, *, ids=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two people's labels of the same contacts: agreement and Cohen's kappa.

    Parameters
    ----------
    first, second : array-like
        Labels, aligned; rows where either is missing are left out (and counted).
    ids : array-like, optional
        Contact ids to name in the disagreements.

    Returns
    -------
    (summary, disagreements)
        ``summary``: one row, ``n, n_missing, observed_agreement, expected_agreement, kappa``;
        ``disagreements``: ``id, first, second`` for every contact labelled differently.
    """
    a = pd.Series(np.asarray(first, dtype=object))
    b = pd.Series(np.asarray(second, dtype=object))
    if len(a) != len(b):
        raise ParameterError(f"the two raters labelled different numbers of contacts ({len(a)} and {len(b)})")
    idx = pd.Series(np.arange(len(a)) if ids is None else np.asarray(ids, dtype=object))
    present = ~(is_blank(a) | is_blank(b))
    a, b, idx = a[present], b[present], idx[present]
    n = len(a)
    if n == 0:
        raise ParameterError("no contact has a label from both raters")
    p_obs = float((a.to_numpy() == b.to_numpy()).mean())
    pa_ = a.value_counts(normalize=True)
    pb_ = b.value_counts(normalize=True)
    p_exp = float((pa_ * pb_.reindex(pa_.index, fill_value=0)).sum())
    kappa = 1.0 if p_exp == 1 else (p_obs - p_exp) / (1 - p_exp)
    summary = pd.DataFrame([{"n": n, "n_missing": int((~present).sum()), "observed_agreement": p_obs,
                             "expected_agreement": p_exp, "kappa": kappa}])
    differ = a.to_numpy() != b.to_numpy()
    disagreements = pd.DataFrame({"id": idx.to_numpy()[differ], "first": a.to_numpy()[differ],
                                  "second": b.to_numpy()[differ]})
    return summary, disagreements


# -- problems, not callers ----------------------------------------------------------------------


# -- frequency and predictability ---------------------------------------------------------------

def demand_frequency(classified: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Contacts by one or more columns (type, value/failure, sub-type, channel, service, ...).

    ``by`` may also be ``"week"``, ``"weekday"`` or ``"hour"``, taken from ``received_at`` in
    the study's timezone.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``contacts`` and ``share`` (of all contacts), most contacts first
        (calendar order for week, weekday and hour).
    """
    frame = _with_time_parts(classified)
    cols = [by] if isinstance(by, str) else list(by)
    counts = frame.groupby(cols, dropna=False, observed=True).size().rename("contacts").reset_index()
    counts["share"] = counts["contacts"] / len(frame) if len(frame) else 0.0
    if set(cols) & {"week", "weekday", "hour"}:
        return counts.sort_values(cols, kind="stable").reset_index(drop=True)
    return counts.sort_values(["contacts"] + cols, ascending=[False] + [True] * len(cols),
                              kind="stable").reset_index(drop=True)


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _with_time_parts(classified: pd.DataFrame) -> pd.DataFrame:
    frame = classified.copy()
    t = frame["received_at"]
    frame["week"] = (t.dt.tz_localize(None) if t.dt.tz is not None else t).dt.to_period("W-SUN").dt.start_time
    frame["weekday"] = pd.Categorical(t.dt.day_name(), categories=_WEEKDAYS, ordered=True)
    frame["hour"] = t.dt.hour
    return frame


def failure_share(classified: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The share of failure demand, overall or by a column (channel, service, ...).

    The share is of contacts labelled value or failure; unlabelled contacts are counted apart,
    never guessed.

    Returns
    -------
    DataFrame
        ``[by], contacts, labelled, failure, value, failure_share``, largest share first.
    """
    frame = classified.assign(_failure=classified["value_or_failure"].eq("failure"),
                              _value=classified["value_or_failure"].eq("value"))
    keys = [by] if by else (lambda _: 0)
    out = frame.groupby(keys, dropna=False, observed=True).agg(
        contacts=("_failure", "size"), failure=("_failure", "sum"), value=("_value", "sum"))
    out["labelled"] = out["failure"] + out["value"]
    out["failure_share"] = out["failure"] / out["labelled"].where(out["labelled"] > 0)
    out = out[["contacts", "labelled", "failure", "value", "failure_share"]]
    if by:
        return out.reset_index().sort_values("failure_share", ascending=False, kind="stable").reset_index(drop=True)
    return out.reset_index(drop=True)


def weekly_demand(classified, *, top: int = 5, types: list[str] | None = None,
                  period: tuple | None = None, engine: str = "pandas", timezone: str | None = None,
                  memory_limit: str | None = None) -> pd.DataFrame:
    """Weekly contacts of the main demand types (zero weeks included), for XmR charts.

    Only whole weeks (Monday to Sunday) inside ``period`` (default: the data's first to last
    contact) are kept: a part week would look like a drop in demand. With ``engine="duckdb"`` or
    ``"spark"``, ``classified`` may be a Parquet or CSV file (or a Spark DataFrame) with
    ``received_at`` and ``demand_type``, counted where it lies; weeks follow the local calendar of
    ``timezone`` (default: the timestamps' own zone, else UTC).

    Returns
    -------
    DataFrame
        ``week, demand_type, contacts``, one row per week and type.
    """
    if engine == "pandas":
        # The two columns counted, before any row is picked: a million contacts' every column is a
        # copy of hundreds of megabytes.
        mine = classified[["received_at", "demand_type"]]
        frame = _with_time_parts(mine[mine["demand_type"].notna()])
        counts = frame.groupby(["week", "demand_type"]).size()
        received = classified["received_at"]
        received = received.dt.tz_localize(None) if received.dt.tz is not None else received
        every = received.dt.to_period("W-SUN").dt.start_time.value_counts()
        t = frame["received_at"]
        first, last = (t.min(), t.max()) if len(t) else (pd.NaT, pd.NaT)
    else:
        from ..engines.queries import weekly_counts
        by_type, every_table = weekly_counts(classified, engine=engine, timezone=timezone, memory_limit=memory_limit)
        counts = by_type.set_index(["week", "demand_type"])["contacts"]
        every = every_table.set_index("week")["contacts"]
        first, last = by_type.attrs["first"], by_type.attrs["last"]
    totals = counts.groupby(level="demand_type").sum()
    if types is None:
        # Most contacts first; a tie goes by name, so every engine picks the same types.
        types = sorted(totals.index, key=lambda name: (-int(totals[name]), str(name)))[:top]
    start = pd.Timestamp(period[0]) if period else first
    end = pd.Timestamp(period[1]) if period else last
    if pd.isna(start) or pd.isna(end):
        weeks = pd.DatetimeIndex([])
    else:
        start, end = (x.tz_localize(None) if x.tzinfo else x for x in (start, end))
        first_week = start.normalize() + pd.offsets.Week(weekday=0) * (0 if start.weekday() == 0 else 1)
        last_week = (end.normalize() - pd.Timedelta(days=6)) - pd.offsets.Week(weekday=0) * (0 if end.weekday() == 6 else 1)
        weeks = pd.date_range(first_week, last_week, freq="W-MON") if last_week >= first_week else pd.DatetimeIndex([])
    counts = counts[counts.index.get_level_values("demand_type").isin(types)]
    # A week with no contact of any kind is a gap in the data, not a week of no demand.
    empty = [w for w in weeks if every.get(w, 0) == 0]
    if empty and len(empty) < len(weeks):
        import warnings
        from ..errors import StudylibWarning
        from ..text import long_date
        shown = ", ".join(long_date(w) for w in empty[:4]) + (" ..." if len(empty) > 4 else "")
        warnings.warn(f"{len(empty)} week{'s' if len(empty) != 1 else ''} inside the period with no contact at all "
                      f"(week of {shown}) {'are' if len(empty) != 1 else 'is'} left out of the weekly charts: a gap in "
                      "the data, not a week without demand", StudylibWarning, stacklevel=2)
        weeks = weeks.difference(pd.DatetimeIndex(empty))
    grid = pd.MultiIndex.from_product([weeks, types], names=["week", "demand_type"])
    out = counts.reindex(grid, fill_value=0).rename("contacts").reset_index()
    out["contacts"] = out["contacts"].astype(np.int64)
    out.attrs = {"empty_weeks": empty}
    return out


def demand_predictability(weekly: pd.DataFrame, *, rebase_at: dict | None = None) -> pd.DataFrame:
    """XmR results of weekly demand per type (facet = demand type): is demand predictable?

    ``rebase_at`` maps a demand type to the weeks at which its limits are recalculated (the first
    whole week of a dated change to the service it belongs to; see :func:`change_weeks`).
    """
    from .xmr import xmr
    return xmr(weekly["contacts"].to_numpy(dtype=float), weekly["week"], facet=weekly["demand_type"],
               improvement="neutral", rebase_at=rebase_at or None)


def weekly_verdicts(predictability: pd.DataFrame | None) -> pd.DataFrame:
    """Whether each demand type's weekly demand is predictable, judged on its weeks since its last
    change (:func:`studylib.measures.predictability.predictability`, weeks as points).

    Returns
    -------
    DataFrame
        One row per type, in chart order: ``demand_type, weeks`` and the columns of
        :func:`~studylib.measures.predictability.predictability` (``verdict``, ``reason``, ...).
    """
    from .predictability import PREDICTABILITY_COLUMNS, predictability as verdict_of
    columns = ["demand_type", "weeks"] + PREDICTABILITY_COLUMNS
    if predictability is None or predictability.empty:
        return pd.DataFrame(columns=columns)
    latest = predictability[predictability["group"] == predictability.groupby("facet", observed=True)["group"]
                            .transform("max")]
    rows = []
    for facet, part in latest.groupby("facet", observed=True, sort=False):
        row = verdict_of(part["value"], unit="weeks").iloc[0].to_dict()
        rows.append({"demand_type": facet, "weeks": int(row["points"]), **row})
    return pd.DataFrame(rows, columns=columns)


def change_weeks(classified: pd.DataFrame, weekly: pd.DataFrame, systems: pd.DataFrame) -> dict:
    """For each charted demand type, the weeks where a dated change to its service begins.

    A type belongs to the service most of its contacts went to; its limits are recalculated from
    the first whole week (Monday) on or after each change to that service.

    Returns
    -------
    dict
        Demand type -> list of week starts (only types whose service changed).
    """
    out: dict = {}
    if weekly.empty or systems.empty:
        return out
    weeks = pd.DatetimeIndex(sorted(weekly["week"].unique()))
    for demand_type in weekly["demand_type"].unique():
        services = classified.loc[classified["demand_type"] == demand_type, "service"]
        if services.empty:
            continue
        service = services.mode().iloc[0]
        starts = systems.loc[(systems["service"] == service) & (systems["era"] > 0), "start"]
        found = []
        for start in starts:
            start = pd.Timestamp(start)
            start = start.tz_localize(None) if start.tzinfo else start
            later = weeks[weeks >= start.normalize()]
            if len(later) and later[0] > weeks[0]:
                found.append(later[0])
        if found:
            out[demand_type] = found
    return out


# -- cost of failure demand ---------------------------------------------------------------------

#: Currency symbols for study.yml ``currency:`` (an ISO code); other codes are written out.
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def currency_symbol(code: str | None) -> str:
    """The symbol prose puts before an amount: "£" for GBP, "CHF " for CHF; nothing where study.yml
    gives no currency (a currency is shown only where the team wrote one)."""
    if not code:
        return ""
    code = code.strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


#: Published channel unit costs quoted in the study guide (GBP per contact). They disagree
#: widely, which is why costs are always shown as ranges; replace them with your own in study.yml
#: (``channel_costs: {phone: {low: .., high: .., source: ..}}``).
DEFAULT_CHANNEL_COSTS = {
    "phone": {"low": 1.34, "high": 3.21, "source": "two UK reports quoted in the study guide (GBP 1.34 and 3.21)"},
    "face_to_face": {"low": 20.0, "high": 20.0, "source": "one published figure (GBP 20): a range of one"},
    "web": {"low": 0.08, "high": 0.08, "source": "one published figure for a kiosk (GBP 0.08): a range of one"},
}


def failure_cost(classified: pd.DataFrame, channel_costs: dict | None = None, *,
                 by: str = "channel") -> pd.DataFrame:
    """What failure demand costs, as a range, by channel or by service.

    Parameters
    ----------
    channel_costs : dict, optional
        ``{channel: {low, high, source}}`` (study.yml ``channel_costs``); default
        :data:`DEFAULT_CHANNEL_COSTS`. A channel with no cost is shown with its contacts and no
        cost, never priced at zero.

    Returns
    -------
    DataFrame
        ``[by], failure_contacts, cost_low, cost_high`` (and, by channel, ``unit_low, unit_high,
        source``). ``attrs`` holds ``total_low``, ``total_high`` and ``unpriced_contacts``.
    """
    costs = DEFAULT_CHANNEL_COSTS if not channel_costs else channel_costs
    table = pd.DataFrame([{"channel": ch, "unit_low": float(c.get("low", np.nan)),
                           "unit_high": float(c.get("high", c.get("low", np.nan))),
                           "source": c.get("source", "")} for ch, c in costs.items()])
    # The columns used, before any row is picked: not every column of a million contacts copied twice.
    failure = classified.loc[classified["value_or_failure"].eq("failure"), list(dict.fromkeys(["channel", by]))]
    priced = failure.merge(table, on="channel", how="left")
    priced["cost_low"] = priced["unit_low"]
    priced["cost_high"] = priced["unit_high"]
    if by == "channel":
        out = priced.groupby("channel", dropna=False).agg(
            failure_contacts=("channel", "size"), unit_low=("unit_low", "first"), unit_high=("unit_high", "first"),
            source=("source", "first"), cost_low=("cost_low", lambda s: s.sum(min_count=1)),
            cost_high=("cost_high", lambda s: s.sum(min_count=1))).reset_index()
    else:
        out = priced.groupby(by, dropna=False).agg(
            failure_contacts=(by, "size"), cost_low=("cost_low", "sum"), cost_high=("cost_high", "sum"),
            unpriced_contacts=("unit_low", lambda s: int(s.isna().sum()))).reset_index()
    out = out.sort_values("cost_high", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    out.attrs.update(total_low=float(priced["cost_low"].sum()), total_high=float(priced["cost_high"].sum()),
                     unpriced_contacts=int(priced["unit_low"].isna().sum()))
    return out


def example_verbatims(classified: pd.DataFrame, *, types: list[str] | None = None, top: int = 3,
                      per_type: int = 3, value_or_failure: str | None = "failure", seed: int = 0) -> pd.DataFrame:
    """A few contacts in the customers' own words for the main demand types.

    Picked at random with a fixed ``seed`` (so a report is reproducible), from the ``top`` types
    of ``value_or_failure`` demand (all demand with None). Show them through
    :func:`studylib.prose.show.table`, which escapes and redacts them.

    Returns
    -------
    DataFrame
        ``demand_type, channel, verbatim``.
    """
    # The rows of the kind asked for first, then only the columns used: not every column, nor every
    # verbatim, of a million contacts copied.
    columns = [c for c in ("verbatim", "value_or_failure", "demand_type", "channel") if c in classified]
    rows = (classified["value_or_failure"] == value_or_failure).to_numpy(dtype=bool, na_value=False) \
        if value_or_failure is not None else np.ones(len(classified), dtype=bool)
    frame = classified.loc[rows, columns]
    frame = frame[frame["verbatim"].notna() & frame["verbatim"].astype(str).str.strip().ne("")]
    if types is None:
        types = frame["demand_type"].value_counts().head(top).index.tolist()
    rows = [frame[frame["demand_type"] == t].sample(n=min(per_type, int((frame["demand_type"] == t).sum())),
                                                    random_state=seed) for t in types]
    cols = [c for c in ("demand_type", "channel", "verbatim") if c in frame.columns]
    return pd.concat(rows)[cols].reset_index(drop=True) if rows else pd.DataFrame(columns=cols)


def _clip(bound, edge: pd.Timestamp, pick) -> pd.Timestamp:
    """``pick(edge, bound)`` with the bound in the edge's zone, or the edge where there is no bound."""
    if pd.isna(bound):
        return edge
    bound = pd.Timestamp(bound)
    return pick(edge, bound.tz_localize(edge.tz) if bound.tzinfo is None else bound)


def demand_by_system(classified: pd.DataFrame, systems: pd.DataFrame, *, period: tuple | None = None) -> pd.DataFrame:
    """Volumes and failure share for each service and system (split at its dated changes).

    Parameters
    ----------
    classified : DataFrame
        Classified contacts with ``era`` and ``system`` (:func:`studylib.measures.systems.assign_systems`).
    systems : DataFrame
        :func:`studylib.measures.systems.system_periods`, for each system's dates.
    period : (start, end), optional
        The study's period (its end cut at the as-of date): the days the contacts stand for. Without
        it, the days from the first contact to the last.

    Returns
    -------
    DataFrame
        One row per service and system: ``service, era, system, contacts, days, contacts_per_week,
        labelled, failure, failure_share`` (of labelled contacts). ``days`` is the system's part of the
        period in whole calendar days, first to last inclusive, cut at the changes (a change's day is the
        first of the system it starts); ``contacts_per_week`` is contacts over those days, so that a
        reader who divides the two shown gets the rate shown.
    """
    cols = ["service", "era", "system", "contacts", "days", "contacts_per_week", "labelled", "failure",
            "failure_share"]
    if classified.empty:
        return pd.DataFrame(columns=cols)
    first, last = (period if period is not None and None not in period
                   else (classified["received_at"].min(), classified["received_at"].max()))
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    rows = []
    counted = classified[["service", "era", "system", "value_or_failure"]]     # not every column of each part
    for (service, era, system), part in counted.groupby(["service", "era", "system"], sort=True):
        when = systems[(systems["service"] == service) & (systems["era"] == era)]
        lo = _clip(when["start"].iloc[0] if len(when) else pd.NaT, first, max).normalize()
        ends = when["end"].iloc[0] if len(when) else pd.NaT      # the next change's start: not this system's
        hi = _clip(ends - pd.Timedelta(1, "ns") if pd.notna(ends) else pd.NaT, last, min).normalize()
        days = float(max((hi.date() - lo.date()).days + 1, 1))      # calendar days: a clock change is no day
        labelled = int(part["value_or_failure"].isin(["value", "failure"]).sum())
        failure = int((part["value_or_failure"] == "failure").sum())
        rows.append({"service": service, "era": int(era), "system": system, "contacts": len(part), "days": days,
                     "contacts_per_week": len(part) / days * 7, "labelled": labelled, "failure": failure,
                     "failure_share": failure / labelled if labelled else np.nan})
    return pd.DataFrame(rows, columns=cols)
