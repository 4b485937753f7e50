"""Bad input gets a clear error or a row-by-row report, and nothing is lost."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from studylib import ConfigError, DataError, StudylibError, StudylibWarning, load_study

HEADER = "contact_id,received_at,channel,service,verbatim\n"
GOOD = [
    "C1,2025-01-06 09:00,phone,Repairs,My boiler is broken",
    "C2,2025-01-06 10:30,Web form,Repairs,Still waiting for the plumber",
    "C3,2025-01-07 11:00,Telephone,Repairs,Tap leaking",
]


def make_study(tmp_path, demand: str | bytes | None = None, events: str | None = None,
               extra_yml: str = "", timezone: str | None = "Europe/London", flow: str | None = None):
    lines = ["name: test study"]
    if timezone:
        lines.append(f"timezone: {timezone}")
    if demand is not None:
        if "demand:" not in extra_yml:          # study.yml names each table once
            lines.append("demand: {file: demand.csv}")
        data = demand if isinstance(demand, bytes) else demand.encode("utf-8")
        (tmp_path / "demand.csv").write_bytes(data)
    if events is not None:
        if "events:" not in extra_yml:
            lines.append("events: {file: events.csv}")
        (tmp_path / "events.csv").write_text(events, encoding="utf-8")
    if flow is not None:
        (tmp_path / "flow_codebook.yml").write_text(flow, encoding="utf-8")
    (tmp_path / "study.yml").write_text("\n".join(lines) + "\n" + extra_yml, encoding="utf-8")
    return tmp_path


def rows_balance(study, file: str, read: int):
    q = study.quality[study.quality["file"] == file]
    assert int(q["rows_read"].iloc[0]) == read
    assert int(q["rows_kept"].iloc[0]) + int(q["rows_set_aside"].sum()) == read
    assert int(q["rows_kept"].iloc[0]) == len(study.demand if file == "demand.csv" else study.events)
    assert len(study.set_aside[study.set_aside["file"] == file]) == int(q["rows_set_aside"].sum())


def test_clean_file_keeps_every_row(tmp_path):
    s = load_study(make_study(tmp_path, HEADER + "\n".join(GOOD) + "\n"))
    assert len(s.demand) == 3
    rows_balance(s, "demand.csv", 3)
    assert s.demand["channel"].tolist() == ["phone", "web", "phone"]
    assert str(s.demand["received_at"].dt.tz) == "Europe/London"
    assert s.demand["row"].tolist() == [2, 3, 4]


# 1
def test_missing_required_column(tmp_path):
    csv = "contact_id,received_at,channel,verbatim\nC1,2025-01-06,phone,hello\n"
    with pytest.raises(DataError, match=r"demand.csv, column 'service': is a required column and is missing") as e:
        load_study(make_study(tmp_path, csv))
    assert "columns in the file: ['contact_id', 'received_at', 'channel', 'verbatim']" in str(e.value)
    assert isinstance(e.value, StudylibError)


# 2
def test_unparseable_date(tmp_path):
    bad = GOOD + ["C4,31/02/2024 10:00,phone,Repairs,hello"]
    with pytest.raises(DataError, match=r"demand.csv row 5, column 'received_at': '31/02/2024 10:00' is not a date") as e:
        load_study(make_study(tmp_path, HEADER + "\n".join(bad) + "\n"))
    assert e.value.problems.loc[0, "row"] == 5


# 3
def test_mixed_date_formats_named_with_fix(tmp_path):
    bad = GOOD + ["C4,28/02/2025 10:00,phone,Repairs,hello", "C5,27/02/2025 09:00,phone,Repairs,hi"]
    with pytest.raises(DataError, match=r"the column mixes formats: 3 values fit ISO 8601 .* and 2 look day-first") as e:
        load_study(make_study(tmp_path, HEADER + "\n".join(bad) + "\n"))
    assert e.value.problems["row"].tolist() == [5, 6]
    # ...and listing both formats reads them all, day first
    s = load_study(make_study(tmp_path, HEADER + "\n".join(bad) + "\n",
                              extra_yml="demand: {file: demand.csv, dayfirst: true}\n"))
    assert s.demand.loc[3, "received_at"] == pd.Timestamp("2025-02-28 10:00", tz="Europe/London")


# 4
def test_case_closed_before_opened_is_set_aside_whole(tmp_path):
    flow = ("customer_start: [Reported]\nsolved: [Fixed]\nactivities:\n  Reported: value\n  Fixed: value\n")
    events = ("case_id,activity,timestamp,resource\n"
              "A,Reported,2025-01-06 09:00,cc\nA,Fixed,2025-01-09 09:00,ops\n"
              "B,Reported,2025-01-06 09:00,cc\nB,Fixed,2024-01-09 09:00,ops\nB,Visit,2025-01-07 09:00,ops\n")
    s = load_study(make_study(tmp_path, events=events, flow=flow))
    assert s.events["case_id"].unique().tolist() == ["A"]
    aside = s.set_aside
    assert aside["reason"].unique().tolist() == ["case closed before it was opened"]
    assert aside["row"].tolist() == [4, 5, 6]
    assert "solved 2024-01-09 09:00 before its first contact 2025-01-06 09:00" in aside["detail"].iloc[0]
    rows_balance(s, "events.csv", 5)


# 5
def test_duplicate_contact_id_set_aside(tmp_path):
    s = load_study(make_study(tmp_path, HEADER + "\n".join(GOOD + [GOOD[0]]) + "\n"))
    assert len(s.demand) == 3
    rec = s.set_aside.iloc[0]
    assert (rec["reason"], rec["row"], rec["id"]) == ("duplicate contact_id", 5, "C1")
    assert rec["detail"] == "same contact_id as row 2"
    rows_balance(s, "demand.csv", 4)


# 6
def test_unknown_channel_names_spelling_and_fix(tmp_path):
    bad = GOOD + ["C4,2025-01-06 09:00,Carrier pigeon,Repairs,hello", "C5,2025-01-06 09:00,Carrier pigeon,Repairs,hi"]
    with pytest.raises(DataError, match=r"row 5, column 'channel': 'Carrier pigeon' is not a known channel \(2 rows\)") as e:
        load_study(make_study(tmp_path, HEADER + "\n".join(bad) + "\n"))
    assert "say which channel it is under channels: in study.yml" in str(e.value)
    # the mapping is extendable in study.yml, and visible
    s = load_study(make_study(tmp_path, HEADER + "\n".join(bad) + "\n",
                              extra_yml="channels: {letter: [Carrier pigeon]}\n"))
    assert s.demand["channel"].tolist()[-2:] == ["letter", "letter"]
    assert ("Carrier pigeon", "letter", 2) in set(map(tuple, s.channel_map.values.tolist()))


# 7
def test_empty_verbatim_set_aside(tmp_path):
    s = load_study(make_study(tmp_path, HEADER + "\n".join(GOOD + ["C4,2025-01-06 09:00,phone,Repairs,  "]) + "\n"))
    assert s.set_aside[["row", "reason"]].values.tolist() == [[5, "empty verbatim"]]
    rows_balance(s, "demand.csv", 4)


# 8
def test_non_utf8_file(tmp_path):
    data = (HEADER + "C1,2025-01-06 09:00,phone,Repairs,caf\u00e9 closed\n").encode("cp1252")
    with pytest.raises(DataError, match=r"demand.csv row 2: is not utf-8 text: byte b'\\xe9'") as e:
        load_study(make_study(tmp_path, data))
    assert "encoding: cp1252" in str(e.value)
    s = load_study(make_study(tmp_path, data, extra_yml="demand: {file: demand.csv, encoding: cp1252}\n"))
    assert s.demand.loc[0, "verbatim"] == "caf\u00e9 closed"


# 9
def test_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"demand.csv: is empty \(0 bytes, not even a header row\)"):
        load_study(make_study(tmp_path, b""))


def test_header_only_file_warns_and_keeps_nothing(tmp_path):
    with pytest.warns(StudylibWarning, match="has a header but no rows"):
        s = load_study(make_study(tmp_path, HEADER))
    rows_balance(s, "demand.csv", 0)


# 10
def test_wrong_delimiter(tmp_path):
    csv = HEADER.replace(",", ";") + GOOD[0].replace(",", ";") + "\n"
    with pytest.raises(DataError, match=r"demand.csv: looks delimited by ';', not ','") as e:
        load_study(make_study(tmp_path, csv))
    assert "set delimiter: ';'" in str(e.value)
    s = load_study(make_study(tmp_path, csv, extra_yml="demand: {file: demand.csv, delimiter: ';'}\n"))
    assert len(s.demand) == 1


# 11
def test_na_id_is_an_id(tmp_path):
    events = "case_id,activity,timestamp\nNA,Start,2025-01-06 09:00\nNA,End,2025-01-07 09:00\nMA,Start,2025-01-06 09:00\n"
    s = load_study(make_study(tmp_path, events=events))
    assert s.events["case_id"].tolist() == ["NA", "NA", "MA"]
    assert s.events["case_id"].notna().all()
    rows_balance(s, "events.csv", 3)
    s = load_study(make_study(tmp_path, HEADER + "NA,2025-01-06 09:00,phone,Repairs,hello\n"))
    assert s.demand.loc[0, "contact_id"] == "NA"


# 12
def test_timezone_naive_without_timezone(tmp_path):
    with pytest.raises(DataError, match=r"has no UTC offset, and study.yml sets no timezone \(3 such values\)") as e:
        load_study(make_study(tmp_path, HEADER + "\n".join(GOOD) + "\n", timezone=None))
    assert "add timezone: Europe/London" in str(e.value)


def test_naive_times_are_local_and_offsets_are_kept(tmp_path):
    rows = ["C1,2025-07-01 09:00,phone,R,a", "C2,2025-07-01T09:00:00+00:00,phone,R,b",
            "C3,2025-01-15 09:00,phone,R,c"]
    s = load_study(make_study(tmp_path, HEADER + "\n".join(rows) + "\n"))
    utc = s.demand["received_at"].dt.tz_convert("UTC")
    assert utc.dt.strftime("%H:%M").tolist() == ["08:00", "09:00", "09:00"]   # BST, UTC, GMT


# 13
def test_every_problem_is_collected_before_failing(tmp_path):
    bad = GOOD + ["C4,not a date,phone,Repairs,hello", "C5,2025-01-06 09:00,Fax,Repairs,hi",
                  "C6,2025-01-06 09:00,phone,Repairs,x"]
    csv = HEADER.strip() + ",latitude,resolved_first_contact\n" + "\n".join(
        r + (",95.0,maybe" if r.startswith("C6") else ",,") for r in bad) + "\n"
    with pytest.raises(DataError) as e:
        load_study(make_study(tmp_path, csv))
    p = e.value.problems
    assert set(p["column"]) == {"received_at", "channel", "latitude", "resolved_first_contact"}
    assert p.set_index("column").loc["latitude", "problem"] == "is outside -90 to 90"
    assert str(e.value).startswith("4 problems found")


# 14
def test_mapping_to_a_column_the_export_lacks(tmp_path):
    csv = "Ref,When,How,Words\nC1,2025-01-06 09:00,phone,hi\n"
    yml = ("demand: {file: demand.csv, columns: {contact_id: Ref, received_at: When, channel: How, "
           "verbatim: Text}, values: {service: Repairs}}\n")
    with pytest.raises(DataError, match=r"column 'Text': is not in the file \(study.yml maps it to 'verbatim'\)"):
        load_study(make_study(tmp_path, csv, extra_yml=yml))
    s = load_study(make_study(tmp_path, csv, extra_yml=yml.replace("Text", "Words")))
    assert s.demand.loc[0, ["contact_id", "service", "verbatim"]].tolist() == ["C1", "Repairs", "hi"]


def test_excel_and_parquet_read_like_csv(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(HEADER + "\n".join(GOOD)), dtype=str)
    frame.to_excel(tmp_path / "demand.xlsx", index=False)
    (tmp_path / "study.yml").write_text("timezone: Europe/London\ndemand: {file: demand.xlsx}\n")
    s = load_study(tmp_path)
    assert s.demand["contact_id"].tolist() == ["C1", "C2", "C3"]
    frame.to_parquet(tmp_path / "demand.parquet")
    (tmp_path / "study.yml").write_text("timezone: Europe/London\ndemand: {file: demand.parquet}\n")
    s2 = load_study(tmp_path)
    assert s2.demand["received_at"].equals(s.demand["received_at"])


def test_missing_study_yml(tmp_path):
    with pytest.raises(ConfigError, match="needs a study.yml"):
        load_study(tmp_path)


def test_bad_codebook_names_the_entry(tmp_path):
    make_study(tmp_path, HEADER + GOOD[0] + "\n")
    (tmp_path / "demand_codebook.yml").write_text(
        "types:\n  - {type: Chasing, value_or_failure: failure, failure_subtype: moaning, patterns: ['(']}\n"
        "  - {type: chasing, value_or_failure: value}\n")
    with pytest.raises(ConfigError) as e:
        load_study(tmp_path)
    msg = str(e.value)
    assert "type #1 'Chasing': unknown failure_subtype 'moaning'" in msg
    assert "type #1 'Chasing': pattern '(' is not a valid regular expression" in msg
    assert "type #2 'chasing': duplicate type (also entry #1)" in msg


def test_an_order_column_named_in_study_yml_orders_ties(tmp_path):
    """Events sharing a timestamp go in the order study.yml's order column gives, shuffled or not."""
    events = ("case_id,activity,timestamp,Seq\n"
              "A,Registered,2025-01-06 09:00,2\nA,Reported,2025-01-06 09:00,1\nA,Fixed,2025-01-09 09:00,3\n")
    s = load_study(make_study(tmp_path, events=events,
                              extra_yml="events: {file: events.csv, columns: {order: Seq}}\n"))
    assert s.events["order"].tolist() == [2, 1, 3]
    from studylib.measures.paths import variants
    assert variants(s.events)["variant"].tolist() == ["Reported → Registered → Fixed"]
    from studylib.read.ordering import ties_note
    assert ties_note(s.events).startswith("2 of 3 events share their timestamp with another event of the same case; "
                                          "they were put in the order of the log's order column")


