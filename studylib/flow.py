"""Flow: how cases run end to end, on the customer's clock and on the organisation's.

Process-mining tools compute a case's duration from its first to its last event. That counts an
open case as finished at its last event, depends on row order when they take "first" and "last"
literally, and knows one clock only. Here:

- rows are ordered by timestamp within each case, whatever order they arrive in (ties broken by
  activity and resource, so shuffled rows give identical results);
- with a flow codebook, a case ends when the customer's problem is *solved*; a case with no solving
  event by ``as_of`` is open, and its age at ``as_of`` is a lower bound, never a finished time;
- the customer's clock starts at the first event; the organisation's at its official start event;
  the difference is the hidden wait the organisation's measures never see.
"""
from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .codebooks import FlowCodebook
from ._plot import finish
from .errors import DataError, ParameterError, StudylibWarning
from .survival import KaplanMeier
from .tables import parse_timestamps

__all__ = [
    "read_xes",
    "read_event_log",
    "case_times",
    "CASE_TIME_COLUMNS",
    "end_to_end_survival",
    "open_case_effect",
    "open_case_sentence",
    "variants",
    "transitions",
    "step_times",
    "around_target",
    "target_sentence",
    "process_map_layout",
    "flow_prose",
    "plot_two_clocks",
    "plot_step_times",
    "plot_handoffs_rework",
    "plot_variants",
    "plot_process_map",
    "plot_around_target",
]

CASE_TIME_COLUMNS = ["case_id", "service", "customer_start", "official_start", "official_end", "end",
                     "is_open", "end_to_end_days", "official_days", "hidden_days", "n_events",
                     "value_steps", "waste_steps", "handoffs", "rework", "clean"]

_NS_PER_DAY = 86_400 * 10**9
_NEVER = np.iinfo(np.int64).max


