"""Capture: a store that loses nothing, widget callbacks without a browser, suggestions, second rater."""
from __future__ import annotations

import html
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE, shared_file
from studylib import load_study
from studylib.errors import CaptureError
from studylib.capture.store import CaptureStore
from studylib.read.codebooks import load_demand_codebook
from studylib.check.runner import stage_notebooks

GOOD = {"channel": "phone", "service": "Housing repairs", "received_at": "2025-03-03 10:15",
        "verbatim": "The boiler has gone again"}


BACKENDS = ["sqlite", "postgresql"]


def _where(kind: str, request, tmp_path) -> str:
    """A fresh store address: a SQLite file, or a new database on the session's PostgreSQL server."""
    if kind == "sqlite":
        return str(tmp_path / "capture.sqlite")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """The same capture tests on both stores: the embedded SQLite default and a real PostgreSQL."""
    return CaptureStore(_where(request.param, request, tmp_path))


@pytest.mark.parametrize("change, field", [
    ({"channel": "pigeon"}, "channel: 'pigeon' is not a known channel"),
    ({"channel": ""}, "channel: is empty"),
    ({"verbatim": "   "}, "verbatim: is empty"),
    ({"service": None}, "service: is empty"),
    ({"received_at": "31/02/2025"}, "received_at: '31/02/2025' is not a date"),
    ({"value_or_failure": "maybe"}, "value_or_failure: 'maybe'"),
    ({"value_or_failure": "value", "failure_subtype": "not done"}, "failure_subtype: only failure demand"),
    ({"value_or_failure": "failure", "failure_subtype": "bad luck"}, "failure_subtype: 'bad luck' is not one of"),
    ({"latitude": "52.4"}, "latitude and longitude: give both or neither"),
    ({"latitude": "north", "longitude": "1"}, "latitude: 'north' is not a number"),
    ({"resolved_first_contact": "perhaps"}, "resolved_first_contact: 'perhaps'"),
    ({"colour": "red"}, "unknown field"),
])
def test_malformed_records_are_refused_naming_the_field(store, change, field):
    with pytest.raises(CaptureError, match=field.replace("(", r"\(").replace(")", r"\)")):
        store.add({**GOOD, **change})
    assert len(store) == 0


def test_add_read_label_and_export(store, tmp_path):
    first = store.add({**GOOD, "channel": "Telephone", "value_or_failure": "Failure",
                       "failure_subtype": "progress chasing", "latitude": "52.41", "longitude": "-1.51",
                       "resolved_first_contact": "no"})
    second = store.add({**GOOD, "verbatim": "Can I book a bulky collection?", "received_at": "2025-03-03T11:00:00+00:00"})
    with pytest.raises(CaptureError, match="already in the store"):
        store.add({**GOOD, "contact_id": first})
    frame = store.to_frame()
    assert frame["contact_id"].tolist() == [first, second]
    assert frame.loc[0, ["channel", "value_or_failure", "resolved_first_contact"]].tolist() == ["phone", "failure", "no"]
    assert frame.loc[0, "received_at"] == "2025-03-03T10:15:00+00:00"    # local time in Europe/London
    store.label(second, "Book a bulky waste collection", "value")
    store.label(second, "Report fly-tipping", "value", rater="second")
    frame = store.to_frame()
    assert frame.loc[1, "demand_type"] == "Book a bulky waste collection"   # the first rater's label
    with pytest.raises(CaptureError, match="value_or_failure"):
        store.label(second, "x", "maybe")
    # The export reads back as a study's demand file.
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    store.export_csv(study / "demand.csv", timestamp_format="%Y-%m-%d %H:%M")   # as the sample's study.yml reads
    loaded = load_study(study)
    assert loaded.demand["contact_id"].tolist() == [first, second]
    assert loaded.quality["rows_read"].iloc[0] == 2
    assert loaded.demand["received_at"].iloc[1] == pd.Timestamp("2025-03-03 11:00", tz="Europe/London")
    # The default export is ISO 8601 with the offset.
    assert pd.read_csv(store.export_csv(tmp_path / "plain.csv"))["received_at"].iloc[0] == "2025-03-03T10:15:00+00:00"


