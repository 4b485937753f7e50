"""Bad input, as a user gives it: one fault at a time in a copy of the sample study, run through
`studylib validate` (the corpus in tests/bad_input/corpus.yml) and, where the fault reaches a
figure or a report, through the check. Never a traceback, never a silent wrong number."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, SAMPLE
from studylib.cli import main
from studylib.errors import DataError

CORPUS = yaml.safe_load((Path(__file__).parent / "bad_input" / "corpus.yml").read_text(encoding="utf-8"))
#: What must never reach a user: Python's own words for a failure.
NOT_FOR_USERS = ("Traceback", 'File "', ".py:", "site-packages", "Warning:", "warnings.warn")


def _transform(study: Path, spec: dict) -> None:
    """The corpus's data faults, made from the sample's own files."""
    import pandas as pd
    file = study / spec["file"]
    op = spec["op"]
    if op == "write_text":
        file.write_text(spec["text"], encoding="utf-8")
        return
    if op == "mkdir":
        file.mkdir()
        return
    if op == "insert_line":
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        lines.insert(spec["at"], spec["text"] + "\n")
        file.write_text("".join(lines), encoding="utf-8")
        return
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    if op == "to_excel":
        frame.head(50).to_excel(study / spec["to"], index=False)
        return
    if op in ("month_first_days_upto_12", "rewrite_dates"):
        when = pd.to_datetime(frame[spec["column"]])
        if op == "month_first_days_upto_12":        # every day at most 12: both orders parse
            frame, when = frame[when.dt.day <= 12], when[when.dt.day <= 12]
        frame[spec["column"]] = when.dt.strftime(spec.get("format", "%m/%d/%Y %H:%M"))
    elif op == "set_cells":
        for index, value in spec["cells"].items():
            frame.loc[frame.index[int(index)], spec["column"]] = value
    elif op == "backwards_official_clock":
        case = frame["case_id"].iloc[100]
        frame.loc[(frame["case_id"] == case) & (frame["activity"] == "Job closed"), "timestamp"] = "2025-01-01 09:00"
    elif op == "merge_cases":
        cases = frame["case_id"].unique()
        frame.loc[frame["case_id"] == cases[11], "case_id"] = cases[10]
    elif op == "header_only":
        frame = frame.iloc[0:0]
    if op == "encode":
        file.write_bytes(file.read_text(encoding="utf-8").encode(spec["encoding"]))
    elif op == "delimiter":
        frame.to_csv(file, index=False, sep=spec["delimiter"])
    elif op == "blank_lines_then_bad_channel":
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        frame.loc[frame.index[6], "channel"] = "pigeon"        # data row 7: line 8, then 10 after two blank lines
        lines = frame.to_csv(index=False).splitlines(keepends=True)
        lines[3:3] = ["\n", "\n"]
        file.write_text("".join(lines), encoding="utf-8")
    else:
        frame.to_csv(file, index=False)


def faulty_study(tmp_path: Path, case: dict) -> Path:
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study, ignore=shutil.ignore_patterns("predictions.yml", "reflections.yml", "capture.sqlite*"))
    if case.get("transform"):
        _transform(study, case["transform"])
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
    from studylib.text import configure_privacy, private
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


# -- the numbers do not move ------------------------------------------------------------------------

def _case(case_id: str) -> dict:
    return next(c for c in CORPUS if c["id"] == case_id)


@pytest.fixture(scope="module")
def clean_results(sample_results):
    return sample_results


@pytest.mark.parametrize("case_id", ["event-dated-1900", "organisation-clock-runs-backwards", "two-cases-share-one-id"])
def test_a_bad_case_is_set_aside_and_moves_no_figure(case_id, tmp_path, clean_results):
    from studylib import compute_check, load_study
    study = load_study(faulty_study(tmp_path, _case(case_id)))
    figures = compute_check(study).flow["figures"].set_index("system")
    clean = clean_results.flow["figures"].set_index("system")
    # At most the one or two cases set aside differ: each system's means stay within a tenth of a day.
    for column in ("end_to_end_mean", "official_mean"):
        assert (figures[column] - clean[column]).abs().max() < 0.1, (case_id, column)
    assert (figures["official_mean"] >= 0).all()
    assert clean["cases"].sum() - figures["cases"].sum() in (0, 1, 2)
    assert len(study.set_aside) > len(clean_results.study.set_aside)


def test_contacts_far_outside_or_after_as_of_are_counted_where_left_out(tmp_path):
    import pandas as pd
    from studylib import compute_check, load_study
    from studylib.prose.demand import left_out_sentence
    study = load_study(faulty_study(tmp_path, _case("contact-dated-1900-and-2100")))
    aside = study.set_aside[study.set_aside["reason"] == "implausible date"]
    assert len(aside) == 2 and set(aside["file"]) == {"demand.csv"}
    settings = dict(compute_check(study).settings)
    settings["as_of"] = settings["period_end"] - pd.Timedelta(days=10)
    late = compute_check(study, settings)
    left = late.demand["left_out"]
    after = left[left["reason"].str.startswith("received after the as-of date")]
    expected = int((study.demand["received_at"] > settings["as_of"]).sum()
                   - (study.demand["received_at"] >= settings["period_end"] + pd.Timedelta(days=1)).sum())
    assert len(after) == 1 and int(after["contacts"].iloc[0]) == expected > 0
    sentence = left_out_sentence(left)
    assert f"{int(left['contacts'].sum()):,} contacts are left out of these figures" in sentence
    assert sentence in " ".join(late.prose["Demand"].values())


def test_weeks_without_any_contact_are_a_gap_not_zero_demand(tmp_path):
    import pandas as pd
    from studylib import compute_check, load_study
    study_dir = faulty_study(tmp_path, {"id": "gap"})
    frame = pd.read_csv(study_dir / "demand.csv", dtype=str, keep_default_na=False)
    when = pd.to_datetime(frame["received_at"])
    frame[~((when >= "2025-03-17") & (when < "2025-03-31"))].to_csv(study_dir / "demand.csv", index=False)
    r = compute_check(load_study(study_dir))
    weeks = set(r.demand["weekly"]["week"])
    assert pd.Timestamp("2025-03-17") not in weeks and pd.Timestamp("2025-03-24") not in weeks
    assert pd.Timestamp("2025-03-10") in weeks
    assert any("2 weeks inside the period with no contact at all (week of 17 March 2025, 24 March 2025)" in c
               for c in r.stage_caveats("Demand"))


# -- chart text is literal and private --------------------------------------------------------------

def test_dollar_signs_and_phone_numbers_in_labels_reach_no_chart(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import studylib.charts  # noqa: F401  (sets chart text literal)
    from studylib.charts.display import private_text
    fig, ax = plt.subplots()
    ax.barh(["Payment $5 taken", "Rang Jo on 07700 900123"], [3, 4])
    ax.set_title("Steps: call 07700 900123 about $5")
    ax.annotate("mail jo@example.org", (1, 1))
    private_text(fig)
    fig.canvas.draw()
    shown = [t.get_text() for t in fig.findobj(matplotlib.text.Text)] + [t.get_text() for t in ax.get_yticklabels()]
    assert "Payment $5 taken" in shown and "Rang Jo on [phone]" in shown
    assert "Steps: call [phone] about $5" in shown and "mail [email]" in shown
    assert not any("07700" in t or "jo@example.org" in t for t in shown)
    plt.close(fig)


@pytest.mark.slow
def test_the_check_runs_with_dollars_and_personal_data_in_activities_and_changes(tmp_path):
    from studylib.check.runner import run_check
    study = faulty_study(tmp_path, {"id": "labels"})
    for name, old, new in (("events.csv", "Parts ordered", "Payment $5 taken"),
                           ("flow_codebook.yml", "Parts ordered", "Payment $5 taken"),
                           ("study.yml", "one team does the job", "one team does the job; ask Jo on 07700 900123")):
        text = (study / name).read_text()
        (study / name).write_text(text.replace(old, new))
    table = run_check(study, tmp_path / "out", notebooks_dir=ROOT / "notebooks", progress=False)
    assert table["status"].tolist() == ["ok"] * len(table), table[["notebook", "error"]]
    for html in (tmp_path / "out").glob("*.html"):
        text = html.read_text()
        assert "07700 900123" not in text, html.name
        assert "Traceback" not in text and "site-packages" not in text
    assert "07700 900123" not in (tmp_path / "out" / "run_manifest.json").read_text()


def test_error_messages_in_reports_name_no_folder():
    from studylib.check.report import _plain
    from studylib.text import no_paths
    said = no_paths("FileNotFoundError: No such file: '/home/jo/studies/repairs/demand.csv'")
    assert said == "FileNotFoundError: No such file: 'demand.csv'"
    html = _plain({"output_type": "error", "ename": "OSError", "evalue": "cannot open /srv/data/x.csv for 07700 900123",
                   "traceback": ["File \"/usr/lib/python3/site.py\", line 3"]})["data"]["text/html"]
    assert "/srv/data" not in html and "x.csv" in html and "site.py" not in html and "07700" not in html


def test_a_study_with_only_its_purpose_validates_and_checks(tmp_path, capsys):
    study = tmp_path / "only"
    study.mkdir()
    (study / "study.yml").write_text("name: Only purpose\n")
    (study / "findings.yml").write_text("purpose: Fix it first time, when it suits me.\n")
    assert main(["validate", str(study)]) == 0
    said = capsys.readouterr().out
    assert "The study has no demand or event data yet." in said and "Empty DataFrame" not in said
    assert main(["check", str(study), "--out", str(tmp_path / "out"), "-q"]) == 0
    assert "Fix it first time" in (tmp_path / "out" / "01_purpose.html").read_text()
    assert "Skipped: no demand data." in (tmp_path / "out" / "index.html").read_text()


def test_the_schema_checker_finds_what_jsonschema_finds(tmp_path):
    """studylib checks study.yml with its own small JSON Schema walker (jsonschema takes over a second
    to import); held here to the reference implementation on every study.yml of the corpus."""
    from jsonschema import Draft202012Validator, FormatChecker
    from studylib.read.schema import FINDINGS_SCHEMA, STUDY_SCHEMA, _plain, iter_errors, load_yaml
    reference = {"study.yml": Draft202012Validator(STUDY_SCHEMA, format_checker=FormatChecker()),
                 "findings.yml": Draft202012Validator(FINDINGS_SCHEMA, format_checker=FormatChecker())}
    schemas = {"study.yml": STUDY_SCHEMA, "findings.yml": FINDINGS_SCHEMA}
    compared = 0
    for case in CORPUS:
        edit = case.get("edit") or {}
        name = edit.get("file")
        if name not in schemas:
            continue
        text = (SAMPLE / name).read_text(encoding="utf-8").replace(edit["find"], edit["replace"], 1)
        try:
            data = load_yaml(text)
        except Exception:
            continue                                   # not YAML: no schema to compare
        if not isinstance(data, dict):
            continue
        data = _plain(data)
        ours = sorted((tuple(map(str, e.absolute_path)), e.validator) for e in iter_errors(data, schemas[name]))
        theirs = sorted((tuple(map(str, e.absolute_path)), e.validator) for e in reference[name].iter_errors(data))
        assert ours == theirs, case["id"]
        compared += 1
    assert compared >= 30


def test_line_numbers_count_values_that_run_over_several_lines(tmp_path):
    from studylib.read.tables import read_raw_table
    csv = tmp_path / "d.csv"
    csv.write_text('id,verbatim\nC1,"one line"\nC2,"two\nlines"\n\nC3,"three\nlines\nhere"\nC4,last\n', encoding="utf-8")
    frame = read_raw_table(csv, label="d.csv")
    assert frame["id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert frame.index.tolist() == [2, 3, 6, 9]          # the line each record starts on, blank line 5 counted
    plain = tmp_path / "p.csv"
    plain.write_text('id,verbatim\nC1,"a, b"\n\nC2,c\n', encoding="utf-8")
    assert read_raw_table(plain, label="p.csv").index.tolist() == [2, 4]


_CSV_SHAPES = {
    "plain": "a,b,c\n1,2,3\n4,,6\n",
    "windows line ends": "a,b,c\r\n1,2,3\r\n4,,6\r\n",
    "old Mac line ends": "a,b\r1,2\r3,4\r",
    "byte order mark": "\ufeffa,b\nx,y\n",
    "quotes": 'a,b\n"Smith, Jo","said ""hi"""\n"line\nbreak",z\nlast,row\n',
    "words pandas would read as missing": "a,b\nNA,null\nNaN,None\n#N/A,nan\n",
    "spaces kept": "a, b\n 1 , 2 \n",
    "accents": "a,b\n\u00e9\u00e8,\u00fc\n",
    "no last line end": "a,b\n1,2",
    "header only": "a,b\n",
    "a row of empty values": "a,b\n,\n",
    "quoted header": '"a","b"\n1,2\n',
    "a header name left empty": "a,b,\n1,2,\n",
    "a short row": "a,b\n1\n",
    "a blank line": "a,b\n1,2\n\n3,4\n",
}


