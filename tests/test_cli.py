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


def test_a_file_where_a_folder_is_wanted_is_said_in_words(tmp_path, capsys):
    (tmp_path / "f").write_text("mine")
    assert main(["sample", str(tmp_path / "f")]) == 2
    assert main(["new", str(tmp_path / "f")]) == 2
    said = capsys.readouterr().err
    assert said.count("is a file, not a folder") == 2 and "Traceback" not in said
    assert (tmp_path / "f").read_text() == "mine"


def test_sample_never_writes_over_a_teams_files_without_force(tmp_path, capsys):
    """A folder with the team's own demand.csv and no study.yml: refused, the file kept as it was;
    with --force, kept in the backup folder first."""
    (tmp_path / "demand.csv").write_text("contact_id\nOURS\n")
    assert main(["sample", str(tmp_path)]) == 2
    assert "already holds demand.csv" in capsys.readouterr().err
    assert (tmp_path / "demand.csv").read_text() == "contact_id\nOURS\n"
    assert main(["sample", str(tmp_path), "--force"]) == 0
    backups = list(tmp_path.glob("backup-*/demand.csv"))
    assert len(backups) == 1 and backups[0].read_text() == "contact_id\nOURS\n"


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_a_number_of_jobs_that_runs_nothing_is_refused(jobs, capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--out", "unused", "-j", jobs])
    assert info.value.code == 2 and "-j/--jobs" in capsys.readouterr().err


def test_pdf_says_what_is_wrong_with_out_and_with_a_page(tmp_path, capsys):
    from studylib.check.pdf import board_pack
    from studylib.errors import ParameterError
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_bytes("<html><body><h1>Caf\xe9</h1></body></html>".encode("cp1252"))
    _record_pages(reports)          # as if the check had written it so
    with pytest.raises(ParameterError, match="index.html in reports is not UTF-8 text"):
        board_pack(reports)
    (reports / "index.html").write_text("<html><body><h1>Check</h1></body></html>", encoding="utf-8")
    _record_pages(reports)
    with pytest.raises(ParameterError, match="is a folder: name the PDF to write"):
        board_pack(reports, tmp_path)


def _record_pages(reports):
    """A run_manifest.json that records the folder's pages as they are now, as the check records them."""
    import hashlib
    import json
    pages = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(reports.glob("*.html"))}
    (reports / "run_manifest.json").write_text(json.dumps({"pages": pages}), encoding="utf-8")


def test_pdf_prints_only_a_folder_as_the_check_wrote_it(tmp_path, capsys):
    """A page cut short, missing, added or changed since the check; no manifest; an older one: each
    refused in words before any browser starts, and no PDF written."""
    reports = tmp_path / "reports"
    reports.mkdir()
    page = "<html><body><h1>Flow</h1><p>" + "The case waits. " * 200 + "</p></body></html>"
    (reports / "index.html").write_text("<html><body><h1>Check</h1></body></html>", encoding="utf-8")
    (reports / "04_flow.html").write_text(page, encoding="utf-8")

    def refused(match: str) -> None:
        assert main(["pdf", str(reports)]) == 2
        said = capsys.readouterr().err
        assert match in said and "Traceback" not in said, said
        assert not (reports / "check.pdf").exists()

    refused("holds no run_manifest.json")
    (reports / "run_manifest.json").write_text('{"study": "x", "stages": []}', encoding="utf-8")
    refused("written by an older studylib, which did not record its pages")
    (reports / "run_manifest.json").write_text('{"pages": ', encoding="utf-8")
    refused("run_manifest.json in reports cannot be read (damaged)")
    _record_pages(reports)
    (reports / "04_flow.html").write_text(page[:len(page) // 3], encoding="utf-8")
    refused("04_flow.html is not as the check wrote it (cut short or changed since)")
    (reports / "04_flow.html").unlink()
    refused("04_flow.html is missing")
    (reports / "04_flow.html").write_text(page, encoding="utf-8")
    (reports / "07_extra.html").write_text("<p>added</p>", encoding="utf-8")
    refused("07_extra.html was not written by that check")


@pytest.mark.slow
def test_an_example_notebook_is_written_as_a_report_with_no_code(tmp_path, capsys):
    """The A&E example, run as the README said (jupyter nbconvert), showed its code cells
    (In [1]: import ...), the unexplained code RRK, and a table cut at 390 px with no word of it."""
    from conftest import ROOT, shared_file
    shared_file("nhs/ae_attendances.csv")
    readme = (ROOT / "README.md").read_text()
    assert "studylib report examples/ae/ae_four_hours.ipynb --out reports-ae" in readme
    assert "nbconvert --to html --execute examples" not in readme
    out = tmp_path / "reports-ae"
    assert main(["report", str(ROOT / "examples" / "ae" / "ae_four_hours.ipynb"), "--out", str(out)]) == 0
    assert f"Report: {out.resolve() / 'ae_four_hours.html'}" in capsys.readouterr().out
    html = (out / "ae_four_hours.html").read_text()
    assert "import studylib" not in html and "In&nbsp;[" not in html and "In [" not in html
    assert "University Hospitals Birmingham NHS Foundation Trust (RRK), all departments" in html
    assert "swipe the table sideways to see them all" in html
    with pytest.raises(SystemExit):
        main(["report"])
    assert main(["report", str(ROOT / "README.md"), "--out", str(tmp_path / "x")]) == 2
    assert "is not a notebook (.ipynb file)" in capsys.readouterr().err
