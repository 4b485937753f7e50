"""Paths through the work: variants, step-to-step moves, and the layout of a process map.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines.queries import read_events
from ..read.ordering import NS_PER_DAY, ordered_events

__all__ = ["variants", "transitions", "process_map_layout"]


def variants(events, times: pd.DataFrame | None = None, *, top: int | None = 10,
             separator: str = " → ", engine: str = "pandas", memory_limit: str | None = None) -> pd.DataFrame:
    """The most common paths through the work.

    ``events`` and ``engine`` as for :func:`studylib.measures.flow.case_times`: a DataFrame, or with
    ``engine="duckdb"`` or ``"spark"`` a file or a Spark DataFrame; the table is the same.

    Returns
    -------
    DataFrame
        One row per variant, most common first: ``variant`` (activities in order), ``n_steps``,
        ``cases``, ``share`` (of all cases), ``median_end_to_end_days`` and ``open_cases`` (when
        ``times`` from :func:`case_times` is given). ``attrs["n_variants"]`` counts all variants.
    """
    if engine == "pandas":
        table = _case_paths(ordered_events(read_events(events)), separator)
        out = None
    else:
        from ..engines.queries import variant_paths
        got = variant_paths(events, engine=engine, separator=separator, per_case=times is not None,
                            memory_limit=memory_limit)
        table = got.set_index("case_id") if times is not None else None
        out = got.astype({"variant": "str", "n_steps": "int64", "cases": "int64"}) if times is None else None
    agg = {"cases": ("n_steps", "size"), "n_steps": ("n_steps", "first")}
    if times is not None:
        t = times.set_index("case_id")
        table["end_to_end_days"] = t["end_to_end_days"].reindex(table.index)
        table["is_open"] = t["is_open"].reindex(table.index).astype(bool)
        agg.update(median_end_to_end_days=("end_to_end_days", "median"), open_cases=("is_open", "sum"))
    if out is None:
        table["variant"] = table["variant"].astype("str")
        out = table.groupby("variant", sort=False).agg(**agg).reset_index()
    out["share"] = out["cases"] / out["cases"].sum()
    out = out.sort_values(["cases", "variant"], ascending=[False, True], kind="stable").reset_index(drop=True)
    cols = ["variant", "n_steps", "cases", "share"] + (["median_end_to_end_days", "open_cases"] if times is not None else [])
    out = out[cols]
    out.attrs["n_variants"] = len(out)
    return out.head(top) if top else out


def _case_paths(frame: pd.DataFrame, separator: str) -> pd.DataFrame:
    """Each case's path, from events in (case, time, recorded order): ``variant, n_steps``, indexed
    by case id.

    Paths are told apart as a trie is built, one step at a time over all cases at once: a case's
    node after k steps is its node after k - 1 steps and its k-th activity, numbered afresh. Two
    cases end on the same node exactly when their paths are the same, so only one case of each
    distinct path is joined into words (a million cases, a few hundred paths).
    """
    n = len(frame)
    if n == 0:
        return pd.DataFrame({"variant": pd.Series([], dtype=str), "n_steps": pd.Series([], dtype="int64")},
                            index=pd.Index([], name="case_id"))
    codes, names = pd.factorize(frame["activity"], sort=False)
    case = frame["case_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, case[1:] != case[:-1]])
    lengths = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, lengths)
    by_position = np.argsort(position, kind="stable")
    bounds = np.searchsorted(position[by_position], np.arange(lengths.max() + 1))
    node = np.empty(n, dtype=np.int64)
    count = 0
    for k in range(lengths.max()):
        at = by_position[bounds[k]:bounds[k + 1]]
        parent = node[at - 1] if k else np.zeros(len(at), dtype=np.int64)
        _, numbered = np.unique(parent * len(names) + codes[at], return_inverse=True)
        node[at] = numbered.reshape(-1) + count
        count += int(numbered.max()) + 1
    last = node[starts + lengths - 1]
    paths, first_case = np.unique(last, return_index=True)
    words = {path: separator.join(names[codes[starts[i]:starts[i] + lengths[i]]])
             for path, i in zip(paths, first_case)}
    return pd.DataFrame({"variant": pd.Series(last).map(words).to_numpy(dtype=object), "n_steps": lengths},
                        index=pd.Index(case[starts], name="case_id"))


def transitions(events, *, engine: str = "pandas", memory_limit: str | None = None) -> pd.DataFrame:
    """Step-to-step moves within cases, with the wait between them.

    ``events`` and ``engine`` as for :func:`studylib.measures.flow.case_times`.

    Returns
    -------
    DataFrame
        One row per (``from_activity``, ``to_activity``) pair, most frequent first: ``cases``
        (distinct cases making the move), ``count``, ``median_wait_days``, ``mean_wait_days``.
        Cases start from "(start)" and end at "(end)" so the map shows where work enters and leaves.
    """
    if engine != "pandas":
        from ..engines.queries import transition_edges
        edges = transition_edges(events, engine=engine, memory_limit=memory_limit)
        return _most_frequent_first(edges.astype({"from_activity": "str", "to_activity": "str", "cases": "int64",
                                                  "count": "int64", "median_wait_days": "float64",
                                                  "mean_wait_days": "float64"}))
    frame = ordered_events(read_events(events))
    nxt_case = frame["case_id"].shift(-1)
    same = nxt_case.eq(frame["case_id"]).to_numpy()
    t = frame["_t"].to_numpy()
    wait = np.r_[(t[1:] - t[:-1]) / NS_PER_DAY, np.nan]   # in integers first: a float loses nanoseconds
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
    return _most_frequent_first(edges.groupby(["from_activity", "to_activity"], sort=True)
                                .agg(cases=("case_id", "nunique"), count=("case_id", "size"),
                                     median_wait_days=("wait_days", "median"), mean_wait_days=("wait_days", "mean"))
                                .reset_index())


def _most_frequent_first(moves: pd.DataFrame) -> pd.DataFrame:
    return (moves.sort_values(["count", "from_activity", "to_activity"], ascending=[False, True, True], kind="stable")
            .reset_index(drop=True))


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
    frame = ordered_events(events)
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
