"""Faults said in words, with the fix: YAML read safely everywhere (a few kB of aliases that unfold
into billions of values, or an alias that contains itself, refused in well under a second, in every
YAML file a study holds), a study.yml or a capture store that is a folder, a change for no service."""
from __future__ import annotations

import shutil
import time

import pytest

from conftest import SAMPLE
from studylib.errors import ConfigError
from studylib.read.codebooks import load_demand_codebook, load_flow_codebook
from studylib.read.yamlfile import YAML_VALUES, load_yaml
from studylib.teaching.predictions import read_predictions

#: Nine levels of ten aliases each: 10**9 values unfolded, from 332 bytes.
LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
LOOP = "loop: &loop [1, *loop]\n"


@pytest.mark.parametrize("text, words", [(LAUGHS, f"unfolds to more than {YAML_VALUES:,} values"),
                                         (LOOP, "has a YAML alias that contains itself (line 1)")])
def test_aliases_that_unfold_without_end_are_refused_at_once(text, words):
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_yaml(text, "study.yml")
    assert time.perf_counter() - started < 0.5


def test_a_few_aliases_still_read():
    text = "cost: &c {low: 1, high: 2}\nphone: *c\nweb: *c\n"
    assert load_yaml(text, "study.yml") == {"cost": {"low": 1, "high": 2}, "phone": {"low": 1, "high": 2},
                                            "web": {"low": 1, "high": 2}}