@pytest.mark.parametrize("shape", sorted(_CSV_SHAPES))
def test_a_utf8_csv_reads_alike_through_arrow_and_pandas(tmp_path, monkeypatch, shape):
    """Arrow's reader (a million contacts in a second) gives the frame pandas' reader gives, value for
    value, dtype for dtype and line for line, on every shape of file; where it cannot, pandas reads."""
    from studylib.read import csvtext
    from studylib.read.tables import read_raw_table
    file = tmp_path / "t.csv"
    file.write_bytes(_CSV_SHAPES[shape].encode("utf-8"))
    through_arrow = read_raw_table(file, label="t.csv")
    monkeypatch.setattr(csvtext, "_read_csv_arrow", lambda *a, **k: None)
    through_pandas = read_raw_table(file, label="t.csv")
    pd.testing.assert_frame_equal(through_arrow, through_pandas)


def test_a_plain_utf8_csv_is_read_by_arrow_not_pandas(tmp_path, monkeypatch):
    """The fast reader is the one used: with pandas' reader taken away, a plain export still reads."""
    from studylib.read import csvtext
    from studylib.read.tables import read_raw_table
    file = tmp_path / "t.csv"
    file.write_text('id,verbatim\nC1,"a, b"\nC2,"two\nlines"\nC3,\u00e9\n', encoding="utf-8")

    def no_pandas(*args, **kwargs):
        raise AssertionError("pandas' reader used")
    monkeypatch.setattr(csvtext, "_read_csv_pandas", no_pandas)
    frame = read_raw_table(file, label="t.csv")
    assert frame["id"].tolist() == ["C1", "C2", "C3"] and frame.index.tolist() == [2, 3, 5]
    assert frame["verbatim"].tolist() == ["a, b", "two\nlines", "\u00e9"]


