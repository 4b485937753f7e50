"""Where a capture store keeps its rows: one SQLite file (the default), or a shared PostgreSQL server.

Both give the same guarantees: a contact is committed in its own transaction before ``add``
returns; a contact id is unique across every desk writing to the store; a label never
overwrites another reviewer's (:func:`choose_slot`); the schema is created (or migrated from an
older studylib's, in one transaction) on the first write, so that a read-only login can read; it
is versioned (table ``studylib_schema``), and a store made by a newer studylib, or one whose
version is not a number, is refused rather than misread. A contact id is made before the write and
sent with it: the same contact sent again (a retry after an answer that was lost) is one row, and
after a connection lost mid-write the store asks whether that id landed. Every wait is bounded:
connecting, a lock another desk holds, a statement. The PostgreSQL backend needs ``psycopg`` (``pip install 'studylib[postgres]'``).
"""
from __future__ import annotations

import contextlib
import os
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
    """A server address fit to print: host, port and database, with the user after it and the
    password left out (``user@host`` would read as an e-mail address, and be redacted)."""
    parts = urlsplit(url)
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return shown + (f" (as {parts.username})" if parts.username else "")


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


#: The longest a connection to a capture server may take to open, in seconds.
CONNECT_TIMEOUT_S = 10.0


#: What a failed piece of work left, said after the reason: a save keeps what was typed; a reading
#: (validate, a check, a manager's notebook) has nothing typed to keep.
_AFTER = {True: "nothing was saved, and what was typed is kept", False: "its contacts could not be read"}


def _unreachable(where: str, exc: Exception, writing: bool = True) -> str:
    reason = _reason(exc)
    if "password authentication failed" in reason or "no password supplied" in reason \
            or "authentication failed" in reason:
        return (f"the capture server {where} refused the login ({reason}): check the user name and the password "
                f"(in ~/.pgpass or PGPASSWORD, never in study.yml); {_AFTER[writing]}")
    return (f"the capture server {where} cannot be reached ({reason}); {_AFTER[writing]}: try again when the "
            "server is back")


