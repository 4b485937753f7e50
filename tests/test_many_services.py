"""Many services read well, and the flow data says only what it supports.

A 311 export carries sixty services: every one goes in one table, largest first; the largest are
charted and described by name; a figure over all of them says so. What the flow data cannot show
(steps inside a case, who did a step, when a case is solved, a trend in a list of open cases) is
decided in one place, :func:`studylib.measures.services.data_lacks`, and every page reads it.
"""
from __future__ import annotations

import pandas as pd
import pytest

from studylib.check.results import compute_check
from studylib.measures.flow import case_times
from studylib.measures.services import CHARTED_SERVICES, data_lacks, lead_chart, service_table
from studylib.read.cases import case_codebook
from studylib.read.study import load_study


def _log(rows, resource=None):
    events = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"])
    events["timestamp"] = pd.to_datetime(events["timestamp"]).dt.tz_localize("UTC")
    events["resource"] = resource
    events["service"] = "Roads"
    return events


def test_what_the_flow_data_lacks_is_said_with_its_reason():
    steps = _log([("a", "Opened", "2025-01-01"), ("a", "Visit", "2025-01-03"), ("a", "Closed", "2025-01-05")])
    times = case_times(steps)
    lacks = data_lacks(times, steps, None)
    # No codebook and no one named on a step: no waste, no solved, no hand-offs; steps are there.
    assert set(lacks) == {"people", "waste", "solved"}
    assert "who did each step" in lacks["people"] and "first to its last recorded event" in lacks["solved"]
    named = steps.assign(resource=["Ann", "Bo", "Ann"])
    assert "people" not in data_lacks(case_times(named), named, None)
    # A case export: its two events are opened and closed; nothing inside a case can be seen.
    opened = _log([("a", "Case opened", "2025-01-01"), ("a", "Case closed", "2025-01-04"),
                   ("b", "Case opened", "2025-01-02")])
    book = case_codebook()
    lacks = data_lacks(case_times(opened, codebook=book, as_of=pd.Timestamp("2025-02-01", tz="UTC")), opened, book,
                       case_export=True)
    assert set(lacks) == {"steps"} and "one row a case" in lacks["steps"]
    # Every case open: nothing finished, and a week-by-week list is not a trend.
    still = opened[opened["activity"] == "Case opened"]
    lacks = data_lacks(case_times(still, codebook=book, as_of=pd.Timestamp("2025-02-01", tz="UTC")), still, book,
                       case_export=True)
    assert {"finished", "open_only"} <= set(lacks) and "not whether a backlog is growing" in lacks["open_only"]


def test_every_service_in_one_table_largest_first():
    demand = {"by_service": pd.DataFrame({"service": ["A", "B", "C"], "contacts": [5, 50, 20],
                                          "failure_share": [0.1, 0.5, float("nan")]})}
    figures = pd.DataFrame({"service": ["A", "B", "B", "C"], "era": [0, 0, 1, 0], "current": [True, False, True, True],
                            "cases": [4, 30, 10, 0], "open": [1, 2, 3, 0], "end_to_end_mean": [2.0, 9.0, 4.0, None]})
    verdicts = pd.DataFrame({"chart": ["All services", "A", "B"], "status": ["not predictable", "too few", "predictable"]})
    table = service_table(demand, {"figures": figures}, {"table": verdicts})
    assert list(table["service"]) == ["B", "C", "A"]
    assert table.set_index("service").loc["B", ["cases", "end_to_end_mean", "capability"]].tolist() == [10, 4.0, "predictable"]
    assert pd.isna(table.set_index("service").loc["C", "capability"])


def test_the_lead_chart_is_the_service_changed_latest_else_all_services():
    charts = {"All services": 1, "A": 2, "B": 3}
    assert lead_chart(charts, {}) == "All services"
    changes = [{"service": "B", "date": pd.Timestamp("2025-01-01")}, {"service": "A", "date": pd.Timestamp("2025-03-01")}]
    assert lead_chart(charts, {"system_changes": changes}) == "A"
    assert lead_chart({"Only": 1}, {}) == "Only"


