"""The order of events within a case, shared by every flow measure.

Rows are put in (case, time) order. Events of one case with the same timestamp keep the order in
which they were recorded (their row order), or the order of an ``order`` column when the log has
one, which makes the result independent of how the rows are shuffled. This is the convention of
process-mining tools (pm4py sorts by case, time and row index; bupaR and Disco keep file order);
breaking ties alphabetically would invent an order the service never recorded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["NS_PER_DAY", "order_ties", "timestamps_ns", "epoch_ns", "check_events", "sorted_codes", "codes_of", "EventOrder", "event_order", "count_tied",
           "order_values", "tied_events", "ties_sentence", "ties_note", "ordered_events"]


NS_PER_DAY = 86_400 * 10**9


def timestamps_ns(ts: pd.Series) -> np.ndarray:
    """Epoch nanoseconds of tz-aware or naive timestamps, whatever their stored unit: a read-only
    view of the column's own values where they are stored in nanoseconds (no copy of a large log)."""
    values = ts.array if isinstance(getattr(ts, "array", None), pd.arrays.DatetimeArray) else pd.DatetimeIndex(ts).array
    if values.unit != "ns":
        values = values.as_unit("ns")
    out = values.asi8.view()
    out.flags.writeable = False
    return out


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
    if any(events[c].hasnans for c in ("case_id", "activity", "timestamp")):
        bad = events["case_id"].isna() | events["activity"].isna() | events["timestamp"].isna()
        raise ParameterError(f"{int(bad.sum())} events have no case_id, activity or timestamp "
                             f"(first at index {events.index[bad.to_numpy()][0]!r}); load_study sets "
                             "such rows aside with their reason")


def _in_runs(same: np.ndarray) -> np.ndarray:
    """Rows in a run of two or more equal values, from ``same`` (each row equals the next)."""
    rows = np.zeros(len(same) + 1, dtype=bool)
    rows[1:] |= same
    rows[:-1] |= same
    return rows


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
        used = np.zeros(len(cats), dtype=bool)
        present = pd.unique(raw)                 # hashed on the small codes: no 10M-row count
        used[present[present >= 0]] = True
        keep = order[used[order]]                # categories present, in sorted order
        remap = np.full(len(cats) + 1, -1, dtype=np.int64)   # the last slot maps code -1 (missing)
        remap[keep] = np.arange(len(keep))
        return remap[raw], pd.Index(cats[keep])
    presorted = _codes_if_sorted(values)
    if presorted is not None:
        return presorted
    hashed = _arrow_text_codes(values)
    if hashed is not None:
        return hashed
    codes, uniques = pd.factorize(values, sort=True)
    return codes, pd.Index(uniques)


#: Rows from which a log's columns are encoded at once, one thread each (the hashing releases the GIL).
CODES_AT_ONCE = 200_000


def codes_of(events: pd.DataFrame, columns: list[str]) -> list[tuple[np.ndarray, pd.Index]]:
    """:func:`sorted_codes` of each column. For a long log the columns after the first are encoded
    in threads while the first is: Arrow's hashing and NumPy's sorts release the GIL, so on a
    machine of two cores or more the case ids' hashing hides the activities' and resources'."""
    if len(events) < CODES_AT_ONCE or len(columns) < 2:
        return [sorted_codes(events[c]) for c in columns]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(columns) - 1) as pool:
        others = [pool.submit(sorted_codes, events[c]) for c in columns[1:]]
        first = sorted_codes(events[columns[0]])
        return [first] + [f.result() for f in others]


def _arrow_text(values: pd.Series):
    """The Arrow array of Arrow-backed text (pandas' ``str`` dtype with pyarrow), or None."""
    to_arrow = getattr(values.array, "__arrow_array__", None)
    if to_arrow is None or not pd.api.types.is_string_dtype(values.dtype):
        return None
    import pyarrow as pa
    column = to_arrow()
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return None
    return column


def _arrow_text_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """Codes in sorted order of Arrow-backed text in any order, as ``pandas.factorize(sort=True)``
    gives them: Arrow's hash encoding of every row, then only the distinct values sorted (in byte
    order, which is Python's order of text) and the codes renumbered by their rank."""
    column = _arrow_text(values)
    if column is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    encoded = pc.dictionary_encode(column)
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1                                       # a missing value: code -1, as factorize gives
    indices = encoded.indices
    if indices.null_count:
        indices = indices.fill_null(len(order))
    codes = rank[indices.to_numpy(zero_copy_only=False)]
    return codes, pd.Index(pd.array(encoded.dictionary.take(pa.array(order)), dtype=values.dtype))


