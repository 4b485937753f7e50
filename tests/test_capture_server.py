"""The shared capture store on a real PostgreSQL server: several desks, several reviewers, a live
view, a server that goes away, and the check reading what was captured there."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE
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
    with pytest.raises(CaptureError, match=r"the capture server postgresql://jo@127.0.0.1:1/capture cannot be reached"):
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
