"""Flow: how cases run end to end, on the customer's clock and on the organisation's.

Process-mining tools compute a case's duration from its first to its last event. That counts an
open case as finished at its last event, depends on row order when they take "first" and "last"
literally, and knows one clock only. Here:

- rows are ordered by timestamp within each case; events of a case with the same timestamp keep
  the order they were recorded in, or the order of the log's ``order`` column (see
  :mod:`studylib.read.ordering`), as process-mining tools do;
- with a flow codebook, a case ends when the customer's problem is *solved*; a case with no solving
  event by ``as_of`` is open, and its age at ``as_of`` is a lower bound, never a finished time;
- the customer's clock starts at the first event; the organisation's at its official start event;
  the difference is the hidden wait the organisation's measures never see.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..read.codebooks import FlowCodebook, activity_flags
from ..engines.queries import read_events
from ..errors import ParameterError, StudylibWarning
from ..read.ordering import (NS_PER_DAY, check_events, codes_of, count_tied, epoch_ns, event_order, order_values,
                              ordered_events, tied_events, timestamps_ns)
from .survival import KaplanMeier

__all__ = ["case_times", "CASE_TIME_COLUMNS", "end_to_end_survival", "open_case_effect", "step_times", "around_target",
           "flow_by_system", "FLOW_FIGURE_COLUMNS"]


CASE_TIME_COLUMNS = ["case_id", "service", "customer_start", "official_start", "official_end", "end",
                     "is_open", "end_to_end_days", "official_days", "hidden_days", "n_events",
                     "value_steps", "waste_steps", "handoffs", "rework", "clean"]


_NEVER = np.iinfo(np.int64).max


def case_times(events, *, codebook: FlowCodebook | None = None, as_of=None,
               business_days: bool = False, holidays=None, engine: str = "pandas",
               memory_limit: str | None = None) -> pd.DataFrame:
    """One row per case: when it started on each clock, when it ended, and how the work went.

    Parameters
    ----------
    events : DataFrame
        ``case_id, activity, timestamp`` (timezone-aware or all naive), optionally ``resource``
        (a person or team, for hand-offs), ``service`` and ``order`` (numbers giving the order
        of events that share a timestamp). Rows may come in any order; events of a case with
        the same timestamp are taken in ``order``, else in the order of their rows.
    codebook : FlowCodebook, optional
        Says which activities solve the customer's problem, start and stop the organisation's
        clock, make a case dirty, and are value or waste. Without one, a case runs from its first
        to its last event and counts as closed (what process-mining tools do).
    as_of : date or timestamp, optional
        The end of the data. Events after it are ignored (the case as it stood then), and a case
        with no solving event by then is open: its age at ``as_of`` is a lower bound. A date
        without a zone is read in the events' zone. Default: the latest timestamp in the log.
    business_days : bool
        Count ``*_days`` in working days instead of calendar days: the number of weekdays, not in
        ``holidays``, from the local date the clock starts up to (not including) the local date it
        stops, as ``numpy.busday_count`` does. A case started and finished on one day takes 0.
    holidays : list of dates, optional
        Non-working days for ``business_days`` (study.yml ``holidays:``).
    engine : "pandas", "duckdb" or "spark"
        Where the per-event work is done. ``"duckdb"`` takes a DataFrame or the path of a Parquet
        or CSV file (read where it lies, out of core); ``"spark"`` takes a Spark DataFrame or a
        path, in the active Spark session. The table returned is the same (see
        :mod:`studylib.engines`). A path given with the default engine is read into pandas.
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"2GB"``: past it, DuckDB spills to disk instead of failing.

    Returns
    -------
    DataFrame
        Sorted by ``case_id``, with columns :data:`CASE_TIME_COLUMNS`:

        - ``customer_start``: the first event (the customer's first contact);
        - ``official_start``: the first official-start event (``customer_start`` when the codebook
          names none; missing when the case has none);
        - ``official_end``: the first official-end event (``end`` when the codebook names none);
        - ``end``: the first solving event, or the last event without a codebook; missing when open;
        - ``is_open``: no solving event by ``as_of``;
        - ``end_to_end_days``: customer_start to end, or to ``as_of`` when open (a lower bound);
        - ``official_days``: official_start to official_end, or to ``as_of`` if the organisation's
          clock has not stopped; ``hidden_days`` = ``end_to_end_days - official_days``;
        - ``n_events``; ``value_steps`` and ``waste_steps`` (events of each kind; missing without a
          codebook); ``handoffs``: changes of resource from one event to the next (events without a
          resource skipped); ``rework``: events repeating an activity already done in the case;
        - ``clean``: no dirty event (missing when the codebook names no dirty activity).

        ``attrs`` holds ``as_of``, ``unit`` ("days" or "business days"), ``events_after_as_of``,
        ``unknown_activities``, ``tied_events`` (events sharing their timestamp with another of
        their case) and ``tie_order`` ("recorded order", or "order column" when the events carry
        an ``order`` column).

    Examples
    --------
    >>> study = load_study("data/sample")                                      # doctest: +SKIP
    >>> times = case_times(study.events, codebook=study.flow_codebook, as_of=study.as_of)  # doctest: +SKIP
    """
    if engine == "pandas":
        raw, facts = _case_aggregates(read_events(events), codebook, as_of)
    else:
        from ..engines.queries import case_aggregates
        raw, facts = case_aggregates(events, engine=engine, codebook=codebook, as_of=as_of, memory_limit=memory_limit)
    if facts["events_after_as_of"]:
        when = f"{pd.Timestamp(as_of).day} {pd.Timestamp(as_of):%B %Y}" if as_of is not None else "the as-of date"
        warnings.warn(f"{facts['events_after_as_of']:,} events dated after the data's as-of date ({when}) are left "
                      f"out: cases are shown as they stood then", StudylibWarning, stacklevel=2)
    if facts["unknown_activities"] and codebook is not None and len(codebook.activities):
        unknown = facts["unknown_activities"]
        warnings.warn(f"{len(unknown)} activities are not in the flow codebook, so count as neither "
                      f"value nor waste: {unknown[:8]}{' ...' if len(unknown) > 8 else ''}",
                      StudylibWarning, stacklevel=2)
    return case_frame(raw, facts, codebook=codebook, business_days=business_days, holidays=holidays)


#: What every engine computes per case (epoch nanoseconds; _NEVER where a case has no such event).
CASE_AGGREGATES = ["case_id", "first", "last", "n_events", "rework", "handoffs", "service",
                   "official_start_at", "solved_at", "official_end_at", "value_steps", "waste_steps", "dirty"]


def _case_aggregates(events: pd.DataFrame, codebook: FlowCodebook | None, as_of) -> tuple[dict, dict]:
    """The per-case figures of :data:`CASE_AGGREGATES`, in pandas and numpy, and facts of the log."""
    check_events(events)
    tz = events["timestamp"].dt.tz
    t_all = timestamps_ns(events["timestamp"])
    keep = np.ones(len(events), dtype=bool)
    as_of_ns = None
    if as_of is not None:
        as_of_ns = epoch_ns(as_of, tz)
        keep = t_all <= as_of_ns
    n_after = int((~keep).sum())
    if n_after:
        events = events[keep]
        t_all = t_all[keep]
    if as_of_ns is None:
        as_of_ns = int(t_all.max()) if len(t_all) else 0

    # Without a resource there is no hand-off to follow, and no resource column to carry.
    columns = ["case_id", "activity"] + (["resource"] if "resource" in events.columns else [])
    (case_code, case_ids), (act_code, act_names), *res = codes_of(events, columns)
    res_code = res[0][0] if res else None
    seq = order_values(events)
    # Without a service or an order column, every column needed is a small code: the sort can
    # carry them in its key, with no permutation.
    payload = None if "service" in events.columns else (act_code,) if res_code is None else (act_code, res_code)
    # No hand-off to follow and no service to take from a first event: nothing per case depends on
    # the order of its events, so a log out of order is not sorted at all.
    free = seq is None and res_code is None and "service" not in events.columns
    order = event_order(case_code, t_all, seq, payload=payload, blocks_ok=True, sort=not free)
    flags = activity_flags(pd.Index(act_names), codebook) if codebook is not None else None
    facts = {"as_of_ns": as_of_ns, "tz": tz, "events_after_as_of": n_after,
             "tied_events": count_tied(case_code, t_all) if order is None else tied_events(case_code, t_all, order),
             "tie_order": "order column" if "order" in events.columns else "recorded order",
             "unknown_activities": [str(a) for a, k in zip(act_names, flags["known"]) if not k] if flags else []}
    if order is None:
        return _order_free_aggregates(case_code, case_ids, t_all, act_code, max(len(act_names), 1), flags), facts
    if order.arrays is not None:
        case_code, t_all, act_code, *carried = order.arrays
        res_code = carried[0] if carried else None
    else:
        if order.full is not None:
            case_code, t_all = case_code[order.full], t_all[order.full]
        # The code arrays are ours (fresh from sorted_codes), so ties are reordered in place.
        act_code = order.apply(act_code, copy=False)
        res_code = None if res_code is None else order.apply(res_code, copy=False)
    n = len(case_code)
    n_cases = len(case_ids)
    if n == 0:
        return {c: np.array([], dtype=object if c in ("case_id", "service") else np.int64) for c in CASE_AGGREGATES}, facts
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.not_equal(case_code[1:], case_code[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    ends = np.r_[starts[1:], n]
    # Each case's rows are one run; where the runs are not in case order (order.blocks), what is
    # computed run by run is put in case order at the end, instead of moving every row.
    to_case = None
    if order.blocks:
        to_case = np.empty(n_cases, dtype=np.int64)
        to_case[case_code[starts]] = np.arange(len(starts))

    def by_case(per_run: np.ndarray) -> np.ndarray:
        return per_run if to_case is None else per_run[to_case]

    n_events = by_case(ends - starts)
    rework = _rework(case_code, act_code, n_events, max(len(act_names), 1))

    # Hand-offs: consecutive events (with a resource) done by different resources.
    if res_code is None:
        handoffs = np.zeros(n_cases, dtype=np.int64)
    else:
        known = res_code >= 0
        kc, kr = (case_code, res_code) if known.all() else (case_code[known], res_code[known])
        change = (kc[1:] == kc[:-1]) & (kr[1:] != kr[:-1])
        handoffs = np.bincount(kc[1:][change], minlength=n_cases).astype(np.int64)

    if "service" in events.columns:
        svc = order.apply(events["service"].to_numpy(dtype=object))
        service = pd.Series(svc).groupby(case_code).first().reindex(range(n_cases)).to_numpy()
    else:
        service = np.full(n_cases, None, dtype=object)
    raw = {"case_id": case_ids, "first": by_case(t_all[starts]), "last": by_case(t_all[ends - 1]), "n_events": n_events,
           "rework": rework, "handoffs": handoffs, "service": service}
    if flags is not None:
        def first_time(flag_name: str) -> np.ndarray:
            hit = flags[flag_name][act_code]
            return by_case(np.minimum.reduceat(np.where(hit, t_all, _NEVER), starts))

        def count(flag_name: str) -> np.ndarray:
            return by_case(np.add.reduceat(flags[flag_name][act_code], starts, dtype=np.int64))

        raw.update(official_start_at=first_time("official_start"), solved_at=first_time("solved"),
                   official_end_at=first_time("official_end"), value_steps=count("value"),
                   waste_steps=count("waste"), dirty=count("dirty"))
    return raw, facts


def _rework(case_code: np.ndarray, act_code: np.ndarray, n_events: np.ndarray, n_act: int) -> np.ndarray:
    """Repeats of an activity within each case: its events less its distinct activities. The order
    of the rows does not matter."""
    n_cases = len(n_events)
    if n_cases * n_act <= 200_000_000:     # a bitmap of (case, activity) pairs: no hashing
        seen = np.zeros((n_cases, n_act), dtype=bool)
        seen[case_code, act_code] = True
        return n_events - seen.sum(axis=1)
    repeat = pd.Series(np.asarray(case_code, dtype=np.int64) * n_act + act_code).duplicated().to_numpy()
    return np.bincount(case_code[repeat], minlength=n_cases).astype(np.int64)


def _order_free_aggregates(case_code, case_ids, t_all, act_code, n_act: int, flags) -> dict:
    """:data:`CASE_AGGREGATES` by scattering each event onto its case, rows left where they are:
    minima and maxima with ``ufunc.at``, counts with ``bincount``; no hand-off (no resource)."""
    n_cases = len(case_ids)
    n_events = np.bincount(case_code, minlength=n_cases).astype(np.int64)

    def first_time(hit=None) -> np.ndarray:
        out = np.full(n_cases, _NEVER, dtype=np.int64)
        np.minimum.at(out, case_code if hit is None else case_code[hit], t_all if hit is None else t_all[hit])
        return out

    def count(flag_name: str) -> np.ndarray:
        return np.bincount(case_code[flags[flag_name][act_code]], minlength=n_cases).astype(np.int64)

    last = np.full(n_cases, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, case_code, t_all)
    raw = {"case_id": case_ids, "first": first_time(), "last": last, "n_events": n_events,
           "rework": _rework(case_code, act_code, n_events, n_act),
           "handoffs": np.zeros(n_cases, dtype=np.int64), "service": np.full(n_cases, None, dtype=object)}
    if flags is not None:
        raw.update(official_start_at=first_time(flags["official_start"][act_code]),
                   solved_at=first_time(flags["solved"][act_code]),
                   official_end_at=first_time(flags["official_end"][act_code]), value_steps=count("value"),
                   waste_steps=count("waste"), dirty=count("dirty"))
    return raw


def case_frame(raw: dict, facts: dict, *, codebook: FlowCodebook | None = None, business_days: bool = False,
               holidays=None) -> pd.DataFrame:
    """:func:`case_times`' table from the per-case aggregates, whichever engine computed them."""
    case_ids = pd.Index(raw["case_id"])
    n_cases = len(case_ids)
    as_of_ns, tz = facts["as_of_ns"], facts["tz"]
    if n_cases == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_TIME_COLUMNS})
    first, last = np.asarray(raw["first"], dtype=np.int64), np.asarray(raw["last"], dtype=np.int64)
    if codebook is None:
        end = last
        is_open = np.zeros(n_cases, dtype=bool)
        official_start = first
        official_end = last
        value_steps = pd.arrays.IntegerArray(np.zeros(n_cases, np.int64), np.ones(n_cases, bool))
        waste_steps = value_steps.copy()
        clean = pd.arrays.BooleanArray(np.zeros(n_cases, bool), np.ones(n_cases, bool))
    else:
        if codebook.solved:
            end = np.asarray(raw["solved_at"], dtype=np.int64)
            is_open = end == _NEVER
        else:
            end, is_open = last, np.zeros(n_cases, dtype=bool)
        official_start = np.asarray(raw["official_start_at"], dtype=np.int64) if codebook.official_start else first
        official_end = np.asarray(raw["official_end_at"], dtype=np.int64) if codebook.official_end else end
        value_steps = np.asarray(raw["value_steps"], dtype=np.int64)
        waste_steps = np.asarray(raw["waste_steps"], dtype=np.int64)
        if codebook.dirty:
            clean = np.asarray(raw["dirty"], dtype=np.int64) == 0
        else:
            clean = pd.arrays.BooleanArray(np.zeros(n_cases, bool), np.ones(n_cases, bool))

    end_for_clock = np.where(is_open, as_of_ns, end)
    official_running = official_end == _NEVER
    official_stop = np.where(official_running, as_of_ns, official_end)
    no_official = official_start == _NEVER
    if business_days:
        e2e = _busdays(first, end_for_clock, tz, holidays)
        off = _busdays(np.where(no_official, first, official_start), official_stop, tz, holidays)
    else:
        e2e = (end_for_clock - first) / NS_PER_DAY
        off = (official_stop - np.where(no_official, first, official_start)) / NS_PER_DAY
    off = np.where(no_official, np.nan, off)

    def stamps(ns: np.ndarray) -> pd.Series:
        # NaT is the smallest int64; a view costs nothing where a parse would cost a pass.
        values = np.where(ns == _NEVER, np.iinfo(np.int64).min, ns).view("M8[ns]")
        out = pd.DatetimeIndex(values)
        return pd.Series(out.tz_localize("UTC").tz_convert(tz) if tz is not None else out)

    out = pd.DataFrame({
        "case_id": case_ids,
        "service": np.asarray(raw["service"], dtype=object),
        "customer_start": stamps(first),
        "official_start": stamps(official_start),
        "official_end": stamps(official_end),
        "end": stamps(end),
        "is_open": is_open,
        "end_to_end_days": e2e.astype(float),
        "official_days": off.astype(float),
        "hidden_days": (e2e - off).astype(float),
        "n_events": np.asarray(raw["n_events"], dtype=np.int64),
        "value_steps": value_steps,
        "waste_steps": waste_steps,
        "handoffs": np.asarray(raw["handoffs"], dtype=np.int64),
        "rework": np.asarray(raw["rework"], dtype=np.int64),
        "clean": clean,
    })
    out.attrs.update(as_of=stamps(np.array([as_of_ns])).iloc[0],
                     unit="business days" if business_days else "days",
                     events_after_as_of=facts["events_after_as_of"], unknown_activities=facts["unknown_activities"],
                     tied_events=facts["tied_events"], tie_order=facts["tie_order"])
    return out