WRITER = textwrap.dedent("""
    import sys
    from studylib.capture import CaptureStore
    store = CaptureStore(sys.argv[1])
    for i in range(int(sys.argv[3])):
        cid = store.add({"channel": "web", "service": "Repairs", "received_at": "2025-03-03 10:00",
                         "verbatim": f"writer {sys.argv[2]} contact {i}"})
        print(cid, flush=True)
""")


@pytest.mark.slow
@pytest.mark.parametrize("kind", BACKENDS)
def test_two_processes_adding_at_once_lose_nothing(kind, request, tmp_path):
    where = _where(kind, request, tmp_path)
    CaptureStore(where)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, where, name, "150"], stdout=subprocess.PIPE, text=True)
             for name in ("a", "b")]
    ids = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        ids += out.split()
    frame = CaptureStore(where).to_frame()
    assert len(ids) == 300 and sorted(frame["contact_id"]) == sorted(ids)
    assert frame["verbatim"].str.startswith("writer a").sum() == 150


@pytest.mark.slow
@pytest.mark.parametrize("kind", BACKENDS)
def test_four_desks_one_killed_lose_nothing(kind, request, tmp_path):
    """4 writer processes x 1,000 contacts, one killed mid-run: every id a writer was given is in
    the store, ids are unique, and no row is partial."""
    where = _where(kind, request, tmp_path)
    CaptureStore(where)
    procs = {name: subprocess.Popen([sys.executable, "-c", WRITER, where, name, "1000"], stdout=subprocess.PIPE, text=True)
             for name in ("a", "b", "c", "k")}
    given = {name: [] for name in procs}
    killed = procs["k"]
    while len(given["k"]) < 150:
        line = killed.stdout.readline()
        assert line, "the writer stopped early"
        given["k"].append(line.strip())
    os.kill(killed.pid, signal.SIGKILL)      # mid-run, with no chance to clean up
    killed.wait(timeout=30)
    given["k"] += killed.stdout.read().split()
    for name in ("a", "b", "c"):
        out, _ = procs[name].communicate(timeout=600)
        assert procs[name].returncode == 0
        given[name] = out.split()
    frame = CaptureStore(where).to_frame()
    stored = frame["contact_id"].tolist()
    assert len(stored) == len(set(stored))                                   # unique across desks
    assert set().union(*map(set, given.values())) <= set(stored)            # every id given is stored
    assert all(len(given[name]) == 1000 for name in ("a", "b", "c"))
    assert len(stored) - 3000 in (len(given["k"]), len(given["k"]) + 1)      # at most the one in flight unprinted
    assert frame["verbatim"].str.fullmatch(r"writer [abck] contact \d+").all()    # no partial row
    assert frame[["received_at", "channel", "service"]].notna().all().all()
    if kind == "sqlite":
        with sqlite3.connect(where) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- widgets: callbacks without a browser ------------------------------------------------------

