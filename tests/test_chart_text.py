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
from studylib.check.results import compute_check  # noqa: E402


@pytest.fixture(scope="module")
def results(sample_study):
    return compute_check(sample_study)


def _charts(r):
    times, d = r.flow["times"], r.demand
    weekly = d["predictability"]
    yield "capability", lambda: capability_chart.plot_xmr(next(iter(r.capability["charts"].values())), floor=0,
                                                          title="Housing repairs: days", ylabel="days")
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
