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
import re
from dataclasses import dataclass
from typing import Callable


from ..text import did_you_mean, escape, redact
from . import answers as a
from . import flow_answers as fa
from .numbers import read_number

__all__ = ["Exercise", "EXERCISES", "Feedback", "Solution", "check_answer", "every_answer", "exercises", "number",
           "solution", "solutions"]


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
    why: Callable | None = None       # results -> why the answer is right, said once it is
    slips: Callable | None = None     # results -> [(value, what went wrong)]: answers a known slip gives
    computed: bool = False            # the answer is not printed in the report: the learner computes it
    start: str = ""                   # code the notebook gives above the answer, to start from
    recipe: str = ""                  # the hint as code, from ``start`` to ``answer`` (run by the tests)
    accepts: Callable | None = None   # results -> other answers a right calculation reaches (rounded by hand)


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


STAGE_NUMBERS = {"Purpose": 1, "Demand": 2, "Capability": 3, "Flow": 4, "System conditions": 5}
_SHARE = '0.35 or "35%"'

EXERCISES: dict[str, Exercise] = {e.key: e for e in [
    Exercise("purpose.top_matter", "Purpose", "What matters most to customers, by how often the team heard it?",
             "text", a.top_matter, "The longest bar of the chart 'What matters to customers'.",
             example='"fixed first time"', why=a.top_matter_why),
    Exercise("purpose.matters_share", "Purpose",
             "Of all the contacts, what share had a 'what matters' written down?", "share", a.matters_share,
             "Add up the contacts in the what-matters table and divide by all the contacts in the study "
             "(the data line at the top of the page counts them).",
             tolerance=0.02, example=_SHARE, why=a.matters_share_why),
    Exercise("purpose.top_value", "Purpose",
             "What do customers most often come to the service for: which value demand type is the most frequent?",
             "text", a.top_value, "In the demand report, the longest green bar of the chart 'What customers ask for'.",
             example='"Book a collection"', why=a.top_value_why),
    Exercise("purpose.matters_failure", "Purpose",
             "Of the labelled contacts with a 'what matters' written down, what share were failure demand? "
             "Compute it from r.demand['classified'].", "share", a.matters_failure,
             "Keep the rows whose what_matters is not empty and whose value_or_failure is value or failure; "
             "then take the share that are failure.", tolerance=0.005, example=_SHARE, computed=True,
             start='c = r.demand["classified"]   # one row per contact', why=a.matters_failure_why, slips=a.matters_failure_slips,
             recipe='k = c[c["what_matters"].fillna("").str.strip().ne("") & c["value_or_failure"].isin(["value", "failure"])]\n'
                    'answer = (k["value_or_failure"] == "failure").mean()'),
    Exercise("purpose.value_matters", "Purpose",
             "When customers come for the most frequent value demand (your answer to 1.3), what matters to them "
             "most often? Compute it from r.demand['classified'].", "text", a.value_matters,
             "Keep the value rows of that demand type whose what_matters is not empty, and count each what_matters.",
             example='"a time that suits me"', computed=True, why=a.value_matters_why,
             start='c = r.demand["classified"]   # one row per contact\ntop = solution("purpose.top_value", r).value   # 1.3',
             recipe='k = c[(c["value_or_failure"] == "value") & (c["demand_type"] == top)]\n'
                    'k = k[k["what_matters"].fillna("").str.strip().ne("")]\n'
                    'answer = k["what_matters"].value_counts().index[0]'),
    Exercise("demand.failure_share", "Demand", "What share of all demand is failure demand?", "share",
             a.failure_share, "Failure contacts divided by all labelled contacts: the table by service adds them up.",
             tolerance=0.02, example=_SHARE, why=a.failure_share_why),
    Exercise("demand.failure_types", "Demand", "Which three failure demand types are the most frequent?", "texts",
             a.failure_types, "The three longest orange bars of the chart 'What customers ask for'.",
             example='["the first", "the second", "the third"]', why=a.failure_types_why),
    Exercise("demand.problems", "Demand",
             "How many problems lie behind the contacts (count pot-holes, not callers)?", "number", a.problems,
             "The sentence under the table 'Problems, not callers' counts every problem; the table itself lists "
             "only the 15 with the most contacts.", example="1200", why=a.problems_why, slips=a.problems_slips),
    Exercise("demand.busiest_week", "Demand",
             "How many failure demand contacts, of all types together, arrived in the busiest week (weeks from "
             "Monday)? Compute it from r.demand['classified'].", "number", a.busiest_week,
             "Keep the failure rows, turn received_at into its week from Monday (the local time first, then its "
             "week: .dt.tz_localize(None).dt.to_period('W-SUN')), count the rows in each week and take the largest.",
             example="150", computed=True,
             start='c = r.demand["classified"]   # one row per contact', why=a.busiest_week_why,
             slips=a.busiest_week_slips,
             recipe='f = c[c["value_or_failure"] == "failure"]\n'
                    'weeks = f["received_at"].dt.tz_localize(None).dt.to_period("W-SUN")\n'
                    'answer = weeks.value_counts().max()'),
    Exercise("demand.repeat_share", "Demand",
             "Of the problems behind the contacts, what share brought more than one contact? Compute it from "
             "r.demand['problems'].", "share", a.repeat_share,
             "One row per problem; its contacts column counts the contacts about it. Take the share of rows with more "
             "than one.", tolerance=0.005, example=_SHARE, computed=True,
             start='p = r.demand["problems"]   # one row per problem', why=a.repeat_share_why, slips=a.repeat_share_slips,
             recipe='answer = (p["contacts"] > 1).mean()'),
    Exercise("capability.predictable", "Capability",
             "Is the system as it is now predictable, so that it can promise a range of days? (True or False)",
             "yes/no", a.predictable,
             "Read 'What' under 'What, so what, now what, then what' (or the status column of the limits table): "
             "it says whether the system is predictable and why, judged on the whole run of points since the last "
             "change, not on single coloured dots.",
             example="True", why=a.predictable_why),
    Exercise("capability.change_shift", "Capability",
             "A dated change split the chart. By how many days did the average move (since minus before)?",
             "number", a.shift, "Read the black average line before and after the dashed line of the change, "
             "or the mean column of the limits table.",
             tolerance=0.5, example="-3.5", why=a.shift_why, slips=a.shift_slips),
    Exercise("capability.exceptions", "Capability",
             "How many cases of the system as it is now took longer or shorter than its limits allow?", "number",
             a.exceptions, "Count the dots beyond the dashed limit lines since the last change, or read the "
             "'exceptions' column of the limits table.", example="12", why=a.exceptions_why),
    Exercise("capability.upper_limit", "Capability",
             "Compute the upper natural process limit of the ten cases the cell gives (days: the first ten "
             "finished cases of the system as it is now), as the worked example does.", "number", a.upper_limit,
             "The mean, plus 2.66 times the mean of the moving ranges (each difference between neighbours, "
             "without its sign).", tolerance=0.02, example="12.3", computed=True,
             start="days = practice_series(r)   # as the worked example: mean, moving ranges, limit", why=a.upper_limit_why,
             slips=a.upper_limit_slips, accepts=a.upper_limit_accepts,
             recipe="moving_ranges = days.diff().abs().dropna()\nanswer = days.mean() + 2.66 * moving_ranges.mean()"),
    Exercise("capability.longest_run", "Capability",
             "The runs rule: how long is the longest run of the same ten cases on one side of their median? (A case "
             "on the median belongs to neither side.)", "number", a.longest_run,
             "As the worked example counts it: the median, the side of each case (np.sign), the cases on the median "
             "left out, then the longest stretch of one side.", example="4", computed=True,
             start="import numpy as np\ndays = practice_series(r)   # the ten cases of 3.4", why=a.longest_run_why, slips=a.longest_run_slips,
             recipe="side = np.sign(days - days.median())\nside = side[side != 0]\n"
                    "runs = (side != side.shift()).cumsum()\nanswer = side.groupby(runs).size().max()"),
    Exercise("flow.clean_share", "Flow", "In the system as it is now, what share of cases arrived clean (with what the work needs: no step the flow codebook calls dirty)?", "share",
             fa.clean_share, "The clean share in the table 'Each system beside the other', for the current system.",
             tolerance=0.03, example=_SHARE, why=fa.clean_share_why),
    Exercise("flow.top_waste", "Flow",
             "In the earliest system in the data, which kind of waste took the largest share of case time?",
             "text", fa.top_waste, "The longest orange bar of 'Where the time goes' for the earliest system.",
             example='"inspection"', why=fa.top_waste_why),
    Exercise("flow.hidden_days", "Flow",
             "In the earliest system, how many days on average did customers wait that the organisation's clock never counted?",
             "number", fa.hidden, "The table 'Each system beside the other': the customer's wait minus the "
             "organisation's, for the earliest system.", tolerance=0.5, example="3", why=fa.hidden_why),
    Exercise("flow.over_a_week", "Flow",
             "Of the finished cases in the system as it is now, how many took more than a week (7 days) from "
             "first contact to solved? Compute it from r.flow['times'].", "number", fa.over_a_week,
             "Keep each service's system as it is now (its latest era: t.groupby('service')['era'].transform('max')), "
             "drop the cases still open (the is_open column), and count end_to_end_days above 7.", example="40",
             computed=True, start='t = r.flow["times"]   # one row per case', why=fa.over_a_week_why,
             slips=fa.over_a_week_slips,
             recipe='now = t[t["era"] == t.groupby("service")["era"].transform("max")]\n'
                    'finished = now[~now["is_open"]]\n'
                    'answer = (finished["end_to_end_days"] > 7).sum()'),
    Exercise("flow.hidden_share", "Flow",
             "In the earliest system, what share of the customers' waiting, all finished cases' days together, did "
             "the organisation's clock never count? Compute it from r.flow['times'].", "share", fa.hidden_share,
             "Keep the finished cases (not is_open) of the earliest era (t['era'] == t['era'].min()) that have both "
             "clocks; add up hidden_days and end_to_end_days, and divide.", tolerance=0.005, example=_SHARE,
             computed=True, start='t = r.flow["times"]   # one row per case', why=fa.hidden_share_why,
             slips=fa.hidden_share_slips,
             recipe='old = t[(t["era"] == t["era"].min()) & ~t["is_open"]].dropna(subset=["end_to_end_days", "hidden_days"])\n'
                    'answer = old["hidden_days"].sum() / old["end_to_end_days"].sum()'),
    Exercise("conditions.ended", "System conditions",
             "Which recorded system condition did a dated change end? (\"none\" if none)", "texts", fa.ended,
             "The register's status column says which condition a change ended.",
             example='["the condition, as the register names it"]', why=fa.ended_why),
    Exercise("conditions.open_questions", "System conditions",
             "How many kinds of waste in the system as it is now have no recorded cause?", "number",
             fa.open_questions, "Count the rows of the table 'Open questions'.", example="4", why=fa.open_questions_why),
    Exercise("conditions.chasing_now", "System conditions",
             "In the system as it is now (each service since its latest change), what share of failure demand is "
             "customers chasing progress? Compute it from r.demand['classified'].", "share", fa.chasing_now,
             "Keep the failure rows of each service's latest era, then the share whose failure_subtype is "
             "'progress chasing'.", tolerance=0.005, example=_SHARE, computed=True,
             start='c = r.demand["classified"]   # one row per contact', why=fa.chasing_now_why,
             slips=fa.chasing_now_slips,
             recipe='f = c[c["value_or_failure"] == "failure"]\n'
                    'now = f[f["era"] == f.groupby("service")["era"].transform("max")]\n'
                    'answer = (now["failure_subtype"].str.lower() == "progress chasing").mean()'),
    Exercise("conditions.chasing_before", "System conditions",
             "Before any dated change (the earliest era of the data), what share of failure demand was customers "
             "chasing progress? Compute it from r.demand['classified'], and set it beside 5.3.", "share",
             fa.chasing_before, "Keep the failure rows whose era is the earliest (c['era'] == c['era'].min()), then "
             "the share whose failure_subtype is 'progress chasing'.", tolerance=0.005, example=_SHARE, computed=True,
             start='c = r.demand["classified"]   # one row per contact', why=fa.chasing_before_why,
             slips=fa.chasing_before_slips,
             recipe='f = c[(c["value_or_failure"] == "failure") & (c["era"] == c["era"].min())]\n'
                    'answer = (f["failure_subtype"].str.lower() == "progress chasing").mean()'),
]}