def _many(tmp_path, n_services: int, rows_each: int = 30):
    """A case export of ``n_services`` services, the last one (by name) largest."""
    lines = ["id,created,closed,kind"]
    for s in range(n_services):
        for i in range(rows_each + (40 if s == n_services - 1 else 0)):
            day = 1 + i % 27
            lines.append(f"S{s}-{i},2025-01-{day:02d} 09:00,2025-02-{day:02d} 10:00,Service {s:02d}")
    (tmp_path / "cases.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "study.yml").write_text("""name: Many
timezone: Europe/London
period: {start: 2025-01-01, end: 2025-01-31}
as_of: 2025-03-31
cases: {file: cases.csv, columns: {case_id: id, opened: created, closed: closed, service: kind}}
demand_codebook: null
flow_codebook: null
findings: null
""")
    return compute_check(load_study(tmp_path))


def test_many_services_are_said_together_and_by_the_largest(tmp_path):
    r = _many(tmp_path, 12)
    assert len(r.services) == 12 and r.services["service"].iloc[0] == "Service 11"
    assert r.charted == r.services["service"].head(CHARTED_SERVICES).tolist()
    assert r.charted == ["Service 11", "Service 00", "Service 01", "Service 02", "Service 03", "Service 04"]
    assert r.shown(sorted(r.services["service"])) == r.charted            # largest first, the others in the table
    assert r.shown(["All services", *sorted(r.services["service"])])[0] == "All services"
    flow = r.prose["Flow"]["what"]
    assert flow.startswith("Across all 12 services, 400 cases followed end to end; 0 still open.")
    assert "The largest: Service 11 (70 cases, 31.0 days on average); Service 00 (30 cases" in flow
    assert "Service 10" not in flow
    assert r.headlines["Flow"].startswith("Customers waited on average")
    assert "all services together" in r.headlines["Flow"]
    assert r.headlines["Capability"].startswith("All services together: ")
    # The case export's steps are not there to see: no advice about hand-offs.
    assert "hand-offs" not in r.prose["Flow"]["now what"].split("The data cannot show")[0]
    assert "one row a case" in r.prose["Flow"]["now what"]


@pytest.mark.parametrize("n", [3, CHARTED_SERVICES])
def test_a_few_services_are_each_described(tmp_path, n):
    r = _many(tmp_path, n)
    assert r.shown(r.services["service"]) == list(r.services["service"])
    assert "Across all" not in r.prose["Flow"]["what"]


def test_the_list_week_by_week_counts_as_a_week_by_week_loop_does():
    """The weekly list is counted for all weeks at once (sorted times, not one pass of the cases a
    week): the same counts as the plain loop over weeks, with missing ends and a clock closed before
    it was registered."""
    from studylib.measures.waiting import list_over_time
    rng = pd.Series(range(400))
    start = pd.Timestamp("2025-01-01 08:00", tz="Europe/London") + pd.to_timedelta(rng * 7.3, unit="h")
    end = (start + pd.to_timedelta((rng % 23) * 1.9, unit="D")).where(rng % 5 != 0)
    registered = (start + pd.to_timedelta(rng % 3, unit="D")).where(rng % 11 != 0)
    closed = (end + pd.to_timedelta((rng % 4) - 2, unit="D")).where(rng % 7 != 0)
    times = pd.DataFrame({"customer_start": start, "end": end, "official_start": registered, "official_end": closed})
    as_of = pd.Timestamp("2025-05-20 12:00", tz="Europe/London")
    got = list_over_time(times, as_of=as_of)
    weeks, rows = got["week"], []
    for week in weeks:
        week = week.tz_localize("Europe/London")
        until = min(week + pd.Timedelta(days=7), as_of)
        began = start < until
        solved = end.notna() & (end < until)
        listed = registered.notna() & (registered < until) & ~(closed.notna() & (closed < until))
        rows.append([int((began & (start >= week)).sum()), int((solved & (end >= week)).sum()),
                     int((began & ~solved).sum()), int(listed.sum())])
    assert got[["arrivals", "completions", "waiting", "on_organisation_list"]].values.tolist() == rows
    assert len(got) == 21 and got["waiting"].max() > 0


def test_many_cases_on_one_day_are_too_few_days_not_too_few_cases(tmp_path):
    """Fifty cases opened on one day are judged day by day: the days are too few, and the words say
    so (not "only 50 cases finished, too few", when 12 would be enough)."""
    lines = ["id,created,closed"] + [f"C{i},2025-01-06 {8 + i % 10:02d}:{i % 60:02d},2025-01-{8 + i % 9:02d} 12:00"
                                     for i in range(50)]
    (tmp_path / "cases.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "study.yml").write_text("""name: One day
timezone: Europe/London
as_of: 2025-02-01
services: [Roads]
cases: {file: cases.csv, columns: {case_id: id, opened: created, closed: closed}}
demand_codebook: null
flow_codebook: null
findings: null
""")
    r = compute_check(load_study(tmp_path))
    words = r.headlines["Capability"]
    assert "50 cases finished, but on too few days to judge (only 1 day with finished cases" in words, words
    assert "only 50 cases" not in words


def test_the_largest_services_as_small_multiples_one_column_on_a_phone(tmp_path):
    """The largest services' capability charts side by side on a desktop (seaborn's FacetGrid), and
    in one column on a phone, each panel the phone's width with its text at 10 px or more."""
    import base64
    import io
    import re

    import matplotlib
    matplotlib.use("Agg")
    from PIL import Image

    from studylib.charts.capability import plot_xmr_grid
    from studylib.charts.display import PHONE_WIDTH_PX, chart_html
    r = _many(tmp_path, 12)
    charts = r.capability["charts"]
    names = [n for n in r.shown(charts) if n != "All services"]
    assert names == r.charted
    fig = plot_xmr_grid({n: charts[n] for n in names}, floor=0, ylabel="days")
    assert [ax.get_title() for ax in fig.axes] == names and len(fig.legends) == 1
    assert len({round(ax.get_position().x0, 2) for ax in fig.axes}) == 2          # two columns on a desktop
    html = chart_html(fig)
    phone, desktop = (Image.open(io.BytesIO(base64.b64decode(b))) for b in re.findall(r"base64,([A-Za-z0-9+/=]+)", html)[:2])
    assert phone.size[0] == PHONE_WIDTH_PX and phone.size[1] >= 200 * len(names)    # one column: a panel a row
    assert desktop.size[0] > desktop.size[1]
    assert float(re.search(r'data-phone-text-px="([\d.]+)"', html).group(1)) >= 10
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert all(f"{name}: " in alt for name in names)


def test_each_system_one_chart_or_small_multiples(tmp_path):
    """One service's one system is one chart under its own title; several systems (or the largest
    services) stand side by side; services the study does not chart by name are left to the table."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from studylib.charts.flow import plot_each_system, plot_handoffs_rework
    r = _many(tmp_path, 12)
    times = r.flow["times"]
    fig = plot_each_system(times, plot_handoffs_rework, shown=r.shown, title="Hand-offs", one="Hand-offs: {}")
    assert [ax.get_title() for ax in fig.axes] == sorted(r.charted) and fig.get_suptitle() == "Hand-offs"
    plt.close(fig)
    one = times[times["service"] == "Service 11"]
    fig = plot_each_system(one, plot_handoffs_rework, shown=r.shown, title="Hand-offs", one="Hand-offs: {}")
    assert [ax.get_title() for ax in fig.axes] == ["Hand-offs: whole period"]
    plt.close(fig)
