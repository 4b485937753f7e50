"""An export as it comes: one row a case (cases:), services: meaning what it says, channels it does not know.

Every 311 export gives a case as one row with its opened and closed dates. These tests read such
exports (real ones from ../shared/data/311 and small ones written here) and hold the reading to the
rules of every other input: rows in = rows kept + rows set aside, each with its reason.
"""
from __future__ import annotations

import warnings

import pandas as pd
import pytest

from conftest import shared_file
from studylib.errors import ConfigError, DataError, StudylibWarning
from studylib.read.cases import CLOSED, OPENED
from studylib.read.study import load_study


def _study(folder, yml: str, files: dict[str, str]):
    (folder / "study.yml").write_text(yml)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


CASES = """id,created,closed,kind,state
A1,2025-01-06 09:00,2025-01-08 10:00,Potholes,Closed
A2,2025-01-07 09:00,,Potholes,Open
A3,2025-01-07 10:00,2025-01-07 09:00,Graffiti,Closed
A4,2025-01-08 10:00,2025-01-20 10:00,Graffiti,Closed
A1,2025-01-09 10:00,2025-01-10 10:00,Graffiti,Closed
,2025-01-09 10:00,2025-01-10 10:00,Graffiti,Closed
A5,2025-01-10 10:00,2025-01-10 11:00,Noise,Closed
"""

YML = """name: Cases
timezone: Europe/London
period: {start: 2025-01-06, end: 2025-01-31}
as_of: 2025-02-01
services: %s
cases:
  file: cases.csv
  columns: {case_id: id, opened: created, closed: closed, service: kind, status: state}
demand_codebook: null
flow_codebook: null
findings: null
"""


def test_a_case_row_becomes_its_opened_and_closed_events(tmp_path):
    study = load_study(_study(tmp_path, YML % "all", {"cases.csv": CASES}))
    quality = study.quality
    assert int(quality["rows_read"].iloc[0]) == 7
    assert int(quality["rows_kept"].iloc[0]) + len(study.set_aside) == 7
    reasons = dict(zip(study.set_aside["id"], study.set_aside["reason"]))
    assert reasons == {"A3": "case closed before it was opened", "A1": "duplicate case_id", "": "missing case_id"}
    assert list(study.cases["case_id"]) == ["A1", "A2", "A4", "A5"]
    events = study.events
    # Each case's own events in order; an open case has only its opening.
    assert list(zip(events["case_id"], events["activity"])) == [
        ("A1", OPENED), ("A1", CLOSED), ("A2", OPENED), ("A4", OPENED), ("A4", CLOSED), ("A5", OPENED), ("A5", CLOSED)]
    assert list(events["row"]) == [2, 2, 3, 5, 5, 8, 8]
    assert events.loc[1, "timestamp"] == pd.Timestamp("2025-01-08 10:00", tz="Europe/London")
    assert study.flow_codebook is not None and study.flow_codebook.solved == [CLOSED]


def test_the_case_times_of_a_case_export(tmp_path):
    from studylib.measures.flow import case_times
    study = load_study(_study(tmp_path, YML % "all", {"cases.csv": CASES}))
    times = case_times(study.events, codebook=study.flow_codebook, as_of=study.as_of).set_index("case_id")
    assert times.loc["A1", "end_to_end_days"] == pytest.approx(2 + 1 / 24)
    assert times.loc["A4", "end_to_end_days"] == pytest.approx(12)
    assert bool(times.loc["A2", "is_open"]) and not bool(times.loc["A5", "is_open"])