def number(key: str) -> str:
    """The exercise's number in its notebook: "3.4"."""
    ex = EXERCISES[key]
    return f"{STAGE_NUMBERS[ex.stage]}.{exercises(ex.stage).index(ex) + 1}"


def exercises(stage: str) -> list[Exercise]:
    """The exercises of one stage (its title, e.g. "Demand"), in order."""
    return [e for e in EXERCISES.values() if e.stage == stage]


# -- checking ----------------------------------------------------------------------------------

def _norm(text) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"[^\w\s%.-]", " ", str(text).lower())).strip()
    return re.sub(r"^waste ", "", text)          # a chart's label "waste: rework" names the waste "rework"


def _same_text(given, expected) -> bool:
    a, b = _norm(given), _norm(expected)
    return bool(a) and (a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.85 or (len(a) >= 12 and a in b))


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [v for v in (p.strip() for p in value.split(",")) if v]
    return [str(v) for v in value if str(v).strip()]


def _say(kind: str, value) -> str:
    if kind == "share":
        return f"{value:.1%}"
    if kind == "yes/no":
        return "True (yes)" if value else "False (no)"
    if kind == "texts":
        return "; ".join(value)
    if kind == "text":
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@dataclass(frozen=True)
class Solution:
    """One exercise's answer for one study, in words (``value`` holds it as the checker does)."""

    key: str
    value: object
    words: str

    def __str__(self) -> str:
        return self.words

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<p>{escape(redact(self.words))}</p>"


