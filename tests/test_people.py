"""Who contacts us (persistent complainers, patrollers), NI14 beside value and failure, and the
waiting list on both clocks: checked against figures computed independently here, on the sample
and on Boston 311's open cases."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT, shared_file
from studylib import compute_check, load_study
from studylib.measures.customers import customer_kinds, customer_patterns, ni14_comparison
from studylib.measures.problems import link_problems
from studylib.read.settings import resolve_settings

TZ = "Europe/London"


@pytest.fixture(scope="module")
def linked(sample_results):
    return link_problems(sample_results.demand["classified"], radius_m=50, window_days=28)


def test_kinds_of_customer_on_a_small_example():
    frame = pd.DataFrame({
        "customer_ref": ["a"] * 4 + ["b"] * 3 + ["c"] + [""] * 2,
        "value_or_failure": ["value", "failure", "failure", "failure", "value", "value", "value", "failure", "failure", "value"],
        "problem_id": ["p1", "p1", "p1", "p1", "p2", "p3", "p4", "p5", "p6", "p7"],
    })
    per = customer_patterns(frame).set_index("customer_ref")
    assert per.loc["a", "kind"] == "persistent complainer" and per.loc["a", "most_on_one_problem"] == 4
    assert per.loc["b", "kind"] == "patroller" and per.loc["b", "value_problems"] == 3
    assert per.loc["c", "kind"] == "other"
    assert "" not in per.index                       # contacts with no reference are not a customer
    kinds = customer_kinds(per.reset_index()).set_index("kind")
    assert kinds.loc["persistent complainer", "share_of_failure"] == pytest.approx(3 / 4)
    assert customer_patterns(frame.assign(customer_ref="")) is None


def test_complainers_and_patrollers_on_the_sample(sample_results, linked):
    known = linked[linked["customer_ref"].fillna("").astype(str).str.strip() != ""]
    failure = known["value_or_failure"].eq("failure").groupby(known["customer_ref"]).sum()
    contacts = known.groupby("customer_ref").size()
    value_problems = known[known["value_or_failure"] == "value"].groupby("customer_ref")["problem_id"].nunique()
    complainers = set(failure[(failure >= 3) & (failure * 2 >= contacts)].index)
    patrollers = set(value_problems[value_problems >= 3].index)
    kinds = sample_results.demand["customers"].set_index("kind")
    assert kinds.loc["persistent complainer", "customers"] + kinds.loc["both", "customers"] == len(complainers)
    assert kinds.loc["patroller", "customers"] + kinds.loc["both", "customers"] == len(patrollers)
    # The sample's ten street patrollers, P90001-P90010, are the patrollers it finds.
    assert patrollers == {f"P{90001 + k:05d}" for k in range(10)}
    assert kinds["customers"].sum() == known["customer_ref"].nunique()


def test_ni14_beside_other_counts_of_the_same_demand(linked):
    table = ni14_comparison(linked).set_index("measure")["value"]
    labelled = linked[linked["value_or_failure"].isin(["value", "failure"])]
    failure = labelled["value_or_failure"].eq("failure")
    assert table.iloc[0] == pytest.approx(failure.sum() / len(labelled))
    assert table.filter(like="per problem").iloc[0] == pytest.approx(failure.groupby(labelled["problem_id"]).max().mean())
    # The channel shift, by hand: half of phone moves to the app, each channel's share unchanged.
    volume = labelled["channel"].value_counts().astype(float)
    share = failure.groupby(labelled["channel"]).mean()
    volume["app"] += volume["phone"] / 2
    volume["phone"] /= 2
    assert table.filter(like="moved to the app").iloc[0] == pytest.approx((volume * share).sum() / volume.sum())
    assert table.filter(like="moved to the app").iloc[0] < table.iloc[0] - 0.03     # it moves; no customer did
    assert table["Failure contacts per problem"] == pytest.approx(failure.sum() / labelled["problem_id"].nunique())


def _by_hand(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each case at ``as_of``, from the raw events: first report, registration, solve and close."""
    seen = events[events["timestamp"] <= as_of]
    first = seen.pivot_table(index="case_id", columns="activity", values="timestamp", aggfunc="min")
    return pd.DataFrame({"reported": first["Repair reported"], "registered": first.get("Case registered"),
                         "solved": first.get("Repair completed"), "closed": first.get("Job closed")})


