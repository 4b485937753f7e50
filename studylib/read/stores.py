"""Where a capture store keeps its rows: one SQLite file (the default), or a shared PostgreSQL server.

Both give the same guarantees: a contact is committed in its own transaction before ``add``
returns; a contact id is unique across every desk writing to the store; a label never
overwrites another reviewer's (:func:`choose_slot`); the schema is created on first use and
versioned (table ``studylib_schema``), and a store made by a newer studylib is refused rather
than misread. The PostgreSQL backend needs ``psycopg`` (``pip install 'studylib[postgres]'``).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from ..errors import CaptureError

__all__ = ["backend_for", "stored_contacts", "CAPTURE_FIELDS", "choose_slot", "SCHEMA_VERSION", "is_url", "shown_url"]

#: The store's schema version: 1 added reviewers to labels and the version table itself.
SCHEMA_VERSION = 1
_COLUMNS = ["contact_id", "received_at", "channel", "service", "verbatim", "demand_type", "value_or_failure",
            "failure_subtype", "resolved_first_contact", "what_matters", "problem_ref", "latitude", "longitude",
            "address", "handled_by", "captured_by", "stored_at"]
_LABELS = ["contact_id", "rater", "reviewer", "demand_type", "value_or_failure", "failure_subtype", "labelled_at"]
_SLOTS = ["first", "second", "third", "fourth", "fifth"]


def is_url(where) -> bool:
    return isinstance(where, str) and "://" in where


def shown_url(url: str) -> str:
    """A server address fit to print: the password left out."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def choose_slot(existing: dict[str, str | None], requested: str, reviewer: str) -> str:
    """The rating slot a reviewer's label goes to: their own if they have one (a correction),
    else the slot asked for if free, else the next free one. A label never takes another
    reviewer's slot, so a second person's label is a second rating, never an overwrite."""
    for rater, who in existing.items():
        if who == reviewer:
            return rater
    if requested not in existing:
        return requested
    order = _SLOTS + [f"rating {n}" for n in range(len(_SLOTS) + 1, len(_SLOTS) + len(existing) + 2)]
    start = order.index(requested) if requested in order else 0
    return next(slot for slot in order[start:] + order[:start] if slot not in existing)


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS studylib_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id TEXT NOT NULL UNIQUE, received_at TEXT NOT NULL, channel TEXT NOT NULL,
    service TEXT NOT NULL, verbatim TEXT NOT NULL,
    demand_type TEXT, value_or_failure TEXT, failure_subtype TEXT,
    resolved_first_contact INTEGER, what_matters TEXT, problem_ref TEXT,
    latitude REAL, longitude REAL, address TEXT, handled_by TEXT, captured_by TEXT,
    stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    contact_id TEXT NOT NULL, rater TEXT NOT NULL, demand_type TEXT NOT NULL,
    value_or_failure TEXT NOT NULL, failure_subtype TEXT, labelled_at TEXT NOT NULL,
    PRIMARY KEY (contact_id, rater)
);
"""

_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS studylib_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    seq BIGSERIAL PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE, received_at TEXT NOT NULL, channel TEXT NOT NULL,
    service TEXT NOT NULL, verbatim TEXT NOT NULL,
    demand_type TEXT, value_or_failure TEXT, failure_subtype TEXT,
    resolved_first_contact INTEGER, what_matters TEXT, problem_ref TEXT,
    latitude DOUBLE PRECISION, longitude DOUBLE PRECISION, address TEXT, handled_by TEXT, captured_by TEXT,
    stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS labels (
    contact_id TEXT NOT NULL, rater TEXT NOT NULL, reviewer TEXT, demand_type TEXT NOT NULL,
    value_or_failure TEXT NOT NULL, failure_subtype TEXT, labelled_at TEXT NOT NULL,
    PRIMARY KEY (contact_id, rater)
);
"""


def _reason(exc: Exception) -> str:
    """The last line of a driver's error: the part that says what happened."""
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def _newer(version) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise CaptureError(f"the store was made by a newer studylib (schema {version}; this one reads up to "
                           f"{SCHEMA_VERSION}): upgrade studylib before writing to it")


