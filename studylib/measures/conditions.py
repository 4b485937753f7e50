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

from .systems import WHOLE_PERIOD
from ..text import long_date

__all__ = ["waste_found", "condition_register", "open_questions", "waste_by_kind", "WASTE_WORDS", "WASTE_COLUMNS",
           "REGISTER_COLUMNS"]

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


WASTE_COLUMNS = ["waste", "stage", "service", "system", "current", "measure", "value", "figure"]


def hidden_wait_words(rec: dict, unit: str = "days") -> str:
    """The days the organisation's clock leaves out, in one set of words wherever they are shown
    (flow and system conditions alike): the mean over finished cases of the customer's clock less
    the organisation's, and how much of it comes before the organisation's clock starts."""
    text = (f"the organisation's clock leaves out {rec['hidden_mean']:.1f} {unit} of every finished case on average "
            f"({rec['end_to_end_mean']:.1f} on the customer's clock, {rec['official_mean']:.1f} on its own)")
    before = rec.get("before_clock_mean")
    if before is not None and pd.notna(before) and before > 0.05:
        text += f", {before:.1f} of them before its clock starts"
    return text


def _demand_wastes(demand: pd.DataFrame) -> list[dict]:
    """Failure demand by kind, in the time frame of each system.

    A service a dated change split has its own rows for each of its systems (the latest is the
    system as it is now); the services no change names are counted together over the whole period,
    which is their system as it is now. Without systems (no ``era`` column) all of it is one.
    """
    rows = []
    # The columns counted, before any row is picked (not every column of a million contacts).
    demand = demand[[c for c in ("service", "era", "system", "value_or_failure", "failure_subtype") if c in demand]]
    if "era" in demand:
        service = demand["service"].astype(object)
        latest = demand.groupby(service.fillna(""), sort=False)["era"].transform("max")
        changed = latest > 0
        groups = [(s, int(e), str(sys_), demand[(service == s) & (demand["era"] == e)], bool(e == m))
                  for (s, e, sys_, m) in demand.loc[changed].assign(_m=latest[changed])
                  .groupby(["service", "era", "system", "_m"], sort=True).size().index]
        rest = demand.loc[~changed]
        if len(rest):
            groups.append((None, 0, WHOLE_PERIOD, rest, True))
    else:
        groups = [(None, 0, WHOLE_PERIOD, demand, True)]
    any_change = any(s is not None for s, *_ in groups)
    for service, _, system, part, current in groups:
        failure = part[part["value_or_failure"] == "failure"]
        labelled = int(part["value_or_failure"].isin(["value", "failure"]).sum())
        if service is not None:
            where = f"{service} {system}: "
        else:
            where = "every other service, over the whole period: " if any_change else ""
        for sub, n in failure["failure_subtype"].dropna().value_counts().items():
            rows.append({"waste": _norm(sub), "stage": "demand", "service": service, "system": system,
                         "current": current, "measure": "failure contacts", "value": float(n),
                         "figure": f"{where}{n:,} contacts ({n / labelled:.0%} of labelled demand) are {sub}"})
    return rows


def waste_found(*, demand: pd.DataFrame | None = None, flow: dict | None = None) -> pd.DataFrame:
    """Every kind of waste the data shows, with its figure, for each system it was found in.

    Parameters
    ----------
    demand : DataFrame, optional
        Classified contacts (:func:`studylib.measures.demand.classify_demand`).
    flow : dict, optional
        :func:`studylib.measures.flow.flow_by_system` (``figures`` and ``steps``).

    Returns
    -------
    DataFrame
        :data:`WASTE_COLUMNS`: ``figure`` is the figure in words; ``system`` the system it was
        found in (demand is over the whole period); ``current`` is True for the system as it is
        now. Only waste actually present (value > 0) is listed, largest first within each stage.
    """
    rows = []
    if demand is not None and len(demand):
        rows += _demand_wastes(demand)
    figures = (flow or {}).get("figures")
    if figures is not None and len(figures):
        steps = flow.get("steps")
        for rec in figures.to_dict("records"):
            where = {"service": rec["service"], "system": rec["system"], "current": bool(rec["current"])}
            if rec["handoffs_mean"] > 0:
                rows.append({"waste": "handoff", "stage": "flow", **where, "measure": "hand-offs per case",
                             "value": float(rec["handoffs_mean"]),
                             "figure": f"{rec['handoffs_mean']:.1f} hand-offs per case on average"})
            if rec["rework_share"] > 0:
                rows.append({"waste": "rework", "stage": "flow", **where, "measure": "cases repeating a step",
                             "value": float(rec["rework_share"]),
                             "figure": f"{rec['rework_share']:.0%} of cases go through the same step twice"})
            if pd.notna(rec["hidden_mean"]) and rec["hidden_mean"] > 0.05:
                rows.append({"waste": "hidden wait", "stage": "flow", **where,
                             "measure": "days the organisation does not count", "value": float(rec["hidden_mean"]),
                             "figure": hidden_wait_words(rec)})
            if pd.notna(rec["clean_share"]) and rec["clean_share"] < 1:
                dirty = 1 - rec["clean_share"]
                rows.append({"waste": "dirty cases", "stage": "flow", **where, "measure": "cases arriving dirty",
                             "value": float(dirty), "figure": f"{dirty:.0%} of {rec['cases']:,} cases arrive dirty, without what the work needs"})
            if steps is not None and len(steps):
                mine = steps[(steps["era"] == rec["era"]) & (steps["system"] == rec["system"])
                             & ((steps["service"] == rec["service"]) | (steps["service"].isna() & pd.isna(rec["service"])))]
                for step in mine[mine["kind"].str.startswith("waste")].to_dict("records"):
                    kind = step["kind"].removeprefix("waste: ")
                    if step["days"] > 0:
                        rows.append({"waste": _norm(kind), "stage": "flow", **where, "measure": "days of case time",
                                     "value": float(step["days"]),
                                     "figure": f"{step['days']:,.0f} {'day' if round(step['days']) == 1 else 'days'} "
                                               f"of case time ({step['share_of_time']:.0%}) "
                                               f"{'goes' if round(step['days']) == 1 else 'go'} on {kind}"})
            if rec["working_to_target"]:
                rows.append({"waste": "target spike", "stage": "flow", **where,
                             "measure": "cases closed just before the target", "value": float(rec["spike_before"]),
                             "figure": (f"{rec['spike_before']:,} cases closed in the 2 days before the "
                                        f"{rec['target']:g}-day target on the organisation's clock, "
                                        f"{rec['spike_after']:,} in the 2 days after")})
    return pd.DataFrame(rows, columns=WASTE_COLUMNS)


