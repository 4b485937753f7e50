from __future__ import annotations

import matplotlib
import pandas as pd

from studylib.measures import purpose
from studylib.charts.purpose import plot_what_matters
from studylib.prose.purpose import purpose_summary

matplotlib.use("Agg")


def test_what_matters_counts_and_shares():
    d = pd.DataFrame({"service": ["A", "A", "A", "B", "B"],
                      "what_matters": ["fixed first time", "fixed first time", "know when", None, "know when"]})
    t = purpose.what_matters(d)
    assert t.values.tolist() == [["fixed first time", 2, 0.5], ["know when", 2, 0.5]]
    by = purpose.what_matters(d, by="service")
    assert by.values.tolist() == [["A", "fixed first time", 2, 2 / 3], ["A", "know when", 1, 1 / 3],
                                  ["B", "know when", 1, 1.0]]


def test_summary_sentence_from_numbers():
    t = purpose.what_matters(pd.DataFrame({"what_matters": ["x", "x", "y", None]}))
    assert purpose_summary(t, 4) == ("What matters was recorded for 3 of 4 contacts. "
                                              "Most often heard: \u201cx\u201d (67% of them).")
    assert "No contact" in purpose_summary(t.iloc[0:0], 4)


def test_purpose_statements_say_what_is_missing():
    t = purpose.purpose_statements({"de_facto_purpose": "Hit the 28-day target"})
    assert t["words"].tolist() == ["(not written yet)", "Hit the 28-day target"]


def test_plot_draws_the_table():
    t = purpose.what_matters(pd.DataFrame({"what_matters": ["x", "x", "y"]}))
    ax = plot_what_matters(t)
    widths = [p.get_width() for p in ax.patches]
    labels = [l.get_text() for l in ax.get_yticklabels()]
    assert widths == [1, 2] and labels == ["y", "x"]   # most heard on top