def every_answer(results) -> dict:
    """Every exercise's answer for this study (None where it cannot answer), computed once:
    :func:`studylib.check.results.compute_check` keeps them, so that checking an answer in a stage's
    kernel reads the answer rather than the raw rows it comes from."""
    return {key: ex.answer(results) for key, ex in EXERCISES.items()}


def _answer(ex: Exercise, results):
    """The exercise's answer as the check computed it, or computed now (results made elsewhere)."""
    kept = getattr(results, "answers", None) or {}
    return kept[ex.key] if ex.key in kept else ex.answer(results)


def solution(key: str, results) -> Solution | None:
    """The answer to exercise ``key`` for this study, said with why it is right (None if it has none)."""
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}{did_you_mean(key, EXERCISES)}")
    ex = EXERCISES[key]
    value = _answer(ex, results)
    if value is None:
        return None
    why = ex.why(results) if ex.why else ""
    return Solution(key, value, f"Exercise {number(key)}: {_say(ex.kind, value)}. {why[:1].upper()}{why[1:]}".strip())


def solutions(results):
    """Every exercise's answer for this study, for whoever runs the workshop: a table with
    ``exercise, key, question, answer, why`` (an exercise the study cannot answer says so)."""
    import pandas as pd
    rows = []
    for key, ex in EXERCISES.items():
        value = _answer(ex, results)
        rows.append({"exercise": number(key), "key": key, "question": ex.question,
                     "answer": "this study cannot answer it" if value is None else _say(ex.kind, value),
                     "why": "" if value is None or not ex.why else ex.why(results)})
    return pd.DataFrame(rows, columns=["exercise", "key", "question", "answer", "why"])


