"""Stage 1, purpose: what the service is for in the customer's terms, and what matters to them.

The team writes the purpose in findings.yml; the demand tells how often each "what matters" was
heard. Putting the two next to the *de facto* purpose (what the organisation's measures say) is
the start of every check.
"""
from __future__ import annotations

import pandas as pd


__all__ = ["purpose_statements", "what_matters"]


def purpose_statements(findings: dict) -> pd.DataFrame:
    """The purpose in the customer's terms beside the de facto purpose.

    Returns
    -------
    DataFrame with columns ``statement, words``: one row each for the purpose and the de facto
    purpose, with "(not written yet)" where findings.yml has none.

    Examples
    --------
    >>> purpose_statements({"purpose": "Fix it first time"})["words"].tolist()
    ['Fix it first time', '(not written yet)']
    """
    rows = [("Purpose, in the customer's terms", findings.get("purpose")),
            ("De facto purpose, as the measures imply", findings.get("de_facto_purpose"))]
    return pd.DataFrame([{"statement": s, "words": (w or "(not written yet)").strip()} for s, w in rows],
                        columns=["statement", "words"])


def what_matters(demand: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """How often each "what matters" was heard, among contacts where the team recorded one.

    Parameters
    ----------
    demand : DataFrame
        Demand records (``Study.demand``).
    by : str, optional
        A column to break the tally down by (e.g. ``"service"``).

    Returns
    -------
    DataFrame with columns ``[by,] what_matters, contacts, share`` sorted by contacts, descending.
    ``share`` is a fraction of the contacts with a recorded what-matters (within ``by``).

    Examples
    --------
    >>> d = pd.DataFrame({"what_matters": ["fixed first time", "fixed first time", None]})
    >>> what_matters(d)[["what_matters", "contacts"]].values.tolist()
    [['fixed first time', 2]]
    """
    keys = ([by] if by else []) + ["what_matters"]
    heard = demand.dropna(subset=["what_matters"])
    heard = heard[heard["what_matters"].astype(str).str.strip() != ""]
    counts = heard.groupby(keys, sort=False).size().rename("contacts").reset_index()
    if by:
        total = counts.groupby(by)["contacts"].transform("sum")
    else:
        total = counts["contacts"].sum()
    counts["share"] = counts["contacts"] / total
    order = ([by] if by else []) + ["contacts", "what_matters"]
    ascending = ([True] if by else []) + [False, True]
    return counts.sort_values(order, ascending=ascending, kind="stable").reset_index(drop=True)




