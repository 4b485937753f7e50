"""Flow: case times on two clocks, open cases, real logs, paths, target gaming."""
from __future__ import annotations

import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from studylib import DataError, ParameterError, StudylibWarning
from studylib.read.codebooks import flow_codebook_from_dict
from studylib.read.eventlog import read_event_log, read_xes
from studylib.measures.flow import around_target, case_times, open_case_effect, step_times
from studylib.measures.paths import transitions, variants
from studylib.prose.flow import open_case_sentence, target_sentence
from studylib.measures.survival import KaplanMeier

from conftest import assert_frames_identical, need_module, shared_file

# Cases and events of the real logs, as published with them (../shared/data/README.md).
REAL_LOGS = {
    "receipt_wabo.csv": (1_434, 8_577),
    "bpic15_1.csv": (1_199, 52_217),
    "traffic_fines_10k.csv": (10_000, 34_724),
    "sepsis.csv": (1_050, 15_214),
    "roadtraffic100traces.xes": (100, 390),
    "helpdesk.xes.gz": (4_580, 21_348),
}

CODEBOOK = {
    "customer_start": ["Reported"],
    "official_start": ["Registered"],
    "solved": ["Fixed"],
    "official_end": ["Closed"],
    "dirty": ["More info"],
    "activities": {"Reported": "value", "Registered": {"waste": "waiting"},
                   "More info": {"waste": "rework"}, "Visit": "value", "Fixed": "value",
                   "Closed": {"waste": "inspection"}},
}


def _events(rows, tz="Europe/London"):
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "resource"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"]).dt.tz_localize(tz)
    return frame


@pytest.fixture
def small():
    return _events([
        # A: reported, registered 2 days later, fixed day 5, closed on paper day 4 (before the fix).
        ("A", "Reported", "2025-01-06 09:00", "Contact centre"),
        ("A", "Registered", "2025-01-08 09:00", "Admin"),
        ("A", "Visit", "2025-01-09 09:00", "Trade"),
        ("A", "Closed", "2025-01-10 09:00", "Admin"),
        ("A", "Visit", "2025-01-11 09:00", "Trade"),
        ("A", "Fixed", "2025-01-11 09:00", "Trade"),
        # B: dirty, never fixed: open at as_of.
        ("B", "Reported", "2025-01-07 12:00", "Contact centre"),
        ("B", "Registered", "2025-01-07 12:00", "Admin"),
        ("B", "More info", "2025-01-08 12:00", "Admin"),
        # C: clean and quick, no resource on one event.
        ("C", "Reported", "2025-01-10 08:00", None),
        ("C", "Registered", "2025-01-10 09:00", "Admin"),
        ("C", "Fixed", "2025-01-10 15:00", "Trade"),
        ("C", "Closed", "2025-01-10 16:00", "Admin"),
    ])


def test_case_times_on_both_clocks(small):
    cb = flow_codebook_from_dict(CODEBOOK)
    t = case_times(small, codebook=cb, as_of="2025-01-20").set_index("case_id")
    assert list(t.index) == ["A", "B", "C"]
    a, b, c = t.loc["A"], t.loc["B"], t.loc["C"]
    assert a["end_to_end_days"] == 5.0 and a["official_days"] == 2.0 and a["hidden_days"] == 3.0
    assert not a["is_open"] and a["n_events"] == 6 and a["rework"] == 1  # the second visit
    assert a["value_steps"] == 4 and a["waste_steps"] == 2 and a["clean"]
    # Contact centre -> Admin -> Trade -> Admin -> Trade (x2): four changes of hands.
    assert a["handoffs"] == 4
    # B is open: its age at as_of is a lower bound; the organisation's clock is still running too.
    assert b["is_open"] and pd.isna(b["end"])
    assert b["end_to_end_days"] == pytest.approx(12.5)
    assert b["official_days"] == pytest.approx(12.5) and not b["clean"]
    # C: the event with no resource is skipped for hand-offs (Admin -> Trade -> Admin).
    assert c["end_to_end_days"] == pytest.approx(7 / 24) and c["handoffs"] == 2
    assert c["official_days"] == pytest.approx(7 / 24)
    assert t.attrs["unit"] == "days"


def test_with_an_order_column_row_order_does_not_change_anything(small):
    cb = flow_codebook_from_dict(CODEBOOK)
    logged = small.assign(order=np.arange(len(small)) * 10)
    expected = case_times(logged, codebook=cb, as_of="2025-01-20")
    assert expected.attrs["tie_order"] == "order column" and expected.attrs["tied_events"] == 4
    for seed in range(5):
        shuffled = logged.sample(frac=1, random_state=seed)
        pd.testing.assert_frame_equal(case_times(shuffled, codebook=cb, as_of="2025-01-20"), expected)
        assert variants(shuffled, top=None).equals(variants(logged, top=None))
        assert transitions(shuffled).equals(transitions(logged))


