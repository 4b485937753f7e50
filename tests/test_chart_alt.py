"""Alt text that is true: every chart kind states its main figure from the data it was drawn from,
never from reading its axes. Each test draws a chart from the sample check's tables and holds its
alt text to a figure computed here, independently, from the same table.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from studylib.charts import capability as capability_chart
from studylib.charts import demand as demand_chart
from studylib.charts import flow as flow_chart
from studylib.charts import purpose as purpose_chart
from studylib.charts.display import describe_chart


@pytest.fixture(scope="module")
def r(sample_results):
    return sample_results


def alt(ax) -> str:
    text = describe_chart(ax.figure)
    plt.close(ax.figure)
    return text


def test_what_matters(r):
    table = r.purpose["matters"]
    top = table.sort_values("contacts", ascending=False).iloc[0]
    text = alt(purpose_chart.plot_what_matters(table))
    assert f"“{top['what_matters']}”, in {top['contacts']:,} of {table['contacts'].sum():,} contacts" in text


def test_demand_by_type(r):
    by_type = r.demand["by_type"]
    top = by_type.sort_values("contacts", ascending=False).iloc[0]
    text = alt(demand_chart.plot_demand_pareto(by_type, top=10))
    assert f"the most contacts, {top['contacts']:,} of {by_type['contacts'].sum():,}, are {top['demand_type']}" in text


def test_failure_kinds(r):
    sub = r.demand["subtypes"]
    failure = r.demand["classified"]
    failure = failure[failure["value_or_failure"] == "failure"]
    top = failure["failure_subtype"].value_counts()
    text = alt(demand_chart.plot_failure_subtypes(sub))
    assert f"the largest kind is {top.index[0]}, {top.iloc[0]:,} of {len(failure):,} failure contacts" in text


def test_channel_mix(r):
    c = r.demand["classified"]
    by = c[c["value_or_failure"].isin(["value", "failure"])].groupby("channel")["value_or_failure"]
    counts = by.size().sort_values()
    top = counts.index[-1]
    failure = int((c.loc[c["channel"] == top, "value_or_failure"] == "failure").sum())
    text = alt(demand_chart.plot_channel_mix(r.demand["by_channel"]))
    assert f"the most contacts came by {top.replace('_', ' ')}, {counts.iloc[-1]:,} ({failure:,} of them failure demand)" in text
    assert "_" not in text


def test_contacts_per_problem(r):
    problems = r.demand["problems"]
    one = int((problems["contacts"] == 1).sum())
    text = alt(demand_chart.plot_contacts_per_problem(problems))
    # The tallest bar is the problems with one contact: the alt text says so, not "2" or a tick's name.
    assert f"{len(problems):,} problems; the most, {one:,}, drew 1 contact each" in text


def test_problem_map(r):
    problems = r.demand["problems"]
    placed = problems.dropna(subset=["latitude", "longitude"])
    text = alt(demand_chart.plot_problem_map(problems))
    assert f"{len(placed):,} problems with a place, of {len(problems):,}" in text
    assert f"the most contacts about one is {placed['contacts'].max():,}" in text


def test_customer_kinds(r):
    kinds = r.demand["customers"]
    top = kinds[kinds["customers"] > 0].sort_values("contacts").iloc[-1]
    text = alt(demand_chart.plot_customer_kinds(kinds))
    assert f"the most contacts, {top['contacts']:,}, came from {top['kind']} ({top['customers']:,} customers)" in text


def test_xmr_capability(r):
    name, result = next(reversed(r.capability["charts"].items()))
    now = result[result["group"] == result["group"].max()]
    text = alt(capability_chart.plot_xmr(result, floor=0, title=name))
    assert (f"{now['value'].notna().sum():,} points in the latest system, average {now['mean'].iloc[0]:.1f}, "
            f"limits {max(now['lower_limit'].iloc[0], 0):.1f} to {now['upper_limit'].iloc[0]:.1f}") in text
    signals = int((now["point_type"] != "common_cause").sum())
    assert f"; {signals:,} points marked as signals" in text


def test_two_clocks(r):
    times = r.flow["times"]
    done = times[~times["is_open"].astype(bool)]
    now = done[done["era"] == 1]
    figures = r.flow["figures"]
    row = figures[figures["era"] == 1].iloc[0]
    text = alt(flow_chart.plot_two_clocks(times, changes=r.systems))
    # The averages are the flow table's, for the system as it is now: one definition per figure.
    assert f"{len(done):,} finished cases; since 10 March 2025, on average {row['end_to_end_mean']:.1f} days" in text
    assert f"against {now['official_days'].mean():.1f} on the organisation's" in text


def test_step_times(r):
    steps = r.flow["steps"]
    part = steps[steps["era"] == 0]
    top = part.sort_values("days").iloc[-1]
    text = alt(flow_chart.plot_step_times(part))
    assert f"the most case time, {top['days']:,.0f} of {part['days'].sum():,.0f} days" in text
    assert top["kind"].removeprefix("waste: ") in text


def test_handoffs_rework(r):
    times = r.flow["times"]
    old = times[times["era"] == 0]
    text = alt(flow_chart.plot_handoffs_rework(old))
    assert (f"{(old['handoffs'] == 0).sum():,} of {len(old):,} cases have no hand-off, and the most in one case is "
            f"{old['handoffs'].max():,}; {(old['rework'] > 0).sum():,} go through a step twice") in text


def test_paths(r):
    paths = r.flow["paths"]
    text = alt(flow_chart.plot_variants(paths))
    assert f"is taken by {paths['cases'].iloc[0]:,} cases, {paths['share'].iloc[0]:.0%} of them" in text


def test_process_map(r):
    nodes, edges = r.flow["map"]
    busiest = edges.sort_values("cases").iloc[-1]
    text = alt(flow_chart.plot_process_map(nodes, edges, codebook=None))
    assert f"{len(nodes):,} steps and {len(edges):,} kinds of move between them" in text
    assert f"made by {busiest['cases']:,} cases" in text


def test_around_target(r):
    spikes = r.flow["spikes"]
    old = spikes[spikes["era"] == 0]
    near = old[(old["bin_start"] >= 26) & (old["bin_start"] < 28) & (old["clock"] == "official_days")]
    text = alt(flow_chart.plot_around_target(old))
    assert f"{near['cases'].sum():,} on the organisation's clock" in text
    assert near["cases"].sum() == 67      # the bunching the flow report names, in the same figure


def test_waiting(r):
    waiting = r.flow["waiting"]
    customer = waiting["customer_age_days"].dropna()
    text = alt(flow_chart.plot_waiting_ages(waiting))
    assert f"{len(customer):,} customers waiting" in text and f"the longest has waited {customer.max():.0f} days" in text
    weekly = r.flow["list_weekly"]
    last = weekly.iloc[-1]
    when = pd.Timestamp(last["week"])
    text = alt(flow_chart.plot_waiting_list(weekly))
    assert f"{int(last['waiting']):,} customers waiting in the week of {when.day} {when:%B %Y}" in text