class SQLiteBackend:
    """One SQLite file, WAL mode, one committed transaction per write, a busy timeout for other writers."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout = Path(path), timeout
        self.where = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as conn:
                conn.executescript(_SQLITE_SCHEMA)
                if "reviewer" not in {r[1] for r in conn.execute("PRAGMA table_info(labels)")}:
                    conn.execute("ALTER TABLE labels ADD COLUMN reviewer TEXT")   # a store made before version 1
                row = conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()
                _newer(row[0])
                if row[0] is None:
                    conn.execute("INSERT INTO studylib_schema VALUES (?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            raise CaptureError([{"file": self.path.name, "row": None, "column": None, "value": None,
                                 "problem": f"is not a capture store ({exc})",
                                 "fix": "move the file away, or name the team's store under capture: in study.yml"}]) from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")   # a committed row survives a crash of the machine too
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return conn

    def insert_contact(self, row: dict) -> None:
        cols = list(row)
        with self._connect() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                             [row[c] for c in cols])
                conn.execute("COMMIT")
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK")
                raise CaptureError(f"contact_id: {row['contact_id']!r} is already in the store") from None

    def save_label(self, label: dict, requested: str) -> str:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            existing = dict(conn.execute("SELECT rater, reviewer FROM labels WHERE contact_id = ?", (label["contact_id"],)))
            slot = choose_slot(existing, requested, label["reviewer"])
            values = {**label, "rater": slot}
            conn.execute(f"INSERT OR REPLACE INTO labels ({', '.join(_LABELS)}) VALUES ({', '.join('?' * len(_LABELS))})",
                         [values[c] for c in _LABELS])
            conn.execute("COMMIT")
        return slot

    def contacts(self) -> pd.DataFrame:
        with self._connect() as conn:
            return pd.read_sql_query(f"SELECT {', '.join(_COLUMNS)} FROM contacts ORDER BY seq", conn)

    def labels(self, rater: str | None = None) -> pd.DataFrame:
        with self._connect() as conn:
            where, params = ("WHERE rater = ?", (rater,)) if rater else ("", ())
            return pd.read_sql_query(f"SELECT {', '.join(_LABELS)} FROM labels {where} ORDER BY labelled_at", conn,
                                     params=params)

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])


class PostgresBackend:
    """A shared PostgreSQL database (psycopg 3): one transaction per write, the schema made once
    under an advisory lock so that desks starting together do not race."""

    def __init__(self, url: str, timeout: float):
        try:
            import psycopg
        except ImportError:
            raise CaptureError("a postgresql:// store needs psycopg: pip install 'studylib[postgres]'") from None
        self._psycopg = psycopg
        self.url, self.timeout = url, timeout
        self.where = shown_url(url)
        with self._connect() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(20250106)")
            conn.execute(_PG_SCHEMA)
            row = conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()
            _newer(row[0])
            if row[0] is None:
                conn.execute("INSERT INTO studylib_schema VALUES (%s)", (SCHEMA_VERSION,))

    def _connect(self):
        try:
            return self._psycopg.connect(self.url, connect_timeout=max(1, int(self.timeout)))
        except self._psycopg.OperationalError as exc:
            raise CaptureError(f"the capture server {self.where} cannot be reached ({_reason(exc)}); nothing was saved, "
                               "and what was typed is kept: try again when the server is back") from None

    def _run(self, work):
        """Run ``work(conn)`` in one transaction; a server that goes away says so in words."""
        try:
            with self._connect() as conn:
                return work(conn)
        except self._psycopg.OperationalError as exc:
            raise CaptureError(f"the capture server {self.where} went away ({_reason(exc)}); nothing was saved, and what "
                               "was typed is kept: try again when the server is back") from None

    def insert_contact(self, row: dict) -> None:
        cols = list(row)

        def work(conn):
            try:
                conn.execute(f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                             [row[c] for c in cols])
            except self._psycopg.errors.UniqueViolation:
                raise CaptureError(f"contact_id: {row['contact_id']!r} is already in the store") from None
        self._run(work)

    def save_label(self, label: dict, requested: str) -> str:
        def work(conn):
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (label["contact_id"],))
            existing = dict(conn.execute("SELECT rater, reviewer FROM labels WHERE contact_id = %s",
                                         (label["contact_id"],)).fetchall())
            slot = choose_slot(existing, requested, label["reviewer"])
            values = {**label, "rater": slot}
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _LABELS if c not in ("contact_id", "rater"))
            conn.execute(f"INSERT INTO labels ({', '.join(_LABELS)}) VALUES ({', '.join(['%s'] * len(_LABELS))}) "
                         f"ON CONFLICT (contact_id, rater) DO UPDATE SET {updates}", [values[c] for c in _LABELS])
            return slot
        return self._run(work)

    def _frame(self, sql: str, params, columns) -> pd.DataFrame:
        rows = self._run(lambda conn: conn.execute(sql, params).fetchall())
        return pd.DataFrame(rows, columns=columns)

    def contacts(self) -> pd.DataFrame:
        return self._frame(f"SELECT {', '.join(_COLUMNS)} FROM contacts ORDER BY seq", (), _COLUMNS)

    def labels(self, rater: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE rater = %s", (rater,)) if rater else ("", ())
        return self._frame(f"SELECT {', '.join(_LABELS)} FROM labels {where} ORDER BY labelled_at", params, _LABELS)

    def count(self) -> int:
        return int(self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]))


def backend_for(where, timeout: float):
    """The backend for a store address: a ``postgresql://`` URL, or a file path for SQLite.
    Any other ``scheme://`` is refused (it is not a folder to make)."""
    if is_url(where):
        scheme = where.split("://", 1)[0].lower()
        if scheme in ("postgresql", "postgres"):
            return PostgresBackend(where, timeout)
        raise CaptureError(f"a capture store at {scheme}:// cannot be served: studylib keeps captured contacts in a "
                           "SQLite file (capture.sqlite) or on a PostgreSQL server (postgresql://user@host:5432/db)")
    return SQLiteBackend(Path(where), timeout)


#: Fields a captured contact may carry (the demand contract, less customer_ref, plus who captured it).
CAPTURE_FIELDS = ["contact_id", "received_at", "channel", "service", "verbatim", "demand_type",
                  "value_or_failure", "failure_subtype", "resolved_first_contact", "what_matters",
                  "problem_ref", "latitude", "longitude", "address", "handled_by", "captured_by"]


def stored_contacts(backend) -> pd.DataFrame:
    """Every contact a store holds, in the order stored, with the first rater's label applied where
    the capture itself had none. Columns: :data:`CAPTURE_FIELDS`."""
    frame = backend.contacts()
    labels = backend.labels("first")
    if len(labels):
        lab = labels.set_index("contact_id")
        missing = frame["demand_type"].isna() & frame["contact_id"].isin(lab.index)
        for col in ("demand_type", "value_or_failure", "failure_subtype"):
            frame.loc[missing, col] = frame.loc[missing, "contact_id"].map(lab[col])
    frame["resolved_first_contact"] = frame["resolved_first_contact"].map({1: "yes", 0: "no"})
    return frame[CAPTURE_FIELDS]