def test_every_yaml_file_of_a_study_is_read_safely(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    for name, load in (("demand_codebook.yml", load_demand_codebook), ("flow_codebook.yml", load_flow_codebook)):
        (study / name).write_text(LAUGHS + (study / name).read_text())
        with pytest.raises(ConfigError, match=f"{name} unfolds to more than"):
            load(study / name)
    (study / "predictions.yml").write_text(LOOP)
    predictions, problems = read_predictions(study)
    assert predictions == {} and "predictions.yml could not be read" in problems[0]
    assert "contains itself" in problems[0]


def test_a_study_yml_that_is_a_folder_is_said_in_words(tmp_path):
    from studylib.read.study import read_config
    (tmp_path / "study.yml").mkdir()
    with pytest.raises(ConfigError, match="study.yml is a folder, not a file"):
        read_config(tmp_path)


def test_a_capture_store_that_is_a_folder_is_said_in_words(tmp_path):
    from studylib.errors import CaptureError
    from studylib.read.stores import SQLiteBackend
    (tmp_path / "capture.sqlite").mkdir()
    with pytest.raises(CaptureError, match="is a folder, not a capture store"):
        SQLiteBackend(tmp_path / "capture.sqlite", 1.0)


def test_a_change_for_a_service_the_study_lacks_says_how_to_change_every_service(tmp_path):
    from studylib.read.schema import check_config
    problems = check_config({"services": ["Roads"], "system_changes": [{"date": "2025-03-10", "service": "all"}]})
    assert any("leave service: out: a target or change without one applies to every service" in p["fix"]
               for p in problems), problems


def test_an_xes_log_named_under_events_is_read_as_a_log(tmp_path):
    """``events: {file: log.xes}`` reads the log (it was read as a CSV, and failed): 100 traces and
    390 events, the known counts of the road-traffic sample."""
    from conftest import shared_file
    from studylib.read.study import load_study
    log = shared_file("eventlogs/roadtraffic100traces.xes")
    (tmp_path / "study.yml").write_text(f"name: Road traffic\ntimezone: Europe/Rome\nallow_outside: true\n"
                                        f"events: {{file: {log}}}\ndemand_codebook: null\nflow_codebook: null\n"
                                        "findings: null\n")
    study = load_study(tmp_path)
    assert study.events["case_id"].nunique() == 100 and len(study.events) == 390
    assert str(study.events["timestamp"].dt.tz) == "Europe/Rome"


def test_a_pipe_is_not_called_an_empty_file(tmp_path):
    import os
    from studylib.errors import DataError
    from studylib.read.tables import read_raw_table
    os.mkfifo(tmp_path / "demand.csv")
    with pytest.raises(DataError, match="is not a file studylib can read twice"):
        read_raw_table(tmp_path / "demand.csv", label="demand.csv")


def test_two_changes_on_one_date_are_one_change_with_both_descriptions(tmp_path):
    import shutil
    from studylib.measures.systems import system_periods
    from studylib.read.study import read_config
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    text = (study / "study.yml").read_text()
    extra = ("  - date: 2025-03-10\n    service: Housing repairs\n    what: \"No pre-inspection\"\n")
    (study / "study.yml").write_text(text.replace("system_changes:              # capability limits are recalculated from each of these dates\n",
                                                  "system_changes:              # capability limits are recalculated from each of these dates\n" + extra, 1))
    config = read_config(study)
    assert len(config["system_changes"]) == 1
    what = config["system_changes"][0]["what"]
    assert what.startswith("No pre-inspection; Repairs redesign"), what
    periods = system_periods(config["system_changes"], ["Housing repairs"])
    assert periods["system"].tolist() == ["before 10 March 2025", "since 10 March 2025"]


def test_a_kernel_told_the_results_failed_says_so_in_words(tmp_path):
    """A stage kernel waiting for the check's results is told when computing them failed, in words."""
    from studylib.check.stored import load_results
    from studylib.errors import StudylibError
    (tmp_path / "results.failed").write_text("DataError: demand.csv does not exist")
    with pytest.raises(StudylibError, match="the check's results could not be computed: DataError"):
        load_results(tmp_path / "results.pkl", wait_seconds=1)
    (tmp_path / "results.failed").unlink()
    with pytest.raises(StudylibError, match="did not arrive within 0 s"):
        load_results(tmp_path / "results.pkl", wait_seconds=0.1)


#: An XES log whose events carry attributes of every odd shape: a list and a container (no value),
#: an attribute with an extra field, a boolean, an id that is not a UUID.
ODD_XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace>
    <string key="concept:name" value="T1"/>
    <event>
      <string key="concept:name" value="Register"/>
      <date key="time:timestamp" value="2025-03-10T09:00:00.000+00:00"/>
      <list key="tags"><values><string key="t" value="x"/></values></list>
      <container key="box"><int key="n" value="3"/></container>
      <string key="org:resource" value="Ann" extra="odd"/>
      <boolean key="urgent" value="true"/>
      <id key="ref" value="a1b2"/>
    </event>
    <event>
      <string key="concept:name" value="Close"/>
      <date key="time:timestamp" value="2025-03-11T10:00:00.000+00:00"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="T2"/>
    <event>
      <string key="concept:name" value="Register"/>
      <date key="time:timestamp" value="2025-03-12T08:00:00.000+00:00"/>
    </event>
  </trace>
</log>
"""


def test_an_xes_log_with_attributes_of_odd_types_is_read_by_both_readers(tmp_path, capfd):
    """Both readers raised "dictionary update sequence element #2 has length 1"; now each reads the
    three events alike, and the Rust reader's notes on what it skipped do not reach the terminal."""
    from studylib.read.eventlog import read_xes
    from conftest import assert_frames_identical
    log = tmp_path / "odd.xes"
    log.write_text(ODD_XES, encoding="utf-8")
    streamed = read_xes(log, processes=1)
    assert streamed[["case_id", "activity"]].astype(str).values.tolist() == [
        ["T1", "Register"], ["T1", "Close"], ["T2", "Register"]]
    assert streamed["resource"].tolist()[0] == "Ann"
    assert_frames_identical(read_xes(log), streamed)
    said = capfd.readouterr()
    assert said.out == "" and said.err == ""


def test_an_xes_timestamp_that_is_not_a_time_is_named_with_its_case(tmp_path):
    from studylib.errors import DataError
    from studylib.read.eventlog import read_xes
    log = tmp_path / "odd.xes"
    log.write_text(ODD_XES.replace("2025-03-12T08:00:00.000+00:00", "not a time"), encoding="utf-8")
    for processes in (None, 1):
        with pytest.raises(DataError, match=r"'not a time' an event of case 'T2' has a time:timestamp that is not a "
                                            r"date and time \(write it as XES does"):
            read_xes(log, processes=processes)


# -- exports with odd shapes: a header cell merged, title rows above the header ----------------------

def _sample_as_excel(tmp_path, rows_above: int = 0, merge_longitude: bool = False):
    """The sample study with its demand.csv as an Excel workbook, as a service's export comes."""
    import pandas as pd
    from openpyxl import Workbook
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    demand = pd.read_csv(study / "demand.csv", dtype=str, keep_default_na=False)
    (study / "demand.csv").unlink()
    columns = list(demand.columns)
    book = Workbook()
    sheet = book.active
    if rows_above:
        sheet.append(["Contact centre export, January to May 2025"])
        for _ in range(rows_above - 1):
            sheet.append([])
    sheet.append([None if merge_longitude and c == "longitude" else c for c in columns])
    for row in demand.itertuples(index=False):
        sheet.append(list(row))
    if merge_longitude:
        at = columns.index("latitude") + 1
        sheet.merge_cells(start_row=1, start_column=at, end_row=1, end_column=at + 1)
    book.save(study / "demand.xlsx")
    text = (study / "study.yml").read_text(encoding="utf-8").replace("  file: demand.csv", "  file: demand.xlsx", 1)
    (study / "study.yml").write_text(text, encoding="utf-8")
    return study


def test_a_column_whose_header_is_merged_into_the_one_beside_it_is_refused_not_dropped(tmp_path):
    """Its header became 'Unnamed: 13' and the column was dropped: 24 contacts lost their longitude
    and validate said nothing."""
    from studylib.errors import DataError
    from studylib.read.study import load_study
    study = _sample_as_excel(tmp_path, merge_longitude=True)
    with pytest.raises(DataError) as refused:
        load_study(study)
    problem = refused.value.problems.iloc[0]
    assert problem["column"] == "column 14 (N)"
    assert problem["problem"] == "holds values but has no header; its header may be merged with 'latitude' beside it"
    assert "unmerge the header cells" in problem["fix"]


def test_title_rows_above_the_header_are_named_and_header_row_reads_past_them(tmp_path):
    from studylib.errors import DataError
    from studylib.read.study import load_study
    study = _sample_as_excel(tmp_path, rows_above=2)
    with pytest.raises(DataError) as refused:
        load_study(study)
    said = str(refused.value)
    assert "has its header on row 3, not row 1 (row 1 reads 'Contact centre export, January to May 2025', a title)" in said
    assert "add header_row: 3 to this table in study.yml" in said
    text = (study / "study.yml").read_text(encoding="utf-8")
    (study / "study.yml").write_text(text.replace("  file: demand.xlsx", "  file: demand.xlsx\n  header_row: 3", 1),
                                     encoding="utf-8")
    read = load_study(study)
    sample = load_study(SAMPLE)
    assert len(read.demand) == len(sample.demand) == 5302
    # Rows are named as the spreadsheet shows them: two rows further down than in the CSV.
    csv_rows = sample.set_aside.loc[sample.set_aside["file"] == "demand.csv", "row"].astype(int).tolist()
    xlsx_rows = read.set_aside.loc[read.set_aside["file"] == "demand.xlsx", "row"].astype(int).tolist()
    assert xlsx_rows == [r + 2 for r in csv_rows]


def test_a_csv_with_a_title_line_reads_with_header_row_and_an_empty_unheaded_column_is_dropped(tmp_path):
    from studylib.read.tables import read_raw_table
    table = tmp_path / "t.csv"
    table.write_text("Export of 3 March\ncontact_id,verbatim,\nC1,no heating,\nC2,pot-hole,\n", encoding="utf-8")
    frame = read_raw_table(table, label="t.csv", header_row=2, expected_columns=["contact_id", "verbatim"])
    assert list(frame.columns) == ["contact_id", "verbatim"] and frame.index.tolist() == [3, 4]


def test_a_first_column_of_row_numbers_with_no_header_is_left_out_and_said(tmp_path):
    """Boston's export starts with the index pandas saved (no header, 51, 52, ...): it is not data,
    it is left out, and that is said; a headless column of anything else is refused."""
    from studylib.errors import DataError, collect_caveats
    from studylib.read.tables import read_raw_table
    table = tmp_path / "t.csv"
    table.write_text(",case_id,opened\n51,K1,2025-03-03\n52,K2,2025-03-04\n", encoding="utf-8")
    frame, said = collect_caveats(lambda: read_raw_table(table, label="t.csv"))
    assert list(frame.columns) == ["case_id", "opened"]
    assert said == ["t.csv: column 1 has no header and holds row numbers (an index the program that wrote the file "
                    "saved with it): left out"]
    table.write_text(",case_id,opened\nA,K1,2025-03-03\nB,K2,2025-03-04\n", encoding="utf-8")
    with pytest.raises(DataError, match="column 1'?: 'A' holds values but has no header"):
        read_raw_table(table, label="t.csv")
