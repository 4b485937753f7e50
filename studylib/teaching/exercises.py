"""Exercises that check what a learner understood, with answers computed from the study's results.

Each stage notebook asks two to four questions about what its charts show. The learner writes an
answer in a cell and :func:`check_answer` says whether it is right, and gives a hint when it is not
(the direction of a number that is off, how many of a list are right, where to look). The right
answer is never written down: it is computed at run time from the :class:`~studylib.CheckResults`
of the study the notebook is working on, so the exercises work on the sample and on a team's own
study alike, and say so when a study has no data to answer one.

>>> from studylib.teaching.exercises import EXERCISES
>>> sorted({e.stage for e in EXERCISES.values()})
['Capability', 'Demand', 'Flow', 'Purpose', 'System conditions']
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Callable


from ..text import escape, redact
from ..text import did_you_mean
from ..text import long_date

__all__ = ["Exercise", "EXERCISES", "Feedback", "check_answer", "exercises", "solution"]


@dataclass(frozen=True)
class Exercise:
    """One question: what kind of answer it takes, how to compute the answer, and a hint."""

    key: str
    stage: str
    question: str
    kind: str                      # "share", "number", "text", "texts" or "yes/no"
    answer: Callable               # results -> the answer, or None when the study cannot answer it
    hint: str
    tolerance: float = 0.0
    example: str = ""
    explain: Callable | None = None   # results -> a sentence said once the answer is right


@dataclass
class Feedback:
    """What :func:`check_answer` says: ``status`` is "right", "not yet", "unanswered" or "no answer here"."""

    key: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "right"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = {"right": "#007F3B", "not yet": "#ED8B00"}.get(self.status, "#425563")
        return (f'<div class="exercise" style="border-left:4px solid {colour};padding:.3em .8em">'
                f"<p>{escape(redact(self.message))}</p></div>")


# -- answers, computed from the results --------------------------------------------------------

def _matters(results):
    m = results.purpose.get("matters")
    return None if m is None or m.empty else m


def _top_matter(results):
    m = _matters(results)
    return None if m is None else str(m.iloc[0]["what_matters"])


def _matters_share(results):
    m = _matters(results)
    return None if m is None else float(m["contacts"].sum()) / len(results.study.demand)


def _by_type(results, kind):
    if not results.demand:
        return None
    t = results.demand["by_type"]
    return t[t["value_or_failure"] == kind]


def _top_value(results):
    t = _by_type(results, "value")
    return None if t is None or t.empty else str(t.iloc[0]["demand_type"])


def _failure_types(results):
    t = _by_type(results, "failure")
    return None if t is None or len(t) < 3 else [str(x) for x in t["demand_type"].head(3)]


def _failure_share(results):
    share = float(results.demand["overall"]["failure_share"].iloc[0]) if results.demand else math.nan
    return None if math.isnan(share) else share


def _problems(results):
    if not results.demand or not results.demand.get("linkable"):
        return None
    return len(results.demand["problems"])


def _limits(results):
    from ..measures.capability import limits_by_system
    charts = (results.capability or {}).get("charts") or {}
    return [(name, limits_by_system(chart)) for name, chart in charts.items()]


def _predictable(results):
    limits = _limits(results)
    if not limits or limits[-1][1].empty or limits[-1][1].iloc[-1]["status"] == "too few":
        return None
    return limits[-1][1].iloc[-1]["status"] == "predictable"


def _shift(results):
    for _, limits in _limits(results):
        if len(limits) >= 2:
            return float(limits.iloc[-1]["mean"] - limits.iloc[-2]["mean"])
    return None


def _shift_explain(results):
    for name, limits in _limits(results):
        if len(limits) >= 2:
            change = results.systems[results.systems["service"] == name].iloc[-1]
            return (f"The change of {long_date(change['start'])} to {name} ({change['what'] or 'no description'}) "
                    f"moved the average from {limits.iloc[-2]['mean']:.1f} to {limits.iloc[-1]['mean']:.1f} days.")
    return ""


def _exceptions(results):
    limits = _limits(results)
    return None if not limits or limits[-1][1].empty else int(limits[-1][1].iloc[-1]["exceptions"])


def _figures(results, current: bool):
    if not results.flow:
        return None
    f = results.flow["figures"]
    rows = f[f["current"]] if current else f[f["era"] == f["era"].min()]
    return rows if len(rows) else None


def _clean_share(results):
    rows = _figures(results, True)
    if rows is None or rows["clean_share"].isna().all():
        return None
    return float((rows["clean_share"] * rows["cases"]).sum() / rows["cases"].sum())


def _top_waste(results):
    rows = _figures(results, False)
    if rows is None or rows["top_waste"].isna().all():
        return None
    return str(rows.sort_values("top_waste_share", ascending=False)["top_waste"].iloc[0])


def _hidden(results):
    rows = _figures(results, False)
    if rows is None or rows["hidden_mean"].isna().all():
        return None
    return float((rows["hidden_mean"] * rows["finished"]).sum() / rows["finished"].sum())


def _ended(results):
    register = (results.conditions or {}).get("register")
    if register is None or register.empty:
        return None
    ended = register.loc[register["status"] != "stands", "condition"].drop_duplicates().tolist()
    return ended or ["none"]


def _open_questions(results):
    questions = (results.conditions or {}).get("questions")
    return None if questions is None else len(questions)


EXERCISES: dict[str, Exercise] = {e.key: e for e in [
    Exercise("purpose.top_matter", "Purpose", "What matters most to customers, by how often the team heard it?",
             "text", _top_matter, "The longest bar of the chart 'What matters to customers'.",
             example='"fixed first time"'),
    Exercise("purpose.matters_share", "Purpose",
             "Of all the contacts, what share had a 'what matters' written down?", "share", _matters_share,
             "Add up the contacts in the what-matters table and divide by all the contacts in the study.",
             tolerance=0.02, example="0.3 or 30%"),
    Exercise("purpose.top_value", "Purpose",
             "What do customers most often come to the service for: which value demand type is the most frequent?",
             "text", _top_value, "In the demand report, the longest green bar of the chart 'What customers ask for'.",
             example='"Report a repair"'),
    Exercise("demand.failure_share", "Demand", "What share of all demand is failure demand?", "share",
             _failure_share, "Failure contacts divided by all labelled contacts: the table by service adds them up.",
             tolerance=0.02, example="0.35 or 35%"),
    Exercise("demand.failure_types", "Demand", "Which three failure demand types are the most frequent?", "texts",
             _failure_types, "The three longest orange bars of the chart 'What customers ask for'.",
             example='["Chasing a repair", "...", "..."]'),
    Exercise("demand.problems", "Demand",
             "How many problems lie behind the contacts (count pot-holes, not callers)?", "number", _problems,
             "Each row of the table 'Problems, not callers' is one problem; the what-now sentence counts them too.",
             example="1200"),
    Exercise("capability.predictable", "Capability",
             "Is the system as it is now predictable, so that it can promise a range of days? (True or False)",
             "yes/no", _predictable,
             "Read the caption under the chart: it says whether the system is predictable and why, judged on the "
             "whole run of points since the last change, not on single coloured dots.",
             example="True"),
    Exercise("capability.change_shift", "Capability",
             "A dated change split the chart. By how many days did the average move (since minus before)?",
             "number", _shift, "Read the black average line before and after the dashed line of the change.",
             tolerance=0.5, example="-3.5", explain=_shift_explain),
    Exercise("capability.exceptions", "Capability",
             "How many cases of the system as it is now took longer or shorter than its limits allow?", "number",
             _exceptions, "Count the dots beyond the dashed limit lines since the last change, or read the "
             "'exceptions' column of the limits table.",
             example="12"),
    Exercise("flow.clean_share", "Flow", "In the system as it is now, what share of cases flow clean?", "share",
             _clean_share, "The clean share in the table 'Each system beside the other', for the current system.",
             tolerance=0.03, example="0.6 or 60%"),
    Exercise("flow.top_waste", "Flow",
             "In the earliest system in the data, which kind of waste took the largest share of case time?",
             "text", _top_waste, "The longest orange bar of 'Where the time goes' for the earliest system.",
             example='"inspection"'),
    Exercise("flow.hidden_days", "Flow",
             "In the earliest system, how many days on average did customers wait that the organisation's clock never counted?",
             "number", _hidden, "The grey lines of the two-clocks chart: the customer's wait minus the organisation's, on average.",
             tolerance=0.5, example="3"),
    Exercise("conditions.ended", "System conditions",
             "Which recorded system condition did a dated change end? (\"none\" if none)", "texts", _ended,
             "The register's status column says which condition a change ended.",
             example='["Pre-inspection of ..."]'),
    Exercise("conditions.open_questions", "System conditions",
             "How many kinds of waste in the system as it is now have no recorded cause?", "number",
             _open_questions, "Count the rows of the table 'Open questions'.", example="4"),
]}


def exercises(stage: str) -> list[Exercise]:
    """The exercises of one stage (its title, e.g. "Demand"), in order."""
    return [e for e in EXERCISES.values() if e.stage == stage]


# -- checking ----------------------------------------------------------------------------------

def _norm(text) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s%.-]", " ", str(text).lower())).strip()


def _same_text(given, expected) -> bool:
    a, b = _norm(given), _norm(expected)
    return bool(a) and (a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.85 or (len(a) >= 12 and a in b))


def _number(value, kind: str) -> float | None:
    if isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", "")
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        return None
    if math.isnan(number):
        return None
    if kind == "share" and (percent or number > 1):
        number /= 100
    return number


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [v for v in (p.strip() for p in value.split(",")) if v]
    return [str(v) for v in value if str(v).strip()]


def solution(key: str, results):
    """The answer for this study (for a tutor): computed from the results, or None."""
    return EXERCISES[key].answer(results)


def check_answer(key: str, given, results) -> Feedback:
    """Is ``given`` the answer to exercise ``key`` for this study? A hint when it is not.

    Parameters
    ----------
    key : str
        An exercise in :data:`EXERCISES`, e.g. ``"demand.failure_share"``.
    given
        The learner's answer: a number (shares as 0.35 or "35%"), a text, a list of texts, or
        True/False. ``None`` (or ``...``) means not answered yet.
    results : CheckResults
    """
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}{did_you_mean(key, EXERCISES)}")
    ex = EXERCISES[key]
    expected = ex.answer(results)
    if expected is None:
        return Feedback(key, "no answer here", f"{ex.question} This study's {ex.stage.lower()} data cannot answer "
                                               "it yet: try it on the sample study (studylib sample).")
    if given is None or given is Ellipsis or (isinstance(given, str) and not given.strip()):
        return Feedback(key, "unanswered", f"{ex.question} Write your answer (like {ex.example}) and run the cell again.")
    right = f"Right. {ex.explain(results) if ex.explain else ''}".strip()
    if ex.kind in ("share", "number"):
        number = _number(given, ex.kind)
        if number is None:
            return Feedback(key, "not yet", f"{given!r} is not a number; write it like {ex.example}.")
        candidates = [expected, -expected] if key == "capability.change_shift" else [expected]
        if any(abs(number - c) <= ex.tolerance + 1e-9 for c in candidates):
            return Feedback(key, "right", right)
        way = "high" if number > expected else "low"
        return Feedback(key, "not yet", f"Not yet: your answer is too {way}. Hint: {ex.hint}")
    if ex.kind == "yes/no":
        text = _norm(given)
        value = {"true": True, "yes": True, "false": False, "no": False}.get(text)
        if value is None:
            return Feedback(key, "not yet", f"{given!r}: answer True or False.")
        return (Feedback(key, "right", right) if value == expected
                else Feedback(key, "not yet", f"Not yet. Hint: {ex.hint}"))
    if ex.kind == "text":
        return (Feedback(key, "right", right) if _same_text(given, expected)
                else Feedback(key, "not yet", f"Not yet. Hint: {ex.hint}"))
    answers = _texts(given) if not isinstance(given, (int, float)) else [str(given)]
    hits = sum(any(_same_text(a, e) for a in answers) for e in expected)
    extra = sum(not any(_same_text(a, e) for e in expected) for a in answers)
    if hits == len(expected) and extra == 0:
        return Feedback(key, "right", right)
    return Feedback(key, "not yet", f"Not yet: {hits} of the {len(expected)} {'is' if hits == 1 else 'are'} right"
                                    + (f", and {extra} of yours {'is' if extra == 1 else 'are'} not" if extra else "")
                                    + f". Hint: {ex.hint}")