def test_ties_keep_their_recorded_order(small):
    """B's "Reported" and "Registered" share a timestamp: the row recorded first comes first."""
    cb = flow_codebook_from_dict(CODEBOOK)
    as_logged = case_times(small, codebook=cb, as_of="2025-01-20")
    assert as_logged.attrs["tie_order"] == "recorded order" and as_logged.attrs["tied_events"] == 4
    b_rows = small.index[small["case_id"] == "B"]
    swapped = small.loc[[*small.index[:b_rows[0]], b_rows[1], b_rows[0], *small.index[b_rows[1] + 1:]]]
    other = case_times(swapped, codebook=cb, as_of="2025-01-20")
    # Durations do not depend on the order of ties; paths do.
    pd.testing.assert_frame_equal(other.drop(columns="handoffs"), as_logged.drop(columns="handoffs"))
    paths = set(variants(small, top=None)["variant"])
    assert "Reported → Registered → More info" in paths
    assert "Registered → Reported → More info" in set(variants(swapped, top=None)["variant"])
    # An order column puts them back, whatever the rows say.
    back = swapped.assign(order=[{"Reported": 1, "Registered": 2}.get(a, 3) for a in swapped["activity"]])
    assert "Reported → Registered → More info" in set(variants(back, top=None)["variant"])
    # An order column that is not numbers is refused, not guessed at.
    with pytest.raises(ParameterError, match="no number in their order column"):
        case_times(small.assign(order="first"))


def test_without_codebook_first_to_last_event_and_closed(small):
    t = case_times(small.sample(frac=1, random_state=1)).set_index("case_id")
    assert not t["is_open"].any()
    assert t.loc["A", "end_to_end_days"] == 5.0          # 6 Jan 09:00 to 11 Jan 09:00
    assert t.loc["B", "end_to_end_days"] == 1.0
    assert t["value_steps"].isna().all() and t["clean"].isna().all()


def test_events_after_as_of_are_ignored_with_a_warning(small):
    cb = flow_codebook_from_dict(CODEBOOK)
    with pytest.warns(StudylibWarning, match="dated after the data.s as-of date"):
        t = case_times(small, codebook=cb, as_of="2025-01-10 12:00").set_index("case_id")
    assert t.loc["A", "is_open"]                          # fixed on the 11th: not yet at as_of
    assert t.loc["A", "end_to_end_days"] == pytest.approx(4.125)
    assert t.attrs["events_after_as_of"] == 4


def test_business_days_skip_weekends_and_holidays(small):
    cb = flow_codebook_from_dict(CODEBOOK)
    t = case_times(small, codebook=cb, as_of="2025-01-20", business_days=True,
                   holidays=["2025-01-08"]).set_index("case_id")
    # A: Mon 6 Jan to Sat 11 Jan: Mon, Tue, Thu, Fri count (Wed 8th is a holiday).
    assert t.loc["A", "end_to_end_days"] == 4
    # B: Tue 7 Jan to Mon 20 Jan (as_of): 9 weekdays less the holiday.
    assert t.loc["B", "end_to_end_days"] == 8
    assert t.attrs["unit"] == "business days"


def test_bad_events_get_clear_errors(small):
    with pytest.raises(ParameterError, match="missing \\['activity'\\]"):
        case_times(small.drop(columns="activity"))
    text = small.assign(timestamp=small["timestamp"].astype(str))
    with pytest.raises(ParameterError, match="must be datetimes"):
        case_times(text)
    gap = small.copy()
    gap.loc[3, "timestamp"] = pd.NaT
    with pytest.raises(ParameterError, match="1 events have no"):
        case_times(gap)


@pytest.mark.parametrize("name", sorted(REAL_LOGS))
def test_real_logs_counts(name):
    events = read_event_log(shared_file(f"eventlogs/{name}"))
    n_cases, n_events = REAL_LOGS[name]
    assert events["case_id"].nunique() == n_cases
    assert len(events) == n_events
    t = case_times(events)
    assert len(t) == n_cases and t["n_events"].sum() == n_events
    assert (t["end_to_end_days"] >= 0).all()


def test_sepsis_case_id_na_is_a_case():
    events = read_event_log(shared_file("eventlogs/sepsis.csv"))
    t = case_times(events)
    assert "NA" in set(t["case_id"]) and t["case_id"].notna().all()


# What pm4py 2.7 reports on the real logs (benchmarks/compare_pm4py.py compares every variant,
# directly-follows count and start and end activity): events sharing a timestamp within their case,
# variants, and distinct directly-follows moves.
PM4PY_COUNTS = {
    "receipt_wabo.csv": (0, 116, 99),
    "bpic15_1.csv": (30_433, 1_099, 2_750),
    "traffic_fines_10k.csv": (949, 44, 40),
    "sepsis.csv": (7_526, 846, 115),
    "hospital_billing.csv": (198, 288, 87),
    "bpic14_incidents.csv": (26_839, 2_430, 475),
}


@pytest.mark.parametrize("name", sorted(PM4PY_COUNTS))
def test_paths_agree_with_pm4py_counts(name):
    events = read_event_log(shared_file(f"eventlogs/{name}"))
    tied, n_variants, n_moves = PM4PY_COUNTS[name]
    t = case_times(events)
    assert t.attrs["tied_events"] == tied and t.attrs["tie_order"] == "recorded order"
    assert variants(events, top=None).attrs["n_variants"] == n_variants
    moves = transitions(events)
    inner = moves[(moves["from_activity"] != "(start)") & (moves["to_activity"] != "(end)")]
    assert len(inner) == n_moves


