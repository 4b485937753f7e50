"""System conditions: the register links waste found (with computed figures) to conditions and thinking."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT, shared_file
from studylib.conditions import condition_register, open_questions, waste_found
from studylib.demand import classify_demand
from studylib.flow import around_target, case_times, step_times
from studylib.runner import run_check
from studylib.summary import stage_results


@pytest.fixture(scope="module")
def sample_wastes(sample_study):
    s = sample_study
    classified = classify_demand(s.demand, s.demand_codebook)
    times = case_times(s.events, codebook=s.flow_codebook, as_of=s.as_of)
    steps = step_times(s.events, s.flow_codebook)
    return classified, times, steps, waste_found(demand=classified, times=times, steps=steps,
                                                 spike=around_target(times, 28))


def test_waste_found_figures_come_from_the_data(sample_wastes):
    classified, times, steps, wastes = sample_wastes
    chasing = wastes[(wastes["waste"] == "progress chasing") & (wastes["stage"] == "demand")].iloc[0]
    n = int((classified["failure_subtype"] == "progress chasing").sum())
    assert chasing["value"] == n and chasing["figure"].startswith(f"{n:,} contacts")
    hand = wastes[(wastes["waste"] == "handoff") & (wastes["measure"] == "hand-offs per case")].iloc[0]
    assert hand["value"] == pytest.approx(times["handoffs"].mean())
    spike = wastes[wastes["waste"] == "target spike"].iloc[0]
    assert spike["value"] == 67 and "28-day target on the organisation's clock" in spike["figure"]
    assert set(wastes["stage"]) == {"demand", "flow", "capability"}


def test_register_links_conditions_to_waste_and_thinking(sample_study, sample_wastes):
    *_, wastes = sample_wastes
    register = condition_register(sample_study.findings, wastes)
    target = register[register["condition"] == "28-day target on registered repairs"].set_index("cause")
    assert "67 cases finished" in target.loc["closures just before day 28", "found"]
    assert target.loc["hidden waiting before registration", "found"].startswith("customers wait")
    assert (target["thinking"] == "Targets drive performance.").all()   # 'behind' links the belief
    inspection = register[register["cause"] == "inspection"].iloc[0]
    assert "go on inspection" in inspection["found"] and inspection["stages"] == "flow"
    # Waste the data shows with no recorded cause becomes a question.
    questions = open_questions(sample_study.findings, wastes)
    assert "not done" in set(questions["waste"]) and "inspection" not in set(questions["waste"])
    assert questions["question"].str.startswith("What in the design of the system causes").all()


def test_cause_with_no_waste_in_the_data_is_flagged():
    findings = {"system_conditions": [{"condition": "IT system", "causes": ["wrong place"], "evidence": "x"}]}
    wastes = pd.DataFrame([{"waste": "rework", "stage": "flow", "measure": "m", "value": 1.0, "figure": "f"}])
    register = condition_register(findings, wastes)
    assert register.iloc[0]["found"] == "not shown by the data"
    assert open_questions(findings, wastes)["waste"].tolist() == ["rework"]
    assert open_questions({}, wastes.iloc[:0]).empty


def test_stage_results_agree_with_the_stage_functions(sample_study):
    results = stage_results(sample_study)
    prose = results.prose()
    assert list(prose) == ["Purpose", "Demand", "Capability", "Flow"]
    assert "49% of demand is failure demand" in prose["Demand"]["what"]
    assert "on average 4.4" in prose["Capability"]["what"]
    assert results.target == 28 and results.effect.attrs["n_open"] == 17


def test_la311_check_runs_and_says_what_is_missing(tmp_path):
    shared_file("311/la_311_2017_subset.csv")
    table = run_check(ROOT / "examples" / "la311", tmp_path, progress=False)
    assert table["status"].tolist() == ["ok"] * len(table)
    flow = (tmp_path / "04_flow.html").read_text()
    assert "has no case events yet, so there is no flow to study" in flow
    capability = (tmp_path / "03_capability.html").read_text()
    assert "has no case events yet, so there is no capability chart" in capability
    demand = (tmp_path / "02_demand.html").read_text()
    assert "9,999 contacts were about 8,855 problems" in demand
    assert "No contact is labelled value or failure yet" in demand


def test_demand_results_select_period_and_service(sample_study):
    from studylib.summary import demand_results, select_contacts
    contacts, start, end = select_contacts(sample_study, period_start="2025-03-10", period_end="2025-03-16",
                                           service="Highways")
    assert (contacts["service"] == "Highways").all() and len(contacts) > 0
    assert contacts["received_at"].min() >= pd.Timestamp("2025-03-10", tz="Europe/London")
    assert contacts["received_at"].max() < pd.Timestamp("2025-03-17", tz="Europe/London")
    results = demand_results(sample_study, period_start="2025-03-10", period_end="2025-03-16", service="Highways")
    assert len(results.classified) == len(contacts) and results.problems["contacts"].sum() == len(contacts)
    assert results.period == (start, end)
