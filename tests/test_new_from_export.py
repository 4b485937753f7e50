"""``studylib new DIR --from EXPORT`` then ``studylib check DIR``, on real 311 exports as they come.

The mapping is guessed from the export's header and rows and written to study.yml with every guess
commented; dates that read two ways are asked, never guessed; no target, cost or currency is
written. Then the check runs demand, capability and flow with no edit (Boston's export holds open
cases only: its waiting list, and capability left out with the reason).
"""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import shared_file
from studylib.cli import main
from studylib.errors import StudylibError
from studylib.read.mapping import map_export
from studylib.read.study import load_study


def test_san_franciscos_export_is_mapped_column_by_column(tmp_path, capsys):
    source = shared_file("311/sf_311_sample.csv")
    assert main(["new", str(tmp_path / "sf"), "--from", str(source)]) == 0
    said = capsys.readouterr().out
    assert "mapped to other: Integrated Agency (52), Other Department (4)" in said
    text = (tmp_path / "sf" / "study.yml").read_text()
    config = yaml.safe_load(text)
    assert config["cases"]["columns"] == {"case_id": "unique_key", "opened": "created_date", "closed": "closed_date",
                                          "service": "category", "status": "status", "resolution": "status_notes"}
    assert config["demand"]["columns"]["channel"] == "source"
    assert config["channels"] == {"other": ["Integrated Agency", "Other Department"]}
    assert config["timezone"] == "America/Los_Angeles" and config["services"] == "all"
    assert str(config["period"]["start"]) == "2008-07-01" and str(config["as_of"]) == "2018-01-25"
    # Nothing the team did not say: no active target, cost or currency.
    assert not {"targets", "channel_costs", "currency"} & set(config)
    study = load_study(tmp_path / "sf")
    assert len(study.demand) == 10_000 and len(study.cases) == 9_983


def test_dates_that_read_two_ways_are_asked(tmp_path):
    source = shared_file("311/nyc_311_2022_two_hours.csv")
    with pytest.raises(StudylibError, match="read two ways .* --dates monthfirst or --dates dayfirst"):
        map_export(source)
    assert not (tmp_path / "nyc").exists()
    assert main(["new", str(tmp_path / "nyc"), "--from", str(source)]) == 2
    assert not (tmp_path / "nyc").exists()          # refused before anything is written
    found = map_export(source, dates="monthfirst")
    assert found.formats == ["%m/%d/%Y %I:%M:%S %p"] and str(found.period[0].date()) == "2022-05-01"
    assert found.timezone == "America/New_York"


def test_an_excel_and_a_parquet_copy_map_as_the_csv_does(tmp_path):
    source = shared_file("311/la_311_2017_subset.csv")
    raw = pd.read_csv(source, dtype=str, keep_default_na=False).head(400)
    raw.to_csv(tmp_path / "la.csv", index=False)
    raw.to_excel(tmp_path / "la.xlsx", index=False)
    typed = raw.assign(CreatedDate=pd.to_datetime(raw["CreatedDate"], format="%m/%d/%Y %I:%M:%S %p"))
    typed.to_parquet(tmp_path / "la.parquet")
    maps = {kind: map_export(tmp_path / f"la.{kind}") for kind in ("csv", "xlsx", "parquet")}
    for kind in ("xlsx", "parquet"):
        assert maps[kind].columns == maps["csv"].columns, kind
        assert maps[kind].period == maps["csv"].period and maps[kind].as_of == maps["csv"].as_of, kind
    assert maps["parquet"].formats[0] == "ISO8601"          # typed dates come as ISO text
    assert maps["csv"].columns["service"] == "RequestType" and maps["csv"].columns["closed"] == "ClosedDate"


def test_an_export_with_no_id_or_no_date_is_refused_in_words(tmp_path):
    with pytest.raises(StudylibError, match="is not a file: --from names the export to read"):
        map_export(tmp_path / "nothere.csv")
    (tmp_path / "x.csv").write_text("colour,size\nred,1\n")
    with pytest.raises(StudylibError, match="no column of x.csv looks like an id"):
        map_export(tmp_path / "x.csv")


def _stages(out) -> dict:
    manifest = json.loads((out / "run_manifest.json").read_text())
    return {s["notebook"][:-6]: s["status"] for s in manifest["stages"]}


