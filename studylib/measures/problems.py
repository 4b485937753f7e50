"""Count problems, not callers: contacts about the same pot-hole become one problem.

:func:`link_problems` joins contacts by an explicit problem reference, or by the same kind of
demand at nearly the same place within a short time (transitively), on a grid of metre cells and
time slots so that only neighbouring buckets are compared, never all pairs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..read.tables import is_blank
from ..errors import ParameterError

__all__ = ["link_problems", "problem_table"]


_EARTH_RADIUS_M = 6_371_008.8


def link_problems(demand: pd.DataFrame, *, radius_m: float = 50, window_days: float = 28,
                  same: tuple[str, ...] | list[str] = ("demand_type",)) -> pd.DataFrame:
    """Give every contact a ``problem_id``: contacts about the same problem share one.

    Contacts join a problem when they carry the same ``problem_ref``, or when they agree on the
    ``same`` columns and lie within ``radius_m`` metres and ``window_days`` days of a contact
    already in it (transitively: a chain of reports along a road over weeks is one problem).
    Contacts with no location and no reference are their own problem.

    Only nearby contacts are compared: contacts are bucketed on a grid of ``radius_m`` cells and
    ``window_days`` time slots and each is compared with its own and the neighbouring buckets,
    never all pairs. Components are found with scipy's sparse connected components.

    Returns
    -------
    DataFrame
        ``demand`` with ``problem_id`` (``P000001``..., numbered in order of each problem's first
        contact) and ``linked_by`` ("reference", "place and time", "both" or "alone").
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if radius_m <= 0 or window_days <= 0:
        raise ParameterError("radius_m and window_days must be positive")
    same = list(same)
    missing = [c for c in ["received_at", *same] if c not in demand.columns]
    if missing:
        raise ParameterError(f"link_problems needs the columns {missing}")
    n = len(demand)
    rows_a: list[np.ndarray] = []
    rows_b: list[np.ndarray] = []
    by_ref = np.zeros(n, dtype=bool)
    by_place = np.zeros(n, dtype=bool)

    if "problem_ref" in demand.columns:
        ref = demand["problem_ref"].astype(object).where(~is_blank(demand["problem_ref"]), None)
        has_ref = ref.notna().to_numpy()
        codes, _ = pd.factorize(ref[has_ref])
        members = np.flatnonzero(has_ref)
        first_of = pd.Series(members).groupby(codes).transform("first").to_numpy()
        rows_a.append(members)
        rows_b.append(first_of)
        shared = pd.Series(codes).duplicated(keep=False).to_numpy()
        by_ref[members[shared]] = True

    if {"latitude", "longitude"} <= set(demand.columns):
        lat = pd.to_numeric(demand["latitude"], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(demand["longitude"], errors="coerce").to_numpy(dtype=float)
        t = demand["received_at"]
        t_days = (pd.DatetimeIndex(t).as_unit("ns").asi8 / 86_400e9) if len(t) else np.zeros(0)
        ok = ~(np.isnan(lat) | np.isnan(lon) | pd.isna(t).to_numpy())
        for col in same:
            ok &= ~is_blank(demand[col])
        idx = np.flatnonzero(ok)
        if len(idx):
            a, b = _near_pairs(idx, lat[idx], lon[idx], t_days[idx],
                               [demand[c].to_numpy(dtype=object)[idx] for c in same], radius_m, window_days)
            rows_a.append(a)
            rows_b.append(b)
            by_place[a] = True
            by_place[b] = True

    a = np.concatenate(rows_a) if rows_a else np.zeros(0, dtype=np.int64)
    b = np.concatenate(rows_b) if rows_b else np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Number problems by their first contact (then by row), so ids are stable and readable.
    t_ns = pd.DatetimeIndex(demand["received_at"]).as_unit("ns").asi8 if n else np.zeros(0, dtype=np.int64)
    seen = labels[np.lexsort((np.arange(n), t_ns))]
    _, first_pos = np.unique(seen, return_index=True)
    label_rank = np.empty(len(first_pos), dtype=np.int64)
    label_rank[seen[np.sort(first_pos)]] = np.arange(len(first_pos))
    out = demand.copy()
    out["problem_id"] = pd.Series(label_rank[labels] + 1, index=out.index).map("P{:06d}".format)
    sizes = np.bincount(labels)
    alone = sizes[labels] == 1
    out["linked_by"] = np.select([alone, by_ref & by_place, by_ref], ["alone", "both", "reference"],
                                 "place and time")
    return out


def _near_pairs(idx, lat, lon, t_days, keys, radius_m, window_days):
    """Pairs (row, row) of contacts with equal keys within radius_m and window_days of each other."""
    key_code = pd.MultiIndex.from_arrays([pd.Index(k) for k in keys]).factorize()[0] if keys else np.zeros(len(idx), int)
    lat0 = np.deg2rad(np.nanmean(lat))
    y = np.deg2rad(lat) * _EARTH_RADIUS_M
    x = np.deg2rad(lon) * _EARTH_RADIUS_M * np.cos(lat0)
    cx = np.floor(x / radius_m).astype(np.int64)
    cy = np.floor(y / radius_m).astype(np.int64)
    ct = np.floor(t_days / window_days).astype(np.int64)
    base = pd.DataFrame({"i": np.arange(len(idx)), "k": key_code, "cx": cx, "cy": cy, "ct": ct})
    found_a, found_b = [], []
    # Half of the 27 neighbouring buckets, so each pair of buckets is joined once.
    offsets = [(dx, dy, dt) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (-1, 0, 1)
               if (dx, dy, dt) >= (0, 0, 0)]
    for dx, dy, dt in offsets:
        shifted = base.assign(cx=base["cx"] + dx, cy=base["cy"] + dy, ct=base["ct"] + dt)
        pairs = base.merge(shifted, on=["k", "cx", "cy", "ct"], suffixes=("", "_o"))
        i, j = pairs["i"].to_numpy(), pairs["i_o"].to_numpy()
        keep = i != j
        i, j = i[keep], j[keep]
        close = ((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2 <= radius_m ** 2) & (np.abs(t_days[i] - t_days[j]) <= window_days)
        found_a.append(idx[i[close]])
        found_b.append(idx[j[close]])
    return np.concatenate(found_a), np.concatenate(found_b)


def _channels_by_problem(pairs: pd.DataFrame) -> pd.Series:
    """Each problem's distinct channels, sorted and ", "-joined, indexed by problem id.

    A problem's set of channels is a bit mask over the channels found, so that only each distinct
    set is joined in Python, not each problem (a million problems have a handful of sets).
    """
    pairs = pairs.dropna().astype({"channel": str}).drop_duplicates()
    names, codes = np.unique(pairs["channel"].to_numpy(dtype=object), return_inverse=True)
    if len(names) > 62:        # more channels than bits: one join per problem
        ordered = pairs.sort_values(["problem_id", "channel"], kind="stable")
        return ordered.groupby("problem_id", sort=False)["channel"].agg(", ".join)
    masks = pd.Series(np.left_shift(np.int64(1), codes.astype(np.int64)), index=pairs.index)
    mask = masks.groupby(pairs["problem_id"].to_numpy(), sort=False).sum()
    distinct = pd.unique(mask.to_numpy())
    words = {m: ", ".join(names[i] for i in range(len(names)) if m >> i & 1) for m in distinct}
    return pd.Series(mask.map(words).to_numpy(dtype=object), index=mask.index, name="channel")


def problem_table(linked: pd.DataFrame) -> pd.DataFrame:
    """One row per problem, most contacts first.

    Returns
    -------
    DataFrame
        ``problem_id, demand_type, first_contact, last_contact, contacts, callers`` (distinct
        ``customer_ref`` where known, else contacts), ``channels`` (distinct, ", "-joined),
        ``failure_contacts`` (contacts labelled failure demand), ``latitude, longitude`` (mean).
    """
    used = ["problem_id", "received_at", "value_or_failure", "customer_ref", "demand_type", "channel", "latitude",
            "longitude"]
    frame = linked[[c for c in used if c in linked]].copy()     # the columns used, not a copy of every one
    frame["_failure"] = frame.get("value_or_failure", pd.Series(None, index=frame.index)).eq("failure")
    caller = frame["customer_ref"].astype(object).where(~is_blank(frame["customer_ref"]), None) \
        if "customer_ref" in frame else pd.Series(None, index=frame.index, dtype=object)
    frame["_caller"] = caller.where(caller.notna(), "contact:" + frame.index.astype(str))
    g = frame.groupby("problem_id", sort=False)
    agg = {"first_contact": ("received_at", "min"), "last_contact": ("received_at", "max"),
           "contacts": ("received_at", "size"), "callers": ("_caller", "nunique"),
           "failure_contacts": ("_failure", "sum")}
    if "demand_type" in frame:
        agg["demand_type"] = ("demand_type", "first")
    if "channel" in frame:
        channels = _channels_by_problem(frame[["problem_id", "channel"]])
    for col in ("latitude", "longitude"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
            agg[col] = (col, "mean")
    out = g.agg(**agg)
    if "channel" in frame:
        out["channels"] = channels.reindex(out.index).fillna("")
    out = out.reset_index()
    first = ["problem_id"] + (["demand_type"] if "demand_type" in out else [])
    out = out[first + [c for c in out.columns if c not in first]]
    return out.sort_values(["contacts", "first_contact"], ascending=[False, True], kind="stable").reset_index(drop=True)
