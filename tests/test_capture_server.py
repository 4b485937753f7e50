"""The shared capture store on a real PostgreSQL server: several desks, several reviewers, a live
view, a server that goes away, and the check reading what was captured there."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from conftest import SAMPLE
from studylib import compute_check, load_study
from studylib.errors import CaptureError
from studylib.capture.store import CaptureStore

# Slow: a real PostgreSQL server (left out of the quick loop, python -m pytest -m "not slow").
pytestmark = pytest.mark.slow

GOOD = {"channel": "phone", "service": "Housing repairs", "received_at": "2025-03-03 10:15",
        "verbatim": "The boiler has gone again"}


@pytest.mark.parametrize("address", ["mysql://jo@db.example.org/capture", "sqlite+pysqlite:///x.db",
                                     "https://example.org/capture"])
def test_an_address_no_store_can_serve_is_a_clear_error(address, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CaptureError, match="cannot be served: studylib keeps captured contacts in a SQLite file"):
        CaptureStore(address)
    assert list(tmp_path.iterdir()) == []            # no folder named after the scheme


def test_a_server_that_is_not_there_is_a_clear_error(tmp_path, monkeypatch, postgres):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CaptureError, match=r"the capture server postgresql://127.0.0.1:1/capture \(as jo\) cannot be reached"):
        CaptureStore("postgresql://jo:secret@127.0.0.1:1/capture", busy_timeout_s=2)
    assert list(tmp_path.iterdir()) == []
    try:
        CaptureStore("postgresql://jo:secret@127.0.0.1:1/capture", busy_timeout_s=2)
    except CaptureError as exc:
        assert "secret" not in str(exc)              # the password is never printed


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_reviewers_give_two_ratings_and_agreement_comes_from_the_store(kind, tmp_path, postgres):
    store = CaptureStore(tmp_path / "c.sqlite" if kind == "sqlite" else postgres.new_database())
    ids = [store.add({**GOOD, "verbatim": f"contact {i}"}) for i in range(6)]
    types = ["Report a repair", "Chasing a repair"]
    for i, cid in enumerate(ids):
        assert store.label(cid, types[i % 2], "value", reviewer="Asha") == "first"
        # Bo labels the same contact at another desk: a second rating, never an overwrite.
        assert store.label(cid, types[(i // 3) % 2] if i != 5 else types[1], "value", reviewer="Bo") == "second"
    assert store.label(ids[0], "Report a repair", "value", reviewer="Asha") == "first"    # Asha corrects her own
    assert store.label(ids[0], "Report a repair", "value", reviewer="Cy") == "third"
    first = store.labels("first")
    assert set(first["reviewer"]) == {"Asha"} and len(first) == 6
    assert set(store.labels("second")["reviewer"]) == {"Bo"}
    summary, disagreements = store.agreement()
    a = first.set_index("contact_id")["demand_type"]
    b = store.labels("second").set_index("contact_id")["demand_type"]
    observed = float((a == b.loc[a.index]).mean())
    assert summary["n"].iloc[0] == 6 and summary["observed_agreement"].iloc[0] == pytest.approx(observed)
    assert len(disagreements) == int(round((1 - observed) * 6))


def test_the_live_view_counts_what_other_desks_add(postgres):
    from studylib.capture.widgets import LiveCounts
    url = postgres.new_database()
    mine, other_desk = CaptureStore(url), CaptureStore(url)
    live = LiveCounts(mine, every=0.2)
    assert "0 contacts" in live.widget.value
    other_desk.add({**GOOD, "demand_type": "Chasing a repair", "value_or_failure": "failure"})
    other_desk.add({**GOOD, "verbatim": "Please fix my window"})
    counts = live.refresh()
    assert "2 contacts" in live.widget.value and counts["contacts"].sum() == 2
    assert counts.set_index("demand_type").loc["Chasing a repair", "value_or_failure"] == "failure"
    live.start()
    try:
        other_desk.add({**GOOD, "verbatim": "Third one"})
        import time
        deadline = time.monotonic() + 10
        while "3 contacts" not in live.widget.value and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "3 contacts" in live.widget.value       # refreshed without re-running anything
    finally:
        live.stop()


def test_a_server_that_goes_away_keeps_what_was_typed(postgres):
    from studylib.capture.widgets import CaptureForm
    store = CaptureStore(postgres.new_database(), busy_timeout_s=2)
    form = CaptureForm(store, services=["Housing repairs"],
                       clock=lambda: pd.Timestamp("2025-03-03 10:15", tz="Europe/London"))
    form.fields["verbatim"].value = "Nobody came on Tuesday"
    postgres.stop()
    try:
        assert form.submit() is None
        assert "cannot be reached" in form.message.value and "what was typed is kept" in form.message.value
        assert form.fields["verbatim"].value == "Nobody came on Tuesday"
    finally:
        postgres.start()
    assert form.submit() is not None and len(store) == 1
    assert store.to_frame()["verbatim"].tolist() == ["Nobody came on Tuesday"]


def test_the_check_reads_contacts_captured_on_the_server(tmp_path, postgres):
    url = postgres.new_database()
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study, ignore=shutil.ignore_patterns("predictions.yml", "reflections.yml", "capture.sqlite*"))
    (study / "study.yml").write_text((study / "study.yml").read_text() + f"\ncapture: {url}\n")
    store = CaptureStore(url, timezone="Europe/London")
    for i in range(5):
        store.add({**GOOD, "received_at": f"2025-03-0{i + 3} 10:15", "verbatim": f"Still no hot water, day {i}",
                   "demand_type": "Chasing a repair", "value_or_failure": "failure"})
    loaded = load_study(study)
    base = load_study(SAMPLE)
    assert len(loaded.demand) == len(base.demand) + 5
    assert loaded.quality.set_index("file").loc["capture server", "rows_kept"] == 5
    r = compute_check(loaded)
    assert int(r.demand["overall"]["contacts"].iloc[0]) == int(compute_check(base).demand["overall"]["contacts"].iloc[0]) + 5
    assert "secret" not in str(loaded.quality)


# -- nothing lost, nothing hangs: the faults of a shared server ----------------------------------------

class _Proxy:
    """A TCP relay in front of the server that can lose the server's answer to a COMMIT (the row is
    committed, the desk never hears so), and can refuse new connections for a while. ``refuse_after``
    starts refusing at the moment the COMMIT's answer is lost or passed on, before the desk can act on it
    (a thread told afterwards loses the race to the desk's next connection)."""

    def __init__(self, port: int):
        import socket
        import threading
        self.target = port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lose_commit_answer = False
        self.refuse = False
        self.refuse_after = None        # "drop" or "commit"
        self.dropped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            state = {"commit": False}
            threading.Thread(target=self._pump, args=(client, server, state, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, state, False), daemon=True).start()

    def _pump(self, src, dst, state, from_client):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and (self.lose_commit_answer or self.refuse_after) and b"COMMIT" in data:
                    state["commit"] = True
                if not from_client and state["commit"] and self.lose_commit_answer:
                    self.lose_commit_answer = False        # once: the server has committed; drop its answer
                    if self.refuse_after == "drop":
                        self.refuse = True
                    self.dropped.set()
                    break
                if not from_client and state["commit"] and self.refuse_after == "commit":
                    self.refuse, state["commit"] = True, False
                dst.sendall(data)
        except OSError:
            pass
        import socket
        for sock in (src, dst):        # shutdown first: it sends the end of the stream at once, and wakes
            try:                       # the other direction's pump, blocked in recv() on the same socket
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def url(self, database_url: str) -> str:
        return database_url.replace(f":{self.target}/", f":{self.port}/")


def test_a_lost_acknowledgement_after_commit_stores_one_row_and_the_desk_is_told_it_was_saved(postgres):
    url = postgres.new_database()
    proxy = _Proxy(postgres.port)
    store = CaptureStore(proxy.url(url), timezone="Europe/London")
    proxy.lose_commit_answer = True
    contact_id = store.add({**GOOD, "verbatim": "The answer to this one is lost"})
    assert proxy.dropped.is_set()                      # the server committed; the desk never heard
    rows = CaptureStore(url).to_frame()
    assert rows["contact_id"].tolist() == [contact_id]  # one row, under the id sent with it


def _form_behind_a_proxy(postgres, verbatim):
    """A capture form on a new database reached through a :class:`_Proxy`, with ``verbatim`` typed in."""
    from studylib.capture.widgets import CaptureForm
    url = postgres.new_database()
    proxy = _Proxy(postgres.port)
    store = CaptureStore(proxy.url(url), timezone="Europe/London", busy_timeout_s=3)
    form = CaptureForm(store, services=["Housing repairs"],
                       clock=lambda: pd.Timestamp("2025-03-03 10:15", tz="Europe/London"))
    form.fields["verbatim"].value = verbatim
    return url, proxy, form


def test_a_save_whose_outcome_cannot_be_known_is_retried_by_the_form_under_the_same_id(postgres):
    url, proxy, form = _form_behind_a_proxy(postgres, "Saved, but the desk cannot tell")
    proxy.lose_commit_answer, proxy.refuse_after = True, "drop"   # the server is gone before the desk can ask
    assert form.submit() is None
    assert "whether it was saved is not known" in form.message.value
    assert "the same contact will not be stored twice" in form.message.value
    assert form.fields["verbatim"].value == "Saved, but the desk cannot tell"      # kept
    proxy.refuse, proxy.refuse_after = False, None
    contact_id = form.submit()                         # Save again
    assert contact_id and "Saved" in form.message.value
    assert CaptureStore(url).to_frame()["contact_id"].tolist() == [contact_id]


def test_a_save_that_commits_just_before_the_server_goes_is_reported_saved_and_the_form_cleared(postgres):
    url, proxy, form = _form_behind_a_proxy(postgres, "Saved, then the server went")
    proxy.refuse_after = "commit"                      # the list of last captured cannot be fetched
    contact_id = form.submit()
    assert contact_id and f"Saved {contact_id}" in form.message.value
    assert "the list of last captured could not be refreshed" in form.message.value
    assert "nothing was saved" not in form.message.value
    assert form.fields["verbatim"].value == ""         # saved, so cleared: a second Save would store it twice
    assert CaptureStore(url).to_frame()["contact_id"].tolist() == [contact_id]


def test_a_port_that_accepts_and_never_answers_ends_in_words_within_the_timeout():
    import socket
    import time
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    port = silent.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(CaptureError, match=rf"the capture server postgresql://127.0.0.1:{port}/capture \(as jo\) "
                                           "cannot be reached"):
        CaptureStore(f"postgresql://jo@127.0.0.1:{port}/capture", busy_timeout_s=3)
    assert time.monotonic() - started < 10
    silent.close()


def test_a_lock_held_by_another_desk_ends_in_words_not_a_wait(postgres):
    import psycopg
    import time
    from studylib.read.stores import backend_for, stored_contacts
    url = postgres.new_database()
    store = CaptureStore(url, busy_timeout_s=2)
    store.add(GOOD)
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE")      # held until the block ends
        started = time.monotonic()
        with pytest.raises(CaptureError, match="is busy \\(another desk holds it\\); nothing was saved"):
            store.add({**GOOD, "verbatim": "behind the lock"})
        with pytest.raises(CaptureError, match="is busy"):
            stored_contacts(backend_for(url, 2))                              # a reader too: words, not a hang
        assert time.monotonic() - started < 15
    assert len(store) == 1


def _login(url: str, role: str, rights: str) -> str:
    """A login ``role`` that may connect to the database of ``url``, with ``rights`` run as its owner:
    the address to connect as it."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT CONNECT ON DATABASE {url.rsplit('/', 1)[1]} TO {role}")
        conn.execute(rights)
    return url.replace("postgres@", f"{role}@")


def test_a_read_only_login_reads_the_store_and_is_told_it_cannot_write(postgres):
    import psycopg
    from studylib.read.stores import backend_for, stored_contacts
    url = postgres.new_database()
    CaptureStore(url).add(GOOD)
    reader = _login(url, "manager_ro", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO manager_ro")
    assert stored_contacts(backend_for(reader, 5))["verbatim"].tolist() == [GOOD["verbatim"]]
    with pytest.raises(CaptureError, match="this login may read the store but not write to it"):
        CaptureStore(reader).add({**GOOD, "verbatim": "a manager types"})
    empty = postgres.new_database()                     # a store nobody has written to yet: empty, not an error
    with psycopg.connect(empty, autocommit=True) as conn:
        conn.execute(f"GRANT CONNECT ON DATABASE {empty.rsplit('/', 1)[1]} TO manager_ro")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    assert stored_contacts(backend_for(empty.replace("postgres@", "manager_ro@"), 5)).empty


def _schema_before_version_1(conn) -> None:
    """The tables of a store made by a studylib from before the schema was versioned (no reviewer)."""
    conn.execute("""CREATE TABLE contacts (seq BIGSERIAL PRIMARY KEY, contact_id TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL, channel TEXT NOT NULL, service TEXT NOT NULL, verbatim TEXT NOT NULL,
        demand_type TEXT, value_or_failure TEXT, failure_subtype TEXT, resolved_first_contact INTEGER,
        what_matters TEXT, problem_ref TEXT, latitude DOUBLE PRECISION, longitude DOUBLE PRECISION,
        address TEXT, handled_by TEXT, captured_by TEXT, stored_at TEXT NOT NULL)""")
    conn.execute("""CREATE TABLE labels (contact_id TEXT NOT NULL, rater TEXT NOT NULL, demand_type TEXT NOT NULL,
        value_or_failure TEXT NOT NULL, failure_subtype TEXT, labelled_at TEXT NOT NULL,
        PRIMARY KEY (contact_id, rater))""")


def test_a_store_made_before_the_schema_was_versioned_is_migrated_on_its_first_write(postgres):
    import psycopg
    url = postgres.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        _schema_before_version_1(conn)
    store = CaptureStore(url)
    contact_id = store.add(GOOD)
    assert store.label(contact_id, "Report a repair", "value", reviewer="Asha") == "first"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT MAX(version) FROM studylib_schema").fetchone()[0] == 1
    assert store.labels("first")["reviewer"].tolist() == ["Asha"]


def test_the_server_is_named_by_host_and_a_refused_login_is_not_a_server_down(postgres):
    from studylib.text import redact
    postgres.require_password("desk", "right")
    wrong = f"postgresql://desk:wrong@127.0.0.1:{postgres.port}/postgres"
    with pytest.raises(CaptureError) as refused:
        CaptureStore(wrong, busy_timeout_s=5)
    said = redact(str(refused.value))
    assert f"the capture server postgresql://127.0.0.1:{postgres.port}/postgres (as desk) refused the login" in said
    assert "password" in said and "wrong" not in said and "cannot be reached" not in said
    assert "[email]" not in said


def test_a_verbatim_holding_a_nul_is_refused_in_words_on_either_store(postgres, tmp_path):
    """PostgreSQL's text cannot hold NUL (psycopg raised DataError at Save); SQLite's could. Both
    refuse it alike, before the write, and nothing is stored."""
    for where in (postgres.new_database(), str(tmp_path / "capture.sqlite")):
        store = CaptureStore(where)
        with pytest.raises(CaptureError, match=r"verbatim: holds an invisible NUL character .* paste it as plain text"):
            store.add({**GOOD, "verbatim": "the boiler\x00 has gone"})
        assert len(store) == 0


def test_an_old_store_is_read_before_its_first_write_migrates_it(postgres, tmp_path):
    """validate (a reading) on a store made before version 1: its labels read with no reviewer,
    not UndefinedColumn, and nothing is written to it."""
    import psycopg

    from studylib.read.stores import backend_for, stored_contacts
    url = postgres.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        _schema_before_version_1(conn)
        conn.execute("INSERT INTO contacts (contact_id, received_at, channel, service, verbatim, stored_at) VALUES "
                     "('K1', '2025-03-03 10:15', 'phone', 'Housing repairs', 'no heating', '2025-03-03')")
        conn.execute("INSERT INTO labels VALUES ('K1', 'first', 'Report a repair', 'value', NULL, '2025-03-04')")
    backend = backend_for(url, 5)
    assert backend.labels("first")[["contact_id", "reviewer"]].to_dict("records") == [
        {"contact_id": "K1", "reviewer": None}]
    assert stored_contacts(backend)["demand_type"].tolist() == ["Report a repair"]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('studylib_schema')").fetchone()[0] is None    # read, not migrated


def test_a_login_that_may_not_make_the_tables_is_told_that_not_that_it_may_read(postgres):
    empty = postgres.new_database()
    desk = CaptureStore(_login(empty, "desk_nocreate", "REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    with pytest.raises(CaptureError) as refused:
        desk.add(GOOD)
    said = str(refused.value)
    assert "did not allow this login to make the store's tables" in said and "may read" not in said
    assert "grant this login CREATE on the schema" in said and "what was typed is kept" in said


def test_a_reading_that_cannot_reach_the_server_does_not_speak_of_what_was_typed(postgres):
    """validate and the check read a store: nothing was typed, so nothing is 'kept'."""
    from studylib.read.stores import backend_for
    with pytest.raises(CaptureError) as unreachable:
        backend_for("postgresql://jo@127.0.0.1:1/capture", 2)
    said = str(unreachable.value)
    assert "cannot be reached" in said and "its contacts could not be read: try again when the server is back" in said
    assert "typed" not in said and "saved" not in said