@pytest.mark.parametrize("bad_line", [2, 40, 399])
def test_a_byte_that_is_not_utf8_is_named_by_its_line_in_any_block(tmp_path, monkeypatch, bad_line):
    """The file is checked a block of lines at a time (never held twice as text): a bad byte in a
    later block is named by its own line, as in the first."""
    from studylib.read import csvtext
    from studylib.read.tables import read_raw_table
    monkeypatch.setattr(csvtext, "DECODE_BLOCK", 64)
    lines = [b"id,verbatim"] + [f"C{i},caf\u00e9 {i}".encode() for i in range(2, 401)]
    lines[bad_line - 1] = lines[bad_line - 1].replace("\u00e9".encode(), b"\xe9")
    file = tmp_path / "t.csv"
    file.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(DataError) as caught:
        read_raw_table(file, label="t.csv")
    problem = caught.value.problems.iloc[0]
    assert problem["row"] == bad_line and "byte b'\\xe9'" in problem["problem"], problem


# -- the command line: nothing lost, no traceback ------------------------------------------------------

def _said(capsys) -> str:
    out = capsys.readouterr()
    said = out.out + out.err
    for text in NOT_FOR_USERS:
        assert text not in said, f"{text!r} shown to the user\n{said}"
    return said


@pytest.mark.parametrize("as_of, says", [
    ("1999-01-01", "the as-of date 1 January 1999 is before the study's first contact (6 January 2025): nothing "
                   "had happened by then"),
    ("01/03/2025", "as_of: '01/03/2025' reads two ways (day first or month first); write it as 2025-04-01"),
    ("2025-05-12 at noon", "as_of: '2025-05-12 at noon' is not a date"),
])
def test_an_as_of_date_that_cannot_be_used_stops_before_anything_is_written(as_of, says, tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["check", str(SAMPLE), "--out", str(out), "-q", "-p", "as_of", as_of]) == 2
    assert says in _said(capsys)
    assert not out.exists()                      # no stage pages without an index