def read_xes(path: str | Path, *, timezone: str | None = None) -> pd.DataFrame:
    """Read the events of an XES event log (``.xes`` or ``.xes.gz``), streaming.

    The file is parsed trace by trace with ``lxml.etree.iterparse`` and each trace is freed once
    read, so memory stays flat however large the log.

    Parameters
    ----------
    path : str or Path
        An ``.xes`` file, or a gzipped one (``.xes.gz``).
    timezone : str, optional
        Convert timestamps to this zone (e.g. ``"Europe/London"``); by default they are in UTC.

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
    from lxml import etree

    path = Path(path)
    if not path.exists():
        raise DataError([{"file": path.name, "row": None, "column": None, "value": None,
                          "problem": "does not exist", "fix": f"check the path {path}"}])
    opener = gzip.open if path.suffix == ".gz" else open
    cases: list = []
    events: list[dict] = []
    problems: list[dict] = []
    n_trace = 0
    with opener(path, "rb") as handle:
        for _, trace in etree.iterparse(handle, events=("end",), tag="{*}trace", huge_tree=True,
                                        remove_comments=True, remove_blank_text=True,
                                        collect_ids=False):
            n_trace += 1
            case = None
            n_before = len(events)
            for child in trace:
                key = child.get("key")
                if key is None:  # an event (a trace's other children are keyed attributes)
                    events.append({a.get("key"): a.get("value") for a in child})
                elif key == "concept:name":
                    case = child.get("value")
            if case is None:
                problems.append({"file": path.name, "row": None, "column": "concept:name",
                                 "value": None, "problem": f"trace {n_trace} has no concept:name",
                                 "fix": "every trace needs a case id"})
            cases.extend([case] * (len(events) - n_before))
            trace.clear()
            parent = trace.getparent()
            while trace.getprevious() is not None:
                del parent[0]
    columns = {name: [e.get(key) for e in events]
               for name, key in (("activity", "concept:name"), ("timestamp", "time:timestamp"),
                                 ("resource", "org:resource"), ("lifecycle", "lifecycle:transition"))}
    for name in ("activity", "timestamp"):
        if None in columns[name]:
            bad = [c for c, v in zip(cases, columns[name]) if v is None][:20]
            problems += [{"file": path.name, "row": None, "column": name, "value": None,
                          "problem": f"an event of case {case!r} has no {name}",
                          "fix": f"every event needs {'time:timestamp' if name == 'timestamp' else 'concept:name'}"}
                         for case in bad]
    if problems:
        raise DataError(problems)
    stamps = pd.to_datetime(pd.Series(columns["timestamp"], dtype=object), format="ISO8601", utc=True)
    return pd.DataFrame({
        "case_id": pd.Series(cases, dtype="str"),
        # few distinct values: categories are lean and fast to group by
        "activity": pd.Categorical(columns["activity"]),
        "timestamp": stamps.dt.tz_convert(timezone) if timezone else stamps,
        "resource": pd.Categorical(columns["resource"]),
        "lifecycle": pd.Categorical(columns["lifecycle"]),
    })


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


def _timestamps_ns(ts: pd.Series) -> np.ndarray:
    """Epoch nanoseconds of tz-aware or naive timestamps, whatever their stored unit."""
    return pd.DatetimeIndex(ts).as_unit("ns").asi8


def _as_of_ns(as_of, tz) -> int:
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is None and tz is not None:
        stamp = stamp.tz_localize(tz)
    elif stamp.tzinfo is not None and tz is None:
        raise ParameterError("as_of has a timezone but the event timestamps do not")
    return int(stamp.as_unit("ns").value)


def _check_events(events: pd.DataFrame) -> None:
    missing = [c for c in ("case_id", "activity", "timestamp") if c not in events.columns]
    if missing:
        raise ParameterError(f"events need the columns case_id, activity, timestamp; missing {missing} "
                             f"(columns: {list(events.columns)})")
    if not pd.api.types.is_datetime64_any_dtype(events["timestamp"]):
        raise ParameterError("events['timestamp'] must be datetimes; read the log with load_study, "
                             "read_event_log or read_xes, or parse it with pandas.to_datetime")
    bad = events["case_id"].isna() | events["activity"].isna() | events["timestamp"].isna()
    if bad.any():
        raise ParameterError(f"{int(bad.sum())} events have no case_id, activity or timestamp "
                             f"(first at index {events.index[bad.to_numpy()][0]!r}); load_study sets "
                             "such rows aside with their reason")


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes in sorted order of the values (-1 for missing), and the values.

    Sorted, so that ties are broken the same way whether a column is text or categorical.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        order = np.argsort(np.asarray(cats.astype(str)), kind="stable")
        raw = values.cat.codes.to_numpy()
        used = np.bincount(raw + 1, minlength=len(cats) + 1)[1:] > 0
        keep = order[used[order]]                # categories present, in sorted order
        remap = np.full(len(cats) + 1, -1, dtype=np.int64)   # the last slot maps code -1 (missing)
        remap[keep] = np.arange(len(keep))
        return remap[raw], pd.Index(cats[keep])
    codes, uniques = pd.factorize(values, sort=True)
    return codes, pd.Index(uniques)


class _Order:
    """How to put rows in (case, time, activity, resource) order.

    ``full`` is a permutation of all rows, or None. ``ties`` lists (start, stop, permutation) for
    short runs of rows with the same case and timestamp that only need reordering among
    themselves: the usual shape of a log already sorted by case and time. ``arrays`` holds the
    sorted case, time, activity and resource columns themselves, when they were sorted by value.
    """

    def __init__(self, full=None, ties=(), arrays=None):
        self.full, self.ties, self.arrays = full, list(ties), arrays

    def apply(self, values: np.ndarray, *, copy: bool = True) -> np.ndarray:
        """Values in the new order; ``copy=False`` reorders ties in place (for our own arrays)."""
        if self.full is not None:
            return values[self.full]
        if self.ties:
            values = values.copy() if copy else values
            for lo, hi, perm in self.ties:
                values[lo:hi] = values[lo:hi][perm]
        return values


def _in_case_time_order(case_code, t, act_code, res_code) -> _Order | None:
    """The usual log: rows already grouped by case (in code order) and in time order within it.

    Checked with comparisons only (no sort key is built); rows sharing a case and a timestamp
    are put in activity and resource order among themselves. None when the log is not like that.
    """
    if not (case_code[1:] >= case_code[:-1]).all():
        return None
    same_case = case_code[1:] == case_code[:-1]
    if not ((t[1:] >= t[:-1]) | ~same_case).all():
        return None
    ties = np.flatnonzero(same_case & (t[1:] == t[:-1]))
    if len(ties) == 0:
        return _Order()
    a0, a1, r0, r1 = act_code[ties], act_code[ties + 1], res_code[ties], res_code[ties + 1]
    bad = ~((a1 > a0) | ((a1 == a0) & (r1 >= r0)))
    if not bad.any():
        return _Order()
    # Runs of consecutive tied pairs: pairs i, i+1, ..., j tie rows i..j+1.
    run = np.r_[0, np.cumsum(np.diff(ties) != 1)]
    to_fix = np.unique(run[bad])
    if len(to_fix) > 10_000:
        return None                      # many ties out of order: one full sort is quicker
    first = ties[np.searchsorted(run, to_fix, "left")]
    last = ties[np.searchsorted(run, to_fix, "right") - 1]
    fixes = [(int(lo), int(hi) + 2, np.lexsort((res_code[lo:hi + 2], act_code[lo:hi + 2])))
             for lo, hi in zip(first, last)]
    return _Order(ties=fixes)


def _order(case_code: np.ndarray, t: np.ndarray, act_code: np.ndarray, res_code: np.ndarray, *,
           need_permutation: bool = False) -> _Order:
    """Row order by case, time, activity, resource.

    A log already in case and time order (the usual export) is recognised by comparisons alone,
    its tied timestamps put in order in place. Otherwise, when the four keys fit in 63 bits (times
    at their coarsest exact resolution), they are packed into one integer and sorted by value;
    the sorted columns are unpacked from it, so no column is gathered through a permutation
    (unless ``need_permutation``, for columns that cannot be packed, such as the service).
    """
    if len(t) == 0:
        return _Order()
    fast = _in_case_time_order(case_code, t, act_code, res_code)
    if fast is not None:
        return fast
    t0 = int(t.min())
    rel = t - t0
    unit = 1
    for unit in (10**9, 10**6, 10**3, 1):
        if unit == 1 or not (rel % unit).any():
            break
    if unit > 1:
        rel //= unit
    res = res_code + 1  # missing resource (-1) sorts first
    widths = [_bits(case_code.max()), _bits(rel.max()), _bits(act_code.max()), _bits(res.max())]
    if sum(widths) > 63:
        return _Order(np.lexsort((res_code, act_code, t, case_code)))
    key = np.array(case_code, dtype=np.int64)
    for part, width in zip((rel, act_code, res), widths[1:]):
        key <<= width
        key |= part
    del rel, res
    if need_permutation:
        # Keys are distinct unless whole rows repeat, so stability is moot.
        return _Order(np.argsort(key))
    key.sort()
    w_case, w_t, w_act, w_res = widths
    res_sorted = (key & ((1 << w_res) - 1)) - 1
    act_sorted = (key >> w_res) & ((1 << w_act) - 1)
    t_sorted = ((key >> (w_res + w_act)) & ((1 << w_t) - 1)) * unit + t0
    case_sorted = key >> (w_res + w_act + w_t)
    return _Order(arrays=(case_sorted, t_sorted, act_sorted, res_sorted))


def _activity_flags(names: pd.Index, codebook: FlowCodebook) -> dict[str, np.ndarray]:
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


def case_times(events: pd.DataFrame, *, codebook: FlowCodebook | None = None, as_of=None,
               business_days: bool = False, holidays=None) -> pd.DataFrame:
    """One row per case: when it started on each clock, when it ended, and how the work went.

    Parameters
    ----------
    events : DataFrame
        ``case_id, activity, timestamp`` (timezone-aware or all naive), optionally ``resource``
        (a person or team, for hand-offs) and ``service``. Any row order.
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

        ``attrs`` holds ``as_of``, ``unit`` ("days" or "business days"), ``events_after_as_of``
        and ``unknown_activities``.

    Examples
    --------
    >>> study = load_study("data/sample")                                      # doctest: +SKIP
    >>> times = case_times(study.events, codebook=study.flow_codebook, as_of=study.as_of)  # doctest: +SKIP
    """
    _check_events(events)
    tz = events["timestamp"].dt.tz
    t_all = _timestamps_ns(events["timestamp"])
    keep = np.ones(len(events), dtype=bool)
    as_of_ns = None
    if as_of is not None:
        as_of_ns = _as_of_ns(as_of, tz)
        keep = t_all <= as_of_ns
    n_after = int((~keep).sum())
    if n_after:
        warnings.warn(f"{n_after:,} events after as_of are ignored: cases are shown as they stood "
                      f"at as_of", StudylibWarning, stacklevel=2)
        events = events[keep]
        t_all = t_all[keep]
    if as_of_ns is None:
        as_of_ns = int(t_all.max()) if len(t_all) else 0

    case_code, case_ids = _codes(events["case_id"])
    act_code, act_names = _codes(events["activity"])
    if "resource" in events.columns:
        res_code, _ = _codes(events["resource"])
    else:
        res_code = np.full(len(events), -1, dtype=np.int64)
    order = _order(case_code, t_all, act_code, res_code, need_permutation="service" in events.columns)
    if order.arrays is not None:
        case_code, t_all, act_code, res_code = order.arrays
    else:
        if order.full is not None:
            case_code, t_all = case_code[order.full], t_all[order.full]
        # The code arrays are ours (fresh from _codes), so ties are reordered in place.
        act_code, res_code = order.apply(act_code, copy=False), order.apply(res_code, copy=False)
    n = len(case_code)
    n_cases = len(case_ids)
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_TIME_COLUMNS})
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.not_equal(case_code[1:], case_code[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    ends = np.r_[starts[1:], n]

    first = t_all[starts]
    last = t_all[ends - 1]
    n_events = ends - starts

    # Rework: repeats of an activity within a case = events - distinct activities; order-free.
    n_act = max(len(act_names), 1)
    if n_cases * n_act <= 200_000_000:     # a bitmap of (case, activity) pairs: no hashing
        seen = np.zeros((n_cases, n_act), dtype=bool)
        seen[case_code, act_code] = True
        rework = n_events - seen.sum(axis=1)
        del seen
    else:
        pair = np.asarray(case_code, dtype=np.int64) * n_act + act_code
        rework = np.add.reduceat(pd.Series(pair).duplicated().to_numpy(), starts, dtype=np.int64)

    # Hand-offs: consecutive events (with a resource) done by different resources.
    known = res_code >= 0
    kc, kr = (case_code, res_code) if known.all() else (case_code[known], res_code[known])
    change = (kc[1:] == kc[:-1]) & (kr[1:] != kr[:-1])
    handoffs = np.bincount(kc[1:][change], minlength=n_cases).astype(np.int64)

    unknown: list[str] = []
    if codebook is None:
        end = last
        is_open = np.zeros(n_cases, dtype=bool)
        official_start = first
        official_end = last
        value_steps = pd.arrays.IntegerArray(np.zeros(n_cases, np.int64), np.ones(n_cases, bool))
        waste_steps = value_steps.copy()
        clean = pd.arrays.BooleanArray(np.zeros(n_cases, bool), np.ones(n_cases, bool))
    else:
        flags = _activity_flags(pd.Index(act_names), codebook)
        unknown = [str(a) for a, k in zip(act_names, flags["known"]) if not k]
        if unknown and len(codebook.activities):
            warnings.warn(f"{len(unknown)} activities are not in the flow codebook, so count as neither "
                          f"value nor waste: {unknown[:8]}{' ...' if len(unknown) > 8 else ''}",
                          StudylibWarning, stacklevel=2)

        def first_time(flag_name: str) -> np.ndarray:
            hit = flags[flag_name][act_code]
            return np.minimum.reduceat(np.where(hit, t_all, _NEVER), starts)

        if codebook.solved:
            end = first_time("solved")
            is_open = end == _NEVER
        else:
            end, is_open = last, np.zeros(n_cases, dtype=bool)
        official_start = first_time("official_start") if codebook.official_start else first
        official_end = first_time("official_end") if codebook.official_end else end
        value_steps = np.add.reduceat(flags["value"][act_code], starts, dtype=np.int64)
        waste_steps = np.add.reduceat(flags["waste"][act_code], starts, dtype=np.int64)
        if codebook.dirty:
            clean = np.add.reduceat(flags["dirty"][act_code], starts, dtype=np.int64) == 0
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
        e2e = (end_for_clock - first) / _NS_PER_DAY
        off = (official_stop - np.where(no_official, first, official_start)) / _NS_PER_DAY
    off = np.where(no_official, np.nan, off)

    def stamps(ns: np.ndarray) -> pd.Series:
        # NaT is the smallest int64; a view costs nothing where a parse would cost a pass.
        values = np.where(ns == _NEVER, np.iinfo(np.int64).min, ns).view("M8[ns]")
        out = pd.DatetimeIndex(values)
        return pd.Series(out.tz_localize("UTC").tz_convert(tz) if tz is not None else out)

    if "service" in events.columns:
        svc = order.apply(events["service"].to_numpy(dtype=object))
        service = pd.Series(svc).groupby(case_code).first().reindex(range(n_cases)).to_numpy()
    else:
        service = np.full(n_cases, None, dtype=object)

    out = pd.DataFrame({
        "case_id": case_ids,
        "service": service,
        "customer_start": stamps(first),
        "official_start": stamps(official_start),
        "official_end": stamps(official_end),
        "end": stamps(end),
        "is_open": is_open,
        "end_to_end_days": e2e.astype(float),
        "official_days": off.astype(float),
        "hidden_days": (e2e - off).astype(float),
        "n_events": n_events.astype(np.int64),
        "value_steps": value_steps,
        "waste_steps": waste_steps,
        "handoffs": handoffs,
        "rework": rework.astype(np.int64),
        "clean": clean,
    })
    out.attrs.update(as_of=stamps(np.array([as_of_ns])).iloc[0],
                     unit="business days" if business_days else "days",
                     events_after_as_of=n_after, unknown_activities=unknown)
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


# -- open cases: survival of end-to-end times ---------------------------------------------------

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


def open_case_sentence(effect: pd.DataFrame, *, unit: str = "days") -> str:
    """Plain words for :func:`open_case_effect`."""
    n_open, n = effect.attrs.get("n_open", 0), effect.attrs.get("n_cases", 0)
    if n_open == 0:
        return f"All {n:,} cases were finished by the end of the data, so no case is left out of the figures."
    med = effect.iloc[0]
    p85 = effect.iloc[1]

    def fmt(x):
        return "more than the data can show" if not np.isfinite(x) else f"{x:.1f} {unit}"

    text = (f"{n_open:,} of {n:,} cases were still open at the end of the data. Counting only finished "
            f"cases gives a median of {med['closed_only']:.1f} {unit} and an 85th percentile of "
            f"{p85['closed_only']:.1f}; counting open cases for as long as they have waited gives "
            f"{fmt(med['estimate'])} (95% interval {fmt(med['lower'])} to {fmt(med['upper'])}) and "
            f"{fmt(p85['estimate'])}.")
    gap = p85["understated_by_days"]
    if np.isfinite(gap) and gap > 0:
        text += f" Finished-only figures understate the 85th percentile by {gap:.1f} {unit}."
    elif not np.isfinite(gap):
        text += " Too many cases are open to say how long the slowest 15% take."
    return text


# -- paths through the work ---------------------------------------------------------------------

def _ordered(events: pd.DataFrame) -> pd.DataFrame:
    """Events in (case, time, activity, resource) order, exactly as :func:`case_times` orders them."""
    _check_events(events)
    cols = [c for c in ("case_id", "timestamp", "activity", "resource") if c in events.columns]
    frame = events[cols].reset_index(drop=True)
    frame["activity"] = frame["activity"].astype(str)
    frame["_t"] = _timestamps_ns(events["timestamp"])
    res_code = (_codes(events["resource"])[0] if "resource" in events.columns
                else np.full(len(events), -1, dtype=np.int64))
    # The same ordering mechanism as case_times, asked for a row permutation.
    order = _order(_codes(events["case_id"])[0], frame["_t"].to_numpy(), _codes(events["activity"])[0], res_code,
                   need_permutation=True)
    return frame.iloc[order.apply(np.arange(len(frame)))].reset_index(drop=True)


def variants(events: pd.DataFrame, times: pd.DataFrame | None = None, *, top: int | None = 10,
             separator: str = " → ") -> pd.DataFrame:
    """The most common paths through the work.

    Returns
    -------
    DataFrame
        One row per variant, most common first: ``variant`` (activities in order), ``n_steps``,
        ``cases``, ``share`` (of all cases), ``median_end_to_end_days`` and ``open_cases`` (when
        ``times`` from :func:`case_times` is given). ``attrs["n_variants"]`` counts all variants.
    """
    frame = _ordered(events)
    paths = frame.groupby("case_id", sort=True)["activity"].agg(lambda s: separator.join(s))
    steps = frame.groupby("case_id", sort=True).size()
    table = pd.DataFrame({"variant": paths, "n_steps": steps})
    agg = {"cases": ("n_steps", "size"), "n_steps": ("n_steps", "first")}
    if times is not None:
        t = times.set_index("case_id")
        table["end_to_end_days"] = t["end_to_end_days"].reindex(table.index)
        table["is_open"] = t["is_open"].reindex(table.index).astype(bool)
        agg.update(median_end_to_end_days=("end_to_end_days", "median"), open_cases=("is_open", "sum"))
    out = table.groupby("variant", sort=False).agg(**agg).reset_index()
    out["share"] = out["cases"] / len(table)
    out = out.sort_values(["cases", "variant"], ascending=[False, True], kind="stable").reset_index(drop=True)
    cols = ["variant", "n_steps", "cases", "share"] + (["median_end_to_end_days", "open_cases"] if times is not None else [])
    out = out[cols]
    out.attrs["n_variants"] = len(out)
    return out.head(top) if top else out


def transitions(events: pd.DataFrame) -> pd.DataFrame:
    """Step-to-step moves within cases, with the wait between them.

    Returns
    -------
    DataFrame
        One row per (``from_activity``, ``to_activity``) pair, most frequent first: ``cases``
        (distinct cases making the move), ``count``, ``median_wait_days``, ``mean_wait_days``.
        Cases start from "(start)" and end at "(end)" so the map shows where work enters and leaves.
    """
    frame = _ordered(events)
    nxt_case = frame["case_id"].shift(-1)
    same = nxt_case.eq(frame["case_id"]).to_numpy()
    wait = (frame["_t"].shift(-1) - frame["_t"]) / _NS_PER_DAY
    moves = pd.DataFrame({"case_id": frame["case_id"], "from_activity": frame["activity"],
                          "to_activity": frame["activity"].shift(-1), "wait_days": wait})[same]
    first = frame.groupby("case_id", sort=False).head(1)
    last = frame.groupby("case_id", sort=False).tail(1)
    edges = pd.concat([
        pd.DataFrame({"case_id": first["case_id"], "from_activity": "(start)",
                      "to_activity": first["activity"], "wait_days": 0.0}),
        moves,
        pd.DataFrame({"case_id": last["case_id"], "from_activity": last["activity"],
                      "to_activity": "(end)", "wait_days": 0.0}),
    ], ignore_index=True)
    out = (edges.groupby(["from_activity", "to_activity"], sort=True)
           .agg(cases=("case_id", "nunique"), count=("case_id", "size"),
                median_wait_days=("wait_days", "median"), mean_wait_days=("wait_days", "mean"))
           .reset_index()
           .sort_values(["count", "from_activity", "to_activity"], ascending=[False, True, True], kind="stable")
           .reset_index(drop=True))
    return out


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
    frame = _ordered(events)
    acts = codebook.activities.set_index("activity")
    kind = frame["activity"].map(acts["kind"])
    waste_kind = frame["activity"].map(acts["waste_kind"])
    label = kind.where(kind != "waste", "waste: " + waste_kind.fillna("other").astype(str)).fillna("unknown")
    prev_same = frame["case_id"].eq(frame["case_id"].shift(1)).to_numpy()
    wait = ((frame["_t"] - frame["_t"].shift(1)) / _NS_PER_DAY).where(prev_same, 0.0)
    out = (pd.DataFrame({"kind": label, "days": wait}).groupby("kind", sort=True)
           .agg(steps=("days", "size"), days=("days", "sum")).reset_index())
    out["share_of_time"] = out["days"] / out["days"].sum() if out["days"].sum() > 0 else 0.0
    return out.sort_values("days", ascending=False, kind="stable").reset_index(drop=True)


# -- target gaming ------------------------------------------------------------------------------

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


def target_sentence(table: pd.DataFrame, *, clock_names: dict | None = None) -> str:
    """Plain words for :func:`around_target`: is there a spike just before the target?"""
    names = {"end_to_end_days": "the customer's clock", "official_days": "the organisation's clock"}
    names.update(clock_names or {})
    target, window = table.attrs["target"], table.attrs["window"]
    parts = []
    for rec in table.attrs["spike"].to_dict("records"):
        lo, hi = target - window, target + window
        parts.append(f"on {names.get(rec['clock'], rec['clock'])}, {rec['just_before']:,} cases finished "
                     f"between day {lo:g} and day {target:g} against {rec['just_after']:,} between day "
                     f"{target:g} and day {hi:g}")
    text = "; ".join(parts) + "."
    text = text[:1].upper() + text[1:]
    spiky = [r for r in table.attrs["spike"].to_dict("records")
             if r["just_before"] >= 10 and (r["ratio"] >= 3)]
    if spiky:
        text += (f" Work is being finished to the {target:g}-day target on "
                 f"{names.get(spiky[0]['clock'], spiky[0]['clock'])}, not to the customer's need.")
    return text


# -- the process map: layout computed here, drawn by plot_process_map ---------------------------

def process_map_layout(events: pd.DataFrame, moves: pd.DataFrame | None = None, *,
                       min_share: float = 0.02) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where to put each activity on a process map, and which moves to draw.

    Activities are stacked top to bottom in the order work usually reaches them (their median
    position in the cases that contain them; ties by how common they are). Moves made by fewer
    than ``min_share`` of cases are left off the picture (they stay in :func:`transitions`).

    Returns
    -------
    (nodes, edges)
        ``nodes``: ``activity, row, median_position, events``, with ``(start)`` first and
        ``(end)`` last; ``edges``: the rows of :func:`transitions` that are drawn.
    """
    frame = _ordered(events)
    frame["position"] = frame.groupby("case_id", sort=False).cumcount()
    stats = (frame.groupby("activity").agg(median_position=("position", "median"), events=("position", "size"))
             .reset_index())
    moves = transitions(events) if moves is None else moves
    n_cases = frame["case_id"].nunique()
    edges = moves[moves["cases"] >= max(1, min_share * n_cases)].reset_index(drop=True)
    shown = set(edges["from_activity"]) | set(edges["to_activity"])
    stats = stats[stats["activity"].isin(shown)]
    stats = stats.sort_values(["median_position", "events", "activity"], ascending=[True, False, True], kind="stable")
    ends = pd.DataFrame({"activity": ["(start)", "(end)"], "median_position": [-1.0, np.inf],
                         "events": [n_cases, n_cases]})
    nodes = pd.concat([ends.iloc[:1], stats, ends.iloc[1:]], ignore_index=True)
    nodes["row"] = np.arange(len(nodes))
    return nodes[["activity", "row", "median_position", "events"]], edges