def test_services_listed_leave_the_others_out_counted_and_named(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = load_study(_study(tmp_path, YML % "[Potholes]", {"cases.csv": CASES}))
    assert list(study.cases["case_id"]) == ["A1", "A2"]
    aside = study.set_aside[study.set_aside["reason"] == "service not in the study"]
    # Judged by service first: A3 (closed before it was opened) and the second A1 are Graffiti too.
    assert sorted(aside["id"]) == ["A1", "A3", "A4", "A5"]
    said = [str(w.message) for w in caught if issubclass(w.category, StudylibWarning)]
    assert any("4 cases of 2 services outside this study are left out: Graffiti (3), Noise (1)" in s
               and "services: all" in s for s in said), said
    assert int(study.quality["rows_kept"].iloc[0]) + len(study.set_aside) == 7


def test_services_must_be_a_list_or_all(tmp_path):
    with pytest.raises(ConfigError, match=r"should be a list \(or all\), not text"):
        load_study(_study(tmp_path, YML % "Potholes", {"cases.csv": CASES}))


def test_events_and_cases_are_not_both_given(tmp_path):
    yml = YML % "all" + "events: {file: cases.csv}\n"
    with pytest.raises(ConfigError, match="second source of cases"):
        load_study(_study(tmp_path, yml, {"cases.csv": CASES}))


def test_an_unknown_channel_is_offered_other_not_phone(tmp_path):
    yml = """name: Contacts
timezone: Europe/London
demand:
  file: demand.csv
  empty_verbatim: keep
demand_codebook: null
flow_codebook: null
findings: null
"""
    demand = "contact_id,received_at,channel,service,verbatim\nC1,2025-01-06 09:00,Integrated Agency,Roads,\n"
    with pytest.raises(DataError) as info:
        load_study(_study(tmp_path, yml, {"demand.csv": demand}))
    fix = info.value.problems["fix"].iloc[0]
    assert "{other: ['Integrated Agency']}" in fix and "phone:" not in fix.split(";")[0]
    assert "other" in fix.split("known channels:")[1]


def test_san_franciscos_export_as_cases(tmp_path):
    """SF's 10,000 requests: 17 closed before they were created (the data's README), 370 open."""
    source = shared_file("311/sf_311_sample.csv")
    yml = f"""name: SF
timezone: America/Los_Angeles
allow_outside: true
cases:
  file: {source}
  columns: {{case_id: unique_key, opened: created_date, closed: closed_date, service: category, status: status}}
demand_codebook: null
flow_codebook: null
findings: null
"""
    study = load_study(_study(tmp_path, yml, {}))
    assert int(study.quality["rows_read"].iloc[0]) == 10_000
    assert (study.set_aside["reason"] == "case closed before it was opened").sum() == 17
    assert len(study.cases) + len(study.set_aside) == 10_000
    assert study.cases["service"].nunique() == 61
    assert study.cases["closed"].isna().sum() == (study.cases["status"] == "Open").sum() == 370
    assert len(study.events) == 2 * 9_983 - 370


def test_the_templates_set_no_target_cost_or_currency(tmp_path):
    from studylib.read.scaffold import new_study
    from studylib.read.study import read_config
    new_study(tmp_path / "study")
    config = read_config(tmp_path / "study")
    assert config["targets"] == [] and config["channel_costs"] == {} and not config.get("currency")
    assert config["services"] == []          # services: all


def test_failure_demand_is_priced_only_through_channels_with_a_cost():
    from studylib.measures.demand import currency_symbol, failure_cost
    from studylib.prose.demand import cost_sentence
    contacts = pd.DataFrame({"channel": ["web", "web", "phone"], "service": "Roads",
                             "value_or_failure": ["failure", "failure", "value"]})
    unpriced = failure_cost(contacts, {"phone": {"low": 1.0, "high": 2.0}})
    words = cost_sentence(unpriced, days=60, currency=currency_symbol("GBP"))
    assert words.startswith("None of the 2 failure contacts came through a channel with a unit cost")
    assert "£" not in words and "0 and" not in words
    priced = failure_cost(contacts, {"web": {"low": 1.0, "high": 2.0}})
    assert currency_symbol(None) == ""
    words = cost_sentence(priced, days=60, currency=currency_symbol(None))
    assert "between 2 and 4 over the 60 days" in words and "gives no currency" in words and "£" not in words
    assert "between £2 and £4" in cost_sentence(priced, days=60, currency=currency_symbol("GBP"))