def _right(ex, results) -> str:
    why = ex.why(results) if ex.why else ""
    return f"Right: {why}" if why else "Right."


def _slip(ex, number_given: float, results, expected: float) -> str | None:
    if not ex.slips:
        return None
    close = max(ex.tolerance, 1e-9)
    for value, what in ex.slips(results):
        if abs(float(value) - expected) > close and abs(number_given - float(value)) <= close:
            return what
    return None


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

    A right answer says why it is right. A wrong number that a known slip gives (the wrong sign,
    the standard deviation for the moving range, the rows a table shows for all of them) says
    which step went wrong; any other says whether it is too high or too low, with the hint.
    """
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}{did_you_mean(key, EXERCISES)}")
    ex = EXERCISES[key]
    expected = _answer(ex, results)
    if expected is None:
        return Feedback(key, "no answer here", f"{ex.question} This study's {ex.stage.lower()} data cannot answer "
                                               "it yet: try it on the sample study (studylib sample).")
    if given is None or given is Ellipsis or (isinstance(given, str) and not given.strip()):
        return Feedback(key, "unanswered", f"{ex.question} Write your answer (like {ex.example}) and run the cell again.")
    if ex.kind in ("share", "number"):
        value, problem, note = read_number(given, ex.kind)
        if value is None:
            why = (problem or "").split("; write")[0] or f"{given!r} is not a number"
            return Feedback(key, "not yet", f"{why}; write it like {ex.example}.")
        read = f"(I {note}.) " if note else ""       # said back: 49 is taken as 49%, never silently
        # Right where any right calculation gets it (hand rounding included); a slip only where none does.
        accepted = [expected, *(ex.accepts(results) if ex.accepts else [])]
        if any(abs(value - right) <= ex.tolerance + 1e-9 for right in accepted):
            return Feedback(key, "right", read + _right(ex, results))
        slip = _slip(ex, value, results, expected)
        if slip:
            return Feedback(key, "not yet", f"{read}Not yet: {slip}.")
        way = "high" if value > expected else "low"
        return Feedback(key, "not yet", f"{read}Not yet: your answer is too {way}. Hint: {ex.hint}")
    if ex.kind == "yes/no":
        value = {"true": True, "yes": True, "false": False, "no": False}.get(_norm(given))
        if value is None:
            return Feedback(key, "not yet", f"{given!r}: answer True or False.")
        return (Feedback(key, "right", _right(ex, results)) if value == expected
                else Feedback(key, "not yet", f"Not yet. Hint: {ex.hint}"))
    if ex.kind == "text":
        return (Feedback(key, "right", _right(ex, results)) if _same_text(given, expected)
                else Feedback(key, "not yet", f"Not yet. Hint: {ex.hint}"))
    answers = _texts(given) if not isinstance(given, (int, float)) else [str(given)]
    hits = sum(any(_same_text(a, e) for a in answers) for e in expected)
    extra = sum(not any(_same_text(a, e) for e in expected) for a in answers)
    if hits == len(expected) and extra == 0:
        return Feedback(key, "right", _right(ex, results))
    return Feedback(key, "not yet", f"Not yet: {hits} of the {len(expected)} {'is' if hits == 1 else 'are'} right"
                                    + (f", and {extra} of yours {'is' if extra == 1 else 'are'} not" if extra else "")
                                    + f". Hint: {ex.hint}")