def _codes_if_sorted(values: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """Codes without hashing every row for Arrow-backed text grouped by value (a log exported by
    case): one comparison of neighbours finds the blocks; in sorted order a change of value starts
    the next code, otherwise only the blocks' first values are checked for repeats and sorted."""
    column = _arrow_text(values) if len(values) >= 2 else None
    if column is None or column.null_count:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    before, after = column.slice(0, len(column) - 1), column.slice(1)
    # A few neighbours looked at first: a column that is neither grouped nor sorted (activities, a
    # shuffled log) is told apart without comparing every row.
    probe = pa.array(np.linspace(0, len(column) - 2, min(256, len(column) - 1)).astype(np.int64))
    ahead, behind = after.take(probe), before.take(probe)
    probe_sorted = pc.all(pc.less_equal(behind, ahead)).as_py()
    if pc.sum(pc.not_equal(behind, ahead)).as_py() * 4 > len(probe) * 3 and not probe_sorted:
        return None
    change = np.r_[True, pc.not_equal(before, after).to_numpy(zero_copy_only=False)]
    if change.sum() * 2 > len(change):
        # Most rows start a new value: sorted (one event a case, exported in order) or not grouped at all.
        if not probe_sorted:
            return None
        if not pc.all(pc.less_equal(before, after)).as_py():      # byte order: Python's order of text
            return None
        return np.cumsum(change) - 1, pd.Index(pd.array(column.filter(pa.array(change)), dtype=values.dtype))
    firsts = column.filter(pa.array(change))
    if pc.all(pc.less(firsts.slice(0, len(firsts) - 1), firsts.slice(1))).as_py():
        return np.cumsum(change) - 1, pd.Index(pd.array(firsts, dtype=values.dtype))
    # Grouped but not sorted (ids case-1 ... case-999 in log order): each value one block of rows.
    # The codes are still in sorted order of the values: only the blocks' first values are sorted.
    order = pc.array_sort_indices(firsts)
    ranked = firsts.take(order)
    # Sorted, each block's value strictly after the one before: no value has two blocks (a case
    # whose rows are in two places takes the general path).
    if not pc.all(pc.less(ranked.slice(0, len(ranked) - 1), ranked.slice(1))).as_py():
        return None
    order = order.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[np.cumsum(change) - 1], pd.Index(pd.array(ranked, dtype=values.dtype))


class EventOrder:
    """How to put rows in (case, time, recorded order) order.

    ``full`` is a permutation of all rows, or None. ``ties`` lists (start, stop, permutation) for
    short runs of rows with the same case and timestamp that only need reordering among
    themselves (by an order column): the usual shape of a log already sorted by case and time.
    ``arrays`` holds the sorted case, time and payload columns themselves, when they were sorted
    by value (no permutation is built then).
    """

    def __init__(self, full=None, ties=(), arrays=None, blocks=False):
        self.full, self.ties, self.arrays = full, list(ties), arrays
        #: Rows grouped by case and in time order, the cases not in code order, left where they are
        #: (``event_order(..., blocks_ok=True)``): a caller that reads each case's rows as one run needs no move.
        self.blocks = blocks

    @property
    def identity(self) -> bool:
        return self.full is None and not self.ties and self.arrays is None

    def apply(self, values: np.ndarray, *, copy: bool = True) -> np.ndarray:
        """Values in the new order; ``copy=False`` reorders ties in place (for our own arrays)."""
        if self.full is not None:
            return values[self.full]
        if self.ties:
            values = values.copy() if copy else values
            for lo, hi, perm in self.ties:
                values[lo:hi] = values[lo:hi][perm]
        return values


def _in_case_time_order(case_code, t, seq, blocks_ok: bool = False) -> EventOrder | None:
    """The usual log: rows already grouped by case (in code order) and in time order within it.

    Checked with comparisons only (no sort key is built). Rows sharing a case and a timestamp keep
    their order, or are put in ``seq`` order among themselves. None when the log is not like that.
    """
    same_case = case_code[1:] == case_code[:-1]
    if not ((t[1:] >= t[:-1]) | ~same_case).all():
        return None
    if not (case_code[1:] >= case_code[:-1]).all():
        return _blocks_in_code_order(case_code, same_case, move=not blocks_ok) if seq is None else None
    if seq is None:
        return EventOrder()
    ties = np.flatnonzero(same_case & (t[1:] == t[:-1]))
    bad = seq[ties + 1] < seq[ties]
    if not bad.any():
        return EventOrder()
    # Runs of consecutive tied pairs: pairs i, i+1, ..., j tie rows i..j+1.
    run = np.r_[0, np.cumsum(np.diff(ties) != 1)]
    to_fix = np.unique(run[bad])
    if len(to_fix) > 10_000:
        return None                      # many ties out of order: one full sort is quicker
    first = ties[np.searchsorted(run, to_fix, "left")]
    last = ties[np.searchsorted(run, to_fix, "right") - 1]
    return EventOrder(ties=[(int(lo), int(hi) + 2, np.argsort(seq[lo:hi + 2], kind="stable"))
                            for lo, hi in zip(first, last)])


def _blocks_in_code_order(case_code: np.ndarray, same_case: np.ndarray, *, move: bool = True) -> EventOrder | None:
    """Rows grouped by case and in time order, the cases not in code order: move whole blocks, each
    kept as it is (None when a case's rows are not one block); ``move=False`` leaves them in place."""
    starts = np.flatnonzero(np.r_[True, ~same_case])
    if len(starts) != int(case_code.max()) + 1:
        return None                      # a case in two or more places: a sort is needed
    if not move:
        return EventOrder(blocks=True)
    lengths = np.diff(np.r_[starts, len(case_code)])
    by_code = np.argsort(case_code[starts], kind="stable")
    start, length = starts[by_code], lengths[by_code]
    placed = np.r_[0, np.cumsum(length)[:-1]]
    return EventOrder(np.repeat(start - placed, length) + np.arange(len(case_code)))


def event_order(case_code: np.ndarray, t: np.ndarray, seq: np.ndarray | None = None, *,
                payload: tuple[np.ndarray, ...] | None = None, blocks_ok: bool = False,
                sort: bool = True) -> EventOrder | None:
    """Row order by case, then time, then the order the events were recorded in.

    Events of one case with the same timestamp keep the order of their rows (pm4py, bupaR and
    Disco do the same), or the order of ``seq`` (an order column the study names) where given,
    rows breaking any tie that remains. A log already in case and time order (the usual export)
    is recognised by comparisons alone. Otherwise case and time (at its coarsest exact
    resolution) are packed into one integer and sorted. With ``payload`` (small non-negative
    integer codes, -1 for missing) and no ``seq``, the payload is packed too and the key sorted by
    value, then unpacked: no permutation is built, and only rows that tie are put back in their
    recorded order (``arrays`` holds the sorted case, time and payload columns). With
    ``blocks_ok``, a log grouped by case in time order whose cases are not in code order is left as
    it is (``blocks``): for a caller that only reads each case's rows as one run. With
    ``sort=False``, None where the rows would have to be sorted (for a caller that can do without).
    """
    if len(t) == 0:
        return EventOrder()
    fast = _in_case_time_order(case_code, t, seq, blocks_ok)
    if fast is not None or not sort:
        return fast
    if seq is not None:
        return EventOrder(np.lexsort((seq, t, case_code)))
    t0, unit, w_case, w_t = _case_time_scale(case_code, t)
    if w_case + w_t > 63:
        return EventOrder(_coarse_then_fine(case_code, _in_units(t, t0, unit), w_t, w_case + w_t - 63))
    key = _case_time_key(case_code, t, t0, unit, w_t)
    widths = [_bits(p.max() + 1) for p in payload] if payload is not None else []
    if payload is None or w_case + w_t + sum(widths) > 63:
        return EventOrder(np.argsort(key, kind="stable"))
    case_time = key.copy()
    for part, width in zip(payload, widths):
        key <<= width
        key |= part + 1
    key.sort()
    columns, shift = [], 0
    for width in reversed(widths):
        columns.insert(0, ((key >> shift) & ((1 << width) - 1)) - 1)
        shift += width
    sorted_ct = key >> shift
    del key
    _recorded_order_of_ties(sorted_ct, case_time, payload, columns)
    return EventOrder(arrays=(sorted_ct >> w_t, (sorted_ct & ((1 << w_t) - 1)) * unit + t0, *columns))


def _case_time_scale(case_code: np.ndarray, t: np.ndarray) -> tuple[int, int, int, int]:
    """Time at its coarsest exact resolution (whole seconds, milliseconds, microseconds or
    nanoseconds), for a key of case and time: ``(t0, unit, w_case, w_t)`` with ``t - t0`` a whole
    number of ``unit``s below ``2 ** w_t``; case and time fit one int64 key when
    ``w_case + w_t <= 63``. Read in slices: no array the size of the log is made."""
    t0 = int(t.min())
    step = max(len(t) // 1024, 1)
    unit = 1
    for candidate in (10**9, 10**6, 10**3):
        # A spread-out sample first: a log in finer units is told apart without reading every row.
        if not ((t[::step] - t0) % candidate).any() and not any(
                ((t[i:i + _SLICE] - t0) % candidate).any() for i in range(0, len(t), _SLICE)):
            unit = candidate
            break
    return t0, unit, _bits(case_code.max()), _bits((int(t.max()) - t0) // unit)


#: Rows read at a time where a whole column of temporaries would only be thrown away.
_SLICE = 1 << 20


def _case_time_key(case_code: np.ndarray, t: np.ndarray, t0: int, unit: int, w_t: int) -> np.ndarray:
    """``case_code << w_t | (t - t0) // unit`` as one new int64 array, its time part filled in slices."""
    key = np.array(case_code, dtype=np.int64)
    key <<= w_t
    for i in range(0, len(t), _SLICE):
        key[i:i + _SLICE] |= _in_units(t[i:i + _SLICE], t0, unit)
    return key


def _in_units(t: np.ndarray, t0: int, unit: int) -> np.ndarray:
    """``(t - t0) // unit``, as one new array."""
    rel = t - t0
    if unit > 1:
        rel //= unit
    return rel


def _coarse_then_fine(case_code: np.ndarray, rel: np.ndarray, w_t: int, shift: int) -> np.ndarray:
    """Row order by case, time and row where case and time do not fit one 63-bit key (nanoseconds
    over months, a million cases): one sort by case and time less its ``shift`` lowest bits, then
    only the rows that share such a key (events of a case within a few microseconds) sorted again
    by the full time and their row. One sort and a small one, where lexsort makes two large ones."""
    key = np.array(case_code, dtype=np.int64)
    key <<= w_t - shift
    key |= rel >> shift
    perm = np.argsort(key)
    key = key[perm]
    same = key[1:] == key[:-1]
    if same.any():
        shared = np.zeros(len(perm), dtype=bool)
        shared[1:] |= same
        shared[:-1] |= same
        at = np.flatnonzero(shared)
        rows = perm[at]
        perm[at] = rows[np.lexsort((rows, rel[rows], key[at]))]
    return perm


def _recorded_order_of_ties(sorted_ct, case_time, payload, columns) -> None:
    """Sorting by value put rows that share a case and a time in payload order: put them back
    in the order of their rows (in place)."""
    same = sorted_ct[1:] == sorted_ct[:-1]
    if not same.any():
        return
    slots = _in_runs(same)
    tied = np.unique(sorted_ct[slots])
    at = np.minimum(np.searchsorted(tied, case_time), len(tied) - 1)
    rows = np.flatnonzero(tied[at] == case_time)             # in row order
    rows = rows[np.argsort(case_time[rows], kind="stable")]  # by case and time, then row
    where = np.flatnonzero(slots)
    for column, part in zip(columns, payload):
        column[where] = part[rows]


def order_values(events: pd.DataFrame) -> np.ndarray | None:
    """The events' ``order`` column as numbers (the recorded order a study names), or None."""
    if "order" not in events.columns:
        return None
    values = pd.to_numeric(events["order"], errors="coerce")
    if values.isna().any():
        raise ParameterError(f"{int(values.isna().sum())} events have no number in their order column "
                             f"(first at index {events.index[values.isna().to_numpy()][0]!r})")
    return values.to_numpy(dtype=float)


def count_tied(case_code: np.ndarray, t: np.ndarray) -> int:
    """How many events share their timestamp with another event of the same case, exactly, with
    no row put in order: the (case, time) pairs mixed into one 64-bit value and sorted by value;
    only rows whose value repeats are compared in full (so a collision never counts)."""
    if len(t) < 2:
        return 0
    t = np.asarray(t, dtype=np.int64)
    t0, unit, w_case, w_t = _case_time_scale(case_code, t)
    if w_case + w_t <= 63:
        # Case and time fit one key without loss (whole seconds, or fewer cases): equal keys are
        # equal pairs, and the sorted keys' runs of two or more are the tied events.
        key = _case_time_key(case_code, t, t0, unit, w_t)
        key.sort()
        return int(_in_runs(key[1:] == key[:-1]).sum())

    def mixed_values() -> np.ndarray:
        mixed = np.array(case_code, dtype=np.uint64)
        mixed *= np.uint64(0x9E3779B97F4A7C15)
        mixed ^= t.view(np.uint64)
        return mixed

    ordered = mixed_values()
    ordered.sort()
    repeated = ordered[1:] == ordered[:-1]
    if not repeated.any():
        return 0
    values = np.unique(ordered[1:][repeated])
    del ordered
    mixed = mixed_values()        # made again, not kept through the sort: most logs stop above
    at = np.minimum(np.searchsorted(values, mixed), len(values) - 1)
    rows = np.flatnonzero(values[at] == mixed)
    pairs = pd.DataFrame({"case": np.asarray(case_code)[rows], "t": np.asarray(t)[rows]})
    return int(pairs.duplicated(keep=False).sum())


def tied_events(case_code: np.ndarray, t: np.ndarray, order: EventOrder) -> int:
    """How many events share their timestamp with another event of the same case."""
    if order.arrays is not None:
        case_code, t = order.arrays[0], order.arrays[1]
    elif order.full is not None:
        case_code, t = case_code[order.full], t[order.full]
    return int(_in_runs((case_code[1:] == case_code[:-1]) & (t[1:] == t[:-1])).sum())


def ties_sentence(n_tied: int, n_events: int, *, by_column: bool = False, still_tied: int = 0) -> str | None:
    """What the reader needs to know about events that share a timestamp, or None if none do.

    ``still_tied``: of those, the events whose order value repeats too, so that the order column
    cannot decide between them and their place in the file does.
    """
    if not n_tied:
        return None
    how = ("were put in the order of the log's order column" if by_column
           else "were taken in the order they were recorded (their order in the file)")
    left = (f" The order column leaves {still_tied:,} of them tied (the same number twice in a case), and "
            "those are taken in the order they were recorded." if by_column and still_tied else "")
    return (f"{n_tied:,} of {n_events:,} events share their timestamp with another event of the same case; "
            f"they {how}.{left} Durations do not depend on it; paths, hand-offs and step-to-step moves do.")


def order_ties(events: pd.DataFrame) -> int:
    """Events an order column leaves tied: the same case, timestamp and order number as another
    (0 without an order column)."""
    if "order" not in events.columns:
        return 0
    return int(events.duplicated(["case_id", "timestamp", "order"], keep=False).sum())


def ties_note(events: pd.DataFrame) -> str | None:
    """The sentence :func:`ties_sentence` says of an event log, or None when no events tie."""
    # Counting needs no order: an event ties when another of its case has the same timestamp.
    n_tied = int(events.duplicated(["case_id", "timestamp"], keep=False).sum())
    return ties_sentence(n_tied, len(events), by_column="order" in events.columns, still_tied=order_ties(events))


def ordered_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events in (case, time, recorded order), exactly as :func:`case_times` orders them.

    Columns ``case_id, timestamp, activity`` (and ``resource``), ``_t`` (epoch nanoseconds).
    ``attrs["tied_events"]`` counts events sharing their timestamp with another of their case.
    """
    check_events(events)
    cols = [c for c in ("case_id", "timestamp", "activity", "resource") if c in events.columns]
    frame = events[cols].reset_index(drop=True)
    frame["activity"] = frame["activity"].astype(str)
    frame["_t"] = timestamps_ns(events["timestamp"])
    case_code = sorted_codes(events["case_id"])[0]
    t = frame["_t"].to_numpy()
    order = event_order(case_code, t, order_values(events))
    n_tied = tied_events(case_code, t, order)
    if not order.identity:
        frame = frame.iloc[order.apply(np.arange(len(frame)))].reset_index(drop=True)
    frame.attrs["tied_events"] = n_tied
    return frame