# -- prose --------------------------------------------------------------------------------------

def flow_prose(times: pd.DataFrame, *, steps: pd.DataFrame | None = None,
               effect: pd.DataFrame | None = None, spike: pd.DataFrame | None = None,
               name: str = "the service") -> dict[str, str]:
    """What / so what / now what / then what for the flow stage, from the numbers."""
    unit = times.attrs.get("unit", "days")
    n = len(times)
    closed = times[~times["is_open"].astype(bool)]
    what = [f"{n:,} {name} cases followed end to end; {int(times['is_open'].sum()):,} still open."]
    if len(closed):
        what.append(f"Customers waited on average {closed['end_to_end_days'].mean():.1f} {unit} from first "
                    f"contact to the problem solved; the organisation's clock recorded "
                    f"{closed['official_days'].mean():.1f}.")
    hidden = times["hidden_days"].dropna()
    before_start = (times["official_start"] - times["customer_start"]).dt.total_seconds() / 86400
    if before_start.notna().any() and before_start.mean() > 0.05:
        what.append(f"Customers wait on average {before_start.mean():.1f} days before the organisation's clock starts.")
    clean = times["clean"].dropna()
    if len(clean):
        what.append(f"Only {clean.mean():.0%} of cases flow clean." if clean.mean() < 0.5
                    else f"{clean.mean():.0%} of cases flow clean; {1 - clean.mean():.0%} arrive dirty.")
    so_what = []
    if steps is not None and len(steps):
        waste = steps[steps["kind"].str.startswith("waste")]
        if len(waste):
            top = waste.iloc[0]
            so_what.append(f"{waste['share_of_time'].sum():.0%} of the time cases spend in the system goes on "
                           f"waste; the largest part is {top['kind'].removeprefix('waste: ')} "
                           f"({top['share_of_time']:.0%}).")
    so_what.append(f"A case is handed from one person or team to another {times['handoffs'].mean():.1f} times on "
                   f"average, and {(times['rework'] > 0).mean():.0%} of cases repeat a step.")
    if len(hidden) and hidden.mean() > 0.05:
        so_what.append(f"The organisation's measures leave out {hidden.mean():.1f} days of every case on average.")
    now_what = ["Study the cases behind the largest waste and the hand-offs: who passes the work on, and why?"]
    if spike is not None:
        spiky = spike.attrs["spike"]
        official = spiky[spiky["clock"] == "official_days"]
        if len(official) and official["just_before"].iloc[0] >= 10 and official["ratio"].iloc[0] >= 3:
            now_what.append("Work is being closed to the target: measure the customer's clock instead.")
    then_what = "Re-run this stage after each change and compare the customer's clock, the share of clean cases and the hand-offs."
    if effect is not None and effect.attrs.get("n_open"):
        then_what += " Keep open cases in the figures (as here) so that a backlog cannot make the service look faster."
    return {"what": " ".join(what), "so what": " ".join(so_what), "now what": " ".join(now_what),
            "then what": then_what}


