"""System conditions and management thinking: why the waste found happens.

The register links each waste the earlier stages actually found (failure demand by kind, waste
steps, hand-offs and rework, the hidden wait, work bunched before a target) to the system
condition the team recorded as its cause (``findings.yml``) and the thinking behind that
condition. Every figure in it is computed from the data here, never typed by hand. Waste with no
recorded cause is listed as an open question; a recorded cause that names no waste the data
shows is flagged too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["waste_found", "condition_register", "open_questions", "WASTE_WORDS"]

#: How a cause written in findings.yml is recognised as one of the wastes found: any of these
#: words in the cause (lower case, hyphens as spaces).
WASTE_WORDS = {
    "progress chasing": ["progress chasing", "chasing", "chase"],
    "not done": ["not done", "missed"],
    "not done right": ["not done right", "done wrong", "repeat visit"],
    "clarification": ["clarification", "understand", "unclear"],
    "wrong place": ["wrong place", "passed around"],
    "repeat information": ["repeat information", "giving details again"],
    "handoff": ["hand off", "handoff", "passed to"],
    "rework": ["rework", "repeat", "follow on", "no access"],
    "inspection": ["inspection", "inspect", "surveyor", "checking"],
    "waiting": ["waiting", "queue", "parts"],
    "duplication": ["duplication", "duplicate"],
    "hidden wait": ["hidden", "before registration", "before the clock"],
    "target spike": ["just before", "day 28", "to the target", "closures", "spike"],
    "dirty cases": ["dirty", "missing information", "further information"],
}


def _norm(text) -> str:
    return " ".join(str(text).lower().replace("-", " ").replace("_", " ").split())


def waste_found(*, demand: pd.DataFrame | None = None, times: pd.DataFrame | None = None,
                steps: pd.DataFrame | None = None, spike: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every kind of waste the data shows, with its figure, from the earlier stages' results.

    Parameters
    ----------
    demand : DataFrame, optional
        Classified contacts (:func:`studylib.demand.classify_demand`).
    times : DataFrame, optional
        :func:`studylib.flow.case_times`.
    steps : DataFrame, optional
        :func:`studylib.flow.step_times`.
    spike : DataFrame, optional
        :func:`studylib.flow.around_target`.

    Returns
    -------
    DataFrame
        ``waste, stage, measure, value, figure`` (the figure in words), largest first within
        each stage. Only waste actually present (value > 0) is listed.
    """
    rows = []
    if demand is not None and len(demand):
        failure = demand[demand["value_or_failure"] == "failure"]
        labelled = demand["value_or_failure"].isin(["value", "failure"]).sum()
        for sub, n in failure["failure_subtype"].dropna().value_counts().items():
            rows.append({"waste": _norm(sub), "stage": "demand", "measure": "failure contacts", "value": float(n),
                         "figure": f"{n:,} contacts ({n / labelled:.0%} of labelled demand) are {sub}"})
    if times is not None and len(times):
        n = len(times)
        hand = times["handoffs"]
        if hand.sum() > 0:
            rows.append({"waste": "handoff", "stage": "flow", "measure": "hand-offs per case", "value": float(hand.mean()),
                         "figure": f"{hand.mean():.1f} hand-offs per case on average"})
        rework = (times["rework"] > 0)
        if rework.any():
            rows.append({"waste": "rework", "stage": "flow", "measure": "cases repeating a step",
                         "value": float(rework.mean()), "figure": f"{rework.mean():.0%} of cases repeat a step"})
        before = (times["official_start"] - times["customer_start"]).dt.total_seconds() / 86400
        if before.notna().any() and before.mean() > 0.05:
            rows.append({"waste": "hidden wait", "stage": "flow", "measure": "days before the organisation's clock",
                         "value": float(before.mean()),
                         "figure": f"customers wait {before.mean():.1f} days on average before the organisation's clock starts"})
        clean = times["clean"].dropna()
        if len(clean) and (~clean.astype(bool)).any():
            dirty = 1 - clean.astype(bool).mean()
            rows.append({"waste": "dirty cases", "stage": "flow", "measure": "cases arriving dirty",
                         "value": float(dirty), "figure": f"{dirty:.0%} of {n:,} cases arrive dirty"})
    if steps is not None and len(steps):
        for rec in steps[steps["kind"].str.startswith("waste")].to_dict("records"):
            kind = rec["kind"].removeprefix("waste: ")
            if rec["days"] > 0:
                rows.append({"waste": _norm(kind), "stage": "flow", "measure": "days of case time",
                             "value": float(rec["days"]),
                             "figure": f"{rec['days']:,.0f} days of case time ({rec['share_of_time']:.0%}) go on {kind}"})
    if spike is not None:
        for rec in spike.attrs["spike"].to_dict("records"):
            if rec["just_before"] >= 10 and rec["ratio"] >= 3:
                clock = "the organisation's clock" if rec["clock"] == "official_days" else "the customer's clock"
                target = spike.attrs["target"]
                rows.append({"waste": "target spike", "stage": "capability", "measure": "cases closed just before the target",
                             "value": float(rec["just_before"]),
                             "figure": (f"{rec['just_before']:,} cases finished in the {spike.attrs['window']:g} days before the "
                                        f"{target:g}-day target on {clock}, {rec['just_after']:,} in the days after")})
    return pd.DataFrame(rows, columns=["waste", "stage", "measure", "value", "figure"])


