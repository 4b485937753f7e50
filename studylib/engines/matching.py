"""Which demand types' patterns match which verbatims: every pattern in one pass where it can be.

With hyperscan installed (``pip install 'studylib[fast]'``), all the patterns are compiled into one
database and the verbatims, joined by newlines, are scanned once; without it, or for a pattern
hyperscan cannot compile, each type's patterns run on RE2 through pyarrow, one pass per type. Both
engines run in time linear in the text, and they give the same matches (a test holds them to each
other):

- case-insensitive, UTF-8, ``\\b`` and ``\\w`` on ASCII word characters, as RE2 has them;
- a match cannot cross from one verbatim into the next: ``.`` stops at a newline, and a pattern
  that *can* match a newline (``\\s``, ``\\W``, a negated class) is compiled to report where its
  match starts, so that a match reaching back into the verbatim before is dropped and the verbatim
  checked on its own;
- a verbatim with a newline of its own (where ``^`` and ``$`` would mean something else) is
  matched on RE2.

The scan's cost is hyperscan's call back into Python for each match; on a machine with several
cores a large scan is split over processes.
"""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ..parallel import can_fork, fork_pool

__all__ = ["type_hits", "may_match_newline"]

#: Rows from which a scan is split over processes (below it, starting them costs more than it saves).
PARALLEL_ROWS = 200_000


def may_match_newline(pattern: str) -> bool:
    """Whether some character the pattern consumes could be a newline (conservative: True if unsure)."""
    try:
        parsed = re._parser.parse(pattern, re.IGNORECASE)
    except (re.error, AttributeError, RecursionError):
        return True
    if parsed.state.flags & re.DOTALL:
        return True
    return _consumes_newline(list(parsed))


_NEWLINE_CATEGORIES = {"CATEGORY_SPACE", "CATEGORY_NOT_WORD", "CATEGORY_NOT_DIGIT", "CATEGORY_LINEBREAK",
                       "CATEGORY_UNI_SPACE", "CATEGORY_UNI_NOT_WORD", "CATEGORY_UNI_NOT_DIGIT", "CATEGORY_UNI_LINEBREAK"}


def _consumes_newline(items) -> bool:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and arg == 10 or name == "NOT_LITERAL" and arg != 10:
            return True
        if name == "IN":
            for inner_op, inner in arg:
                inner_name = str(inner_op)
                if inner_name == "NEGATE" or inner_name == "LITERAL" and inner == 10 \
                        or inner_name == "RANGE" and inner[0] <= 10 <= inner[1] \
                        or inner_name == "CATEGORY" and str(inner) in _NEWLINE_CATEGORIES:
                    return True
        elif name == "CATEGORY" and str(arg) in _NEWLINE_CATEGORIES:
            return True
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if _consumes_newline(list(arg[2])):
                return True
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            if _consumes_newline(list(arg[-1])):
                return True
        elif name == "BRANCH":
            if any(_consumes_newline(list(branch)) for branch in arg[1]):
                return True
        elif name in ("GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT"):
            return True
    return False