def test_an_early_as_of_leaves_the_later_weeks_out_rather_than_calling_them_a_gap(sample_study):
    import pandas as pd
    from studylib import compute_check
    from studylib.read.settings import resolve_settings
    settings = resolve_settings(sample_study.config, {"as_of": "2025-02-16"})
    r = compute_check(sample_study, settings)
    weeks = r.demand["weekly"]["week"]
    assert weeks.max() == pd.Timestamp("2025-02-10")
    assert not any("a gap in the data" in c for c in r.stage_caveats("Demand"))
    assert any("received after the as-of date (16 February 2025)" in str(x) for x in r.demand["left_out"]["reason"])


def test_reports_never_go_into_the_study_folder_or_onto_a_file(tmp_path, capsys):
    study = faulty_study(tmp_path, {"id": "out"})
    assert main(["check", str(study), "--out", str(study / "reports"), "-q"]) == 2
    assert "is inside the study folder: the reports would sit among the study's inputs" in _said(capsys)
    assert not (study / "reports").exists()
    a_file = tmp_path / "reports.txt"
    a_file.write_text("mine")
    assert main(["check", str(study), "--out", str(a_file), "-q"]) == 2
    assert "--out reports.txt is a file, not a folder" in _said(capsys)
    assert a_file.read_text() == "mine"