# -- charts: thin, over the tables above --------------------------------------------------------

VALUE_COLOUR, WASTE_COLOUR = "#2a7f2a", "#d9822b"


def plot_two_clocks(times: pd.DataFrame, *, ax=None):
    """Each finished case at its arrival date: the customer's clock (dark) and the organisation's
    (light), joined by a line: the gap is the time the organisation does not count."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    done = times[~times["is_open"].astype(bool)].sort_values("customer_start", kind="stable")
    ax.vlines(done["customer_start"], done["official_days"], done["end_to_end_days"], color="#bbb", lw=0.6, gid="gap")
    ax.scatter(done["customer_start"], done["official_days"], s=8, color="#9ecae1", label="organisation's clock", gid="official")
    ax.scatter(done["customer_start"], done["end_to_end_days"], s=8, color="#08519c", label="customer's clock", gid="customer")
    ax.set_ylabel(times.attrs.get("unit", "days"))
    import matplotlib.dates as mdates
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return finish(ax, "Two clocks: how long each case took", xlabel="date the customer first made contact",
                   legend=True)


def plot_step_times(steps: pd.DataFrame, *, ax=None):
    """Bars of the time charged to each kind of step (:func:`step_times`): value green, waste orange."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.4 * len(steps) + 1.2))
    shown = steps.iloc[::-1]
    colours = [VALUE_COLOUR if k == "value" else WASTE_COLOUR if k.startswith("waste") else "#999" for k in shown["kind"]]
    ax.barh(shown["kind"], shown["days"], color=colours, gid="days")
    return finish(ax, "Where the time goes", xlabel="days of case time, all cases")