def test_without_an_order_column_ties_keep_file_order_and_a_column_called_order_is_not_guessed(tmp_path):
    events = ("case_id,activity,timestamp,order\n"
              "A,Registered,2025-01-06 09:00,2\nA,Reported,2025-01-06 09:00,1\nA,Fixed,2025-01-09 09:00,3\n")
    s = load_study(make_study(tmp_path, events=events))
    assert "order" not in s.events.columns          # a purchase order, for all studylib knows
    from studylib.measures.paths import variants
    assert variants(s.events)["variant"].tolist() == ["Registered → Reported → Fixed"]


def test_an_order_column_that_is_not_numbers_is_reported_row_by_row(tmp_path):
    events = ("case_id,activity,timestamp,Seq\n"
              "A,Reported,2025-01-06 09:00,1\nA,Fixed,2025-01-09 09:00,second\nB,Reported,2025-01-06 09:00,\n")
    with pytest.raises(DataError) as e:
        load_study(make_study(tmp_path, events=events, extra_yml="events: {file: events.csv, columns: {order: Seq}}\n"))
    text = str(e.value)
    assert "events.csv row 3, column 'Seq': 'second' is not a number" in text
    assert "events.csv row 4, column 'Seq': is empty" in text


def test_empty_optional_fields_read_as_the_parsers_read_them():
    """A contact whose optional fields are all empty (one typed at a capture desk) skips their
    parsers: what it gets must be exactly what the parsers give an empty column, dtype included."""
    from studylib.read.contacts import VALUE_OR_FAILURE, parse_contact_values
    from studylib.read.tables import parse_booleans, parse_numbers
    empty = pd.Series(["", ""], dtype="str")
    frame = pd.DataFrame({"contact_id": ["a", "b"], "received_at": ["2025-03-03 10:00", "2025-03-03 11:00"],
                          "channel": ["web", "Phone"], "service": ["Repairs", "Repairs"], "verbatim": ["x", "y"],
                          "resolved_first_contact": empty, "latitude": empty, "longitude": empty,
                          "value_or_failure": empty}).astype("str")
    out, _, problems = parse_contact_values(frame, label="form", timestamps={"formats": None, "dayfirst": False,
                                                                             "timezone": "Europe/London"})
    assert problems == []
    pd.testing.assert_series_equal(out["resolved_first_contact"],
                                   parse_booleans(empty, label="form", column="resolved_first_contact")[0],
                                   check_names=False)
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        pd.testing.assert_series_equal(out[name], parse_numbers(empty, label="form", column=name, low=low, high=high)[0],
                                       check_names=False)
    pd.testing.assert_series_equal(out["value_or_failure"], empty.str.strip().str.lower().map(VALUE_OR_FAILURE),
                                   check_names=False)
    # One field given reads it, and only it: a latitude alone is still a problem of its own.
    given = frame.assign(latitude=["52.4", ""], value_or_failure=["", "maybe"])
    _, _, problems = parse_contact_values(given, label="form", timestamps={"formats": None, "dayfirst": False,
                                                                           "timezone": "Europe/London"})
    assert {(p["row"], p["column"]) for p in problems} == {(1, "value_or_failure")}