def _busdays(start_ns: np.ndarray, stop_ns: np.ndarray, tz, holidays) -> np.ndarray:
    def local_dates(ns):
        idx = pd.to_datetime(ns, unit="ns", utc=tz is not None)
        if tz is not None:
            idx = idx.tz_convert(tz).tz_localize(None)
        return idx.to_numpy().astype("datetime64[D]")

    hol = np.array([np.datetime64(pd.Timestamp(h).date(), "D") for h in (holidays or [])],
                   dtype="datetime64[D]")
    return np.busday_count(local_dates(start_ns), local_dates(stop_ns), holidays=hol).astype(float)


def end_to_end_survival(times: pd.DataFrame, *, alpha: float = 0.05) -> KaplanMeier:
    """Kaplan-Meier fit of ``end_to_end_days`` with open cases censored at their age.

    Examples
    --------
    >>> km = end_to_end_survival(case_times(events, codebook=cb, as_of=as_of))  # doctest: +SKIP
    >>> km.summary                                                               # doctest: +SKIP
    """
    return KaplanMeier(alpha=alpha).fit(times["end_to_end_days"], observed=~times["is_open"].astype(bool))


def open_case_effect(times: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """How far closed-only figures understate the end-to-end time, with open cases counted right.

    Returns
    -------
    DataFrame
        One row per statistic (median, 85th percentile): ``statistic, closed_only, estimate,
        lower, upper, understated_by_days``. ``closed_only`` ignores open cases (what a report
        of finished jobs shows); ``estimate`` is the Kaplan-Meier figure with its confidence
        interval ``lower`` to ``upper``. ``attrs`` holds ``n_cases`` and ``n_open``.
    """
    km = end_to_end_survival(times, alpha=alpha)
    closed = times.loc[~times["is_open"].astype(bool), "end_to_end_days"].to_numpy(dtype=float)
    out = km.summary.rename(columns={})
    out.insert(1, "closed_only", [_lower_quantile(closed, 0.5), _lower_quantile(closed, 0.85)])
    out["understated_by_days"] = out["estimate"] - out["closed_only"]
    out.attrs.update(n_cases=km.n_, n_open=km.n_censored_)
    return out


def _lower_quantile(values: np.ndarray, q: float) -> float:
    """The smallest value with at least a share q of values at or below it (the KM convention)."""
    if len(values) == 0:
        return float("nan")
    ordered = np.sort(values)
    return float(ordered[int(np.ceil(q * len(ordered))) - 1])


def step_times(events: pd.DataFrame, codebook: FlowCodebook) -> pd.DataFrame:
    """Where the time goes: the wait before each step, by the kind of step it leads to.

    The time between two events is charged to the later one: the wait for an inspection is
    inspection time, the wait for a chasing call is time the customer spent chasing.

    Returns
    -------
    DataFrame
        One row per kind (``value``, each waste kind, ``unknown``): ``kind, steps, days``,
        ``share_of_time``.
    """
    return _summed_steps(_step_waits(events, codebook))


def _step_waits(events: pd.DataFrame, codebook: FlowCodebook) -> pd.DataFrame:
    """Each event's kind (value, a waste kind, unknown) and the days charged to it: ``case_id, kind, days``."""
    frame = ordered_events(events)
    acts = codebook.activities.set_index("activity")
    kind, waste_kind = frame["activity"].map(acts["kind"]), frame["activity"].map(acts["waste_kind"])
    label = kind.where(kind != "waste", "waste: " + waste_kind.fillna("other").astype(str)).fillna("unknown")
    t, prev_same = frame["_t"].to_numpy(), frame["case_id"].eq(frame["case_id"].shift(1)).to_numpy()
    wait = np.where(prev_same, np.r_[np.nan, (t[1:] - t[:-1]) / NS_PER_DAY], 0.0)
    return pd.DataFrame({"case_id": frame["case_id"].to_numpy(), "kind": label.to_numpy(), "days": wait})


def _summed_steps(waits: pd.DataFrame) -> pd.DataFrame:
    out = waits.groupby("kind", sort=True).agg(steps=("days", "size"), days=("days", "sum")).reset_index()
    out["share_of_time"] = out["days"] / out["days"].sum() if out["days"].sum() > 0 else 0.0
    return out.sort_values("days", ascending=False, kind="stable").reset_index(drop=True)


def around_target(times: pd.DataFrame, target: float, *, bin_days: float = 1.0, window: float = 2.0,
                  clocks: tuple[str, ...] = ("end_to_end_days", "official_days")) -> pd.DataFrame:
    """Finished cases per time bin on each clock, to show a spike just before a target.

    Returns
    -------
    DataFrame
        One row per bin and clock: ``clock, bin_start, bin_end, cases``. ``attrs["spike"]`` is a
        table per clock: ``clock, just_before, just_after, ratio`` where ``just_before`` counts
        cases finishing in ``[target - window, target)`` and ``just_after`` in
        ``[target, target + window)``. Open cases are left out: they have not finished.
    """
    if target <= 0 or bin_days <= 0 or window <= 0:
        raise ParameterError("target, bin_days and window must be positive")
    closed = times[~times["is_open"].astype(bool)]
    rows, spikes = [], []
    for clock in clocks:
        values = closed[clock].dropna().to_numpy(dtype=float)
        top = max(float(values.max()) if len(values) else 0.0, target + window)
        edges = np.arange(0.0, top + bin_days, bin_days)
        counts, _ = np.histogram(values, bins=edges)
        rows.append(pd.DataFrame({"clock": clock, "bin_start": edges[:-1], "bin_end": edges[1:],
                                  "cases": counts}))
        before = int(((values >= target - window) & (values < target)).sum())
        after = int(((values >= target) & (values < target + window)).sum())
        spikes.append({"clock": clock, "just_before": before, "just_after": after,
                       "ratio": before / after if after else float("inf") if before else float("nan")})
    out = pd.concat(rows, ignore_index=True)
    out.attrs.update(target=target, window=window, spike=pd.DataFrame(spikes))
    return out


# -- one row per system: the flow figures, split at each dated change ----------------------------

#: Columns of :func:`flow_by_system`'s ``figures`` table.
FLOW_FIGURE_COLUMNS = ["service", "era", "system", "current", "cases", "open", "finished", "end_to_end_mean",
                       "official_mean", "before_clock_mean", "hidden_mean", "clean_share", "handoffs_mean",
                       "rework_share", "waste_share", "top_waste", "top_waste_share", "target",
                       "spike_before", "spike_after", "working_to_target"]


def _spike_row(spike: pd.DataFrame | None) -> dict:
    """The organisation's clock's spike before the target: the clock targets are measured on."""
    if spike is None:
        return {"spike_before": np.nan, "spike_after": np.nan, "working_to_target": False}
    table = spike.attrs["spike"].set_index("clock")
    clock = "official_days" if "official_days" in table.index else table.index[0]
    rec = table.loc[clock]
    return {"spike_before": int(rec["just_before"]), "spike_after": int(rec["just_after"]),
            "working_to_target": bool(rec["just_before"] >= 10 and rec["ratio"] >= 3)}


def flow_by_system(times: pd.DataFrame, events: pd.DataFrame, codebook: FlowCodebook | None, *,
                   targets: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every flow figure for each service and system (``times`` carries ``era`` and ``system``).

    Parameters
    ----------
    times : DataFrame
        :func:`case_times` with ``era`` and ``system`` from :func:`studylib.measures.systems.assign_systems`.
    events : DataFrame
        The events ``times`` came from.
    codebook : FlowCodebook, optional
        For where the time goes (value and waste steps).
    targets : dict, optional
        Service -> end-to-end target in days (None: no target), for the target check.

    Returns
    -------
    dict of DataFrame
        ``figures``: one row per service and system, columns :data:`FLOW_FIGURE_COLUMNS` (means over
        finished cases; shares of all cases; ``waste_share`` of case time; ``current`` marks the
        service's system as it is now, its latest);
        ``steps``: :func:`step_times` with ``service, era, system`` columns;
        ``effects``: :func:`open_case_effect` with ``service, era, system`` columns;
        ``spikes``: :func:`around_target` bins with ``service, era, system, target, window``
        columns (empty without a target).
    """
    targets = targets or {}
    rows, steps_all, effects, spikes = [], [], [], []
    keys = times[["service", "era", "system"]].astype(object).where(times[["service", "era", "system"]].notna(), None)
    groups = times.groupby([keys["service"], keys["era"], keys["system"]], sort=True, dropna=False)
    if codebook is not None:
        # Each event's step once for the whole log, then split by the group of its case (not the log once a group).
        waits = _step_waits(events, codebook)
        waits["group"] = waits["case_id"].map(pd.Series(groups.ngroup().to_numpy(), index=times["case_id"].to_numpy()))
        waits_by_group = dict(tuple(waits.groupby("group", sort=False)))
    for number, ((service, era, system), part) in enumerate(groups):
        label = {"service": service, "era": int(era), "system": system}
        closed = part[~part["is_open"].astype(bool)]
        # Means of days are over finished cases, as the two clocks' means are: the days the
        # organisation does not count are then exactly the gap between them.
        before = (closed["official_start"] - closed["customer_start"]).dt.total_seconds() / 86400
        clean = part["clean"].dropna().astype(bool)
        row = {**label, "cases": len(part), "open": int(part["is_open"].astype(bool).sum()), "finished": len(closed),
               "end_to_end_mean": closed["end_to_end_days"].mean() if len(closed) else np.nan,
               "official_mean": closed["official_days"].mean() if len(closed) else np.nan,
               "before_clock_mean": before.mean() if before.notna().any() else np.nan,
               "hidden_mean": closed["hidden_days"].mean() if closed["hidden_days"].notna().any() else np.nan,
               "clean_share": clean.mean() if len(clean) else np.nan,
               "handoffs_mean": part["handoffs"].mean(), "rework_share": (part["rework"] > 0).mean(),
               "waste_share": np.nan, "top_waste": None, "top_waste_share": np.nan,
               "target": targets.get(service)}
        if codebook is not None:
            steps = _summed_steps(waits_by_group.get(number, waits.iloc[:0]))
            waste = steps[steps["kind"].str.startswith("waste")]
            if len(waste):
                row.update(waste_share=float(waste["share_of_time"].sum()),
                           top_waste=str(waste.iloc[0]["kind"]).removeprefix("waste: "),
                           top_waste_share=float(waste.iloc[0]["share_of_time"]))
            steps_all.append(steps.assign(**label))
        effects.append(open_case_effect(part).assign(**label))
        spike = around_target(part, row["target"]) if row["target"] else None
        if spike is not None:
            spikes.append(spike.assign(**label, target=row["target"], window=spike.attrs["window"]))
        row.update(_spike_row(spike))
        rows.append(row)

    def joined(frames, columns):
        for f in frames:
            f.attrs = {}      # per-group attrs live in the figures table; concat would compare them
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    figures = pd.DataFrame(rows, columns=FLOW_FIGURE_COLUMNS)
    figures["current"] = figures["era"] == figures.groupby("service", dropna=False)["era"].transform("max")
    return {"figures": figures,
            "steps": joined(steps_all, ["kind", "steps", "days", "share_of_time", "service", "era", "system"]),
            "effects": joined(effects, ["statistic", "closed_only", "estimate", "lower", "upper",
                                        "understated_by_days", "service", "era", "system"]),
            "spikes": joined(spikes, ["clock", "bin_start", "bin_end", "cases", "service", "era", "system",
                                      "target", "window"])}
