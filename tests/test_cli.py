from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import SAMPLE
from studylib import StudylibWarning, load_study
from studylib.cli import main


def test_new_scaffolds_a_loadable_study(tmp_path, capsys):
    assert main(["new", str(tmp_path / "s")]) == 0
    # The templates hold headers only: loading says so rather than staying silent.
    with pytest.warns(StudylibWarning, match="has a header but no rows") as caught:
        s = load_study(tmp_path / "s")
    # Only studylib's own warnings: an object an earlier test in this process left to the garbage
    # collector may warn "Unclosed ..." at any moment (a clean-clone run of the suite saw one here).
    ours = [w for w in caught if issubclass(w.category, StudylibWarning)]
    assert {str(w.message).split()[0] for w in ours} == {"demand.csv", "events.csv"}
    assert len(s.demand) == 0 and len(s.events) == 0
    assert s.demand_codebook is not None and s.flow_codebook is not None
    text = (tmp_path / "s" / "study.yml").read_text()
    assert "# study.yml" in text and "columns:" in text
    # never overwrites
    assert main(["new", str(tmp_path / "s")]) == 2
    assert "already holds study.yml" in capsys.readouterr().err


def test_validate_prints_the_quality_table(capsys):
    assert main(["validate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "duplicate contact_id" in out and "rows_read" in out
    assert "demand.csv: 5,307 rows read, 5,302 kept, 5 set aside" in out


def test_validate_reports_data_errors_and_exits_nonzero(tmp_path, capsys):
    (tmp_path / "study.yml").write_text("timezone: UTC\ndemand: {file: demand.csv}\n")
    (tmp_path / "demand.csv").write_text("contact_id,received_at\n1,2025-01-01\n")
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "column 'channel': is a required column and is missing" in err


def test_sample_command_and_module_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "studylib", "sample", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "demand.csv").read_bytes() == (SAMPLE / "demand.csv").read_bytes()


def test_validate_says_how_many_events_tie_and_which_order_was_used(capsys):
    assert main(["validate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert ("Event log: 56 of 6,129 events share their timestamp with another event of the same case; "
            "they were taken in the order they were recorded (their order in the file).") in out


def test_version(capsys):
    import studylib
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"studylib {studylib.__version__}"


def test_pdf_refuses_a_folder_that_holds_no_reports(tmp_path, capsys):
    (tmp_path / "notes.html").write_text("<p>not a report</p>")
    assert main(["pdf", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds no index.html" in err and "run studylib check first" in err
    assert not (tmp_path / "check.pdf").exists()