def test_channel_map_counts_each_spelling_once_with_its_channel():
    from studylib.read.tables import normalise_channels
    values = pd.Series(["Phone", "web", "phone", "Phone", "pigeon", "", "Web "], dtype="str")
    _, used, problems = normalise_channels(values, {"letter": ["pigeon"]}, label="demand.csv")
    expected = pd.DataFrame({"spelling": ["", "Phone", "Web ", "phone", "pigeon", "web"],
                             "channel": [None, "phone", "web", "phone", "letter", "web"],
                             "rows": [1, 2, 1, 1, 1, 1]}).astype({"spelling": "str", "channel": "str"})
    pd.testing.assert_frame_equal(used, expected)
    assert problems == []
    # Unknown spellings: one problem each, in the order of the spellings, at the first row that has it
    # in the file's order (the index is the file's row number, whatever order the rows are in).
    values = pd.Series(["web", "pigeon", "owl", "pigeon", None], index=[7, 3, 9, 1, 4], dtype="str")
    out, used, problems = normalise_channels(values, None, label="demand.csv")
    assert out.isna().tolist() == [False, True, True, True, True]
    assert [(p["value"], p["row"], p["problem"]) for p in problems] == [
        ("owl", 9, "is not a known channel (1 row)"), ("pigeon", 3, "is not a known channel (2 rows)")]
    assert used["rows"].sum() == 4                     # the missing value is no spelling


