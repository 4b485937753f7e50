"""Demand: classification with hand labels winning, rater agreement, problems not callers."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, shared_file
from studylib import ConfigError, load_study
from studylib.read.codebooks import demand_codebook_from_dict
from studylib.measures.demand import classify_demand, codebook_agreement, rater_agreement
from studylib.measures.problems import link_problems, problem_table
from studylib.prose.demand import problems_headline

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
    # Each problem's channels: distinct, sorted, joined; a contact with no channel adds none.
    with_channels = out.reset_index().assign(channel=["phone", "web", "phone", "web", None, "email", "letter", "email", "web"])
    channels = problem_table(with_channels).set_index("problem_id")["channels"]
    assert channels[pid["a"]] == "phone, web" and channels[pid["g"]] == "email, letter"
    assert channels[pid["e"]] == "" and channels[pid["d"]] == "web"


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


# -- frequency, predictability, cost, charts, prose ---------------------------------------------

def _labelled(rows):
    frame = pd.DataFrame(rows, columns=["received_at", "channel", "service", "demand_type", "value_or_failure",
                                        "failure_subtype"])
    frame["received_at"] = pd.to_datetime(frame["received_at"]).dt.tz_localize("Europe/London")
    return frame


@pytest.fixture
def labelled():
    return _labelled([
        ("2025-01-06 09:00", "phone", "Repairs", "Report a repair", "value", None),       # Mon, week 1
        ("2025-01-07 10:00", "phone", "Repairs", "Chasing a repair", "failure", "progress chasing"),
        ("2025-01-08 11:00", "web", "Repairs", "Chasing a repair", "failure", "progress chasing"),
        ("2025-01-13 09:00", "letter", "Tax", "Bill unclear", "failure", "clarification"),  # week 2
        ("2025-01-14 09:00", "phone", "Tax", "Pay my bill", "value", None),
        ("2025-01-21 09:00", "chat", "Tax", None, None, None),                               # week 3, unlabelled
    ])


def test_frequency_and_failure_share(labelled):
    from studylib.measures.demand import demand_frequency, failure_share
    by_type = demand_frequency(labelled, "demand_type")
    assert by_type.iloc[0].to_dict() == {"demand_type": "Chasing a repair", "contacts": 2, "share": 2 / 6}
    assert demand_frequency(labelled, "weekday")["weekday"].astype(str).tolist() == ["Monday", "Tuesday", "Wednesday"]
    assert demand_frequency(labelled, "hour").set_index("hour")["contacts"].to_dict() == {9: 4, 10: 1, 11: 1}
    overall = failure_share(labelled).iloc[0]
    # Shares are of labelled contacts: the unlabelled chat is counted, never guessed.
    assert (overall["contacts"], overall["labelled"], overall["failure"]) == (6, 5, 3)
    assert overall["failure_share"] == pytest.approx(0.6)
    by_channel = failure_share(labelled, "channel").set_index("channel")
    assert by_channel.loc["phone", "failure_share"] == pytest.approx(1 / 3)
    assert pd.isna(by_channel.loc["chat", "failure_share"])


def test_weekly_demand_keeps_whole_weeks_with_zeros(labelled):
    from studylib.measures.demand import demand_predictability, weekly_demand
    weekly = weekly_demand(labelled, types=["Chasing a repair", "Pay my bill"],
                           period=("2025-01-06", "2025-01-19"))
    assert weekly["week"].drop_duplicates().dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-13"]
    assert weekly.set_index(["week", "demand_type"])["contacts"].tolist() == [2, 0, 0, 1]
    # A period ending mid-week drops the part week.
    part = weekly_demand(labelled, types=["Pay my bill"], period=("2025-01-06", "2025-01-16"))
    assert part["week"].nunique() == 1
    result = demand_predictability(weekly)
    assert set(result["facet"].astype(str)) == {"Chasing a repair", "Pay my bill"}


def test_failure_cost_is_a_range_and_unpriced_channels_are_said(labelled):
    from studylib.measures.demand import DEFAULT_CHANNEL_COSTS, failure_cost
    from studylib.prose.demand import cost_sentence
    costs = {"phone": {"low": 1.34, "high": 3.21, "source": "two reports"},
             "web": {"low": 0.1, "high": 0.5, "source": "guess"}}
    by_channel = failure_cost(labelled, costs).set_index("channel")
    assert by_channel.loc["phone", ["failure_contacts", "cost_low", "cost_high"]].tolist() == [1, 1.34, 3.21]
    assert pd.isna(by_channel.loc["letter", "cost_low"])            # never priced at zero
    assert by_channel.attrs["unpriced_contacts"] == 1
    assert by_channel.attrs["total_low"] == pytest.approx(1.44) and by_channel.attrs["total_high"] == pytest.approx(3.71)
    by_service = failure_cost(labelled, costs, by="service").set_index("service")
    assert by_service.loc["Tax", "unpriced_contacts"] == 1
    text = cost_sentence(by_channel, days=14)
    assert text.startswith("Failure demand cost between £1 and £4 over the 14 days of the study")
    assert "1 failure contact came through channels with no cost in the study and is not priced" in text
    assert "a year" not in text                                     # no yearly rate from a fortnight
    assert "over the 1 day of the study" in cost_sentence(by_channel, days=1)
    assert "a year at this rate" in cost_sentence(by_channel, days=126)
    assert DEFAULT_CHANNEL_COSTS["phone"] == {"low": 1.34, "high": 3.21,
                                              "source": "two UK reports quoted in the study guide (GBP 1.34 and 3.21)"}


def test_demand_charts_draw_the_tables(sample_study):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from studylib.charts.demand import plot_channel_mix, plot_contacts_per_problem, plot_demand_pareto, plot_failure_subtypes, plot_problem_map
    from studylib.measures.demand import demand_frequency, failure_share
    c = classify_demand(sample_study.demand, sample_study.demand_codebook)
    by_type = demand_frequency(c, ["demand_type", "value_or_failure"])
    ax = plot_demand_pareto(by_type, top=10)
    assert [p.get_width() for p in ax.patches] == by_type["contacts"].head(10).iloc[::-1].tolist()
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p, v in
               zip(ax.patches, by_type["value_or_failure"].head(10).iloc[::-1]) if v == "failure"}
    assert colours == {"#d9822b"}
    sub = demand_frequency(c[c["value_or_failure"] == "failure"], "failure_subtype")
    ax = plot_failure_subtypes(sub)
    assert sum(p.get_width() for p in ax.patches) == (c["value_or_failure"] == "failure").sum()
    mix = failure_share(c, "channel")
    ax = plot_channel_mix(mix)
    value_bars, failure_bars = ax.containers
    assert sum(p.get_width() for p in failure_bars) == mix["failure"].sum()
    problems = problem_table(link_problems(c))
    ax = plot_contacts_per_problem(problems, most=5)
    heights = [p.get_height() for p in ax.patches]
    assert heights[0] == (problems["contacts"] == 1).sum() and heights[-1] == (problems["contacts"] >= 5).sum()
    ax = plot_problem_map(problems)
    placed = problems.dropna(subset=["latitude", "longitude"])
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], placed["longitude"])
    plt.close("all")


def test_demand_prose_from_the_numbers(sample_study):
    from studylib.measures.demand import failure_share
    from studylib.prose.demand import demand_prose
    from studylib.check.results import compute_check
    demand = compute_check(sample_study).demand
    c, problems = demand["classified"], demand["problems"]
    assert problems_headline(problem_table(link_problems(classify_demand(sample_study.demand, sample_study.demand_codebook)))) \
        == problems_headline(problems)
    prose = demand_prose(demand)
    share = failure_share(c).iloc[0]["failure_share"]
    assert f"{share:.0%} of demand is failure demand" in prose["what"]
    assert "Progress chasing is the largest kind" in prose["what"]
    assert problems_headline(problems) in prose["what"]
    assert prose["so what"].count("£") >= 2
    # Housing repairs was redesigned on 10 March 2025: its demand is split there, now first.
    repairs = c[c["service"] == "Housing repairs"]
    since = repairs[repairs["received_at"] >= pd.Timestamp("2025-03-10", tz="Europe/London")]
    share = (since["value_or_failure"] == "failure").sum() / since["value_or_failure"].isin(["value", "failure"]).sum()
    assert f"Housing repairs since 10 March 2025: {share:.0%} failure demand" in prose["what"]


def test_banking77_codebook_coverage_and_accuracy():
    """A hand-written codebook for 14 BANKING77 intents, patterns written from the train split,
    measured on the test split (real customer phrasing)."""
    import yaml
    path = ROOT / "examples" / "banking77" / "demand_codebook.yml"
    intents = {t["type"]: t["intent"] for t in yaml.safe_load(path.read_text())["types"]}
    from studylib.read.codebooks import load_demand_codebook
    codebook = load_demand_codebook(path)
    test = pd.read_csv(shared_file("verbatims/banking77_test.csv"))
    out = classify_demand(test.rename(columns={"text": "verbatim"}), codebook)
    predicted = out["demand_type"].map(intents)
    in_subset = test["category"].isin(intents.values())
    assert in_subset.sum() == 560                      # 14 intents x 40 test queries
    covered = in_subset & predicted.notna()
    coverage = covered.sum() / in_subset.sum()
    accuracy = (predicted[covered] == test["category"][covered]).mean()
    outside = (predicted.notna() & ~in_subset).sum()
    # Measured: coverage 57.5%, accuracy 96.9%, 130 of the 2,520 other queries matched.
    assert coverage >= 0.55 and accuracy >= 0.95 and outside <= 150
    assert out.loc[out["demand_type"].notna(), "value_or_failure"].isin(["value", "failure"]).all()


def test_headlines_say_what_could_not_be_linked_priced_or_judged():
    """Honest about thin data: links not made, no unit costs, too few weeks."""
    from studylib.prose.demand import cost_sentence, predictability_sentence
    problems = pd.DataFrame({"problem_id": ["P1", "P2", "P3"], "contacts": [1, 1, 1]})
    none = problems_headline(problems, linkable=0)
    assert none.startswith("None of the 3 contacts could be linked") and "problems;" not in none
    some = problems_headline(problems, linkable=1)
    assert "2 of the contacts carry no problem reference and no location" in some
    assert cost_sentence(None) == ("The study gives no unit cost for its channels, so the cost of failure demand "
                                   "is not estimated.")
    # Eight weeks: too few to call demand predictable, whatever the chart shows.
    weeks = pd.date_range("2025-01-06", periods=8, freq="W-MON")
    weekly = pd.DataFrame({"week": list(weeks) * 2, "demand_type": ["a"] * 8 + ["b"] * 8,
                           "contacts": [10, 12, 11, 9, 10, 12, 11, 10] * 2})
    from studylib.measures.demand import demand_predictability, weekly_verdicts
    text = predictability_sentence(weekly_verdicts(demand_predictability(weekly)))
    assert text.startswith("Too few weeks to judge for a, b (8 or fewer") and "predictable week to week" not in text


def test_weekly_demand_is_judged_by_the_same_verdict_as_capability():
    from studylib.measures.demand import demand_predictability, weekly_verdicts
    from studylib.measures.predictability import predictability
    from studylib.prose.demand import predictability_sentence, weekly_verdict_sentence
    weeks = pd.date_range("2025-01-06", periods=20, freq="W-MON")
    steady = [40, 44, 38, 42, 41, 39, 45, 40, 43, 38, 42, 40, 44, 39, 41, 43, 40, 42, 38, 41]
    rising = [20, 22, 21, 19, 23, 20, 22, 21, 20, 22, 60, 62, 61, 63, 60, 62, 61, 64, 60, 62]
    weekly = pd.DataFrame({"week": list(weeks) * 2, "demand_type": ["Steady"] * 20 + ["Chasing a repair"] * 20,
                           "contacts": steady + rising})
    verdicts = weekly_verdicts(demand_predictability(weekly)).set_index("demand_type")
    assert verdicts.loc["Steady", "verdict"] == predictability(steady).iloc[0]["verdict"] == "predictable"
    assert verdicts.loc["Chasing a repair", "verdict"] == "not predictable"
    steady_words = weekly_verdict_sentence("Steady", verdicts.loc["Steady"])
    assert steady_words.startswith("Steady is predictable: between ") and "contacts a week" in steady_words
    chasing = weekly_verdict_sentence("Chasing a repair", verdicts.loc["Chasing a repair"])
    assert chasing.startswith("Chasing a repair is not predictable week to week: the weeks cross the median only once")
    text = predictability_sentence(weekly_verdicts(demand_predictability(weekly)))
    assert text.startswith("1 of the 2 main demand types with 12 or more weeks of data is predictable week to week")
    assert "Chasing a repair is not predictable: the weeks cross the median only once" in text


def test_the_demand_report_shows_contacts_drawn_in_the_results(sample_results):
    """The demand report's counts, examples and contacts needing review come with the results, drawn
    from the classified contacts (its kernel reads none of them), and a table of the first 30 of
    more says how many there are."""
    from studylib.check.results import REVIEW_ROWS
    from studylib.measures.demand import example_verbatims
    from studylib.prose.show import table
    d = sample_results.demand
    classified = d["classified"]
    assert d["contacts"] == len(classified)
    pd.testing.assert_frame_equal(d["examples"], example_verbatims(classified))
    assert dict(zip(d["labelled_by"]["labelled by"], d["labelled_by"]["count"])) == classified["matched_by"].value_counts().to_dict()
    needing = classified[classified["needs_review"].astype(bool)]
    assert d["review_count"] == len(needing) and d["review"]["contact_id"].tolist() == needing["contact_id"].head(REVIEW_ROWS).tolist()
    pd.testing.assert_frame_equal(d["agreement"], codebook_agreement(classified)[0])
    first = pd.DataFrame({"contact_id": [f"C{i}" for i in range(REVIEW_ROWS)]})
    shown = table(first, max_rows=REVIEW_ROWS, of=8_000).data
    assert f"First {REVIEW_ROWS} of 8,000 rows." in shown and shown.count("<tr") == REVIEW_ROWS + 1
    assert "rows." not in table(needing.head(3)[["contact_id"]], max_rows=REVIEW_ROWS, of=3).data
