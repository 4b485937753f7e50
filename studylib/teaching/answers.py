"""The answers to the exercises, computed from a study's results, with why each is right and the
wrong answers a learner reaches by a known slip.

Each exercise in :data:`studylib.teaching.exercises.EXERCISES` names three functions of the
:class:`~studylib.CheckResults` from here: the answer (None when the study cannot answer it), a
sentence on why it is right, and, for some, ``(value, what went wrong)`` pairs that let the
checker name the slip rather than only say "too high".
"""
from __future__ import annotations

import math
import re

import pandas as pd

from ..read.tables import is_blank
from ..text import long_date
from .worked import limit_mistakes, limits_by_hand, longest_run as run_around, practice_series, runs_by_hand


# -- purpose ------------------------------------------------------------------------------------

def matters(results):
    m = results.purpose.get("matters")
    return None if m is None or m.empty else m


def top_matter(results):
    m = matters(results)
    return None if m is None else str(m.iloc[0]["what_matters"])


def top_matter_why(results):
    m = matters(results).iloc[0]
    return f"'{m['what_matters']}' was written down for {int(m['contacts']):,} contacts, more than anything else."


def matters_share(results):
    m = matters(results)
    return None if m is None else float(m["contacts"].sum()) / len(results.study.demand)


def matters_share_why(results):
    return (f"{int(matters(results)['contacts'].sum()):,} of the {len(results.study.demand):,} contacts had what "
            "matters written down.")


#: The columns of the classified contacts the answers read: picked before any row, so that no
#: answer copies every column of a million contacts.
_ANSWER_COLUMNS = ["received_at", "service", "era", "system", "demand_type", "value_or_failure", "failure_subtype",
                   "what_matters"]


def labelled(results):
    if not results.demand:
        return None
    c = results.demand["classified"]
    c = c[[name for name in _ANSWER_COLUMNS if name in c]]
    return c[c["value_or_failure"].isin(["value", "failure"])]


def _with_matters(results):
    c = labelled(results)
    if c is None or "what_matters" not in c:
        return None
    c = c[~is_blank(c["what_matters"])]
    return c if len(c) else None


def matters_failure(results):
    c = _with_matters(results)
    return None if c is None else float(c["value_or_failure"].eq("failure").mean())


def matters_failure_why(results):
    c = _with_matters(results)
    failure = int(c["value_or_failure"].eq("failure").sum())
    return (f"{failure:,} of the {len(c):,} labelled contacts with what matters written down were failure demand: "
            "what these customers told you is, for that share, what went wrong before.")


def matters_failure_slips(results):
    c, all_labelled = _with_matters(results), labelled(results)
    failure = c["value_or_failure"].eq("failure")
    return [(float(all_labelled["value_or_failure"].eq("failure").mean()),
             "that is the failure share of all labelled contacts: keep only those with what matters written down"),
            (float(failure.sum()) / int(all_labelled["value_or_failure"].eq("failure").sum()),
             "you divided by all failure contacts: divide by the contacts with what matters written down")]


def demand_types(results, kind):
    if not results.demand:
        return None
    t = results.demand["by_type"]
    return t[t["value_or_failure"] == kind]


def top_value(results):
    t = demand_types(results, "value")
    return None if t is None or t.empty else str(t.iloc[0]["demand_type"])


def top_value_why(results):
    t = demand_types(results, "value").iloc[0]
    return f"{t['demand_type']}: {int(t['contacts']):,} contacts, more than any other value demand."


def _value_matters(results):
    """The labelled contacts of the most frequent value demand type with what matters written down."""
    top = top_value(results)
    c = _with_matters(results)
    if top is None or c is None or "demand_type" not in c:
        return None
    c = c[(c["value_or_failure"] == "value") & (c["demand_type"] == top)]
    return c if len(c) else None


def value_matters(results):
    c = _value_matters(results)
    if c is None:
        return None
    counts = c["what_matters"].value_counts()
    return None if len(counts) > 1 and counts.iloc[0] == counts.iloc[1] else str(counts.index[0])


def value_matters_why(results):
    c = _value_matters(results)
    counts = c["what_matters"].value_counts()
    return (f"of the {len(c):,} contacts for {top_value(results)} with what matters written down, "
            f"{int(counts.iloc[0]):,} said '{counts.index[0]}': design the value work around it.")