@pytest.mark.parametrize("name", ["bpic15_1.csv", "sepsis.csv"])
def test_real_logs_shuffled_give_identical_results(name):
    events = read_event_log(shared_file(f"eventlogs/{name}"))
    logged = events.assign(order=np.arange(len(events)))
    expected = case_times(logged)
    shuffled = logged.sample(frac=1, random_state=7).reset_index(drop=True)
    pd.testing.assert_frame_equal(case_times(shuffled), expected)
    pd.testing.assert_frame_equal(variants(shuffled, top=None), variants(events, top=None))
    pd.testing.assert_frame_equal(transitions(shuffled), transitions(events))
    # Without the order column the ties follow the shuffled rows, but durations are max - min
    # whatever the order (what pm4py calls case duration).
    no_order = case_times(shuffled.drop(columns="order"))
    direct = events.groupby("case_id")["timestamp"].agg(lambda s: (s.max() - s.min()).total_seconds() / 86400)
    np.testing.assert_allclose(no_order.set_index("case_id")["end_to_end_days"], direct.sort_index(), rtol=0, atol=1e-9)
    assert variants(shuffled.drop(columns="order"), top=None).attrs["n_variants"] != variants(events, top=None).attrs["n_variants"]


def test_xes_and_its_normalised_csv_agree(tmp_path):
    xes = read_xes(shared_file("eventlogs/roadtraffic100traces.xes"))
    csv = tmp_path / "roadtraffic.csv"
    xes[["case_id", "activity", "timestamp"]].to_csv(csv, index=False)
    back = read_event_log(csv)
    pd.testing.assert_frame_equal(case_times(back), case_times(xes[["case_id", "activity", "timestamp"]]))


def test_receipt_log_in_two_formats_agrees():
    ours = read_event_log(shared_file("eventlogs/receipt_wabo.csv"))
    pm4py_style = read_event_log(shared_file("eventlogs/receipt_pm4py_format.csv"),
                                 case_id="case:concept:name", activity="concept:name",
                                 timestamp="time:timestamp", resource="org:resource")
    a, b = case_times(ours), case_times(pm4py_style)
    pd.testing.assert_series_equal(a["end_to_end_days"], b["end_to_end_days"])
    assert (b["handoffs"] > 0).any()


def test_read_xes_gz_and_plain_agree(tmp_path):
    src = shared_file("eventlogs/roadtraffic100traces.xes")
    packed = tmp_path / "road.xes.gz"
    packed.write_bytes(gzip.compress(src.read_bytes()))
    pd.testing.assert_frame_equal(read_xes(packed), read_xes(src))


def test_read_xes_reports_events_without_timestamps(tmp_path):
    bad = tmp_path / "bad.xes"
    bad.write_text('<?xml version="1.0"?><log xmlns="http://www.xes-standard.org/">'
                   '<trace><string key="concept:name" value="c1"/>'
                   '<event><string key="concept:name" value="a"/></event></trace></log>')
    with pytest.raises(DataError, match="'c1' has no timestamp"):
        read_xes(bad)


def test_kaplan_meier_matches_freireich():
    data = pd.read_csv(shared_file("survival/freireich_6mp.csv"))
    expected = pd.read_csv(shared_file("survival/freireich_6mp_km_expected.csv"))
    km = KaplanMeier().fit(data["weeks"], observed=data["remission_ended"])
    sf = km.survival_function_.set_index("time")
    got = sf.loc[expected["time"].astype(float)]
    np.testing.assert_allclose(got["survival"], expected["survival"], atol=1e-12)
    np.testing.assert_array_equal(got["at_risk"], expected["at_risk"])
    np.testing.assert_array_equal(got["events"], expected["events"])
    assert km.median_ == 23
    # R: survfit(Surv(weeks, remission_ended) ~ 1, conf.type = "log-log"): at 6 weeks
    # std.err 0.0764, 95% CI 0.620 to 0.952; at 23 weeks 0.1346, 0.188 to 0.680. Median CI (13, NA).
    assert sf.loc[6.0, "std_err"] == pytest.approx(0.0764, abs=5e-5)
    assert (round(sf.loc[6.0, "lower"], 3), round(sf.loc[6.0, "upper"], 3)) == (0.620, 0.952)
    assert (round(sf.loc[23.0, "lower"], 3), round(sf.loc[23.0, "upper"], 3)) == (0.188, 0.680)
    assert km.percentile_interval(0.5) == (13.0, float("inf"))
    assert "21 cases, 12 open" in repr(km)


def test_open_cases_are_censored_not_dropped(sample_study):
    t = case_times(sample_study.events, codebook=sample_study.flow_codebook, as_of=sample_study.as_of)
    assert t["is_open"].sum() == 17 and len(t) == 722
    effect = open_case_effect(t)
    assert effect.attrs == {"n_cases": 722, "n_open": 17}
    # Open cases have waited at least their age: counting them cannot make the service faster.
    assert (effect["estimate"] >= effect["closed_only"]).all()
    sentence = open_case_sentence(effect)
    assert "17 of 722 cases were still open" in sentence