def test_capture_form_saves_before_clearing_and_keeps_a_refused_record(store):
    from studylib.capture.widgets import CaptureForm
    codebook = load_demand_codebook(SAMPLE / "demand_codebook.yml")
    form = CaptureForm(store, codebook=codebook, services=["Housing repairs"],
                       clock=lambda: pd.Timestamp("2025-03-03 10:15", tz="Europe/London"), captured_by="AB")
    assert form.fields["service"].value == "Housing repairs"
    assert "Report a pot-hole" in form.fields["demand_type"].options
    # Refused: nothing stored, nothing the student typed is lost, and the form says why.
    form.fields["verbatim"].value = "<b>still</b> waiting for the plumber"
    form.fields["value_or_failure"].value = "value"
    form.fields["failure_subtype"].value = "progress chasing"
    assert form.submit() is None
    assert len(store) == 0 and form.fields["verbatim"].value == "<b>still</b> waiting for the plumber"
    assert "failure_subtype" in form.message.value
    # Fixed and saved: committed, then cleared; the recent rows show it, escaped.
    form.fields["value_or_failure"].value = "failure"
    form.fields["location"].value = "52.41, -1.51"
    contact_id = form.submit()
    assert contact_id and len(store) == 1
    row = store.to_frame().iloc[0]
    assert (row["latitude"], row["longitude"], row["captured_by"]) == (52.41, -1.51, "AB")
    assert row["failure_subtype"] == "progress chasing"
    assert form.fields["verbatim"].value == "" and form.fields["location"].value == ""
    assert "&lt;b&gt;still&lt;/b&gt;" in form.recent.value and "<b>still" not in form.recent.value
    # Choosing a codebook type brings its value/failure and sub-type.
    form.fields["demand_type"].value = "Chasing a repair"
    assert (form.fields["value_or_failure"].value, form.fields["failure_subtype"].value) == ("failure", "progress chasing")
    form.fields["demand_type"].value = "Report a pot-hole"
    assert (form.fields["value_or_failure"].value, form.fields["failure_subtype"].value) == ("value", "")
    form.fields["verbatim"].value = "Flat 3, no heating"
    form.fields["location"].value = "3 Mill Lane"
    form.submit()
    assert store.to_frame().iloc[1]["address"] == "3 Mill Lane"


def test_review_queue_labels_orders_and_grows_the_codebook(store, tmp_path):
    from studylib.measures.suggest import DemandSuggester
    from studylib.capture.widgets import ReviewQueue
    codebook_path = tmp_path / "demand_codebook.yml"
    shutil.copy(SAMPLE / "demand_codebook.yml", codebook_path)
    texts = ["pothole outside", "big pothole again", "street light out", "light not working on my street",
             "pothole by school", "the street light flickers"]
    kinds = ["Report a pot-hole", "Report a pot-hole", "Street light not working", "Street light not working",
             "Report a pot-hole", "Street light not working"]
    suggester = DemandSuggester().fit(texts, kinds, ["value"] * 6)
    todo = pd.DataFrame({"contact_id": ["a", "b", "c"],
                         "verbatim": ["a pothole", "light and a pothole", "the street light"]})
    queue = ReviewQueue(todo, store, codebook_path=codebook_path, suggester=suggester)
    margins = queue.suggestions["margin"].tolist()
    assert margins == sorted(margins)                      # least certain first
    assert queue.contacts["contact_id"].iloc[0] == "b"
    assert "Suggested:" in queue.hint.value and queue.demand_type.value in set(kinds)
    first = queue.current["contact_id"]
    queue.demand_type.value, queue.value_or_failure.value = "Report a pot-hole", "value"
    assert queue.save()
    assert store.labels("first").set_index("contact_id").loc[first, "demand_type"] == "Report a pot-hole"
    assert queue.position == 1
    # A dangerous pattern is refused; a good one is added, atomically, with a backup kept.
    queue.pattern.value = "(?=a)b"
    assert not queue.add_pattern() and "Not added" in queue.message.value
    queue.demand_type.value = "Report a pot-hole"
    queue.pattern.value = "road has sunk"
    assert queue.add_pattern()
    assert "road has sunk" in load_demand_codebook(codebook_path).types.set_index("demand_type").loc["Report a pot-hole", "patterns"]
    assert (tmp_path / "demand_codebook.yml.bak").read_text() == (SAMPLE / "demand_codebook.yml").read_text()
    assert "# Demand codebook" in codebook_path.read_text()     # comments kept
    queue.skip()
    queue.skip()
    assert queue.current is None and "Queue done" in queue.header.value