def plot_handoffs_rework(times: pd.DataFrame, *, ax=None):
    """How many cases had 0, 1, 2, ... hand-offs, and repeated steps."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    top = int(max(times["handoffs"].max(), times["rework"].max(), 0))
    counts = np.arange(top + 1)
    hand = times["handoffs"].value_counts().reindex(counts, fill_value=0)
    rework = times["rework"].value_counts().reindex(counts, fill_value=0)
    ax.bar(counts - 0.2, hand.to_numpy(), width=0.4, color="#6a51a3", label="hand-offs", gid="handoffs")
    ax.bar(counts + 0.2, rework.to_numpy(), width=0.4, color=WASTE_COLOUR, label="repeated steps", gid="rework")
    return finish(ax, "Hand-offs and rework per case", xlabel="number in the case", ylabel="cases", legend=True)


def plot_variants(table: pd.DataFrame, *, ax=None, width: int = 70):
    """Horizontal bars of the commonest paths (:func:`variants`), most common at the top."""
    import textwrap

    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.75 * len(table) + 1))
    shown = table.iloc[::-1]
    labels = ["\n".join(textwrap.wrap(v, width)) for v in shown["variant"]]
    ax.barh(range(len(shown)), shown["cases"], color="#4a7fb0", gid="cases")
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    if "median_end_to_end_days" in shown:
        for i, (c, d) in enumerate(zip(shown["cases"], shown["median_end_to_end_days"])):
            ax.annotate(f"median {d:.1f} d", (c, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    return finish(ax, "The commonest paths through the work", xlabel="cases")


def plot_process_map(nodes: pd.DataFrame, edges: pd.DataFrame, *, ax=None,
                     codebook: FlowCodebook | None = None, label_share: float = 0.1):
    """Draw :func:`process_map_layout`: activities top to bottom, moves as arcs as wide as the
    cases making them (forward moves on the right, moves back up on the left), the busiest
    labelled with cases and median wait. Pure matplotlib: no Graphviz binary needed.

    Each arc carries ``gid`` "from -> to"; each box the activity's name.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    n = len(nodes)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.55 * n + 1))
    kinds = {}
    if codebook is not None and len(codebook.activities):
        kinds = dict(zip(codebook.activities["activity"], codebook.activities["kind"]))
    row = dict(zip(nodes["activity"], nodes["row"]))
    n_cases = int(nodes["events"].iloc[0]) if n else 1
    biggest = max(edges["cases"].max() if len(edges) else 1, 1)
    for rec in edges.sort_values("cases").to_dict("records"):
        if rec["from_activity"] not in row or rec["to_activity"] not in row:
            continue
        r0, r1 = row[rec["from_activity"]], row[rec["to_activity"]]
        forward = r1 > r0
        side = 1 if forward else -1
        start, stop = (side * 2.3, -r0), (side * 2.3, -r1)
        rad = -0.5 * side * (1 if forward else -1) * min(1.0, 0.25 + 0.08 * abs(r1 - r0))
        arrow = FancyArrowPatch(start, stop, arrowstyle="-|>", mutation_scale=8,
                                lw=0.4 + 5 * rec["cases"] / biggest, alpha=0.55,
                                color="#555" if forward else WASTE_COLOUR,
                                connectionstyle=f"arc3,rad={rad}", gid=f"{rec['from_activity']} -> {rec['to_activity']}")
        ax.add_patch(arrow)
        if rec["cases"] >= label_share * n_cases and abs(r1 - r0) >= 1:
            x = side * (2.3 + 0.3 + 0.15 * abs(r1 - r0))
            ax.annotate(f"{rec['cases']:,} cases, median wait {rec['median_wait_days']:.1f} d",
                        (x, -(r0 + r1) / 2), fontsize=6, ha="left" if forward else "right", va="center", color="#333")
    for rec in nodes.to_dict("records"):
        face = {"value": "#d8efd8", "waste": "#fbe0c6"}.get(kinds.get(rec["activity"]), "#eeeeee")
        ax.text(0, -rec["row"], f"{rec['activity']}  ({rec['events']:,})" if not rec["activity"].startswith("(") else rec["activity"],
                ha="center", va="center", fontsize=8, gid=rec["activity"],
                bbox={"boxstyle": "round,pad=0.35", "facecolor": face, "edgecolor": "#777"})
    ax.set_xlim(-7, 7)
    ax.set_ylim(-(n - 1) - 0.8, 0.8)
    ax.set_axis_off()
    ax.set_title("Process map: moves between steps (green: value, orange: waste; orange arcs go back)")
    return ax


def plot_around_target(table: pd.DataFrame, *, ax=None):
    """Cases finishing in each day-bin on each clock (:func:`around_target`), with the target."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.8))
    names = {"end_to_end_days": "customer's clock", "official_days": "organisation's clock"}
    colours = {"end_to_end_days": "#08519c", "official_days": "#9ecae1"}
    for clock, part in table.groupby("clock", sort=False):
        ax.step(part["bin_start"], part["cases"], where="post", label=names.get(clock, clock),
                color=colours.get(clock), gid=clock)
    target = table.attrs["target"]
    ax.axvline(target, color="#a00", ls="--", lw=1, gid="target")
    ax.annotate(f"target: {target:g} days", (target, 1), xycoords=("data", "axes fraction"),
                xytext=(3, -10), textcoords="offset points", fontsize=8, color="#a00")
    return finish(ax, "When cases finish, on each clock", xlabel="days to finish", ylabel="cases", legend=True)