def _matches(cause: str, waste: str) -> bool:
    text = _norm(cause)
    return any(word in text for word in WASTE_WORDS.get(waste, [waste]))


def _ended_by(entry: dict, changes: list[dict]) -> dict | None:
    """The system change a condition's ``ended_by:`` names (by date, or by words of its ``what``)."""
    said = entry.get("ended_by")
    if said in (None, ""):
        return None
    for change in changes:
        when = pd.Timestamp(change["date"])
        try:
            if pd.Timestamp(str(said)).date() == when.date():
                return change
        except (ValueError, TypeError):
            if _norm(said) in _norm(change.get("what", "")):
                return change
    return {"date": None, "what": str(said)}


REGISTER_COLUMNS = ["condition", "status", "cause", "found", "before", "stages", "evidence", "thinking"]


def condition_register(findings: dict | None, wastes: pd.DataFrame, changes: list[dict] | None = None, *,
                       unseen: str = "") -> pd.DataFrame:
    """Each recorded system condition beside the waste it causes (with the figures) and the thinking.

    ``findings.yml``: ``system_conditions: [{condition, causes: [...], evidence, ended_by}]`` and
    ``thinking: [{belief, consequence, behind: [condition, ...]}]``. ``ended_by`` names the dated
    system change (its date, as in study.yml) that removed the condition. A belief with no
    ``behind`` is shown beside every condition.

    Returns
    -------
    DataFrame
        One row per condition and cause, :data:`REGISTER_COLUMNS`: ``status`` is "stands" or
        "ended by the change of 10 March 2025"; ``found`` holds the figures of the matching waste
        in the system as it is now ("; "-joined, "not seen since the change" for an ended condition
        whose waste is gone, or "not shown by the data"); ``before`` the figures in earlier
        systems; ``stages``, ``evidence``, ``thinking``. ``unseen``: what the data cannot show
        (cases of one event each), said beside "not shown by the data".
    """
    findings = findings or {}
    thinking = findings.get("thinking") or []
    rows = []
    for entry in findings.get("system_conditions") or []:
        condition = str(entry.get("condition", "")).strip()
        beliefs = [t.get("belief", "") for t in thinking
                   if not t.get("behind") or _norm(condition) in [_norm(b) for b in t.get("behind")]]
        ended = _ended_by(entry, changes or [])
        status = ("stands" if ended is None else
                  f"ended by the change of {long_date(ended['date'])}" if ended.get("date") is not None
                  else f"ended by {ended['what']}")
        for cause in entry.get("causes") or ["(no cause recorded)"]:
            hit = wastes[[_matches(cause, w) for w in wastes["waste"]]] if len(wastes) else wastes
            now, before = (hit[hit["current"]], hit[~hit["current"]]) if len(hit) else (hit, hit)
            found = "; ".join(now["figure"])
            if not found:
                # Never "not shown by the data" beside a figure the data does show, in an earlier system.
                found = ("not seen since the change" if len(before) else
                         f"not shown by the data ({unseen})" if unseen else "not shown by the data")
            rows.append({"condition": condition, "status": status, "cause": str(cause), "found": found,
                         "before": "; ".join(before["figure"]),
                         "stages": ", ".join(sorted(set(hit["stage"]))) if len(hit) else "",
                         "evidence": entry.get("evidence", ""), "thinking": " / ".join(b for b in beliefs if b)})
    return pd.DataFrame(rows, columns=REGISTER_COLUMNS)


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
    out = wastes.loc[~explained & wastes["current"].astype(bool), ["waste", "stage", "figure"]].copy()
    out["question"] = "What in the design of the system causes '" + out["waste"] + "'?"
    return out.reset_index(drop=True)


def waste_by_kind(wastes: pd.DataFrame) -> pd.DataFrame:
    """Each kind of waste once per system, with every figure that shows it ("; "-joined).

    A waste can show in more than one measure (hand-offs per case, and the days spent on hand-offs);
    this lists it once, so that a reader does not count it twice.

    Returns
    -------
    DataFrame
        ``stage, system, waste, figure``, the system as it is now first.
    """
    if wastes.empty:
        return pd.DataFrame(columns=["stage", "system", "waste", "figure"])
    ordered = wastes.assign(_now=~wastes["current"].astype(bool))
    out = (ordered.groupby(["_now", "stage", "system", "waste"], sort=False)["figure"].agg("; ".join)
           .reset_index().sort_values(["_now", "stage"], kind="stable"))
    return out.drop(columns="_now").reset_index(drop=True)