def test_sample_repairs_figures(sample_study):
    t = case_times(sample_study.events, codebook=sample_study.flow_codebook, as_of=sample_study.as_of)
    before = t[(t["customer_start"] < pd.Timestamp("2025-03-10", tz="Europe/London")) & ~t["is_open"]]
    assert before["end_to_end_days"].mean() == pytest.approx(24.85, abs=0.01)
    assert before["official_days"].mean() == pytest.approx(19.77, abs=0.01)
    spike = around_target(before, 28).attrs["spike"].set_index("clock")
    assert spike.loc["official_days", "just_before"] == 67 and spike.loc["official_days", "just_after"] == 5
    assert "finished to the 28-day target on the organisation's clock" in target_sentence(around_target(before, 28))


def test_variants_and_transitions(small):
    cb = flow_codebook_from_dict(CODEBOOK)
    t = case_times(small, codebook=cb, as_of="2025-01-20")
    v = variants(small, t, top=None)
    assert v["cases"].sum() == 3 and v.attrs["n_variants"] == 3
    a_path = "Reported → Registered → Visit → Closed → Visit → Fixed"
    assert a_path in set(v["variant"])  # ties at 11 Jan 09:00 keep the order they were recorded in
    moves = transitions(small).set_index(["from_activity", "to_activity"])
    # B's first two events share a timestamp: recorded "Reported" first, so every case starts there.
    assert moves.loc[("(start)", "Reported"), "count"] == 3
    assert ("(start)", "Registered") not in moves.index
    # A waits 2 days, B none (the tie), C an hour.
    assert moves.loc[("Reported", "Registered"), "median_wait_days"] == pytest.approx(1 / 24)
    assert moves.loc[("Reported", "Registered"), "mean_wait_days"] == pytest.approx((2 + 1 / 24) / 3)
    assert moves.loc[("Registered", "Visit"), "mean_wait_days"] == pytest.approx(1.0)
    steps = step_times(small, cb).set_index("kind")
    assert steps["days"].sum() == pytest.approx(5 + 1 + 8 / 24)


# -- charts are tested through their data; prose through the numbers ------------------------------

def test_flow_charts_draw_the_tables(sample_study):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from studylib.charts.flow import plot_around_target, plot_handoffs_rework, plot_process_map, plot_step_times, plot_two_clocks, plot_variants
    from studylib.measures.paths import process_map_layout

    s = sample_study
    t = case_times(s.events, codebook=s.flow_codebook, as_of=s.as_of)
    done = t[~t["is_open"]].sort_values("customer_start", kind="stable")
    ax = plot_two_clocks(t)
    coll = {c.get_gid(): c for c in ax.collections}
    np.testing.assert_allclose(coll["customer"].get_offsets()[:, 1], done["end_to_end_days"])
    np.testing.assert_allclose(coll["official"].get_offsets()[:, 1], done["official_days"])

    steps = step_times(s.events, s.flow_codebook)
    ax = plot_step_times(steps)
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, steps["days"].iloc[::-1])

    ax = plot_handoffs_rework(t)
    handoffs, rework = ([p.get_height() for p in bars] for bars in ax.containers)
    top = int(max(t["handoffs"].max(), t["rework"].max()))
    assert handoffs == t["handoffs"].value_counts().reindex(range(top + 1), fill_value=0).tolist()
    assert rework == t["rework"].value_counts().reindex(range(top + 1), fill_value=0).tolist()

    v = variants(s.events, t, top=5)
    ax = plot_variants(v)
    assert [p.get_width() for p in ax.patches] == v["cases"].iloc[::-1].tolist()

    nodes, edges = process_map_layout(s.events)
    assert nodes["activity"].iloc[0] == "(start)" and nodes["activity"].iloc[-1] == "(end)"
    assert nodes["activity"].iloc[1] == "Repair reported"   # every case starts with the report
    assert (edges["cases"] >= 0.02 * 722).all()
    ax = plot_process_map(nodes, edges, codebook=s.flow_codebook)
    arcs = {p.get_gid() for p in ax.patches}
    assert arcs == {f"{a} -> {b}" for a, b in zip(edges["from_activity"], edges["to_activity"])}

    spike = around_target(t, 28)
    ax = plot_around_target(spike)
    official = [ln for ln in ax.lines if ln.get_gid() == "official_days"][0]
    np.testing.assert_array_equal(official.get_ydata(), spike[spike["clock"] == "official_days"]["cases"])
    assert [ln for ln in ax.lines if ln.get_gid() == "target"][0].get_xdata()[0] == 28
    plt.close("all")