def test_dates_that_read_two_ways_are_found_when_an_offset_moves_the_day():
    """Both orders listed, values with UTC offsets: '01/04/2025 00:30 +0200' is 31 March in London
    and '12/03/2025 23:30 -0500' is 13 March; each still reads as two dates and is named (only a
    value whose parsed day could be 12 or less once its offset is undone is parsed again, and
    mixed offsets are read as one instant each)."""
    from studylib.read.tables import parse_timestamps
    values = pd.Series(["01/04/2025 00:30 +0200", "12/03/2025 23:30 -0500", "20/03/2025 10:00 +0000"], index=[2, 3, 4])
    out, problems = parse_timestamps(values, formats=["%d/%m/%Y %H:%M %z", "%m/%d/%Y %H:%M %z"], dayfirst=False,
                                     timezone="Europe/London", label="demand.csv", column="received_at")
    assert out.tolist() == [pd.Timestamp("2025-03-31 23:30", tz="Europe/London"),
                            pd.Timestamp("2025-03-13 04:30", tz="Europe/London"),
                            pd.Timestamp("2025-03-20 10:00", tz="Europe/London")]
    assert len(problems) == 1 and problems[0]["row"] == 2
    assert "and 1 more values fit both '%d/%m/%Y %H:%M %z' and '%m/%d/%Y %H:%M %z'" in problems[0]["problem"]


