"""Real exports, read through study.yml mappings only (no renaming, no code)."""
from __future__ import annotations

from conftest import ROOT, shared_file
from studylib import load_study


def test_la311_export_through_mappings():
    shared_file("311/la_311_2017_subset.csv")
    s = load_study(ROOT / "examples" / "la311")
    # LA Open Data: 9,999 requests, 27-31 Dec 2017
    assert len(s.demand) == 9999
    # Read twice: each row a contact, and a case (cases:); 12 close at midnight before the hour they opened.
    assert s.quality[["rows_read", "rows_kept", "rows_set_aside"]].values.tolist() == [[9999, 9999, 0],
                                                                                       [9999, 9987, 12]]
    assert s.demand["contact_id"].is_unique
    counts = s.demand["channel"].value_counts().to_dict()
    # RequestSource: Call 4188 + Voicemail 1 -> phone; Mobile App 2131; Self Service 1621
    assert counts["phone"] == 4189
    assert counts["app"] == 2131
    assert counts["web"] == 1621
    assert counts["staff_report"] == 2019
    assert (s.demand["demand_type"] == "Bulky Items").sum() == 4432
    first = s.demand["received_at"].min()
    assert str(first.tz) == "America/Los_Angeles" and first.strftime("%Y-%m-%d") == "2017-12-27"
    assert s.demand["latitude"].notna().sum() == 9999 - 1753
    assert len(s.cases) == 9987 and (s.cases["closed"].notna()).sum() == 9982 and len(s.events) == 9987 + 9982
    assert set(s.set_aside["reason"]) == {"case closed before it was opened"}


def test_receipt_event_log_through_mappings():
    shared_file("eventlogs/receipt_wabo.csv")
    s = load_study(ROOT / "examples" / "receipt")
    # 4TU receipt log: 1,434 cases / 8,577 events
    assert s.events["case_id"].nunique() == 1434
    assert len(s.events) == 8577
    assert s.quality[["rows_read", "rows_kept", "rows_set_aside"]].values.tolist() == [[8577, 8577, 0]]
    assert str(s.events["timestamp"].dt.tz) == "Europe/Amsterdam"
    assert not s.has_demand