def test_flow_prose_is_computed(sample_study):
    from studylib.measures.flow import flow_by_system
    from studylib.prose.flow import flow_prose
    s = sample_study
    t = case_times(s.events, codebook=s.flow_codebook, as_of=s.as_of)
    steps = step_times(s.events, s.flow_codebook)
    # One system (no dated change): the figures are over every case.
    t = t.assign(era=0, system="whole period")
    prose = flow_prose({"times": t, **flow_by_system(t, s.events, s.flow_codebook, targets={"Housing repairs": 28})})
    assert list(prose) == ["what", "so what", "now what", "then what"]
    closed = t[~t["is_open"]]
    assert f"on average {closed['end_to_end_days'].mean():.1f} days from first contact" in prose["what"]
    assert f"{t['clean'].mean():.0%} of cases arrive clean" in prose["what"]
    assert not prose["what"].startswith("Since")
    waste = steps[steps["kind"].str.startswith("waste")]
    assert f"{waste['share_of_time'].sum():.0%} of the time" in prose["so what"]
    assert "closed to the 28-day target" in prose["now what"]


def test_categorical_and_text_columns_give_identical_results(small):
    cb = flow_codebook_from_dict(CODEBOOK)
    as_text = case_times(small, codebook=cb, as_of="2025-01-20")
    cats = small.assign(activity=pd.Categorical(small["activity"], categories=sorted(set(small["activity"]))[::-1] + ["Unused"]),
                        resource=small["resource"].astype("category"))
    pd.testing.assert_frame_equal(case_times(cats, codebook=cb, as_of="2025-01-20"), as_text)
    # Ties broken the same way: B's "Registered" and "Reported" share a timestamp.
    assert variants(cats, top=None)["variant"].tolist() == variants(small, top=None)["variant"].tolist()


def test_sample_log_shuffled_with_services_gives_identical_results(sample_study):
    s = sample_study
    expected = case_times(s.events, codebook=s.flow_codebook, as_of=s.as_of)
    shuffled = s.events.assign(order=s.events["row"]).sample(frac=1, random_state=11)
    pd.testing.assert_frame_equal(case_times(shuffled, codebook=s.flow_codebook, as_of=s.as_of), expected, check_like=True)
    no_service = case_times(shuffled.drop(columns="service"), codebook=s.flow_codebook, as_of=s.as_of)
    pd.testing.assert_frame_equal(no_service.drop(columns="service"), expected.drop(columns="service"))


@pytest.mark.parametrize("with_service", [False, True])
def test_hand_offs_follow_recorded_order_in_a_shuffled_log_with_many_ties(with_service):
    """Sorted by value or through a permutation, ties come out in the order of their rows."""
    rng = np.random.default_rng(8)
    n = 20_000
    events = pd.DataFrame({
        "case_id": pd.Series(rng.integers(0, 2_000, n)).map("case-{:05d}".format).astype("str"),
        "activity": np.array(["Call", "Visit", "Fix", "Close"], dtype=object)[rng.integers(0, 4, n)],
        "timestamp": pd.to_datetime(rng.integers(0, 12, n) * 3600, unit="s", utc=True),   # many ties
        "resource": np.array(["Ann", "Bob", "Cy", None], dtype=object)[rng.integers(0, 4, n)],
    })
    if with_service:
        events["service"] = "Repairs"
    t = case_times(events)
    assert t.attrs["tied_events"] > n / 2
    # Reference: a stable sort by case and time, then resource changes between consecutive events.
    ordered = events.sort_values(["case_id", "timestamp"], kind="stable")
    known = ordered[ordered["resource"].notna()]
    changed = known["case_id"].eq(known["case_id"].shift()) & known["resource"].ne(known["resource"].shift())
    expected = changed.groupby(known["case_id"]).sum().reindex(t["case_id"], fill_value=0)
    np.testing.assert_array_equal(t["handoffs"].to_numpy(), expected.to_numpy())
    paths = ordered.groupby("case_id")["activity"].agg(" → ".join).value_counts()
    got = variants(events, top=None).set_index("variant")["cases"]
    assert got.sort_index().equals(paths.rename("cases").rename_axis("variant").sort_index())