def test_second_rater_blind_and_kappa(store):
    from studylib.capture.widgets import ReviewQueue, second_rater_sample, store_agreement
    labelled = pd.DataFrame({"contact_id": [f"c{i}" for i in range(6)],
                             "verbatim": [f"text {i}" for i in range(6)],
                             "demand_type": ["A", "A", "B", "B", "A", "B"]})
    sample = second_rater_sample(labelled, n=6)
    assert list(sample.columns) == ["contact_id", "verbatim"]        # blind: no first label
    queue = ReviewQueue(sample, store, rater="second", blind=True)
    assert queue.hint.value == "" and queue.demand_type.value == ""
    answers = dict(zip(labelled["contact_id"], ["A", "A", "B", "A", "A", "B"]))   # c3 differs
    while queue.current is not None:
        queue.demand_type.value = answers[queue.current["contact_id"]]
        assert queue.save()
    summary, disagreements = store_agreement(labelled, store)
    assert summary.iloc[0]["n"] == 6 and summary.iloc[0]["observed_agreement"] == pytest.approx(5 / 6)
    assert summary.iloc[0]["kappa"] == pytest.approx((5 / 6 - 0.5) / 0.5)
    assert disagreements[["id", "first", "second", "verbatim"]].values.tolist() == [["c3", "B", "A", "text 3"]]


def test_suggestions_on_banking77():
    from studylib.measures.suggest import DemandSuggester
    train = pd.read_csv(shared_file("verbatims/banking77_train.csv")).sample(frac=1, random_state=0)
    test = pd.read_csv(shared_file("verbatims/banking77_test.csv"))
    model = DemandSuggester().fit(train["text"].head(1000), train["category"].head(1000))
    out = model.suggest(test["text"])
    accuracy = (out["suggested_type"] == test["category"]).mean()
    # benchmarks/measure_suggestions.py: 0.199 / 0.374 / 0.666 / 0.894 after 100 / 300 / 1,000 / all labels.
    assert accuracy >= 0.6
    confident = out["confidence"] >= 0.5
    assert (out.loc[confident, "suggested_type"] == test.loc[confident, "category"]).mean() > accuracy
    assert "1,000 labelled contacts, 77 demand types" in repr(model)


@pytest.mark.slow
def test_capture_notebook_runs_headless_and_is_not_a_report(tmp_path):
    import papermill as pm
    notebook = ROOT / "notebooks" / "02a_capture.ipynb"
    assert notebook.name not in [p.name for p in stage_notebooks(ROOT / "notebooks")]
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    pm.execute_notebook(str(notebook), str(tmp_path / "out.ipynb"), parameters={"study": str(study)},
                        kernel_name="python3", cwd=str(notebook.parent), progress_bar=False)
    assert (study / "capture.sqlite").exists()


def test_form_accepts_what_a_demand_file_accepts_and_refuses_alike(store, tmp_path):
    """One validation of a contact: spellings load_study reads from a file are read by the form too."""
    from studylib import DataError, load_study
    cid = store.add({**GOOD, "channel": "Web-form", "resolved_first_contact": "1", "value_or_failure": "f",
                     "failure_subtype": "progress chasing"})
    cid2 = store.add({**GOOD, "channel": "Telephone", "resolved_first_contact": "t"})
    frame = store.to_frame().set_index("contact_id")
    assert frame.loc[cid, ["channel", "resolved_first_contact", "value_or_failure"]].tolist() == ["web", "yes", "failure"]
    assert frame.loc[cid2, ["channel", "resolved_first_contact"]].tolist() == ["phone", "yes"]
    # The same bad value gets the same problem record from the form and from a file.
    with pytest.raises(CaptureError) as form:
        store.add({**GOOD, "channel": "pigeon"})
    assert isinstance(form.value, DataError)
    form_problem = form.value.problems.iloc[0]
    assert (form_problem["file"], form_problem["column"], form_problem["value"]) == ("capture form", "channel", "pigeon")
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    demand = (study / "demand.csv").read_text().splitlines()
    demand[1] = demand[1].replace(",Online,", ",pigeon,").replace(",Web form,", ",pigeon,")
    (study / "demand.csv").write_text("\n".join(demand) + "\n")
    with pytest.raises(DataError) as file:
        load_study(study)
    file_problem = file.value.problems.iloc[0]
    assert (file_problem["column"], file_problem["value"], file_problem["problem"]) == \
        ("channel", "pigeon", form_problem["problem"])


