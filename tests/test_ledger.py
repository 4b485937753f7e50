"""Then what: a study's ledger of checks, its history, and whether the redesign holds."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from studylib.check.history import history_page, history_table, redesign_story, what_changed
from studylib.check.ledger import LEDGER_FILE, add_check, check_record, default_ledger, read_ledger
from studylib.check.results import check_results
from studylib.measures.holds import WEEK_ALPHA, holds_summary
from studylib.measures.xmr import xmr

from conftest import ROOT, SAMPLE, slower_from_mid_april

RUN_AT = pd.Timestamp("2026-12-07 09:00", tz="UTC")


def _record(study, inputs=None, **settings):
    results = check_results(study, **settings)
    return check_record(results, inputs=inputs or {"events.csv": "a"}, run_at=RUN_AT, version="test")


def test_the_redesigned_system_is_held_to_limits_frozen_on_its_first_cases():
    """-p freeze 30: the limits are xmr(..., fix_after_n_points=30) of the system since the change
    (NHSRplotthedots' rule, pinned in test_xmr), and the sample's later weeks sit inside them."""
    results = check_results(SAMPLE, freeze="30")
    chart = results.capability["charts"]["Housing repairs"]
    holds = results.capability["holds"]
    since = chart[(chart["group"] == chart["group"].max()) & ~chart["edge"]]
    frozen = xmr(since["value"].to_numpy(), fix_after_n_points=30, improvement="decrease")
    assert holds["mean"] == pytest.approx(frozen["mean"].iloc[-1], abs=1e-12)
    assert holds["upper"] == pytest.approx(frozen["upper_limit"].iloc[-1], abs=1e-12)
    assert holds["mean"] == pytest.approx(since["value"].iloc[:30].mean(), abs=1e-12)
    assert holds["status"] == "holds" and holds["baseline"] == 30 and holds["later"] == len(since) - 30
    assert holds["weeks"]["cases"].sum() == holds["later"] and not (holds["weeks"]["signal"] == "slower").any()
    # Open cases older than the frozen upper limit are exceptions too: HR-00673 is 12.4 days old.
    assert "HR-00673" in holds["open_beyond"]
    summary = holds_summary(holds)
    assert summary["change"] == "2025-03-10" and summary["weeks"] == len(holds["weeks"])


def test_by_default_the_limits_come_from_the_first_two_weeks(sample_results):
    """Without a freeze setting the baseline is every case of the first two weeks since the change
    (at least 30): a large service's first 30 cases arrive in its first hour."""
    chart = sample_results.capability["charts"]["Housing repairs"]
    since = chart[(chart["group"] == chart["group"].max()) & ~chart["edge"]]
    early = since["arrived"] < pd.Timestamp("2025-03-24", tz="Europe/London")
    holds = sample_results.capability["holds"]
    assert holds["baseline"] == early.sum() == 88 and holds["mean"] == pytest.approx(since["value"][early].mean())
    assert holds["weeks"]["week"].min() == pd.Timestamp("2025-03-24")
    words = sample_results.prose["Capability"]["then what"]
    assert "sit inside the limits set on the 88 cases of its first two weeks (a mean of 4.6 days" in words
    assert "the redesign holds. 1 case still open is already older than that upper limit: look at it." in words


def test_freeze_is_a_setting_of_the_check():
    results = check_results(SAMPLE, freeze="50")
    chart = results.capability["charts"]["Housing repairs"]
    since = chart[(chart["group"] == chart["group"].max()) & ~chart["edge"]]
    assert results.capability["holds"]["mean"] == pytest.approx(since["value"].iloc[:50].mean(), abs=1e-12)
    from studylib.errors import ParameterError
    with pytest.raises(ParameterError, match="freeze: '8' is too few: limits need at least 12 cases"):
        check_results(SAMPLE, freeze="8")


def test_freeze_can_be_a_date_the_baseline_cases_arrived_before():
    """-p freeze 2025-03-24: the baseline is the cases that arrived before it (88 on the sample,
    those of the first two weeks), held to xmr(..., fix_after_n_points=88), and said by its date; a
    date too early for 12 cases says so, and a value that is neither is refused with the fix."""
    from studylib.check.report import _parameter_value
    from studylib.errors import ParameterError
    results = check_results(SAMPLE, freeze="2025-03-24")
    holds = results.capability["holds"]
    chart = results.capability["charts"]["Housing repairs"]
    since = chart[(chart["group"] == chart["group"].max()) & ~chart["edge"]]
    before = int((since["arrived"] < pd.Timestamp("2025-03-24", tz="Europe/London")).sum())
    frozen = xmr(since["value"].to_numpy(), fix_after_n_points=before, improvement="decrease")
    assert holds["baseline"] == holds["freeze"] == before == 88 and holds["status"] == "holds"
    assert holds["upper"] == pytest.approx(frozen["upper_limit"].iloc[-1], abs=1e-12)
    assert holds_summary(holds)["freeze_date"] == "2025-03-24"
    assert ("sit inside the limits set on the 88 cases that arrived before 24 March 2025 (a mean of 4.6 days"
            in results.prose["Capability"]["then what"])
    assert _parameter_value(results.settings["freeze"], "freeze") == "those that arrived before 24 March 2025"
    early = check_results(SAMPLE, freeze="2025-03-11")
    assert early.capability["holds"]["status"] == "too few cases"
    assert ("Only 8 of the cases finished since 10 March 2025 arrived before 11 March 2025 (the freeze setting's "
            "date), too few to set limits on (at least 12): choose a later date, or a number of cases."
            in early.prose["Capability"]["then what"])
    with pytest.raises(ParameterError, match=r"freeze: 'soon' is neither a number of cases nor a date \(expected "
                                             r"e.g. 30 or 2025-03-24\)"):
        check_results(SAMPLE, freeze="soon")
    with pytest.raises(ParameterError, match="reads two ways"):
        check_results(SAMPLE, freeze="24/03/2025")


def test_a_week_longer_from_mid_april_is_told_from_which_check_and_why(tmp_path):
    study = slower_from_mid_april(tmp_path / "worse")
    ledger = tmp_path / LEDGER_FILE
    for as_of in ("2025-04-01", "2025-04-15", None):
        assert add_check(ledger, _record(study, **({"as_of": as_of} if as_of else {})))
    story = redesign_story(read_ledger(ledger).records)
    assert story.startswith("The redesign no longer holds, from the check of the data as of 12 May 2025 "
                            "(it still held as of 15 April 2025): the 45 cases that arrived in the week of "
                            "14 April 2025 took")
    assert "a week this slow would come less than once in 1,000 weeks" in story
    assert "It was held to the limits set on the 88 cases of its first two weeks" in story
    # The unchanged sample, checked the same way, holds.
    same = tmp_path / "same.jsonl"
    for as_of in ("2025-04-01", "2025-04-15", None):
        add_check(same, _record(SAMPLE, **({"as_of": as_of} if as_of else {})))
    assert "the redesign holds (3 checks say so)." in redesign_story(read_ledger(same).records)


def test_the_same_check_adds_no_record_and_a_change_adds_one(tmp_path, sample_results):
    ledger = tmp_path / LEDGER_FILE
    record = check_record(sample_results, inputs={"demand.csv": "x"}, run_at=RUN_AT, version="test")
    assert add_check(ledger, record)
    later = check_record(sample_results, inputs={"demand.csv": "x"}, run_at=RUN_AT + pd.Timedelta(hours=1),
                         version="test")
    assert not add_check(ledger, later)            # same inputs, settings and figures: one record
    changed = check_record(sample_results, inputs={"demand.csv": "y"}, run_at=RUN_AT, version="test")
    assert add_check(ledger, changed)
    lines = ledger.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all(json.loads(line)["ledger"] == 1 for line in lines)
    assert "The data changed: demand.csv." in what_changed(*read_ledger(ledger).records)
    # Each line is one JSON object, keys sorted, the figures in plain numbers: diffable.
    first = json.loads(lines[0])
    assert list(first) == sorted(first)
    assert first["figures"]["overall"]["failure_share"] == pytest.approx(0.486, abs=5e-4)
    systems = {s["system"]: s for s in first["figures"]["systems"] if s["service"] == "Housing repairs"}
    assert systems["since 10 March 2025"]["limits"]["status"] == "predictable"
    assert systems["since 10 March 2025"]["customer"]["mean"] == pytest.approx(4.39, abs=5e-3)
    assert systems["before 10 March 2025"]["customer"]["mean"] == pytest.approx(24.85, abs=5e-3)
    # The cost range of failure demand where the study prices it, overall and per service.
    overall, repairs = first["figures"]["overall"], first["figures"]["services"][0]
    assert repairs["service"] == "Housing repairs" and 0 < repairs["cost_low"] < repairs["cost_high"] < overall["cost_high"]
    assert overall["currency"] == "£"


def test_a_damaged_line_and_a_newer_record_are_named_and_skipped(tmp_path, sample_results):
    ledger = tmp_path / LEDGER_FILE
    add_check(ledger, check_record(sample_results, inputs={}, run_at=RUN_AT, version="test"))
    newer = {"ledger": 99, "studylib": "9.0", "figures": {}}
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write('{"ledger": 1, "figures": {"overall": \n')        # cut short, as a full disk leaves it
        fh.write(json.dumps(newer) + "\n")
    kept = read_ledger(ledger)
    assert len(kept.records) == 1
    assert kept.problems[0].startswith("line 2 of checks.jsonl is not a check record (")
    assert kept.problems[1] == ("line 3 of checks.jsonl was written by studylib 9.0 in ledger format 99, newer than "
                                "this studylib reads (1): it is skipped; update studylib to read it")
    # A new check is still added after them, and they are left as they were.
    assert add_check(ledger, check_record(sample_results, inputs={"x": "1"}, run_at=RUN_AT, version="test"))
    assert len(read_ledger(ledger).records) == 2 and len(ledger.read_text().splitlines()) == 4


def test_the_bundled_studies_keep_no_ledger_unless_asked(tmp_path):
    assert default_ledger(SAMPLE) is None
    assert default_ledger(ROOT / "examples" / "la311") is None
    assert default_ledger(tmp_path) == tmp_path / LEDGER_FILE


def _read_only(*paths):
    """The paths made so that nothing in them can be written, even by root (chattr +i), else by mode."""
    names = [str(p) for p in paths]
    if subprocess.run(["chattr", "+i", *names], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", *names], check=True)
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    return lambda: [p.chmod(0o755 if p.is_dir() else 0o644) for p in paths]


@pytest.mark.slow
def test_a_study_checked_at_three_dates_has_a_history(tmp_path):
    """The issue's scenario, as a user runs it: three as-of dates, a fourth run with nothing
    changed, studylib history and its page; then a damaged line and a read-only study folder."""
    from studylib.cli import main
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    for n, as_of in enumerate(("2025-04-01", "2025-04-15", None)):
        args = ["check", str(study), "--out", str(tmp_path / f"out{n}"), "-q"] + (["-p", "as_of", as_of] if as_of else [])
        assert main(args) == 0
    ledger = study / LEDGER_FILE
    first = (tmp_path / "out0" / "index.html").read_text()
    assert "This is the first check in the study's ledger (checks.jsonl): the next will say what changed." in first
    assert not (tmp_path / "out0" / "history.html").exists()
    assert len(ledger.read_text().splitlines()) == 3
    assert main(["check", str(study), "--out", str(tmp_path / "out2"), "-q"]) == 0
    assert len(ledger.read_text().splitlines()) == 3          # nothing changed: no record
    front = (tmp_path / "out2" / "index.html").read_text()
    assert '<a href="history.html">The study\'s history</a>: 3 checks in its ledger.' in front
    assert "the redesign holds (3 checks say so)." in front
    page = (tmp_path / "out2" / "history.html").read_text()
    assert page.count("<img src=\"data:image/png;base64,") == 4 and "What changed since the check before" in page
    # The inputs the manifest records are the study's, not the ledger the check writes.
    manifest = json.loads((tmp_path / "out2" / "run_manifest.json").read_text())
    assert LEDGER_FILE not in manifest["inputs_sha256"] and "events.csv" in manifest["inputs_sha256"]

    table = history_table(read_ledger(ledger))
    assert table["as_of"].tolist() == ["2025-04-01", "2025-04-15", "2025-05-12"]
    assert table["failure_share"].tolist() == ["52.6%", "51.2%", "48.6%"] and set(table["redesign"]) == {"holds"}
    out = subprocess.run(["studylib", "history", str(study), "--out", str(tmp_path / "hist")],
                         capture_output=True, text=True, check=True).stdout
    assert "What changed from check 2 to check 3:" in out and "as_of 2025-04-15 → 2025-05-12" in out
    assert (tmp_path / "hist" / "history.html").read_text().count("<img src=\"data:image/png") == 4
    diff = subprocess.run(["studylib", "history", str(study), "--diff", "1", "3"], capture_output=True, text=True,
                          check=True).stdout
    assert "What changed from check 1 to check 3:" in diff and "as_of 2025-04-01 → 2025-05-12" in diff

    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("not json\n")
    undo = _read_only(study, ledger)
    try:
        assert main(["check", str(study), "--out", str(tmp_path / "out3"), "-q", "-p", "radius_m", "80"]) == 0
    finally:
        undo()
    front = (tmp_path / "out3" / "index.html").read_text()
    assert "This check was not added to the study&#x27;s ledger (checks.jsonl): there is no permission to write there." in front
    assert "line 4 of checks.jsonl is not a check record" in front
    assert "4 checks in its ledger" in front        # this check is still part of the story it tells
    assert len(ledger.read_text().splitlines()) == 4


def _stable(shape, rng, n):
    return {"normal": lambda: rng.normal(5, 1.5, n).clip(0),
            "lognormal": lambda: rng.lognormal(1.0, 1.2, n),
            "whole days": lambda: rng.poisson(3, n).astype(float)}[shape]()


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["normal", "lognormal", "whole days"])
def test_the_redesign_is_rarely_said_not_to_hold_when_nothing_changed_and_found_when_it_slows(shape):
    """150 simulated systems a cell (benchmarks/bench_holds.py runs 1,000): 30 cases frozen, 26
    weeks of 40 cases; called "no longer holds" at most 5% of the time when nothing changed, and
    a one-SD slowdown from the middle week found at least 80% of the time (whole days, where ties
    blunt the ranks, are the hardest: 82-91% over three seeds)."""
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_holds import SHAPES, no_longer_holds_share
    rng = np.random.default_rng(7)
    name = {"normal": "normal(5, 1.5)", "lognormal": "lognormal(1.0, 1.2)", "whole days": "Poisson(3), whole days"}[shape]
    assert no_longer_holds_share(name, series=150, rng=rng, weeks=26) <= 0.05
    assert no_longer_holds_share(name, series=150, rng=rng, weeks=12, shift=SHAPES[name][1]) >= 0.80
    assert WEEK_ALPHA == 0.001


def test_history_page_is_redacted_and_escaped(tmp_path, sample_results):
    ledger = tmp_path / LEDGER_FILE
    record = check_record(sample_results, inputs={}, run_at=RUN_AT, version="test")
    record["study"] = "<b>Jo</b> jo@example.org"
    add_check(ledger, record)
    page = history_page(read_ledger(ledger))
    assert "jo@example.org" not in page and "<b>Jo</b>" not in page and "&lt;b&gt;Jo&lt;/b&gt;" in page
