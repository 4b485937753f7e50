"""Demand: classification with hand labels winning, rater agreement, problems not callers."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, shared_file
from studylib import ConfigError, load_study
from studylib.codebooks import demand_codebook_from_dict
from studylib.demand import (classify_demand, codebook_agreement, link_problems, problem_table,
                             problems_headline, rater_agreement)

CODEBOOK = {"types": [
    {"type": "Report a pot-hole", "value_or_failure": "value", "patterns": ["pot ?-?holes?", "crater"]},
    {"type": "Chasing a report", "value_or_failure": "failure", "failure_subtype": "progress chasing",
     "patterns": ["still waiting", "reported (it|this) (weeks|days) ago"], "priority": 5},
    {"type": "Missed bin", "value_or_failure": "failure", "failure_subtype": "not done",
     "patterns": ["bin (was|wasn.t) (missed|collected)"]},
    {"type": "Bin collection day", "value_or_failure": "value", "patterns": ["bin.{0,20}collected"]},
]}


@pytest.fixture
def codebook():
    return demand_codebook_from_dict(CODEBOOK)


def _demand(rows):
    return pd.DataFrame(rows, columns=["contact_id", "verbatim", "demand_type", "value_or_failure", "failure_subtype"])


def test_hand_labels_win_and_patterns_fill_gaps(codebook):
    d = _demand([
        ("c1", "There's a POT HOLE outside no. 12", "", "", ""),
        ("c2", "I reported this weeks ago about the pothole, still waiting", "", "", ""),
        ("c3", "pothole by the school", "Report a pot-hole", "value", ""),
        ("c4", "pothole again!", "Chasing a report", "failure", "progress chasing"),  # hand label disagrees
        ("c5", "my bin wasn't collected", "", "", ""),                              # two types, same priority
        ("c6", "can I pay for parking here", "", "", ""),                           # nothing matches
        ("c7", None, "", "", ""),
    ])
    out = classify_demand(d, codebook).set_index("contact_id")
    assert out.loc["c1", ["demand_type", "value_or_failure", "matched_by"]].tolist() == ["Report a pot-hole", "value", "pattern"]
    # c2 matches pot-hole and chasing: the higher priority (chasing) wins, no review needed.
    assert out.loc["c2", "demand_type"] == "Chasing a report" and out.loc["c2", "failure_subtype"] == "progress chasing"
    assert out.loc["c2", "matched_types"] == "Report a pot-hole; Chasing a report" and not out.loc["c2", "needs_review"]
    assert out.loc["c4", "demand_type"] == "Chasing a report" and out.loc["c4", "matched_by"] == "hand label"
    assert out.loc["c4", "codebook_type"] == "Report a pot-hole"
    assert out.loc["c5", "needs_review"] and pd.isna(out.loc["c5", "demand_type"])
    assert out.loc["c6", "needs_review"] and out.loc["c6", "matched_by"] == "none"
    assert out.loc["c7", "needs_review"]
    summary, confusion = codebook_agreement(out.reset_index())
    assert summary.iloc[0].to_dict() == {"contacts_compared": 2, "agree": 1, "agreement": 0.5}
    assert confusion.loc["Chasing a report", "Report a pot-hole"] == 1


def test_hostile_patterns_are_refused_and_hostile_text_is_harmless(codebook):
    with pytest.raises(ConfigError, match="type #1 'Bad'.*look-arounds and back-references"):
        demand_codebook_from_dict({"types": [{"type": "Bad", "value_or_failure": "value", "patterns": ["(?=a)b"]}]})
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        demand_codebook_from_dict({"types": [{"type": "Bad", "value_or_failure": "value", "patterns": ["(unclosed"]}]})
    # A classic catastrophic-backtracking pattern on text built to trigger it runs in linear time.
    evil = demand_codebook_from_dict({"types": [{"type": "Evil", "value_or_failure": "value", "patterns": ["(a+)+b"]}]})
    d = _demand([(f"x{i}", "a" * 20_000 + "!", "", "", "") for i in range(50)])
    start = time.perf_counter()
    out = classify_demand(d, evil)
    assert time.perf_counter() - start < 5   # a backtracking engine would not finish at all
    assert out["needs_review"].all()


def test_sample_classification(sample_study):
    out = classify_demand(sample_study.demand, sample_study.demand_codebook)
    assert len(out) == len(sample_study.demand)
    # Hand labels are never overwritten.
    hand = sample_study.demand["demand_type"].fillna("").str.strip() != ""
    assert (out.loc[hand, "demand_type"] == sample_study.demand.loc[hand, "demand_type"]).all()
    assert (out["matched_by"] == "hand label").sum() == hand.sum() == 4957
    # The 345 unlabelled letters and e-mails: most are recognised by the codebook's patterns.
    assert (out.loc[~hand, "matched_by"] == "pattern").mean() > 0.9
    summary, _ = codebook_agreement(out)
    assert summary["agreement"].iloc[0] > 0.9


def test_cohens_kappa_worked_example():
    # The standard worked example (Wikipedia, "Cohen's kappa"): 50 proposals, both say yes to 20,
    # both no to 15, A yes/B no 5, A no/B yes 10: po = 0.7, pe = 0.5, kappa = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    summary, disagreements = rater_agreement(a, b, ids=[f"p{i}" for i in range(50)])
    row = summary.iloc[0]
    assert row["n"] == 50 and row["observed_agreement"] == pytest.approx(0.7)
    assert row["expected_agreement"] == pytest.approx(0.5) and row["kappa"] == pytest.approx(0.4)
    assert len(disagreements) == 15 and disagreements["id"].iloc[0] == "p20"
    summary, _ = rater_agreement(["a", "b", None], ["a", "b", "c"])
    assert summary.iloc[0][["n", "n_missing", "kappa"]].tolist() == [2, 1, 1.0]


def _contacts(rows):
    frame = pd.DataFrame(rows, columns=["contact_id", "received_at", "demand_type", "latitude", "longitude", "problem_ref"])
    frame["received_at"] = pd.to_datetime(frame["received_at"]).dt.tz_localize("Europe/London")
    return frame


M = 1 / 111_195  # degrees of latitude per metre


def test_link_problems_place_time_reference_and_transitivity():
    lat, lon = 52.0, -1.0
    d = _contacts([
        ("a", "2025-01-01 09:00", "pot-hole", lat, lon, ""),
        ("b", "2025-01-03 09:00", "pot-hole", lat + 30 * M, lon, ""),        # 30 m away: same problem
        ("c", "2025-01-20 09:00", "pot-hole", lat + 70 * M, lon, ""),        # 40 m from b: joins by chain
        ("d", "2025-01-02 09:00", "pot-hole", lat + 300 * M, lon, ""),       # 300 m: another problem
        ("e", "2025-01-02 09:00", "street light", lat, lon, ""),             # same place, other demand
        ("f", "2025-04-01 09:00", "pot-hole", lat, lon, ""),                 # months later: new problem
        ("g", "2025-01-05 09:00", "chasing", np.nan, np.nan, "REF-1"),       # by reference...
        ("h", "2025-01-09 09:00", "chasing", np.nan, np.nan, "REF-1"),
        ("i", "2025-01-04 09:00", "pot-hole", np.nan, np.nan, ""),           # nowhere, no reference
    ])
    out = link_problems(d, radius_m=50, window_days=28).set_index("contact_id")
    pid = out["problem_id"]
    assert pid["a"] == pid["b"] == pid["c"]
    assert len({pid["a"], pid["d"], pid["e"], pid["f"], pid["g"], pid["i"]}) == 6
    assert pid["g"] == pid["h"]
    assert out.loc["a", "linked_by"] == "place and time" and out.loc["g", "linked_by"] == "reference"
    assert out.loc["i", "linked_by"] == "alone"
    assert pid["a"] == "P000001"              # numbered by first contact
    # Row order does not change which contacts share a problem.
    again = link_problems(d.sample(frac=1, random_state=4)).set_index("contact_id").loc[out.index]
    assert (again["problem_id"] == pid).all()
    problems = problem_table(out.reset_index())
    assert problems["contacts"].tolist()[0] == 3 and problems["contacts"].sum() == len(d)
    assert problems_headline(problems) == "9 contacts were about 6 problems; 1 problem drew 3 or more contacts."


def test_sample_problems(sample_study):
    linked = link_problems(classify_demand(sample_study.demand, sample_study.demand_codebook))
    problems = problem_table(linked)
    assert problems["contacts"].sum() == len(sample_study.demand)
    assert len(problems) < len(sample_study.demand)
    # The sample's pot-holes are reported by several people: some problems draw many contacts.
    potholes = problems[problems["demand_type"] == "Report a pot-hole"]
    assert potholes["contacts"].max() >= 3 and potholes["callers"].max() >= 3


def _haversine_m(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


def test_la311_repeat_reports_become_one_problem():
    shared_file("311/la_311_2017_subset.csv")
    study = load_study(ROOT / "examples" / "la311")
    linked = link_problems(study.demand, radius_m=50, window_days=28)   # same RequestType
    problems = problem_table(linked)
    assert problems["contacts"].sum() == 9_999
    raw = pd.read_csv(shared_file("311/la_311_2017_subset.csv"), dtype=str, keep_default_na=False)
    linked["address"] = raw["Address"].to_numpy()
    groups = linked.groupby(["demand_type", "address"])
    repeated = [g for _, g in groups if len(g) > 1]
    assert len(repeated) == 909   # the data README: 909 (type, address) pairs reported more than once
    # Checked independently with the haversine distance: every repeated pair whose reports are
    # all within 50 m of the first is one problem (the five days of data are inside the window).
    checked = 0
    for g in repeated:
        lat, lon = pd.to_numeric(g["latitude"]).to_numpy(), pd.to_numeric(g["longitude"]).to_numpy()
        if np.isnan(lat).any():
            continue
        if (_haversine_m(lat[0], lon[0], lat, lon) <= 49.5).all():
            checked += 1
            assert g["problem_id"].nunique() == 1, g
    assert checked > 500
    assert len(problems) < 9_999 - 600


def test_sf311_duplicates_linked_to_an_earlier_request():
    raw = pd.read_csv(shared_file("311/sf_311_sample.csv"), dtype=str, keep_default_na=False)
    lat = pd.to_numeric(raw["latitude"]).replace(0, np.nan)   # (0, 0) means no location
    lon = pd.to_numeric(raw["longitude"]).replace(0, np.nan)
    d = pd.DataFrame({"contact_id": raw["unique_key"], "received_at": pd.to_datetime(raw["created_date"], utc=True),
                      "demand_type": raw["complaint_type"], "latitude": lat, "longitude": lon})
    linked = link_problems(d)
    duplicate = raw["status_notes"].str.contains("duplicate", case=False).to_numpy()
    first = linked.groupby("problem_id")["received_at"].transform("min")
    with_earlier = duplicate & (linked["received_at"] > first).to_numpy()
    assert duplicate.sum() == 75
    # A 10,000-request random sample of ten years rarely holds the original of a duplicate:
    # 4 of the 75 have an earlier request of the same type within 50 m and 28 days.
    assert int(with_earlier.sum()) == 4