# -- the local store: nothing lost, nothing silent --------------------------------------------------

def test_the_same_contact_sent_twice_is_one_row_and_another_under_its_id_is_refused(tmp_path):
    store = CaptureStore(tmp_path / "c.sqlite")
    record = {**GOOD, "contact_id": "CAP-desk1-0001"}
    assert store.add(record) == "CAP-desk1-0001"
    assert store.add(record) == "CAP-desk1-0001"          # a retry after a lost answer: not a second row
    assert len(store) == 1
    with pytest.raises(CaptureError, match="'CAP-desk1-0001' is already in the store, with other content"):
        store.add({**record, "verbatim": "Something else entirely"})
    assert len(store) == 1


def test_an_export_makes_text_a_spreadsheet_would_run_inert(tmp_path):
    store = CaptureStore(tmp_path / "c.sqlite")
    store.add({**GOOD, "verbatim": '=HYPERLINK("http://evil.example","click")', "what_matters": "+44 fixed"})
    store.add({**GOOD, "verbatim": "-12", "problem_ref": "@job"})
    out = pd.read_csv(store.export_csv(tmp_path / "out.csv"), dtype=str, keep_default_na=False)
    assert out["verbatim"].tolist() == ['\'=HYPERLINK("http://evil.example","click")', "-12"]   # a number stays
    assert out["what_matters"].iloc[0] == "'+44 fixed" and out["problem_ref"].iloc[1] == "'@job"


def test_two_processes_exporting_to_one_path_at_once_both_land_whole(tmp_path):
    store = CaptureStore(tmp_path / "c.sqlite")
    for i in range(30):
        store.add({**GOOD, "verbatim": f"contact {i}"})
    script = textwrap.dedent(f"""
        from studylib.capture.store import CaptureStore
        store = CaptureStore({str(tmp_path / "c.sqlite")!r})
        for _ in range(40):
            store.export_csv({str(tmp_path / "shared.csv")!r})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert len(pd.read_csv(tmp_path / "shared.csv")) == 30
    assert [f.name for f in tmp_path.iterdir() if f.name.endswith(".tmp")] == []


def test_a_full_disk_says_so_and_nothing_is_half_saved(tmp_path):
    """The store's file may grow no further (the process's file-size limit, as a full disk behaves):
    add() says the disk is full and that nothing was saved; every contact it said it saved is there."""
    script = textwrap.dedent(f"""
        import resource, signal
        from studylib.capture.store import CaptureStore
        from studylib.errors import CaptureError
        store = CaptureStore({str(tmp_path / "c.sqlite")!r})
        store.add({{**{GOOD!r}, "verbatim": "first"}})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = 200_000
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        saved = 1
        for i in range(100_000):
            try:
                store.add({{**{GOOD!r}, "verbatim": "contact %d " % i + "x" * 400}})
                saved += 1
            except CaptureError as exc:
                print(saved)
                print(exc)
                break
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    saved, message = done.stdout.split("\n", 1)
    assert "the disk holding c.sqlite is full (it took no more): nothing was saved, and what was typed is kept" in message
    assert "Traceback" not in done.stderr and "OperationalError" not in message
    assert len(CaptureStore(tmp_path / "c.sqlite")) == int(saved)


def test_a_store_whose_schema_version_is_not_a_number_is_named_not_a_store(tmp_path):
    path = tmp_path / "c.sqlite"
    CaptureStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE studylib_schema SET version = 'v1.0'")
    with pytest.raises(CaptureError, match=r"schema version is 'v1.0', not a number studylib writes: this is not a "
                                           "capture store studylib can read"):
        CaptureStore(path)


# -- the When box: one reading of a typed time ------------------------------------------------------