def test_read_xes_in_pieces_and_processes_reads_what_one_pass_reads(tmp_path, monkeypatch):
    """Cut at trace boundaries into many small pieces, parsed in two processes: the same frame,
    with the log's namespace, a trace without a name numbered as in one pass, value-first attributes."""
    import studylib.read.eventlog as eventlog
    helpdesk = shared_file("eventlogs/helpdesk.xes.gz")
    monkeypatch.setattr(eventlog, "_CHUNK_BYTES", 64 * 1024)
    pd.testing.assert_frame_equal(read_xes(helpdesk, processes=2), read_xes(helpdesk, processes=1))
    traces = "".join(f'<trace><string key="concept:name" value="c{i}"/>'
                     f'<event><string value="a{i % 3}" key="concept:name"/>'
                     f'<date key="time:timestamp" value="2025-01-0{1 + i % 9}T10:00:00+00:00"/></event></trace>'
                     for i in range(400))
    nameless = '<trace><event><string key="concept:name" value="x"/><date key="time:timestamp" value="2025-01-01T00:00:00Z"/></event></trace>'
    log = tmp_path / "pieces.xes"
    log.write_text('<?xml version="1.0"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
                   + traces[:len(traces) // 2] + "\n" + traces[len(traces) // 2:] + "</log>\n")
    monkeypatch.setattr(eventlog, "_CHUNK_BYTES", 2048)
    one, split = read_xes(log, processes=1), read_xes(log, processes=2)
    pd.testing.assert_frame_equal(split, one)
    assert len(one) == 400 and one["activity"].iloc[:3].tolist() == ["a0", "a1", "a2"]
    log.write_text(log.read_text().replace(traces[-300:], traces[-300:] + nameless))
    with pytest.raises(DataError, match="trace 401 has no concept:name"):
        read_xes(log, processes=2)


def test_codes_of_text_already_in_order_match_a_sorting_factorize():
    """A log exported by case skips hashing; the codes are those a sorted factorize gives."""
    from studylib.read.ordering import sorted_codes
    for values in (["A", "A", "B", "NA", "NA", "OA"], ["b", "a", "b"], ["z", "é"], ["é", "z"], ["x", None, "y"]):
        column = pd.Series(values, dtype="str")
        codes, uniques = sorted_codes(column)
        expected_codes, expected = pd.factorize(column, sort=True)
        np.testing.assert_array_equal(codes, expected_codes)
        assert list(uniques) == list(expected)


def test_a_long_logs_columns_encoded_at_once_are_those_encoded_one_by_one(monkeypatch):
    """Above CODES_AT_ONCE rows a log's columns are encoded in threads: the same codes and values,
    text and categories, with missing values, as one column after another gives."""
    from studylib.read import ordering
    rng = np.random.default_rng(3)
    n = ordering.CODES_AT_ONCE + 1
    events = pd.DataFrame({
        "case_id": pd.array(np.char.add("case-", rng.integers(0, 50_000, n).astype(str)), dtype="str"),
        "activity": pd.Categorical(np.array(["b", "a", "c"])[rng.integers(0, 3, n)]),
        "resource": pd.array(np.where(rng.random(n) < 0.1, None, np.array(["X", "Y"])[rng.integers(0, 2, n)]), dtype="str"),
    })
    columns = ["case_id", "activity", "resource"]
    at_once = ordering.codes_of(events, columns)
    one_by_one = [ordering.sorted_codes(events[c]) for c in columns]
    for (codes, values), (expected_codes, expected) in zip(at_once, one_by_one, strict=True):
        np.testing.assert_array_equal(codes, expected_codes)
        pd.testing.assert_index_equal(values, expected)
    assert (at_once[2][0] == -1).sum() > 0


@pytest.mark.parametrize("name", ["roadtraffic100traces.xes", "helpdesk.xes.gz",
                                  pytest.param("bpic2012.xes.gz", marks=pytest.mark.slow)])
def test_read_xes_through_rust_gives_the_same_frame(name, monkeypatch):
    """With r4pm (studylib[xes]) or rustxes installed read_xes reads through it; without either,
    through its own streaming reader; the frame is the same every way, in UTC and in a named zone."""
    import studylib.read.eventlog as eventlog
    need_module("r4pm")
    need_module("rustxes")
    path = shared_file(f"eventlogs/{name}")
    own = read_xes(path, processes=1)                              # the streaming reader
    # Each read_xes below must really read through Rust: what the Rust reader gave is recorded.
    rust_read = eventlog._read_with_rustxes
    given = []
    monkeypatch.setattr(eventlog, "_read_with_rustxes", lambda p: given.append(rust_read(p)) or given[-1])
    assert_frames_identical(read_xes(path), own)             # through r4pm
    assert given.pop() is not None
    if name != "bpic2012.xes.gz":      # a named zone: the same conversion for every log, shown on the small ones
        amsterdam = own.assign(timestamp=own["timestamp"].dt.tz_convert("Europe/Amsterdam"))
        assert_frames_identical(read_xes(path, timezone="Europe/Amsterdam"), amsterdam)
        assert given.pop() is not None
    monkeypatch.setitem(sys.modules, "r4pm", None)                 # rustxes, where r4pm is missing
    assert_frames_identical(read_xes(path), own)
    assert given.pop() is not None
    monkeypatch.setitem(sys.modules, "rustxes", None)              # neither: the streaming reader
    assert rust_read(path) is None


def test_the_quick_frame_comparison_still_finds_every_difference():
    """assert_frames_identical (used above on BPIC12) fails where pandas' own comparison fails."""
    frame = pd.DataFrame({"case_id": ["1", "2", "3"], "activity": pd.Categorical(["a", "b", "a"]),
                          "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"], utc=True)})
    assert_frames_identical(frame, frame.copy())
    others = [frame.assign(activity=pd.Categorical(["a", "a", "a"], categories=["a", "b"])),         # a value
              frame.assign(activity=pd.Categorical(["a", "b", "a"], categories=["b", "a"])),         # category order
              frame.assign(activity=pd.Categorical(["a", "b", "a"], categories=["a", "b", "c"])),    # an extra category
              frame.assign(activity=pd.Categorical(["a", "b", "a"], ordered=True)),
              frame.assign(activity=["a", "b", "a"]),                                                # not categorical
              frame.assign(case_id=["1", "2", "4"]),
              frame.drop(columns="activity")]
    for other in others:
        with pytest.raises(AssertionError):
            pd.testing.assert_frame_equal(frame, other)
        with pytest.raises(AssertionError):
            assert_frames_identical(frame, other)
        with pytest.raises(AssertionError):
            assert_frames_identical(other, frame)