def _reason(exc: Exception) -> str:
    """The server's own words for what happened (psycopg's primary message), else the last line of
    a driver's error (below it may come the statement and a caret, which say nothing to a desk)."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    if primary:
        return str(primary).strip()
    text = str(exc).strip()
    failed = [line.rsplit(" failed: ", 1)[1] for line in text.splitlines() if " failed: " in line]
    if failed:                  # libpq: 'connection to server at "h", port 1 failed: Connection refused'
        return failed[-1].strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def _newer(version) -> None:
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise CaptureError(f"the store's schema version is {version!r}, not a number studylib writes: this is not a "
                           "capture store studylib can read; move it away, or name the team's store under capture:")
    if version is not None and version > SCHEMA_VERSION:
        raise CaptureError(f"the store was made by a newer studylib (schema {version}; this one reads up to "
                           f"{SCHEMA_VERSION}): upgrade studylib before writing to it")


def same_contact(row: dict, stored: dict | None) -> None:
    """A contact id already in the store: the same contact sent again (a retry after a lost answer)
    is not a second row and not an error; another contact under that id is refused."""
    if stored is not None and all(_same(row[k], stored.get(k)) for k in row if k != "stored_at"):
        return
    raise CaptureError(f"contact_id: {row['contact_id']!r} is already in the store, with other content")


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return str(a) == str(b)


def _sqlite_write_error(exc: Exception, name: str) -> CaptureError:
    text = str(exc)
    code = getattr(exc, "sqlite_errorname", "")
    # SQLite says SQLITE_FULL for a full disk, and a write error (IOERR_WRITE) when the file may
    # grow no further for another reason (a quota, a file-size limit): to the desk, both are full.
    if "full" in text or code in ("SQLITE_FULL", "SQLITE_IOERR_WRITE"):
        return CaptureError(f"the disk holding {name} is full (it took no more): nothing was saved, and what was "
                            "typed is kept. Free some space, then save again")
    if "readonly" in text or "read-only" in text:
        return CaptureError(f"the capture store {name} is on a read-only disk, or in a folder this login may not "
                            "write: nothing was saved, and what was typed is kept. Capture into a copy of the study "
                            "you can write to")
    if "locked" in text or "busy" in text:
        return CaptureError(f"the capture store {name} is busy (another desk holds it): nothing was saved, and what "
                            "was typed is kept; try again")
    return CaptureError(f"the capture store {name} could not be written ({text}): nothing was saved, and what was "
                        "typed is kept")


class SQLiteBackend:
    """One SQLite file, WAL mode, one committed transaction per write, a busy timeout for other writers."""

    def __init__(self, path: Path, timeout: float):
        self.path, self.timeout = Path(path), timeout
        self.where = str(self.path)
        self.read_only = False
        if self.path.is_file() and not os.access(self.path.parent, os.W_OK):
            # A store on a read-only disk or in a folder this login may not write (a manager's copy, a
            # CD, a shared drive): read as it is, never made or migrated; a save says so in words.
            self.read_only = True
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.is_file() and wal.stat().st_size:     # saved contacts not yet folded into the file
                raise CaptureError(f"the capture store {self.path.name} is in a folder that cannot be written, and its "
                                   f"last contacts are still in {wal.name} beside it, which cannot be folded in from "
                                   "here: open the study once where its folder can be written, or copy it there")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")      # made or migrated whole, or not at all
                try:
                    for statement in _SQLITE_SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    if "reviewer" not in {r[1] for r in conn.execute("PRAGMA table_info(labels)")}:
                        conn.execute("ALTER TABLE labels ADD COLUMN reviewer TEXT")   # a store made before version 1
                    row = conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()
                    _newer(row[0])
                    if row[0] is None:
                        conn.execute("INSERT INTO studylib_schema VALUES (?)", (SCHEMA_VERSION,))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        except sqlite3.OperationalError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise CaptureError([{"file": self.path.name, "row": None, "column": None, "value": None,
                                     "problem": f"is not a capture store ({exc})",
                                     "fix": "move the file away, or name the team's store under capture: in study.yml"}]) from None
            raise _sqlite_write_error(exc, self.path.name) from None
        except sqlite3.DatabaseError as exc:
            raise CaptureError([{"file": self.path.name, "row": None, "column": None, "value": None,
                                 "problem": f"is not a capture store ({exc})",
                                 "fix": "move the file away, or name the team's store under capture: in study.yml"}]) from None

    @contextlib.contextmanager
    def _connect(self):
        """A connection for one piece of work, closed after it (sqlite3's own ``with`` commits but
        leaves the file open until the connection is collected)."""
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        if Path(self.path).is_dir():     # SQLite's own words: "unable to open database file"
            raise CaptureError([{"file": Path(self.path).name, "row": None, "column": None, "value": None,
                                 "problem": "is a folder, not a capture store",
                                 "fix": "name a file under capture: in study.yml (e.g. capture: capture.sqlite), "
                                        "or move the folder away"}])
        if self.read_only:      # no -wal or -shm file can be made beside it: read it as it stands
            return sqlite3.connect(f"{self.path.absolute().as_uri()}?immutable=1", uri=True, isolation_level=None)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")   # a committed row survives a crash of the machine too
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return conn

    def insert_contact(self, row: dict) -> None:
        cols = list(row)
        try:
            with self._connect() as conn:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                 [row[c] for c in cols])
                    conn.execute("COMMIT")
                except sqlite3.IntegrityError:
                    conn.execute("ROLLBACK")
                    same_contact(row, self.stored_contact(row["contact_id"]))
                except sqlite3.OperationalError:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        except sqlite3.OperationalError as exc:
            raise _sqlite_write_error(exc, self.path.name) from None

    def stored_contact(self, contact_id: str) -> dict | None:
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            found = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM contacts WHERE contact_id = ?",
                                 (contact_id,)).fetchone()
            return None if found is None else dict(found)

    def save_label(self, label: dict, requested: str) -> str:
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                existing = dict(conn.execute("SELECT rater, reviewer FROM labels WHERE contact_id = ?",
                                             (label["contact_id"],)))
                slot = choose_slot(existing, requested, label["reviewer"])
                values = {**label, "rater": slot}
                conn.execute(f"INSERT OR REPLACE INTO labels ({', '.join(_LABELS)}) VALUES "
                             f"({', '.join('?' * len(_LABELS))})", [values[c] for c in _LABELS])
                conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise _sqlite_write_error(exc, self.path.name) from None
        return slot

    def contacts(self) -> pd.DataFrame:
        with self._connect() as conn:
            return pd.read_sql_query(f"SELECT {', '.join(_COLUMNS)} FROM contacts ORDER BY seq", conn)

    def labels(self, rater: str | None = None) -> pd.DataFrame:
        with self._connect() as conn:
            where, params = ("WHERE rater = ?", (rater,)) if rater else ("", ())
            have = {r[1] for r in conn.execute("PRAGMA table_info(labels)")}   # before version 1: no reviewer
            picked = ", ".join(c if c in have else f"NULL AS {c}" for c in _LABELS)
            return pd.read_sql_query(f"SELECT {picked} FROM labels {where} ORDER BY labelled_at", conn, params=params)

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])


class _ConnectionLost(CaptureError):
    """The connection ended during a piece of work: whether a write in it was committed is unknown."""


class PostgresBackend:
    """A shared PostgreSQL database (psycopg 3): one transaction per write, the schema made or
    migrated on the first write only (under an advisory lock, so that desks starting together do
    not race, and so that a read-only role can read), and every wait bounded.

    ``timeout`` (seconds) bounds a wait for a lock and any one statement; connecting waits at most
    :data:`CONNECT_TIMEOUT_S` (or ``timeout`` if shorter). Each ends in words, never a hang.
    """

    def __init__(self, url: str, timeout: float):
        try:
            import psycopg
        except ImportError:
            raise CaptureError("a postgresql:// store needs psycopg: pip install 'studylib[postgres]'") from None
        self._psycopg = psycopg
        self.url, self.timeout = url, timeout
        self.where = shown_url(url)
        self._ready = False
        self._run(self._check_version, writing=False)

    def _check_version(self, conn) -> None:
        if conn.execute("SELECT to_regclass('studylib_schema')").fetchone()[0] is not None:
            _newer(conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()[0])

    def _ensure_schema(self, conn) -> None:
        """Make or migrate the schema, in the write's own transaction (all of it lands, or none)."""
        if self._ready:
            return
        conn.execute("SELECT pg_advisory_xact_lock(20250106)")
        if conn.execute("SELECT to_regclass('studylib_schema')").fetchone()[0] is not None:
            version = conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()[0]
            _newer(version)
            if version == SCHEMA_VERSION:      # made and current: no statement that needs the right to create
                self._ready = True
                return
        conn.execute(_PG_SCHEMA)
        conn.execute("ALTER TABLE labels ADD COLUMN IF NOT EXISTS reviewer TEXT")   # a store made before version 1
        row = conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()
        _newer(row[0])
        if row[0] is None:
            conn.execute("INSERT INTO studylib_schema VALUES (%s)", (SCHEMA_VERSION,))
        self._ready = True

    def _connect(self, writing: bool):
        ms = int(self.timeout * 1000)
        try:
            # Keepalives: a server or network that dies mid-write is noticed in seconds, not hours.
            return self._psycopg.connect(self.url, connect_timeout=max(1, int(min(self.timeout, CONNECT_TIMEOUT_S))),
                                         options=f"-c lock_timeout={ms} -c statement_timeout={ms}",
                                         keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3)
        except self._psycopg.OperationalError as exc:
            raise CaptureError(_unreachable(self.where, exc, writing)) from None

    def _run(self, work, *, writing: bool = False):
        """Run ``work(conn)`` in one transaction; a server that goes away, or a wait that runs out,
        says so in words (a save's words say what was typed is kept; a reading's do not)."""
        errors = self._psycopg.errors
        after = _AFTER[writing]
        try:
            with self._connect(writing) as conn:
                return work(conn)
        except (errors.LockNotAvailable, errors.QueryCanceled):
            raise CaptureError(f"the capture store {self.where} is busy (another desk holds it); {after}: "
                               "try again") from None
        except errors.InsufficientPrivilege as exc:
            raise CaptureError(self._not_allowed(exc, after)) from None
        except self._psycopg.OperationalError as exc:
            raise _ConnectionLost(f"the capture server {self.where} went away ({_reason(exc)}); {after}: try again "
                                  "when the server is back") from None
        except self._psycopg.DataError as exc:      # a value the server's text cannot hold, past the checks
            raise CaptureError(f"the capture server {self.where} refused a value ({_reason(exc)}); {after}") from None

    def _not_allowed(self, exc, after: str) -> str:
        """What a login without a right was refused, by the object the server names."""
        reason = _reason(exc)
        if "schema" in reason or "database" in reason:      # the first save makes the tables
            return (f"the capture server {self.where} did not allow this login to make the store's tables "
                    f"({reason}): the first save makes them, and this login may not create tables. Ask the "
                    "database's owner to save the first contact, or to grant this login CREATE on the schema; "
                    f"{after}")
        return (f"the capture server {self.where} did not allow it ({reason}): this login may read the store but "
                f"not write to it. Ask the database's owner for INSERT and UPDATE on its tables; {after}")

    def _has_tables(self, conn) -> bool:
        return conn.execute("SELECT to_regclass('contacts')").fetchone()[0] is not None

    def insert_contact(self, row: dict) -> None:
        cols = list(row)

        def work(conn):
            self._ensure_schema(conn)
            return conn.execute(f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) "
                                "ON CONFLICT (contact_id) DO NOTHING RETURNING seq", [row[c] for c in cols]).fetchone()
        try:
            if self._run(work, writing=True) is not None:
                return                                  # stored now: the usual case, one round trip
        except _ConnectionLost as exc:
            # The answer was lost: the row may have been committed. Ask, with the id sent with it.
            try:
                stored = self.stored_contact(row["contact_id"])
            except CaptureError:
                raise CaptureError(f"the capture server {self.where} went away while saving, so whether it was saved "
                                   "is not known; what was typed is kept. Save again when the server is back: the "
                                   "same contact will not be stored twice", contact_id=row["contact_id"]) from None
            if stored is None:
                raise CaptureError(str(exc), contact_id=row["contact_id"]) from None
            same_contact(row, stored)
            return
        same_contact(row, self.stored_contact(row["contact_id"]))    # the id was there already

    def stored_contact(self, contact_id: str) -> dict | None:
        def work(conn):
            if not self._has_tables(conn):
                return None
            found = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM contacts WHERE contact_id = %s",
                                 (contact_id,)).fetchone()
            return None if found is None else dict(zip(_COLUMNS, found))
        return self._run(work)

    def save_label(self, label: dict, requested: str) -> str:
        def work(conn):
            self._ensure_schema(conn)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (label["contact_id"],))
            existing = dict(conn.execute("SELECT rater, reviewer FROM labels WHERE contact_id = %s",
                                         (label["contact_id"],)).fetchall())
            slot = choose_slot(existing, requested, label["reviewer"])
            values = {**label, "rater": slot}
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _LABELS if c not in ("contact_id", "rater"))
            conn.execute(f"INSERT INTO labels ({', '.join(_LABELS)}) VALUES ({', '.join(['%s'] * len(_LABELS))}) "
                         f"ON CONFLICT (contact_id, rater) DO UPDATE SET {updates}", [values[c] for c in _LABELS])
            return slot
        return self._run(work, writing=True)

    def _frame(self, sql: str, params, columns) -> pd.DataFrame:
        rows = self._run(lambda conn: conn.execute(sql, params).fetchall() if self._has_tables(conn) else [])
        return pd.DataFrame(rows, columns=columns)

    def contacts(self) -> pd.DataFrame:
        return self._frame(f"SELECT {', '.join(_COLUMNS)} FROM contacts ORDER BY seq", (), _COLUMNS)

    def labels(self, rater: str | None = None) -> pd.DataFrame:
        where, params = ("WHERE rater = %s", (rater,)) if rater else ("", ())

        def work(conn):
            if not self._has_tables(conn):
                return []
            # A store made before version 1 has no reviewer until its first write migrates it: read as none.
            have = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_name = 'labels' AND table_schema = current_schema()")}
            picked = ", ".join(c if c in have else f"NULL AS {c}" for c in _LABELS)
            return conn.execute(f"SELECT {picked} FROM labels {where} ORDER BY labelled_at", params).fetchall()
        return pd.DataFrame(self._run(work), columns=_LABELS)

    def count(self) -> int:
        return int(self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
                             if self._has_tables(conn) else 0))


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