def test_the_sample_is_never_written_over_a_study_unless_forced(tmp_path, capsys):
    study = faulty_study(tmp_path, {"id": "sample-over"})
    (study / "demand.csv").write_text("the team's own contacts\n")
    assert main(["sample", str(study)]) == 2
    said = _said(capsys)
    assert "already holds a study (study.yml)" in said and "add --force to overwrite it" in said
    assert (study / "demand.csv").read_text() == "the team's own contacts\n"
    assert main(["sample", str(study), "--force"]) == 0
    said = _said(capsys)
    backups = list(study.glob("backup-*"))
    assert len(backups) == 1 and f"kept in {backups[0]}" in said
    assert (backups[0] / "demand.csv").read_text() == "the team's own contacts\n"
    assert (study / "demand.csv").read_text() != "the team's own contacts\n"


def _with_order_column(tmp_path, values) -> Path:
    import pandas as pd
    study = faulty_study(tmp_path, {"id": "order"})
    events = pd.read_csv(study / "events.csv", dtype=str, keep_default_na=False)
    events["seq"] = values(events)
    events.to_csv(study / "events.csv", index=False)
    config = study / "study.yml"
    config.write_text(config.read_text().replace("  values: {service: Housing repairs}",
                                                 "  values: {service: Housing repairs}\n  columns: {order: seq}"))
    return study