def test_read_xes_falls_back_to_say_what_rustxes_cannot(tmp_path):
    # An event without a timestamp: the Rust reader gives a null, the streaming reader names the case.
    bad = tmp_path / "bad.xes"
    bad.write_text('<?xml version="1.0"?><log xmlns="http://www.xes-standard.org/">'
                   '<trace><string key="concept:name" value="c1"/>'
                   '<event><string key="concept:name" value="a"/><date key="time:timestamp" '
                   'value="2025-01-01T10:00:00+00:00"/></event>'
                   '<event><string key="concept:name" value="b"/></event></trace></log>')
    with pytest.raises(DataError, match="'c1' has no timestamp"):
        read_xes(bad)


def test_a_log_grouped_by_case_but_not_in_sorted_order_moves_whole_blocks():
    """Ids case-1 ... case-12 in log order are grouped but not in text order (case-10 sorts before
    case-2): the blocks move whole, with no sort, and the figures are those of the shuffled log."""
    from studylib.read.ordering import _codes_if_sorted, event_order, timestamps_ns
    rng = np.random.default_rng(3)
    rows = []
    for case in range(1, 13):
        t = pd.Timestamp("2025-01-06", tz="UTC") + pd.Timedelta(hours=int(rng.integers(0, 500)))
        for step in range(int(rng.integers(1, 5))):
            t = t + pd.Timedelta(minutes=int(rng.integers(0, 3000)))      # 0: events that tie
            rows.append((f"case-{case}", f"Step {int(rng.integers(0, 4))}", t, f"Team {int(rng.integers(0, 3))}"))
    log = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "resource"]).astype(
        {"case_id": "str", "activity": "str", "resource": "str"})
    codes, ids = _codes_if_sorted(log["case_id"])
    assert list(ids) == sorted(log["case_id"].unique())                 # codes in sorted order
    order = event_order(codes, timestamps_ns(log["timestamp"]))
    assert order.full is not None and order.arrays is None               # whole blocks, no sort
    shuffled = log.sample(frac=1, random_state=4)
    pd.testing.assert_frame_equal(case_times(log), case_times(shuffled.sort_values(["case_id", "timestamp"], kind="stable")))
    # A case in two places is not a block: the usual sort, the same figures.
    busiest = log["case_id"].value_counts().idxmax()
    own = log[log["case_id"] == busiest]
    split = pd.concat([own.iloc[:1], log[log["case_id"] != busiest], own.iloc[1:]], ignore_index=True)
    assert len(own) > 1 and _codes_if_sorted(split["case_id"]) is None
    pd.testing.assert_frame_equal(case_times(split), case_times(log))