@pytest.mark.parametrize("as_of", ["2025-03-01", None])
def test_waiting_list_on_both_clocks_matches_the_events(sample_study, as_of):
    settings = resolve_settings(sample_study.config)
    if as_of:
        settings["as_of"] = pd.Timestamp(as_of, tz=TZ)
    r = compute_check(sample_study, settings)
    at = r.flow["times"].attrs["as_of"]
    cases = _by_hand(sample_study.events, at).dropna(subset=["reported"])
    waiting = cases[cases["solved"].isna()]
    hidden = waiting["registered"].isna()
    closed = waiting["closed"].notna() & ~hidden
    table = r.flow["waiting"]
    assert len(table) == len(waiting)
    assert (table["status"] == "not yet registered").sum() == hidden.sum()
    assert (table["status"] == "closed, not solved").sum() == closed.sum()
    ages = ((at - waiting["reported"]) / pd.Timedelta(days=1)).sort_values(ascending=False)
    assert table["customer_age_days"].to_numpy() == pytest.approx(ages.to_numpy())
    assert table["past_target"].sum() == (ages > 28).sum()
    summary = r.flow["waiting_summary"].iloc[0]
    assert summary["waiting"] == len(waiting) and summary["on_organisation_list"] == len(waiting) - hidden.sum() - closed.sum()
    weekly = r.flow["list_weekly"]
    for week in weekly["week"].iloc[[2, -1]]:
        end = min(pd.Timestamp(week).tz_localize(TZ) + pd.Timedelta(days=7), at)
        then = _by_hand(sample_study.events, at)
        open_then = (then["reported"] < end) & ~(then["solved"] < end)
        assert int(weekly.loc[weekly["week"] == week, "waiting"].iloc[0]) == int(open_then.sum())
    if as_of:
        # Before the redesign the organisation's list hid customers on both sides of its clock.
        assert hidden.sum() > 0 and closed.sum() > 0
        assert (table["past_target_official"].fillna(False).astype(bool)).sum() < (ages > 28).sum()


def test_boston_311_every_open_case_counted_and_past_its_service_level():
    path = shared_file("311/boston_311_2025_open.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    study = load_study(ROOT / "examples" / "boston")
    r = compute_check(study)
    table = r.flow["waiting"]
    assert len(table) == len(raw) == 2424
    assert set(table["case_id"]) == set(raw["case_enquiry_id"])
    # The city's own on-time flags at export, reproduced case by case from the service-level dates.
    overdue = set(raw.loc[raw["on_time"] == "OVERDUE", "case_enquiry_id"])
    assert set(table.loc[table["past_due"].astype(bool), "case_id"]) == overdue and len(overdue) == 2268
    by_type = raw["type"].value_counts()
    summary = r.flow["waiting_summary"].set_index("service")
    assert summary["waiting"].to_dict() == by_type.to_dict()
    opened = pd.to_datetime(raw["open_dt"]).dt.tz_localize("America/New_York")
    ages = (pd.Timestamp("2025-05-20", tz="America/New_York") - opened) / pd.Timedelta(days=1)
    assert table["customer_age_days"].max() == pytest.approx(ages.max())
    assert "2,268 of 2,424 are past the service-level date" in r.prose["Flow"]["so what"]
    assert r.capability["charts"] == {} and "Not one of the 2,424 cases has finished" in r.prose["Capability"]["what"]


def _text(html: str) -> str:
    import html as h
    import re
    return h.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", html, flags=re.S)))


@pytest.mark.slow
def test_reports_show_who_contacts_us_ni14_and_the_waiting_list(checked, sample_results):
    reports, rc, _ = checked("sample")
    assert rc == 0
    demand = _text((reports / "02_demand.html").read_text())
    kinds = sample_results.demand["customers"].set_index("kind")
    assert f"{int(kinds.loc['persistent complainer', 'customers']):,} contacted again and again about failures" in demand
    assert "10 reported three or more different problems (patrollers)" in demand
    assert "NI14 would report 49% avoidable contact" in demand and "no customer would be better off" in demand
    flow = _text((reports / "04_flow.html").read_text())
    assert "At 12 May 2025, 17 customers are waiting for a problem to be solved; the organisation's list shows 16" in flow
    summary = _text((reports / "00_summary.html").read_text())
    assert "persistent complainers" in summary and "17 customers are waiting" in summary
    for html in reports.glob("*.html"):
        assert "P90001" not in html.read_text(), html.name          # customer references never shown


@pytest.mark.slow
def test_boston_runs_with_one_command_and_counts_every_open_case(checked):
    reports, rc, _ = checked("boston")
    assert rc == 0
    flow = _text((reports / "04_flow.html").read_text())
    assert "At 20 May 2025, 2,424 customers are waiting" in flow and "2,268 of 2,424 are past the service-level date" in flow
    assert "median of nan" not in flow and "1970" not in flow
    assert "Not one of the 2,424 cases has finished" in _text((reports / "03_capability.html").read_text())


def test_without_customer_references_the_report_says_it_cannot_tell(tmp_path):
    shared_file("311/la_311_2017_subset.csv")
    r = compute_check(load_study(ROOT / "examples" / "la311"))
    assert r.demand["customers"] is None
    assert "carries no customer reference, so who contacts again and again" in r.prose["Demand"]["so what"]
