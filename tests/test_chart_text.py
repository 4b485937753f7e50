"""Chart text never overlaps: tick labels on both layouts (as drawn, and the phone's), on the sample."""
from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from studylib.charts import capability as capability_chart  # noqa: E402
from studylib.charts import demand as demand_chart  # noqa: E402
from studylib.charts import flow as flow_chart  # noqa: E402
from studylib.charts import purpose as purpose_chart  # noqa: E402
from studylib.charts.display import _phone_layout  # noqa: E402


@pytest.fixture(scope="module")
def results(sample_results):
    return sample_results


def _charts(r):
    times, d = r.flow["times"], r.demand
    weekly = d["predictability"]
    yield "capability", lambda: capability_chart.plot_xmr(next(iter(r.capability["charts"].values())), floor=0,
                                                          title="Housing repairs: days", ylabel="days")
    lead = r.capability["lead"]
    yield "capability with moving ranges", lambda: capability_chart.plot_xmr(
        r.capability["daily"][lead], floor=0, title="Housing repairs: a day's average", ylabel="days",
        stats=r.capability["daily_limits"][lead], moving_ranges=True)
    yield "weekly", lambda: capability_chart.plot_xmr(weekly[weekly["facet"] == "Chasing a repair"],
                                                      title="Chasing a repair: contacts a week", ylabel="contacts",
                                                      annotate_changes=False)
    yield "pareto", lambda: demand_chart.plot_demand_pareto(d["by_type"])
    yield "channels", lambda: demand_chart.plot_channel_mix(d["by_channel"])
    yield "per problem", lambda: demand_chart.plot_contacts_per_problem(d["problems"])
    yield "two clocks", lambda: flow_chart.plot_two_clocks(times, changes=r.systems)
    yield "hand-offs", lambda: flow_chart.plot_handoffs_rework(times[times["era"] == 0])
    yield "paths", lambda: flow_chart.plot_variants(r.flow["paths"])
    yield "matters", lambda: purpose_chart.plot_what_matters(r.purpose["matters"])


def _overlaps(fig) -> list[tuple[str, str]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
            for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
                if box_a.overlaps(box_b):
                    found.append((a, b))
    return found


@pytest.mark.parametrize("layout", ["as drawn", "phone"])
def test_tick_labels_never_overlap(results, layout):
    for name, draw in _charts(results):
        ax = draw()
        if layout == "phone":
            _phone_layout(ax.figure)
        assert _overlaps(ax.figure) == [], (name, layout)
        plt.close(ax.figure)


def test_count_axes_have_whole_number_ticks(results):
    for name, draw in _charts(results):
        ax = draw()
        ax.figure.canvas.draw()
        for label, axis in ((ax.get_xlabel(), ax.xaxis), (ax.get_ylabel(), ax.yaxis)):
            if label.split(" ")[0] in ("contacts", "cases", "problems", "number"):
                ticks = [t for t in axis.get_majorticklocs()]
                assert all(float(t).is_integer() for t in ticks), (name, label, ticks)
        plt.close(ax.figure)


def test_alt_text_states_the_main_figure_from_the_charts_own_data(sample_study):
    """Stacked and capped bars are where reading the axes went wrong ("the largest is 2, at 3,961
    problems", where the largest bar is 1 contact): these charts say their figure from their data."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from studylib import compute_check
    from studylib.charts import demand as demand_chart
    from studylib.charts.display import describe_chart
    r = compute_check(sample_study)
    d = r.demand
    problems = d["problems"]
    counts = problems["contacts"].clip(upper=10).value_counts()
    ax = demand_chart.plot_contacts_per_problem(problems)
    assert (f"{len(problems):,} problems; the most, {int(counts.max()):,}, drew {int(counts.idxmax())} contact"
            in describe_chart(ax.figure))
    plt.close("all")
    ax = demand_chart.plot_channel_mix(d["by_channel"])
    top = d["by_channel"].sort_values("contacts").iloc[-1]
    alt = describe_chart(ax.figure)
    assert f"the most contacts came by {top['channel'].replace('_', ' ')}, {int(top['contacts']):,}" in alt
    assert f"({int(top['failure']):,} of them failure demand)" in alt and "face_to_face" not in alt
    assert all("_" not in t.get_text() for t in ax.get_yticklabels())
    plt.close("all")
    kinds = d["customers"]
    ax = demand_chart.plot_customer_kinds(kinds)
    big = kinds[kinds["customers"] > 0].sort_values("contacts").iloc[-1]
    assert f"the most contacts, {int(big['contacts']):,}, came from {big['kind']}" in describe_chart(ax.figure)
    plt.close("all")


def test_tables_and_run_parameters_say_codes_and_numbers_in_words():
    from studylib.check.report import _parameters_table
    from studylib.prose.show import cell_text
    assert cell_text("face_to_face") == "face to face"
    assert cell_text("face_to_face, phone, social") == "face to face, phone, social"
    assert cell_text("Smith_Jones, phone") == "Smith_Jones, phone"        # not a list of codes: as written
    html = _parameters_table({"radius_m": 50.0, "window_days": 28.0, "business_days": False})
    assert "radius, metres</th><td>50<" in html and "window, days</th><td>28<" in html
    assert "working days only</th><td>no<" in html and "50.0" not in html and "radius m" not in html
    # No value a manager has to decode: "clock customer", "order arrival", "target none".
    import html as html_lib
    html = html_lib.unescape(_parameters_table({"clock": "customer", "order": "arrival", "target": None, "redact": True}))
    assert "capability charted on</th><td>the customer's clock (first contact to solved)<" in html
    assert "cases charted in the order they</th><td>arrived<" in html
    assert "end-to-end target</th><td>each service's own, where the study sets one<" in html
    assert "personal data hidden</th><td>yes<" in html and ">none<" not in html and ">customer<" not in html
    assert "end-to-end target</th><td>28 days, for every service<" in _parameters_table({"target": 28.0})


def test_a_phone_keeps_every_legend_entry_of_stacked_panels(results):
    """The chart and its moving ranges share one legend, drawn under the lower panel: the phone's one
    legend keeps all of it (it took each panel's own entries, and lost the chart's), and the panels
    stay close so the phone's height goes to the charts."""
    lead = results.capability["lead"]
    ax = capability_chart.plot_xmr(results.capability["daily"][lead], floor=0, title="a day's average", ylabel="days",
                                   stats=results.capability["daily_limits"][lead], moving_ranges=True)
    fig = ax.figure
    ranges = next(other for other in fig.axes if other is not ax)
    drawn = [t.get_text() for t in ranges.get_legend().get_texts()]
    assert "median: the runs rule's line since 10 Mar 2025" in drawn and "moving range" in drawn
    _phone_layout(fig)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == drawn
    assert ax.get_subplotspec().get_gridspec().hspace <= 0.08
    plt.close(fig)


def test_a_phone_keeps_the_process_maps_arcs_inside_the_picture(results):
    """At 390 px the process map's arcs ran past the right edge: an arc bows by a share of its length
    on the page, and the phone's figure is narrow and tall. The phone widens the map until they fit."""
    from matplotlib.patches import FancyArrowPatch
    nodes, edges = results.flow["map"]
    ax = flow_chart.plot_process_map(nodes, edges, codebook=results.study.flow_codebook)
    fig = ax.figure
    _phone_layout(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    arcs = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert arcs and min(a.x0 for a in arcs) >= 0 and max(a.x1 for a in arcs) <= fig.bbox.width
    plt.close(fig)