@pytest.mark.parametrize("typed, read", [
    ("2025-03-14 10:30", "2025-03-14 10:30:00+00:00"),
    ("2025-03-14T10:30:05", "2025-03-14 10:30:05+00:00"),
    ("14 March 2025 10:30", "2025-03-14 10:30:00+00:00"),
    ("March 14, 2025 at 2:30 pm", "2025-03-14 14:30:00+00:00"),
    ("14/03/2025 09:15", "2025-03-14 09:15:00+00:00"),          # 14 cannot be a month: one reading
    ("04/04/2025 10:30", "2025-04-04 10:30:00+01:00"),          # the same either way
    ("2025-10-26 01:30+01:00", "2025-10-26 01:30:00+01:00"),    # the first 01:30, said
    ("2025-10-26 01:30+00:00", "2025-10-26 01:30:00+00:00"),    # the second
    ("12 May 2025 12:30 am", "2025-05-12 00:30:00+01:00"),
])
def test_the_when_box_reads_a_time_one_way(typed, read):
    from studylib.capture.widgets import read_when
    assert read_when(typed, "Europe/London") == pd.Timestamp(read)


@pytest.mark.parametrize("typed, says", [
    ("03/04/2025 10:30", "reads two ways (3 April or 4 March?): write it as 2025-03-14 10:30, year first"),
    ("03.04.2025 10:30", "reads two ways (3 April or 4 March?)"),
    ("03-04-2025 10:30", "reads two ways (3 April or 4 March?)"),
    ("2999-01-01 10:00", "the year 2999 cannot be a contact's"),
    ("9999-12-31 23:59", "the year 9999 cannot be a contact's"),
    ("1850-06-01 10:00", "the year 1850 cannot be a contact's"),
    ("2025-03-30 01:30", "did not happen in Europe/London: the clocks went forward that night and skipped that "
                         "hour. Write the time the clocks showed, e.g. 2025-03-30 02:30"),
    ("2025-10-26 01:30", "happened twice in Europe/London: the clocks went back that night. Say which: "
                         "2025-10-26 01:30+01:00 (the first, before the change) or 2025-10-26 01:30+00:00 (the second)"),
    ("March 2025", "is not a date and time studylib can read: write it as 2025-03-14 10:30"),
    ("2025-03-14", "has no time of day: write it as 2025-03-14 10:30"),
    ("2025-02-30 10:00", "is not a day and time on the calendar"),
    ("14 Smarch 2025 10:00", "'Smarch' is not a month"),
    ("next tuesday", "is not a date and time studylib can read"),
])
def test_the_when_box_refuses_what_it_cannot_read_one_way_with_the_fix(store, typed, says):
    """Refused in the form's words: nothing stored, and the typed text stays in the box."""
    from studylib.capture.widgets import CaptureForm
    form = CaptureForm(store, services=["Highways"])
    form.fields["verbatim"].value = "a pot-hole on Mill Lane"
    form.fields["when"].value = typed
    assert form.submit() is None
    assert says in html.unescape(form.message.value), form.message.value
    assert len(store) == 0 and form.fields["when"].value == typed


def test_after_a_save_when_is_cleared_so_the_next_contact_takes_its_own_time(store):
    """When kept its value after Save, and the next contact silently took the old time."""
    from studylib.capture.widgets import CaptureForm
    form = CaptureForm(store, services=["Highways"],
                       clock=lambda: pd.Timestamp("2025-03-05 09:00", tz="Europe/London"))
    form.fields["verbatim"].value = "a pot-hole on Mill Lane"
    form.fields["when"].value = "2025-03-03 10:15"
    assert form.submit()
    assert form.fields["when"].value == "" and form.fields["service"].value == "Highways"
    form.fields["verbatim"].value = "the pot-hole again"
    assert form.submit()
    assert store.to_frame()["received_at"].astype(str).str[:16].tolist() == ["2025-03-03T10:15", "2025-03-05T09:00"]