def _matches(cause: str, waste: str) -> bool:
    text = _norm(cause)
    return any(word in text for word in WASTE_WORDS.get(waste, [waste]))


def condition_register(findings: dict | None, wastes: pd.DataFrame) -> pd.DataFrame:
    """Each recorded system condition beside the waste it causes (with the figures) and the thinking.

    ``findings.yml``: ``system_conditions: [{condition, causes: [...], evidence}]`` and
    ``thinking: [{belief, consequence, behind: [condition, ...]}]``; a belief with no ``behind``
    is shown beside every condition it does not contradict, i.e. all of them.

    Returns
    -------
    DataFrame
        One row per condition and cause: ``condition, cause, found`` (the figures of the matching
        waste, "; "-joined, or "not shown by the data"), ``stages``, ``evidence``, ``thinking``.
    """
    findings = findings or {}
    thinking = findings.get("thinking") or []
    rows = []
    for entry in findings.get("system_conditions") or []:
        condition = str(entry.get("condition", "")).strip()
        beliefs = [t.get("belief", "") for t in thinking
                   if not t.get("behind") or _norm(condition) in [_norm(b) for b in t.get("behind")]]
        for cause in entry.get("causes") or ["(no cause recorded)"]:
            hit = wastes[[_matches(cause, w) for w in wastes["waste"]]] if len(wastes) else wastes
            rows.append({"condition": condition, "cause": str(cause),
                         "found": "; ".join(hit["figure"]) if len(hit) else "not shown by the data",
                         "stages": ", ".join(sorted(set(hit["stage"]))) if len(hit) else "",
                         "evidence": entry.get("evidence", ""), "thinking": " / ".join(b for b in beliefs if b)})
    return pd.DataFrame(rows, columns=["condition", "cause", "found", "stages", "evidence", "thinking"])


def open_questions(findings: dict | None, wastes: pd.DataFrame) -> pd.DataFrame:
    """Waste the data shows that no recorded system condition explains: what causes it?

    Returns
    -------
    DataFrame
        ``waste, stage, figure, question``.
    """
    findings = findings or {}
    causes = [c for e in (findings.get("system_conditions") or []) for c in (e.get("causes") or [])]
    explained = np.array([any(_matches(c, w) for c in causes) for w in wastes["waste"]], dtype=bool) \
        if len(wastes) else np.zeros(0, dtype=bool)
    out = wastes.loc[~explained, ["waste", "stage", "figure"]].copy()
    out["question"] = "What in the design of the system causes '" + out["waste"] + "'?"
    return out.reset_index(drop=True)
