"""System conditions: the register links waste found (with computed figures) to conditions and thinking,
split at dated system changes."""
from __future__ import annotations

import pandas as pd
import pytest

from studylib.measures.conditions import condition_register, open_questions
from studylib.check.results import compute_check
from studylib.read.settings import resolve_settings


@pytest.fixture(scope="module")
def sample_wastes(sample_results):
    r = sample_results
    return r.demand["classified"], r.flow, r.conditions["wastes"]


def test_waste_found_figures_come_from_the_data(sample_wastes):
    classified, flow, wastes = sample_wastes
    # Failure demand in the time frame of each system: repairs before and since its change, every
    # other service over the whole period (their system as it is now), never all of it as "now".
    chasing = wastes[(wastes["waste"] == "progress chasing") & (wastes["stage"] == "demand")]
    repairs = classified["service"] == "Housing repairs"
    is_chasing = classified["failure_subtype"] == "progress chasing"
    since = chasing[chasing["system"] == "since 10 March 2025"].iloc[0]
    n = int((is_chasing & repairs & (classified["era"] == 1)).sum())
    assert since["value"] == n and since["current"]
    assert since["figure"].startswith(f"Housing repairs since 10 March 2025: {n:,} contacts")
    before = chasing[chasing["system"] == "before 10 March 2025"].iloc[0]
    assert before["value"] == int((is_chasing & repairs & (classified["era"] == 0)).sum()) and not before["current"]
    rest = chasing[chasing["service"].isna()].iloc[0]
    assert rest["value"] == int((is_chasing & ~repairs).sum()) and rest["current"]
    assert rest["figure"].startswith("every other service, over the whole period: ")
    assert chasing["value"].sum() == int(is_chasing.sum())      # nothing counted twice, nothing lost
    times = flow["times"]
    hand = wastes[(wastes["waste"] == "handoff") & (wastes["system"] == "before 10 March 2025")].iloc[0]
    assert hand["value"] == pytest.approx(times.loc[times["era"] == 0, "handoffs"].mean())
    assert not hand["current"]
    spike = wastes[wastes["waste"] == "target spike"]
    # Work bunched before the 28-day target in the old system only: the redesign ended it.
    assert spike["system"].tolist() == ["before 10 March 2025"] and spike["value"].tolist() == [67]
    assert "28-day target on the organisation's clock" in spike["figure"].iloc[0]
    assert set(wastes["stage"]) == {"demand", "flow"}


def test_register_links_conditions_to_waste_and_thinking(sample_study, sample_wastes):
    *_, wastes = sample_wastes
    changes = sample_study.config["system_changes"]
    register = condition_register(sample_study.findings, wastes, changes)
    target = register[register["condition"] == "28-day target on registered repairs"].set_index("cause")
    assert (target["status"] == "stands").all()
    # No bunching since the change; the figure before it is kept beside it.
    # "Not shown by the data" never stands beside a figure the data shows before the change.
    assert target.loc["closures just before day 28", "found"] == "not seen since the change"
    assert "67 cases closed" in target.loc["closures just before day 28", "before"]
    # The hidden wait in the words and figures the flow report uses: one definition.
    flow_figures = sample_wastes[1]["figures"]
    old = flow_figures[flow_figures["era"] == 0].iloc[0]
    hidden = target.loc["hidden waiting before registration", "before"]
    assert hidden.startswith(f"the organisation's clock leaves out {old['hidden_mean']:.1f} days of every finished case")
    assert f"({old['end_to_end_mean']:.1f} on the customer's clock, {old['official_mean']:.1f} on its own)" in hidden
    assert old["hidden_mean"] == pytest.approx(old["end_to_end_mean"] - old["official_mean"])
    assert (target["thinking"] == "Targets drive performance.").all()   # 'behind' links the belief
    inspection = register[register["cause"] == "inspection"].iloc[0]
    assert inspection["status"] == "ended by the change of 10 March 2025"
    assert "go on inspection" in inspection["before"] and inspection["stages"] == "flow"
    # Waste the data shows now with no recorded cause becomes a question.
    questions = open_questions(sample_study.findings, wastes)
    assert "not done" in set(questions["waste"]) and "inspection" not in set(questions["waste"])
    assert questions["question"].str.startswith("What in the design of the system causes").all()


