"""The order of events within a case, shared by every flow measure.

Rows are put in (case, time, activity, resource) order, whatever order they arrive in, so that
shuffled rows give identical results. A log already in case and time order is recognised by
comparisons alone; otherwise the keys are packed into one integer and sorted by value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ParameterError

__all__ = ["NS_PER_DAY", "timestamps_ns", "epoch_ns", "check_events", "sorted_codes", "EventOrder", "event_order", "ordered_events"]


NS_PER_DAY = 86_400 * 10**9


def timestamps_ns(ts: pd.Series) -> np.ndarray:
    """Epoch nanoseconds of tz-aware or naive timestamps, whatever their stored unit."""
    return pd.DatetimeIndex(ts).as_unit("ns").asi8


def epoch_ns(as_of, tz) -> int:
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is None and tz is not None:
        stamp = stamp.tz_localize(tz)
    elif stamp.tzinfo is not None and tz is None:
        raise ParameterError("as_of has a timezone but the event timestamps do not")
    return int(stamp.as_unit("ns").value)


def check_events(events: pd.DataFrame) -> None:
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


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
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


class EventOrder:
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


def _in_case_time_order(case_code, t, act_code, res_code) -> EventOrder | None:
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
        return EventOrder()
    a0, a1, r0, r1 = act_code[ties], act_code[ties + 1], res_code[ties], res_code[ties + 1]
    bad = ~((a1 > a0) | ((a1 == a0) & (r1 >= r0)))
    if not bad.any():
        return EventOrder()
    # Runs of consecutive tied pairs: pairs i, i+1, ..., j tie rows i..j+1.
    run = np.r_[0, np.cumsum(np.diff(ties) != 1)]
    to_fix = np.unique(run[bad])
    if len(to_fix) > 10_000:
        return None                      # many ties out of order: one full sort is quicker
    first = ties[np.searchsorted(run, to_fix, "left")]
    last = ties[np.searchsorted(run, to_fix, "right") - 1]
    fixes = [(int(lo), int(hi) + 2, np.lexsort((res_code[lo:hi + 2], act_code[lo:hi + 2])))
             for lo, hi in zip(first, last)]
    return EventOrder(ties=fixes)


def event_order(case_code: np.ndarray, t: np.ndarray, act_code: np.ndarray, res_code: np.ndarray, *,
           need_permutation: bool = False) -> EventOrder:
    """Row order by case, time, activity, resource.

    A log already in case and time order (the usual export) is recognised by comparisons alone,
    its tied timestamps put in order in place. Otherwise, when the four keys fit in 63 bits (times
    at their coarsest exact resolution), they are packed into one integer and sorted by value;
    the sorted columns are unpacked from it, so no column is gathered through a permutation
    (unless ``need_permutation``, for columns that cannot be packed, such as the service).
    """
    if len(t) == 0:
        return EventOrder()
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
        return EventOrder(np.lexsort((res_code, act_code, t, case_code)))
    key = np.array(case_code, dtype=np.int64)
    for part, width in zip((rel, act_code, res), widths[1:]):
        key <<= width
        key |= part
    del rel, res
    if need_permutation:
        # Keys are distinct unless whole rows repeat, so stability is moot.
        return EventOrder(np.argsort(key))
    key.sort()
    w_case, w_t, w_act, w_res = widths
    res_sorted = (key & ((1 << w_res) - 1)) - 1
    act_sorted = (key >> w_res) & ((1 << w_act) - 1)
    t_sorted = ((key >> (w_res + w_act)) & ((1 << w_t) - 1)) * unit + t0
    case_sorted = key >> (w_res + w_act + w_t)
    return EventOrder(arrays=(case_sorted, t_sorted, act_sorted, res_sorted))


def ordered_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events in (case, time, activity, resource) order, exactly as :func:`case_times` orders them."""
    check_events(events)
    cols = [c for c in ("case_id", "timestamp", "activity", "resource") if c in events.columns]
    frame = events[cols].reset_index(drop=True)
    frame["activity"] = frame["activity"].astype(str)
    frame["_t"] = timestamps_ns(events["timestamp"])
    res_code = (sorted_codes(events["resource"])[0] if "resource" in events.columns
                else np.full(len(events), -1, dtype=np.int64))
    # The same ordering mechanism as case_times, asked for a row permutation.
    order = event_order(sorted_codes(events["case_id"])[0], frame["_t"].to_numpy(), sorted_codes(events["activity"])[0], res_code,
                   need_permutation=True)
    return frame.iloc[order.apply(np.arange(len(frame)))].reset_index(drop=True)