# -- demand -------------------------------------------------------------------------------------

def failure_types(results):
    t = demand_types(results, "failure")
    return None if t is None or len(t) < 3 else [str(x) for x in t["demand_type"].head(3)]


def failure_types_why(results):
    t = demand_types(results, "failure").head(3)
    return "; ".join(f"{r.demand_type} ({int(r.contacts):,})" for r in t.itertuples()) + "."


def failure_share(results):
    share = float(results.demand["overall"]["failure_share"].iloc[0]) if results.demand else math.nan
    return None if math.isnan(share) else share


def failure_share_why(results):
    o = results.demand["overall"].iloc[0]
    return (f"{int(o['failure']):,} of the {int(o['labelled']):,} labelled contacts were failure demand: "
            "caused by a failure to do something, or do it right, for the customer.")


def problems(results):
    if not results.demand or not results.demand.get("linkable"):
        return None
    return len(results.demand["problems"])


def problems_why(results):
    return (f"{len(results.study.demand):,} contacts are about {problems(results):,} problems: count pot-holes, "
            "not callers.")


def problems_slips(results):
    slips = []
    ni14 = results.demand.get("ni14")
    if ni14 is not None:
        for counted in ni14["counted"]:
            m = re.fullmatch(r"([\d,]+) problems", str(counted))
            if m:
                slips.append((float(m.group(1).replace(",", "")),
                              f"{m.group(1)} is the problems behind the labelled contacts only: the table 'one "
                              "percentage against another' counts those, to set them beside failure demand. The "
                              "question asks for every problem, labelled or not"))
    shown = results.demand["problems"]
    slips.append((float(min(len(shown), 15)), "that is the rows the table shows: it lists only the problems with "
                                              "the most contacts"))
    slips.append((float(len(results.study.demand)), "that is the contacts: several contacts can be about one problem"))
    return slips


def _problems(results):
    p = results.demand.get("problems") if results.demand and results.demand.get("linkable") else None
    return None if p is None or p.empty else p


def repeat_share(results):
    p = _problems(results)
    return None if p is None else float((p["contacts"] > 1).mean())


def repeat_share_why(results):
    p = _problems(results)
    again = p[p["contacts"] > 1]
    return (f"{len(again):,} of the {len(p):,} problems brought more than one contact, and those {len(again):,} "
            f"brought {int(again['contacts'].sum()):,} of the {int(p['contacts'].sum()):,} contacts: a problem that "
            "brings a second contact was not solved at the first, or others saw it too (the callers column says which).")


def repeat_share_slips(results):
    p = _problems(results)
    return [(float(p.loc[p["contacts"] > 1, "contacts"].sum() / p["contacts"].sum()),
             "that is the share of contacts about such problems: count problems, not contacts"),
            (float((p["contacts"] >= 1).mean()), "every problem has one contact at least: count those with more than one")]


def _failure_weeks(results, every: bool = False):
    c = labelled(results)
    if c is None or c.empty:
        return None
    if not every:
        c = c[c["value_or_failure"] == "failure"]
    when = pd.to_datetime(c["received_at"])
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    return when.dt.to_period("W-SUN").dt.start_time, c


def busiest_week(results):
    weeks = _failure_weeks(results)
    return None if weeks is None or weeks[0].empty else float(weeks[0].value_counts().max())


def busiest_week_why(results):
    counts = _failure_weeks(results)[0].value_counts()
    return (f"the week of {long_date(counts.idxmax())} brought {int(counts.max()):,} failure contacts, of all types "
            "together; a chart by type never shows that total.")


def busiest_week_slips(results):
    weeks, c = _failure_weeks(results)
    by_type = weeks.groupby([weeks, c["demand_type"]]).size()
    everything = _failure_weeks(results, every=True)[0].value_counts().max()
    return [(float(by_type.max()), "that is one type's busiest week: add the failure types up week by week"),
            (float(everything), "that counts value demand too: keep the failure contacts")]


# -- capability ---------------------------------------------------------------------------------

def _limits(results):
    """Each chart's verdicts by system, as the check computed them: (name, limits) in chart order."""
    return list(((results.capability or {}).get("limits") or {}).items())


def predictable(results):
    limits = _limits(results)
    if not limits or limits[-1][1].empty or limits[-1][1].iloc[-1]["status"] == "too few":
        return None
    return limits[-1][1].iloc[-1]["status"] == "predictable"


