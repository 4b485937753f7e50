"""Matching demand patterns: hyperscan in one pass gives exactly what RE2 gives type by type."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studylib.measures.demand import classify_demand
from studylib.engines.matching import may_match_newline, type_hits

from conftest import need_module, shared_file


@pytest.fixture(scope="module")
def hyperscan():
    return need_module("hyperscan")


def _pairs(verbatims, patterns, **kw):
    rows, kinds = type_hits(pd.Series(verbatims, dtype=object), patterns, **kw)
    return list(zip(rows.tolist(), kinds.tolist()))


def test_both_engines_label_the_sample_and_banking77_alike(sample_study, hyperscan):
    s = sample_study
    frames = [s.demand]
    for name in ("banking77_train.csv", "banking77_test.csv"):
        texts = pd.read_csv(shared_file(f"verbatims/{name}"))["text"].astype(str)
        frames.append(pd.DataFrame({"verbatim": texts}))
    for frame in frames:
        one_pass = classify_demand(frame, s.demand_codebook, engine="hyperscan")
        by_type = classify_demand(frame, s.demand_codebook, engine="re2")
        pd.testing.assert_frame_equal(one_pass, by_type)
        assert (one_pass["matched_by"] == "pattern").sum() > 100
    # The sample's own labels, as the demand report pins them.
    labelled = classify_demand(s.demand, s.demand_codebook, engine="hyperscan")
    assert (labelled["matched_by"] == "pattern").sum() == 321


def test_a_match_never_runs_from_one_verbatim_into_the_next(hyperscan):
    verbatims = ["I paid late", "payment missing", "late payment again", "late\n payment", None, ""]
    patterns = [[r"late\s+payment"], [r"^missing"], [r"payment$"], [r"\bmissing\b"]]
    expected = _pairs(verbatims, patterns, engine="re2")
    # "late" ends one verbatim and "payment" starts the next: no match; a newline inside one
    # verbatim is the verbatim's own, and RE2 matches there.
    assert expected == [(1, 3), (2, 0), (3, 0), (3, 2)]
    for processes in (1, 2):
        assert _pairs(verbatims, patterns, engine="hyperscan", processes=processes) == expected


def test_a_split_scan_gives_the_same_matches(hyperscan):
    rng = np.random.default_rng(4)
    words = np.array("bin missed again still waiting pothole street light late payment".split())
    verbatims = [" ".join(rng.choice(words, 8)) for _ in range(3_000)]
    patterns = [["missed bin", r"still\W+waiting"], [r"\bstreet\s+light"], ["pothole"], [r"late\s*payment\b"]]
    expected = _pairs(verbatims, patterns, engine="re2")
    assert len(expected) > 2_000
    assert _pairs(verbatims, patterns, engine="hyperscan", processes=2) == expected
    assert _pairs(verbatims, patterns, engine="hyperscan", processes=1) == expected


def test_a_pattern_hyperscan_cannot_compile_runs_on_re2(hyperscan):
    # "x?" matches the empty string, which hyperscan refuses to compile; RE2 matches every text.
    verbatims = ["bin", "pothole", None]
    patterns = [["x?"], ["pothole"]]
    assert _pairs(verbatims, patterns, engine="hyperscan") == _pairs(verbatims, patterns, engine="re2") \
        == [(0, 0), (1, 0), (1, 1)]


@pytest.mark.parametrize("pattern, can", [
    ("missed bin", False), (r"\bbins?\b.{0,20}missed", False), (r"late\s+payment", True),
    (r"late\W+payment", True), (r"[^a]+", True), (r"(?s)late.payment", True), (r"[a-z ]+", False),
    (r"\d+ days", False), (r"\D", True), (r"[\x00-\x20]", True), (r"(?:a|\n)", True),
])
def test_which_patterns_could_match_a_newline(pattern, can):
    assert may_match_newline(pattern) is can
