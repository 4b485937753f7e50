"""Bad input, as a user gives it: one fault at a time in a copy of the sample study, run through
`studylib validate` (the corpus in tests/bad_input/corpus.yml) and, where the fault reaches a
figure or a report, through the check. Never a traceback, never a silent wrong number."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SAMPLE
from studylib.cli import main

CORPUS = yaml.safe_load((Path(__file__).parent / "bad_input" / "corpus.yml").read_text(encoding="utf-8"))
#: What must never reach a user: Python's own words for a failure.
NOT_FOR_USERS = ("Traceback", 'File "', ".py:", "site-packages", "Warning:", "warnings.warn")


def faulty_study(tmp_path: Path, case: dict) -> Path:
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study, ignore=shutil.ignore_patterns("predictions.yml", "reflections.yml", "capture.sqlite*"))
    edit = case.get("edit")
    if edit:
        file = study / edit["file"]
        text = file.read_text(encoding="utf-8")
        assert edit["find"] in text, f"{case['id']}: the sample no longer has {edit['find']!r}"
        file.write_text(text.replace(edit["find"], edit["replace"], 1), encoding=edit.get("encoding", "utf-8"))
    return study


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_validate_says_what_is_wrong_and_never_shows_a_traceback(case, tmp_path, capsys):
    study = faulty_study(tmp_path, case)
    code = main(["validate", str(study)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert code == case["exit"], said
    for text in case.get("says", []):
        assert text in said, f"{case['id']}: {text!r} not in\n{said}"
    for text in case.get("never", []):
        assert text not in said, f"{case['id']}: {text!r} shown"
    for text in NOT_FOR_USERS:
        assert text not in said, f"{case['id']}: {text!r} shown to the user\n{said}"
    assert str(ROOT) not in said


def test_corpus_covers_every_class():
    ids = {c["id"] for c in CORPUS}
    assert len(ids) == len(CORPUS), "ids are unique"
    assert len(CORPUS) >= 30


def test_a_symlink_out_of_the_study_folder_is_not_followed_unless_allowed(tmp_path, capsys):
    study = faulty_study(tmp_path, {"id": "symlink"})
    outside = tmp_path / "elsewhere.csv"
    shutil.move(study / "demand.csv", outside)
    os.symlink(outside, study / "demand.csv")
    assert main(["validate", str(study)]) == 2
    assert "'demand.csv' is outside the study folder" in capsys.readouterr().err
    config = study / "study.yml"
    config.write_text(config.read_text() + "\nallow_outside: true\n")
    assert main(["validate", str(study)]) == 0
    capsys.readouterr()


def test_never_show_written_as_one_text_hides_that_column(tmp_path):
    from studylib.report import configure_privacy, private
    from studylib import load_study
    study = faulty_study(tmp_path, CORPUS[[c["id"] for c in CORPUS].index("never-show-as-one-text")])
    loaded = load_study(study)
    assert loaded.config["never_show"] == ["verbatim"]
    configure_privacy(never_show=loaded.config["never_show"])
    try:
        assert "verbatim" not in private(loaded.demand.head()).columns
        assert "channel" in private(loaded.demand.head()).columns   # not a set of characters: 'v', 'e', ...
    finally:
        configure_privacy()