def _re2_hits(texts, patterns: dict[int, str], rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(row, type) pairs from RE2, one pass per type (types in threads: RE2 releases the GIL)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if not len(rows) or not patterns:
        return []
    subset = pa.array([texts[i] for i in rows], type=pa.string())

    def match(j: int):
        found = pc.fill_null(pc.match_substring_regex(subset, patterns[j], ignore_case=True), False)
        hit = rows[found.to_numpy(zero_copy_only=False)]
        return hit, np.full(len(hit), j, dtype=np.int64)

    with ThreadPoolExecutor(max_workers=max(1, min(len(patterns), os.cpu_count() or 1))) as pool:
        return list(pool.map(match, patterns))


def _hyperscan_database(patterns: list[list[str]]):
    """One database of every pattern that hyperscan compiles; the types left for RE2."""
    import hyperscan
    base = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_MULTILINE
    entries = [(p.encode(), j, base | (hyperscan.HS_FLAG_SOM_LEFTMOST if may_match_newline(p) else 0))
               for j, group in enumerate(patterns) for p in group]
    left: set[int] = set()

    def compiled(chosen):
        db = hyperscan.Database()
        db.compile(expressions=[e[0] for e in chosen], ids=[e[1] for e in chosen], elements=len(chosen),
                   flags=[e[2] for e in chosen])
        return db

    try:
        return (compiled(entries) if entries else None), left
    except hyperscan.error:
        pass
    for entry in entries:                       # one by one: a pattern it cannot run leaves its type to RE2
        try:
            compiled([entry])
        except hyperscan.error:
            left.add(entry[1])
    entries = [e for e in entries if e[1] not in left]
    return (compiled(entries) if entries else None), left


_SCAN: dict = {}
_ID_BITS = 16


def _scan_slice(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Matches in ``data[lo:hi]``: ends packed with their type, and (start, end, type) where a
    pattern reports its start (offsets in the whole data)."""
    db, data = _SCAN["db"], _SCAN["data"]
    plain: list[int] = []
    started: list[tuple[int, int, int]] = []
    keep, keep_start = plain.append, started.append
    # A start of 0 is the slice's first byte (no verbatim before it) or a pattern that does not
    # report starts: either way the match cannot reach back. The handler builds no tuple for those.
    db.scan(data[lo:hi], match_event_handler=lambda i, start, end, flags, ctx:
            keep((end << _ID_BITS) | i) if not start else keep_start((start, end, i)))
    ends = np.array(plain, dtype=np.int64)
    ends[:] = ((ends >> _ID_BITS) + lo << _ID_BITS) | (ends & ((1 << _ID_BITS) - 1))
    return ends, np.array(started, dtype=np.int64).reshape(-1, 3) + np.array([lo, lo, 0])


def _scan(db, data: bytes, processes: int) -> tuple[np.ndarray, np.ndarray]:
    """Every match of the database in ``data``, split over ``processes`` at newlines."""
    _SCAN.update(db=db, data=data)
    try:
        cuts = [0]
        for k in range(1, processes):
            at = data.find(b"\n", len(data) * k // processes)
            if at < 0:
                break
            cuts.append(at + 1)
        cuts.append(len(data))
        parts = list(zip(cuts[:-1], cuts[1:]))
        if len(parts) == 1:
            results = [_scan_slice(*parts[0])]
        else:
            # Forked workers inherit the compiled database and the text; only matches come back.
            with fork_pool(len(parts)) as pool:
                results = list(pool.map(_scan_slice, *zip(*parts)))
    finally:
        _SCAN.clear()
    return np.concatenate([r[0] for r in results]), np.concatenate([r[1] for r in results])


def _hyperscan_hits(texts: list, patterns: list[list[str]], joined: dict[int, str], rows: np.ndarray,
                    processes: int | None):
    """(row, type) pairs from one hyperscan pass over ``texts[rows]``; the types it could not run.
    ``joined`` holds each type's patterns as one RE2 alternation, for the verbatims asked again."""
    db, left = _hyperscan_database(patterns)
    if db is None or not len(rows):
        return [], left
    data = "\n".join([texts[i] for i in rows]).encode("utf-8")
    # The verbatims hold no newline of their own (those go to RE2): each newline is a boundary.
    starts = np.r_[0, np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1]
    if processes is None:
        processes = min(2, os.cpu_count() or 1) if len(rows) >= PARALLEL_ROWS else 1
    plain, started = _scan(db, data, max(1, processes) if can_fork() else 1)
    end = np.r_[plain >> _ID_BITS, started[:, 1]]
    kind = np.r_[plain & ((1 << _ID_BITS) - 1), started[:, 2]]
    begin = np.r_[np.full(len(plain), -1, dtype=np.int64), started[:, 0]]
    # A match ending at a verbatim's first byte or later belongs to it (an end is exclusive).
    where = np.searchsorted(starts, end, side="right") - 1
    crossed = (begin >= 0) & (begin < starts[where])
    pairs = [(rows[where[~crossed]], kind[~crossed])]
    if crossed.any():
        # A match that reached back into the verbatim before may hide one of its own: ask RE2.
        again = pd.DataFrame({"row": where[crossed], "type": kind[crossed]}).drop_duplicates()
        for j, part in again.groupby("type"):
            found = _re2_hits(texts, {int(j): joined[int(j)]}, rows[part["row"].to_numpy()])
            pairs.extend(found)
    return pairs, left


def type_hits(verbatims: pd.Series, patterns: list[list[str]], *, engine: str | None = None,
              processes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows and types (positions in ``patterns``) where one of the type's patterns matches.

    Returns two arrays, sorted by row then type, each (row, type) pair once. ``engine`` is
    "hyperscan" or "re2" (default: hyperscan when installed); ``processes`` splits a hyperscan scan
    (default: two where there are 200,000 rows or more and two cores).
    """
    texts = verbatims.astype(object).where(verbatims.notna(), None).tolist()
    present = np.array([t is not None for t in texts], dtype=bool)
    if engine is None:
        try:
            import hyperscan  # noqa: F401
            engine = "hyperscan"
        except ImportError:
            engine = "re2"
    joined = {j: "|".join(f"(?:{p})" for p in ps) for j, ps in enumerate(patterns) if ps}
    pairs: list = []
    if engine == "hyperscan":
        own_lines = np.array([t is not None and ("\n" in t or "\r" in t) for t in texts], dtype=bool)
        rows = np.flatnonzero(present & ~own_lines)
        found, left = _hyperscan_hits(texts, patterns, joined, rows, processes)
        pairs += found
        pairs += _re2_hits(texts, {j: p for j, p in joined.items() if j in left}, rows)
        pairs += _re2_hits(texts, joined, np.flatnonzero(own_lines))
    else:
        pairs += _re2_hits(texts, joined, np.flatnonzero(present))
    if not pairs:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    width = max(len(patterns), 1)
    key = np.sort(np.concatenate([np.asarray(p[0], dtype=np.int64) * width + p[1] for p in pairs]))
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    return key // width, key % width