def predictable_why(results):
    name, limits = _limits(results)[-1]
    now = limits.iloc[-1]
    reason = str(now["reason"]).rstrip(".")
    return f"{name}, as it is now, is {now['status']}: {reason}."


def shift(results):
    for _, limits in _limits(results):
        if len(limits) >= 2:
            return float(limits.iloc[-1]["mean"] - limits.iloc[-2]["mean"])
    return None


def shift_why(results):
    for name, limits in _limits(results):
        if len(limits) >= 2:
            change = results.systems[results.systems["service"] == name].iloc[-1]
            return (f"the change of {long_date(change['start'])} to {name} ({change['what'] or 'no description'}) "
                    f"moved the average from {limits.iloc[-2]['mean']:.1f} to {limits.iloc[-1]['mean']:.1f} days; "
                    "since minus before is negative when the wait fell.")
    return ""


def shift_slips(results):
    value = shift(results)
    return [(-value, "the size is right but the sign is not: since minus before is "
                     + ("negative, because the average fell" if value < 0 else "positive, because the average rose"))]


def exceptions(results):
    limits = _limits(results)
    return None if not limits or limits[-1][1].empty else int(limits[-1][1].iloc[-1]["exceptions"])


def exceptions_why(results):
    now = _limits(results)[-1][1].iloc[-1]
    return (f"{int(now['exceptions'])} cases lie beyond the limits ({int(now['exceptions_above'])} above), of "
            f"{int(now['n'])}: each is a case to look at, not a verdict on the system. A stable process puts some "
            "beyond its limits (very skewed times, 6 in 100): only more than any stable process gives (here "
            f"{int(now['exceptions_allowed'])}), or a week of them together, would be a signal.")


def upper_limit(results):
    series = practice_series(results)
    return None if series is None else limits_by_hand(series)["upper"]


def upper_limit_why(results):
    steps = limits_by_hand(practice_series(results))
    return (f"the mean is {steps['mean']:.2f} days and the mean moving range {steps['mean_moving_range']:.2f}, so "
            f"the upper limit is {steps['mean']:.2f} + 2.66 × {steps['mean_moving_range']:.2f} = {steps['upper']:.2f}.")


def upper_limit_accepts(results):
    """Every upper limit a right calculation by hand reaches: the mean and the mean moving range each
    exact, or rounded to one or two decimals, as people round them on paper (3.7 + 2.66 × 2.1)."""
    steps = limits_by_hand(practice_series(results))
    mean, mr = steps["mean"], steps["mean_moving_range"]
    return [(mean if a is None else round(mean, a)) + 2.66 * (mr if b is None else round(mr, b))
            for a in (None, 1, 2) for b in (None, 1, 2)]


def upper_limit_slips(results):
    slips = limit_mistakes(practice_series(results))
    lead = (results.capability or {}).get("lead") if results.capability else None
    limits = ((results.capability or {}).get("limits") or {}).get(lead) if lead else None
    if limits is not None and len(limits) and pd.notna(limits.iloc[-1]["upper"]):
        chart = results.capability["charts"][lead]
        n = int(chart[chart["group"] == chart["group"].max()]["value"].notna().sum())
        slips.append((float(limits.iloc[-1]["upper"]),
                      f"that is the upper limit of the study's chart, from all {n:,} cases of the system as it is "
                      "now: compute it from the ten cases the cell gives"))
    return slips


def longest_run(results):
    series = practice_series(results)
    return None if series is None else runs_by_hand(series)["longest"]


def longest_run_why(results):
    runs = runs_by_hand(practice_series(results))
    verdict = ("a signal" if runs["signal"] else "no signal from this rule")
    return (f"the median of the ten is {runs['median']:g} days; of the {runs['useful']} cases not on it, the longest "
            f"run on one side is {runs['longest']}, where chance allows up to {runs['run_max']} for {runs['useful']} "
            f"cases, and they cross the median {runs['crossings']} times, where chance needs at least "
            f"{runs['crossings_min']}: {verdict}.")


def longest_run_slips(results):
    days = practice_series(results)
    return [(run_around(days, float(days.mean()))[0],
             "that is the longest run around the mean: the verdict's runs are around the median")]
