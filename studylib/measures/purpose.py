"""Stage 1, purpose: what the service is for in the customer's terms, and what matters to them.

The team writes the purpose in findings.yml; the demand tells how often each "what matters" was
heard. Putting the two next to the *de facto* purpose (what the organisation's measures say) is
the start of every check.
"""
from __future__ import annotations

import re

import pandas as pd


__all__ = ["purpose_statements", "targets_purpose", "what_matters", "word_count", "PURPOSE_WORD_LIMIT"]

#: How a target's measure reads as an aim ("close each case within 28 days").
MEASURE_AIMS = {
    "end_to_end_days": "close each case within {value:g} days of registering it",
}


def targets_purpose(config: dict) -> str | None:
    """The purpose the organisation's targets imply, in words: what study.yml ``targets:`` reward.

    >>> targets_purpose({"targets": [{"measure": "end_to_end_days", "value": 28, "service": "Repairs"}]})
    'Repairs: close each case within 28 days of registering it.'
    """
    aims = []
    for target in config.get("targets") or []:
        if not isinstance(target, dict) or target.get("value") is None:
            continue
        measure = str(target.get("measure") or "end_to_end_days")
        value = target["value"]
        try:
            aim = MEASURE_AIMS[measure].format(value=float(value))
        except (KeyError, TypeError, ValueError):
            aim = f"{measure.replace('_', ' ')}: {value}"
        service = target.get("service")
        aims.append(f"{service}: {aim}" if service else aim[0].upper() + aim[1:])
    return "; ".join(aims) + "." if aims else None


def purpose_statements(findings: dict, config: dict | None = None) -> pd.DataFrame:
    """The purpose in the customer's terms beside the de facto purpose.

    Returns
    -------
    DataFrame with columns ``statement, words, length``: the purpose, the de facto purpose the
    team wrote, and (with ``config``) the one its targets imply, with "(not written yet)" where
    findings.yml has none; ``length`` counts the words (a purpose says it in 150 or fewer).

    Examples
    --------
    >>> purpose_statements({"purpose": "Fix it first time"})["words"].tolist()
    ['Fix it first time', '(not written yet)']
    """
    from .purpose import word_count
    rows = [("Purpose, in the customer's terms", findings.get("purpose")),
            ("De facto purpose, as the measures imply", findings.get("de_facto_purpose"))]
    implied = targets_purpose(config or {})
    if implied:
        rows.append(("De facto purpose, as the study's targets imply", implied))
    out = []
    for statement, words in rows:
        text = str(words).strip() if words is not None else ""
        out.append({"statement": statement, "words": text or "(not written yet)",
                    "length": f"{word_count(text):,} words" if text else ""})
    return pd.DataFrame(out, columns=["statement", "words", "length"])


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


#: The most words a purpose statement should take.
PURPOSE_WORD_LIMIT = 150


def word_count(text) -> int:
    """Words in a statement, as a reader counts them ("first-time" is one word)."""
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", str(text or "")))
