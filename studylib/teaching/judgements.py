"""One judgement question a stage, with a model answer the learner reads after writing theirs.

An exercise has one right answer; a judgement has better and worse ones: what to tell a manager
about a target, which failure demand to study first. Each stage of the check asks one, the
learner writes an answer (:class:`studylib.teaching.widgets.JudgementForm` keeps it in
``judgements.yml``), and only then reads a model answer. The model answer is made from this
study's own figures, so it is a worked judgement on the learner's data, not a text to copy.

>>> sorted(JUDGEMENTS)
['capability', 'demand', 'flow', 'purpose', 'system_conditions']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from . import answers as a
from . import flow_answers as fa

__all__ = ["Judgement", "JUDGEMENTS", "model_answer", "LITTLE_WASTE"]

#: Below this share of case time, the largest waste is no longer where a redesign starts.
LITTLE_WASTE = 0.10


@dataclass(frozen=True)
class Judgement:
    """A stage's judgement question and how to make its model answer from the check's results."""

    stage: str                      # a key of REFLECTION_STAGES: "capability"
    question: str
    model: Callable                 # results -> the model answer in words (None: this study cannot say)


def _listed(items: list[str]) -> str:
    items = [f"'{x}'" for x in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _purpose(results) -> str | None:
    if not results.demand:
        return None
    values = a.demand_types(results, "value")
    if values is None or values.empty:
        return None
    matters = a.matters(results)
    heard = (f" in the way that matters to them ({_listed(matters['what_matters'].head(2).astype(str).tolist())} "
             "were heard most)" if matters is not None else "")
    failure = a.failure_share(results)
    measures = ["the end-to-end time from the customer's first contact to the problem solved"]
    if failure is not None:
        measures.append(f"the share of demand that is failure ({failure:.0%} now)")
    return (f"Customers come to this service for {_listed(values['demand_type'].head(3).astype(str).tolist())}. "
            f"Its purpose, in their terms: do what they came for{heard}, first time. What tells you it is achieved "
            f"is measured from their side: {' and '.join(measures)}. Not the calls answered, the cases closed or a "
            "target met: those measure activity, and a service can hit them while customers still chase.")


def _demand(results) -> str | None:
    failure = a.demand_types(results, "failure")
    if failure is None or failure.empty:
        return None
    top = failure.iloc[0]
    total = int(failure["contacts"].sum())
    subtypes = results.demand.get("subtypes")
    kind = ""
    if isinstance(subtypes, pd.DataFrame) and len(subtypes):
        first = subtypes.iloc[0]
        kind = (f" Across all failure demand, the commonest kind is {first['failure_subtype']} "
                f"({first['share']:.0%}): a sign of what the system fails to do.")
    return (f"Start with {top['demand_type']}: {int(top['contacts']):,} contacts, {top['contacts'] / total:.0%} of failure "
            f"demand.{kind} Take a sample of those contacts and follow each back to the failure that caused it (a "
            "promise not kept, a job not done right, no word on progress), then remove the cause. Answering the "
            "calls faster, or adding people to take them, only makes the failure cheaper to repeat: every failure "
            "contact removed at its source is capacity given back to value work.")


def _capability(results) -> str | None:
    cap = results.capability
    if not cap or not cap.get("charts"):
        return None
    name = cap["lead"]
    now = cap["limits"][name].iloc[-1]
    target = cap["charts"][name].attrs.get("target")
    who, verb = ("All services together", "are") if name == "All services" else (name, "is")
    if now["status"] == "too few":
        lead = (f"{who} cannot be judged yet ({now['reason']}): no range can be promised. Tell the manager what the "
                f"data shows so far ({now['mean']:.1f} days on average) and that the chart needs more time before "
                "anyone judges the service by it.")
    elif now["status"] != "predictable":
        lead = (f"{who} {verb} not predictable as it is now ({str(now['reason']).split('; ')[0]}), so no range can be "
                "promised: first find out what is making it unstable, case by case, before anyone judges it.")
    else:
        lead = (f"{who}, as it is now, predictably deliver{'' if verb == 'are' else 's'} between {now['lower']:.0f} and "
                f"{now['upper']:.1f} days, {now['mean']:.1f} on average: that is what the system does, whatever the "
                "target says.")
    if target is None:
        words = (" This study sets no target: " + ("tell the manager the range, and " if now["status"] == "predictable"
                                                   else "keep it so, and say ")
                 + "that a target would change how the work is recorded, not what customers get.")
    elif now["status"] != "predictable":
        words = f" The {target:g}-day target cannot be judged against a system that promises no range."
    elif target >= now["upper"]:
        words = (f" The {target:g}-day target lies above the upper limit: cases will meet it while the system "
                 "stays as it is, so it tells the manager nothing about how the service is doing, and it may hide "
                 "that customers could be served far faster.")
    elif target < now["lower"]:
        words = (f" No case will meet the {target:g}-day target while the system stays as it is: pressing people to "
                 "meet it can only change how the work is recorded. Only a change to the system moves the range.")
    else:
        words = (f" The {target:g}-day target lies inside the limits: some cases will miss it every week by chance "
                 "alone, and nobody is to blame for one that does; only a change to the system moves the range.")
    ids = list(now.get("exception_ids") or [])
    follow = ""
    if now["status"] == "predictable" and ids:
        shown = ", ".join(ids[:5]) + (" and more" if len(ids) > 5 else "")
        follow = (f" The {len(ids):,} case{'s' if len(ids) != 1 else ''} beyond the limits ({shown}) are the ones to "
                  "follow end to end: each is a special cause with a story of its own.")
    return lead + words + follow


def _flow(results) -> str | None:
    now = fa.flow_figures(results, True)
    if now is None or now.empty:
        return None
    row = now.sort_values("cases", ascending=False).iloc[0]
    every = results.flow["figures"]
    before = every[(every["service"] == row["service"]) & (every["era"] < row["era"])]
    where = f"{row['service']}, {row['system']}" if len(before) else row["service"]
    parts = [f"In {where}, a case takes {row['end_to_end_mean']:.1f} days on average on the customer's clock."]
    if len(before) and pd.notna(before.iloc[-1]["top_waste"]):
        old = before.iloc[-1]
        parts.append(f"Before the change, its largest waste was {old['top_waste']}, {old['top_waste_share']:.0%} of case "
                     f"time; now it is {row['top_waste']}, {row['top_waste_share']:.0%}: see what the redesign removed, "
                     "and keep it removed.")
    if pd.notna(row.get("top_waste")) and row["top_waste_share"] >= LITTLE_WASTE:
        parts.append(f"The largest waste is {row['top_waste']}, {row['top_waste_share']:.0%} of case time: start there, "
                     "by asking what in the design makes it happen, not how to do it faster.")
    elif pd.notna(row.get("top_waste")):
        failure = a.failure_share(results)
        parts.append("Little waste is left in the flow itself: the next gain is upstream"
                     + (f", in the failure demand that arrives ({failure:.0%} of all the study's demand) and what causes it."
                        if failure is not None else ", in what arrives at the front of it."))
    if pd.notna(row.get("hidden_mean")) and row["hidden_mean"] > 0.5:
        parts.append(f"Customers also wait {row['hidden_mean']:.1f} days the organisation's clock never counts: "
                     "redesign from the first contact, or the change will be measured where the customer is not.")
    if pd.notna(row.get("clean_share")) and row["clean_share"] < 0.9:
        parts.append(f"Only {row['clean_share']:.0%} of cases arrive clean: what the work needs is missing at the start "
                     "for the rest, and the fix is at the front of the flow.")
    parts.append("Whatever you change, judge it on the end-to-end time from the customer's side, against the "
                 "limits of the chart in the capability stage.")
    return " ".join(parts)


def _conditions(results) -> str | None:
    cond = results.conditions or {}
    register, questions = cond.get("register"), cond.get("questions")
    standing = register[register["status"] == "stands"] if register is not None and len(register) else None
    if standing is not None and len(standing):
        first = standing.iloc[0]
        evidence = str(first.get("evidence") or "").strip().rstrip(".")
        thinking = str(first.get("thinking") or "").strip().rstrip(".")
        said = [f"Take '{first['condition']}' first: it still stands, and the data ties it to {first['cause']} "
                f"({first['found']})"]
        if evidence:
            said.append(f"The team's own evidence: {evidence}")
        if thinking:
            said.append(f"The thinking behind it ('{thinking}') is what the manager is asked to question")
        said.append("Put it as a condition the manager owns (a target, a rule, a structure), with the cost it "
                    "causes, not as a failing of the people working in it.")
        return ". ".join(said)
    if questions is not None and len(questions):
        first = questions.iloc[0]
        return (f"No recorded condition still stands, but {first['waste']} has no recorded cause ({first['figure']}). "
                "Take that open question to the manager: follow some of those cases to the rule, target or structure "
                "that makes the work go that way, before proposing a fix.")
    return None


JUDGEMENTS: dict[str, Judgement] = {j.stage: j for j in [
    Judgement("purpose", "A manager asks what this service is for. In a sentence or two, in the customer's terms: "
                         "what is its purpose, and what would tell you it is achieved?", _purpose),
    Judgement("demand", "Which failure demand would you study first, and what would you do about it?", _demand),
    Judgement("capability", "What do you tell the manager about the target, from this chart? And which cases would "
                            "you follow up?", _capability),
    Judgement("flow", "Where would you start redesigning the flow, and why?", _flow),
    Judgement("system_conditions", "Which system condition would you take to the manager first, and with what evidence?",
              _conditions),
]}


def model_answer(stage: str, results) -> str | None:
    """The model answer to ``stage``'s judgement question for this study (None: its data cannot say)."""
    return JUDGEMENTS[stage].model(results)