def test_case_and_time_too_wide_for_one_key_are_ordered_as_lexsort_orders_them():
    """Nanoseconds over months and many cases: a coarse sort, then the rows that share a coarse key
    by their full time and row: the order of lexsort on (case, time, row), ties and all."""
    from studylib.read.ordering import _bits, _coarse_then_fine
    rng = np.random.default_rng(0)
    for trial in range(24):
        n, cases = int(rng.integers(1, 4000)), int(rng.integers(1, 300))
        code = rng.integers(0, cases, n)
        step = [1, 10**3, 10**9][trial % 3]
        t = rng.integers(0, 2**50 // step, n) * step
        if trial % 4 == 0:
            t[: n // 2] = t[0]                      # many events at one moment
        rel = t - t.min()
        w_t = _bits(rel.max())
        shift = min(max(_bits(code.max()) + w_t - 63, 1 + trial % 20), w_t)
        np.testing.assert_array_equal(_coarse_then_fine(code, rel, w_t, shift), np.lexsort((np.arange(n), t, code)))


def test_a_log_grouped_by_case_out_of_id_order_is_read_where_it_lies(sample_study):
    """Cases exported one after another but not in id order (case-10 before case-2): each case's rows
    are read as one run where they lie, no row moved, and the figures are those of the sorted log."""
    from studylib.read.ordering import event_order, sorted_codes, timestamps_ns
    s = sample_study
    ordered = s.events.sort_values(["case_id", "timestamp"], kind="stable").reset_index(drop=True)
    ids = ordered["case_id"].drop_duplicates().to_numpy()
    shuffled = np.random.default_rng(3).permutation(len(ids))
    rank = pd.Series(shuffled, index=ids)
    blocks = ordered.iloc[np.argsort(rank[ordered["case_id"]].to_numpy(), kind="stable")]
    codes, _ = sorted_codes(blocks["case_id"])
    order = event_order(codes, timestamps_ns(blocks["timestamp"]), blocks_ok=True)
    assert order.blocks and order.full is None and order.arrays is None      # read in place
    assert not event_order(codes, timestamps_ns(blocks["timestamp"])).blocks  # others get rows in case order
    expected = case_times(ordered, codebook=s.flow_codebook, as_of=s.as_of)
    got = case_times(blocks, codebook=s.flow_codebook, as_of=s.as_of)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_log_with_no_resource_needs_no_sort_and_gives_the_same_figures(sample_study, shuffle):
    """Without a resource (no hand-off to follow) and without a service, case_times scatters each
    event onto its case with no sort. The figures, and the count of tied events, are those of the
    sorted path, which the same log takes once every event has the same resource."""
    s = sample_study
    events = s.events.drop(columns=[c for c in ("resource", "service") if c in s.events])
    if shuffle:
        events = events.sample(frac=1, random_state=7)          # the shuffled index kept
    # Ties of several kinds: two events of a case at one moment, in and out of row order.
    events = pd.concat([events, events.iloc[[3, 10, 10]]])
    free = case_times(events, codebook=s.flow_codebook, as_of=s.as_of)
    sorted_path = case_times(events.assign(resource="one desk"), codebook=s.flow_codebook, as_of=s.as_of)
    pd.testing.assert_frame_equal(free, sorted_path)
    assert free.attrs["tied_events"] == sorted_path.attrs["tied_events"] > 0
    assert (free["handoffs"] == 0).all()


def test_count_tied_is_exact_when_values_collide():
    from studylib.read.ordering import count_tied
    case = np.array([0, 0, 1, 1, 2, 2, 2], dtype=np.int64)
    t = np.array([5, 5, 5, 6, 7, 7, 7], dtype=np.int64)
    assert count_tied(case, t) == 5                   # case 0 twice at 5, case 2 three times at 7
    # Two different (case, time) pairs whose mixed values are equal are not a tie.
    mix = np.uint64(0x9E3779B97F4A7C15)
    other = (np.uint64(1) * mix) ^ np.uint64(5)       # case 1 at time 5 mixes to this value
    t0 = int(np.asarray([other ^ np.uint64(0)], dtype=np.uint64).view(np.int64)[0])
    assert count_tied(np.array([0, 1]), np.array([t0, 5])) == 0


@pytest.mark.parametrize("unit, cases", [(10**9, 50), (1, 2**20)])
def test_count_tied_packed_and_mixed_agree_with_pairs_counted_in_full(unit, cases):
    """Whole seconds and few cases fit one exact key; nanoseconds over years with a million cases
    do not, and take the mixed value: both count what pandas counts on the (case, time) pairs."""
    from studylib.read.ordering import _case_time_scale, count_tied
    rng = np.random.default_rng(11)
    case = rng.integers(0, cases, 20_000)
    t = rng.integers(0, 3 * 365 * 86400 * 10**9 // unit, 20_000) * unit
    twins = rng.integers(0, 20_000, 3_000)
    case[twins[:1_500]], t[twins[:1_500]] = case[twins[1_500:]], t[twins[1_500:]]     # planted ties
    _, _, w_case, w_t = _case_time_scale(case, t)
    assert (w_case + w_t <= 63) == (unit == 10**9)          # each path is the one this shape takes
    expected = int(pd.DataFrame({"c": case, "t": t}).duplicated(keep=False).sum())
    assert expected > 1_000 and count_tied(case, t) == expected


def test_a_finer_time_anywhere_in_a_long_log_sets_the_unit_of_the_tie_key():
    """Whole seconds but for one event a millisecond later than another of its case, in a row the
    quick sample does not read and past the first slice: the key keeps the millisecond, so the two
    are not counted as tied (a key in whole seconds would make them one moment)."""
    from studylib.read.ordering import _case_time_scale, count_tied
    n = 1_100_001
    case = np.arange(n, dtype=np.int64) // 2                 # two events a case
    t = (np.arange(n, dtype=np.int64) * 7 % 86_400) * 10**9   # whole seconds, no two alike in a case
    odd = 1_050_001
    assert odd % max(n // 1024, 1)                            # not a row the sample reads
    t[odd] = t[odd - 1] + 10**6                               # its case's other event, 1 ms earlier
    assert _case_time_scale(case, t)[1] == 10**6
    assert count_tied(case, t) == 0
    t[odd] = t[odd - 1]                                       # now the same moment: a tie of two
    assert _case_time_scale(case, t)[1] == 10**9
    assert count_tied(case, t) == 2


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "Europe/London"])
def test_timestamps_are_read_in_nanoseconds_and_the_log_cannot_be_written_through_them(unit, tz):
    from studylib.read.ordering import timestamps_ns
    stamps = pd.Series(pd.to_datetime(["2025-03-30 00:30:00", "2025-03-30 01:30:00", "2025-10-26 01:30:00"]))
    stamps = stamps.dt.as_unit(unit)
    stamps = stamps.dt.tz_localize(tz, ambiguous=[True, False, True], nonexistent="shift_forward") if tz else stamps
    ns = timestamps_ns(stamps)
    assert ns.tolist() == [int(s.as_unit("ns").value) for s in stamps]
    assert not ns.flags.writeable                   # a flow measure can never change the team's log
    if unit == "ns":
        assert np.shares_memory(ns, stamps.array.asi8)     # read where it lies, not copied