@pytest.mark.slow
@pytest.mark.parametrize("name, file, extra", [
    ("sf", "311/sf_311_sample.csv", []),
    ("la", "311/la_311_2017_subset.csv", []),
    ("nyc", "311/nyc_311_2022_two_hours.csv", ["--dates", "monthfirst"]),
    ("boston", "311/boston_311_2025_open.csv", []),
])
def test_new_from_an_export_then_check_with_no_edit(tmp_path, name, file, extra, recwarn, capsys):
    source = shared_file(file)
    assert main(["new", str(tmp_path / name), "--from", str(source), *extra]) == 0
    # What the reading noticed is said in words, never as a Python warning on the terminal.
    assert not [w for w in recwarn if "studylib" in str(w.category.__module__)], [str(w.message) for w in recwarn]
    if name == "boston":
        assert "column 1 has no header and holds row numbers" in capsys.readouterr().out
    out = tmp_path / "out"
    assert main(["check", str(tmp_path / name), "--out", str(out), "-q"]) == 0
    stages = _stages(out)
    assert stages["02_demand"] == stages["03_capability"] == stages["04_flow"] == "ok", stages
    text = " ".join((out / p).read_text() for p in ("index.html", "03_capability.html", "04_flow.html"))
    if name == "boston":     # open cases only: the waiting list, and no capability chart, said why
        assert "Not one of the 2,424 cases has finished by 20 May 2025, so there is no capability chart" in text
        assert "2,424 customers are waiting" in text
        # An export of open cases only: its week-by-week list is not read as a trend.
        assert "The list week by week is not shown: every case in the data is still open" in text
    # No target, no cost, no currency where the study gives none.
    for page in out.glob("*.html"):
        words = page.read_text()
        assert "28-day" not in words and "£" not in words and "$" not in words, page.name


@pytest.mark.slow
def test_a_parquet_and_an_excel_copy_check_with_no_edit(tmp_path):
    source = shared_file("311/nyc_311_2022_two_hours.csv")
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    raw.to_excel(tmp_path / "nyc.xlsx", index=False)
    raw.assign(**{c: pd.to_datetime(raw[c].where(raw[c] != ""), format="%m/%d/%Y %I:%M:%S %p")
                  for c in ("Created Date", "Closed Date")}).to_parquet(tmp_path / "nyc.parquet")
    for kind in ("xlsx", "parquet"):
        study = tmp_path / kind
        args = ["--dates", "monthfirst"] if kind == "xlsx" else []
        assert main(["new", str(study), "--from", str(tmp_path / f"nyc.{kind}"), *args]) == 0
        assert main(["check", str(study), "--out", str(tmp_path / f"out-{kind}"), "-q"]) == 0
        stages = _stages(tmp_path / f"out-{kind}")
        assert stages["02_demand"] == stages["04_flow"] == "ok", (kind, stages)
        assert len(load_study(study).cases) == 924, kind


def test_the_period_is_in_local_dates_where_times_carry_an_offset(tmp_path):
    """A time with a UTC offset is dated where the service is: 23:30 in Los Angeles on 6 January is
    7 January in UTC, and the period still ends on the 6th."""
    (tmp_path / "x.csv").write_text(
        "id,created,closed,latitude,longitude\n"
        "A,2025-01-02T08:00:00-08:00,2025-01-03T09:00:00-08:00,34.05,-118.25\n"
        "B,2025-01-06T23:30:00-08:00,2025-01-07T22:00:00-08:00,34.06,-118.24\n")
    found = map_export(tmp_path / "x.csv")
    assert found.timezone == "America/Los_Angeles"
    assert [str(d.date()) for d in found.period] == ["2025-01-02", "2025-01-06"]
    assert str(found.as_of.date()) == "2025-01-08"


def test_an_export_with_title_rows_above_its_header_is_mapped_past_them(tmp_path, capsys):
    """Los Angeles' 311 export saved as a workbook with a title, a date line and a blank row above
    the header: new --from finds the header on row 4, says so, writes header_row: 4, and the study
    reads every row."""
    from openpyxl import Workbook
    export = pd.read_csv(shared_file("311/la_311_2017_subset.csv"), dtype=str, keep_default_na=False).head(500)
    book = Workbook()
    sheet = book.active
    for line in (["MyLA311 Service Request Data 2017"], ["exported 2018-01-02"], []):
        sheet.append(line)
    sheet.append(list(export.columns))
    for row in export.itertuples(index=False):
        sheet.append(list(row))
    book.save(tmp_path / "la.xlsx")
    assert main(["new", str(tmp_path / "study"), "--from", str(tmp_path / "la.xlsx")]) == 0
    assert "the header is on row 4: the rows above it read as a title (header_row: 4 in study.yml)" in capsys.readouterr().out
    config = yaml.safe_load((tmp_path / "study" / "study.yml").read_text(encoding="utf-8"))
    assert config["demand"]["header_row"] == config["cases"]["header_row"] == 4
    study = load_study(tmp_path / "study")
    assert study.quality["rows_read"].max() == 500