def test_an_order_column_that_repeats_within_a_case_says_how_many_ties_it_leaves(tmp_path, capsys):
    # Every event of a case gets the same number: the column decides nothing.
    study = _with_order_column(tmp_path, lambda e: "1")
    assert main(["validate", str(study)]) == 0
    said = _said(capsys)
    assert "The order column leaves" in said and "tied (the same number twice in a case)" in said


def test_an_infinite_order_value_is_refused_with_its_row(tmp_path, capsys):
    study = _with_order_column(tmp_path, lambda e: [str(i) for i in range(len(e))])
    import pandas as pd
    events = pd.read_csv(study / "events.csv", dtype=str, keep_default_na=False)
    events.loc[4, "seq"] = "inf"
    events.to_csv(study / "events.csv", index=False)
    assert main(["validate", str(study)]) == 2
    said = _said(capsys)
    assert "events.csv row 6, column 'seq': 'inf' is not a finite number" in said, said


def test_a_demand_file_of_one_contact_is_priced_over_the_study_period(tmp_path):
    import pandas as pd
    from studylib import compute_check, load_study
    study = faulty_study(tmp_path, {"id": "one-contact"})
    frame = pd.read_csv(study / "demand.csv", dtype=str, keep_default_na=False)
    frame[frame["value_or_failure"] == "failure"].head(1).to_csv(study / "demand.csv", index=False)
    r = compute_check(load_study(study))
    assert r.demand["days"] == 126                     # 6 January to 11 May 2025, as study.yml says
    words = " ".join(r.prose["Demand"].values())
    assert "over the 126 days of the study" in words and "over the 1 days" not in words


@pytest.mark.slow
def test_a_log_whose_events_all_happen_at_one_moment_puts_no_nan_in_any_report(tmp_path, capsys):
    import re
    import pandas as pd
    study = faulty_study(tmp_path, {"id": "one-moment"})
    events = pd.read_csv(study / "events.csv", dtype=str, keep_default_na=False)
    events["timestamp"] = "2025-03-03 10:00"
    events.to_csv(study / "events.csv", index=False)
    assert main(["check", str(study), "--out", str(tmp_path / "out"), "-q"]) == 0
    _said(capsys)
    for html in (tmp_path / "out").glob("*.html"):
        words = re.sub(r"<[^>]+>", " ", re.sub(r"<(img|source)[^>]*>", " ", html.read_text()))
        assert not re.search(r"\b(nan|NaN|NaT|None|inf)\b", words), (html.name, re.findall(r".{40}\b(?:nan|NaN|NaT|None|inf)\b.{40}", words)[:3])


@pytest.mark.slow
def test_the_corpus_says_the_same_with_the_capture_store_on_a_postgresql_server(tmp_path, capsys, postgres):
    """Every case again, with study.yml naming a shared store on a real server that holds contacts."""
    from studylib.capture.store import CaptureStore
    url = postgres.new_database()
    store = CaptureStore(url, timezone="Europe/London")
    for i in range(3):
        store.add({"channel": "phone", "service": "Housing repairs", "received_at": f"2025-03-0{i + 3} 10:15",
                   "verbatim": f"Captured at a desk, number {i}"})
    wrong = []
    for case in CORPUS:
        study = faulty_study(tmp_path / case["id"], case)
        config = study / "study.yml"
        config.write_bytes(config.read_bytes() + f"\ncapture: {url}\n".encode())
        code = main(["validate", str(study)])
        out = capsys.readouterr()
        said = out.out + out.err
        if case["id"] == "header-only-files":
            # The one case the store changes by design: its contacts stand in for an empty demand.csv.
            assert "3 contacts" in said and "demand.csv has a header but no rows" not in said, said
        elif code != case["exit"] or not all(t in said for t in case.get("says", [])):
            wrong.append(case["id"])
        for text in NOT_FOR_USERS:
            assert text not in said, f"{case['id']}: {text!r} shown to the user\n{said}"
    assert wrong == [], wrong