def test_cause_with_no_waste_in_the_data_is_flagged():
    findings = {"system_conditions": [{"condition": "IT system", "causes": ["wrong place"], "evidence": "x"}]}
    wastes = pd.DataFrame([{"waste": "rework", "stage": "flow", "service": None, "system": "whole period",
                            "current": True, "measure": "m", "value": 1.0, "figure": "f"}])
    register = condition_register(findings, wastes)
    assert register.iloc[0]["found"] == "not shown by the data" and register.iloc[0]["status"] == "stands"
    assert open_questions(findings, wastes)["waste"].tolist() == ["rework"]
    assert open_questions({}, wastes.iloc[:0]).empty


def test_one_computation_feeds_every_stage(sample_results):
    r = sample_results
    assert list(r.prose) == ["Purpose", "Demand", "Capability", "Flow", "System conditions"]
    assert "49% of demand is failure demand" in r.prose["Demand"]["what"]
    assert "on average 4.4" in r.prose["Capability"]["what"]
    figures = r.flow["figures"].set_index("system")
    assert figures.loc["since 10 March 2025", "open"] == 17 and figures["cases"].sum() == 722
    assert r.flow["targets"] == {"Housing repairs": 28.0}
    # The flow prose leads with the system as it is now, with the capability chart's mean.
    assert r.prose["Flow"]["what"].startswith("Since 10 March 2025")
    assert "Customers waited on average 4.4 days" in r.prose["Flow"]["what"]
    assert "Before 10 March 2025, work was closed to the 28-day target" in r.prose["Flow"]["now what"]
    assert "Ended by the change of 10 March 2025: Pre-inspection" in r.prose["System conditions"]["so what"]
    # Weekly demand of the repairs types has its limits recalculated from the week of the change.
    weekly = r.demand["predictability"]
    first_week_of_new = weekly[weekly["group"] == 1].groupby("facet", observed=True)["x"].min()
    assert set(first_week_of_new.index) == {"Report a repair", "Chasing a repair"}
    assert (first_week_of_new == pd.Timestamp("2025-03-10")).all()


@pytest.mark.slow
def test_la311_check_runs_and_says_what_is_missing(checked):
    reports, _, table = checked("la311")
    assert table.set_index("notebook")["status"].to_dict() == {
        "00_summary.ipynb": "ok", "01_purpose.ipynb": "ok", "02_demand.ipynb": "ok",
        "03_capability.ipynb": "ok", "04_flow.ipynb": "ok", "05_system_conditions.ipynb": "skipped"}
    # The export's cases (one row a case) give flow and capability; nothing inside a case is shown.
    flow = (reports / "04_flow.html").read_text()
    assert "9,987 cases, 19,969 events" in flow
    assert "the export has one row a case (its opened and closed dates)" in flow
    demand = (reports / "02_demand.html").read_text()
    assert "9,999 contacts were about 8,855 problems" in demand
    assert "No contact is labelled value or failure yet" in demand


def test_period_setting_selects_contacts_and_counts_what_it_left_out(sample_study):
    settings = resolve_settings(sample_study.config, {"period_start": "2025-03-10", "period_end": "2025-03-16"})
    r = compute_check(sample_study, settings)
    contacts = r.demand["classified"]
    assert contacts["received_at"].min() >= pd.Timestamp("2025-03-10", tz="Europe/London")
    assert contacts["received_at"].max() < pd.Timestamp("2025-03-17", tz="Europe/London")
    left = r.demand["left_out"].set_index("reason")["contacts"]
    assert set(left.index) == {"received before the study period starts (10 March 2025)",
                               "received after the study period ends (16 March 2025)"}
    # Rows in = rows used + rows left out, each with its reason.
    assert len(contacts) + left.sum() == len(sample_study.demand)
    assert r.demand["problems"]["contacts"].sum() == len(contacts)
    assert f"{left.sum():,} contacts are left out of these figures" in r.prose["Demand"]["what"]


def test_each_kind_of_waste_is_listed_once_per_system(sample_wastes):
    from studylib.measures.conditions import waste_by_kind
    *_, wastes = sample_wastes
    listed = waste_by_kind(wastes)
    assert not listed.duplicated(["stage", "system", "waste"]).any()
    handoff = listed[(listed["waste"] == "handoff") & (listed["system"] == "before 10 March 2025")]
    assert len(handoff) == 1 and "hand-offs per case" in handoff.iloc[0]["figure"] and "go on handoff" in handoff.iloc[0]["figure"]
    assert listed.iloc[0]["system"] in ("whole period", "since 10 March 2025")   # the system as it is now first