@pytest.mark.parametrize("text", ["", "\n\n", "a,b\n1,2", "\n\n  \nx,y\r\n1,2\n", "h" * 200_000 + "\nrest",
                                  "\n" * 100_000 + "col\n", "a,b", "\u2028\nq,r\n",
                                  "\n" * 65_535 + "\u00e9t\u00e9,b\n", "\u00e9" * 40_000 + ",b\n1,2\n"])
def test_the_header_is_the_first_line_that_is_not_blank(text):
    """Read from the start of the file only, it is the line splitting every line would find, also
    where the first block read ends inside a character of two bytes."""
    from studylib.read.csvtext import _header_line
    assert _header_line(text.encode(), "utf-8") == next((line for line in text.splitlines() if line.strip()), "")


def test_a_change_or_target_for_a_service_with_no_data_is_named(tmp_path):
    """With services: all, study.yml cannot check a change's service against a list: once the data
    is read, a change or target for a service no contact or case has is said, with the nearest name."""
    import shutil

    from conftest import SAMPLE
    from studylib.errors import collect_caveats
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    text = (study / "study.yml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^services: .*$", "services: all", text)
    text = text.replace("    service: Housing repairs\n", "    service: Housing repair\n", 1)
    (study / "study.yml").write_text(text, encoding="utf-8")
    _, caveats = collect_caveats(lambda: load_study(study))
    said = [c for c in caveats if "changes nothing" in c]
    assert said == ["study.yml system_changes: the system change for 'Housing repair' changes nothing, since no "
                    "contact or case is of that service (leave service: out for one that applies to every service); "
                    "did you mean 'Housing repairs'?"]
