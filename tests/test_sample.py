"""The sample study is believable, regenerates byte for byte, and holds what every stage needs."""
from __future__ import annotations

import pandas as pd

from conftest import SAMPLE
from studylib.read.sample import generate_sample


def test_committed_sample_equals_a_fresh_generation(tmp_path):
    written = generate_sample(tmp_path)
    assert sorted(written) == sorted(p.name for p in SAMPLE.iterdir())
    for name, path in written.items():
        assert path.read_bytes() == (SAMPLE / name).read_bytes(), name


def test_another_seed_gives_other_data(tmp_path):
    generate_sample(tmp_path, seed=1)
    assert (tmp_path / "demand.csv").read_bytes() != (SAMPLE / "demand.csv").read_bytes()


def test_size_under_5mb():
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 5 * 2**20


def test_demand_is_believable(sample_study):
    d = sample_study.demand
    assert len(d) >= 5000
    assert 4 <= d["service"].nunique() <= 5
    assert d["channel"].nunique() >= 5
    labelled = d.dropna(subset=["value_or_failure"])
    share = (labelled["value_or_failure"] == "failure").mean()
    assert 0.40 <= share <= 0.60, share
    subtypes = set(labelled["failure_subtype"].dropna())
    assert subtypes == {"progress chasing", "not done", "not done right", "clarification",
                        "wrong place", "repeat information"}
    assert d["resolved_first_contact"].notna().mean() > 0.5
    assert d["what_matters"].notna().mean() > 0.3
    # many phrasings per type, not one template
    per_type = labelled.groupby("demand_type")["verbatim"].nunique()
    assert per_type.min() >= 20, per_type.sort_values().head()
    # weeks covered
    weeks = d["received_at"].dt.tz_localize(None).dt.to_period("W").nunique()
    assert weeks >= 16


def test_place_problems_reported_by_several_people(sample_study):
    d = sample_study.demand
    pot = d[(d["demand_type"] == "Report a pot-hole") & d["latitude"].notna()].copy()
    # group by rounded location (~100 m cells) and look for cells with several callers and channels
    pot["cell"] = (pot["latitude"].round(3).astype(str) + "," + pot["longitude"].round(3).astype(str))
    g = pot.groupby("address").agg(callers=("customer_ref", "nunique"), channels=("channel", "nunique"),
                                   span=("received_at", lambda t: (t.max() - t.min()).days))
    multi = g[(g["callers"] >= 2) & (g["channels"] >= 2) & (g["span"] >= 1)]
    assert len(multi) >= 20


def test_cases_hold_flow_stories(sample_study):
    e = sample_study.events
    cb = sample_study.flow_codebook
    assert set(e["activity"]) <= set(cb.activities["activity"])
    first = e.groupby("case_id")["timestamp"].min()
    reg = e[e["activity"] == "Case registered"].groupby("case_id")["timestamp"].min()
    solved = e[e["activity"] == "Repair completed"].groupby("case_id")["timestamp"].min()
    closed = e[e["activity"] == "Job closed"].groupby("case_id")["timestamp"].min()
    day = pd.Timedelta(days=1)
    redesign = pd.Timestamp("2025-03-10", tz="Europe/London")
    before = first[first < redesign].index
    after = first[first >= redesign].index
    # organisation's clock starts later than the customer's
    hidden = ((reg - first) / day).loc[before]
    assert hidden.mean() > 3
    # a spike of closures just before day 28 on the organisation's clock
    official = ((closed - reg) / day).loc[before].dropna()
    just_before = ((official >= 26) & (official < 28)).sum()
    just_after = ((official >= 28) & (official < 30)).sum()
    assert just_before > 5 * max(just_after, 1)
    # the redesign shifts capability
    e2e = ((solved - first) / day)
    assert 20 <= e2e.loc[before].mean() <= 30
    assert e2e.loc[after].dropna().mean() < 8
    # hand-offs, rework, chasing and inspection happen
    for act in ["Job passed to contractor", "Follow-on visit", "Tenant chased", "Inspection visit"]:
        assert (e["activity"] == act).sum() > 50, act
    # cases still open at the as-of date
    open_cases = set(first.index) - set(solved.index)
    assert len(open_cases) >= 10
    assert (first.loc[list(open_cases)] < sample_study.as_of).all()


def test_dirty_rows_are_set_aside_with_reasons(sample_study):
    reasons = set(sample_study.set_aside["reason"])
    assert {"empty verbatim", "duplicate contact_id", "missing timestamp", "duplicate event",
            "case closed before it was opened"} <= reasons
    q = sample_study.quality
    for _, rows in q.groupby("file"):
        assert rows["rows_read"].iloc[0] == rows["rows_kept"].iloc[0] + rows["rows_set_aside"].sum()
