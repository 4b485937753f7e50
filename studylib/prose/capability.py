"""Capability in words: the caption and the four parts, from a capability chart's limits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures.capability import MIN_POINTS_FOR_LIMITS, PROVISIONAL_BELOW, limits_by_system
from ..measures.holds import holds_sentence
from ..text import and_list, long_date

__all__ = ["capability_caption", "capability_prose", "capability_headline", "xmr_caption", "verdict_sentences",
           "daily_caption", "runs_sentence", "exceptions_sentence"]


def _days(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 or x == 0 else f"{x:.1f}"


def _mean(x: float) -> str:
    """A mean of days to one decimal, as every page says it (24.9, never 25 here and 24.9 there)."""
    return f"{x:.1f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word if n != 1 else word.rstrip('s')}"


def _main_reason(reason: str) -> str:
    """The first of a verdict's reasons (the others are in the limits table and the notebook)."""
    parts = str(reason).split("; ")
    return parts[0] + (f", and {len(parts) - 1} more sign{'s' if len(parts) > 2 else ''} of the same"
                       if len(parts) > 1 else "")


def _system_words(rec: pd.Series, unit: str, *, first: bool) -> str:
    """What one system can promise, honestly: a range only where the verdict says predictable."""
    if rec["status"] == "too few" and rec.get("by_day") and rec["n"] >= MIN_POINTS_FOR_LIMITS:
        # Many cases a day are judged day by day: it is the days that are too few, not the cases.
        return (f"{_plural(rec['n'], 'cases')} finished, but on too few days to judge ({rec['reason']}; at least "
                f"{MIN_POINTS_FOR_LIMITS} are needed); on average {_mean(rec['mean'])} {unit}")
    if rec["status"] == "too few":
        return (f"only {_plural(rec['n'], 'cases')} finished, too few to judge (at least {MIN_POINTS_FOR_LIMITS} "
                f"are needed); on average {_mean(rec['mean'])} {unit}")
    if rec["status"] == "not predictable" and first:
        return (f"the system is not predictable ({_main_reason(rec['reason'])}), so no range can be promised; "
                f"on average {_mean(rec['mean'])} {unit}")
    if rec["status"] == "not predictable":
        return (f"the system was not predictable either ({_main_reason(rec['reason'])}); on average "
                f"{_mean(rec['mean'])} {unit}")
    provisional = bool(rec.get("provisional"))
    if provisional:
        # Limits from a few points move as the next ones come: Wheeler calls them temporary.
        what = (f"its natural process limits, provisional: drawn from only {_plural(int(rec['n']), 'cases')}, they "
                f"will move as more finish, and settle from about {PROVISIONAL_BELOW}")
    else:
        what = "its natural process limits, the range it can be expected to keep to"
    words = (f"{_how_many_inside(rec)} took between {_days(rec['lower'])} and {_days(rec['upper'])} {unit} "
             f"({what}); on average {_mean(rec['mean'])}" if first else
             f"between {_days(rec['lower'])} and {_days(rec['upper'])}{' (provisional limits)' if provisional else ''}; "
             f"on average {_mean(rec['mean'])}")
    if rec["lower_raw"] < 0 and first:
        words += " (the lower limit is shown at 0: a case cannot take less than no time)"
    return words


def _how_many_inside(rec: pd.Series) -> str:
    """How often the range held so far, never rounded up: "every one of its 40 finished cases", "99 in
    every 100 of its finished cases" (a limit is a line, not a case: the words count cases)."""
    share = rec.get("inside")
    if share is None or pd.isna(share):
        return "its cases"
    if share >= 1:
        return f"every one of its {_plural(int(rec['n']), 'finished cases')}"
    return f"{int(np.floor(100 * share))} in every 100 of its finished cases"


def _named(ids: list) -> str:
    """Up to five case ids in brackets, in words ("(A, B and C)"); none past five."""
    return f" ({and_list(ids)})" if 0 < len(ids) <= 5 else ""


def _still_open(rec: pd.Series) -> list:
    """The system's cases still open and already older than its upper limit (``open_beyond``)."""
    found = rec.get("open_beyond")
    return list(found) if isinstance(found, list) else []


def exceptions_sentence(rec: pd.Series, unit: str = "days") -> str:
    """Points beyond the limits of a predictable system, named as what they are: cases to look at,
    with the cases still open that are already older than the upper limit (``open_beyond``)."""
    still = _still_open(rec)
    if rec["status"] != "predictable" or not (rec["exceptions"] or still):
        return ""
    n, above = int(rec["exceptions"]), int(rec["exceptions_above"])
    m = len(still)
    waiting = (f"{_plural(m, 'cases')} still open{_named(still)} {'is' if m == 1 else 'are'} already older than")
    if not n:
        return (f"{waiting} the upper limit ({_days(rec['upper'])} {unit}): look at what is happening to "
                f"{'it' if m == 1 else 'each'}.")
    if above == n:
        kind = f"took longer than the limits allow ({_days(rec['upper'])} {unit})"
    elif above == 0:
        kind = f"took less time than the lower limit ({_days(rec['lower'])} {unit})"
    else:
        kind = "fell outside the limits"
    if m:
        kind += f", and {waiting} " + ("that" if above == n else f"the upper limit ({_days(rec['upper'])} {unit})")
    many = n + m != 1
    return (f"{_plural(n, 'cases')}{_named(rec.get('exception_ids') or [])} {kind}: look at what happened to "
            f"{'each' if many else 'it'}. A few such cases in hundreds are the system's own variation, so "
            f"{'they do' if n != 1 else 'it does'} not make it unpredictable.")


def verdict_sentences(rec: pd.Series, *, points: str = "cases") -> str:
    """Why the verdict stands, and where it differs from the Making Data Count marks on the chart,
    in sentences a manager can follow."""
    out = []
    if rec.get("edge"):
        out.append(f"The {_plural(int(rec['edge']), points)} that arrived since the first case still open in the "
                   f"last {rec['edge_days']:.0f} days are left out of the verdict: only the quick ones among them have "
                   "finished, so they would look better than the system is.")
    if rec.get("by_day"):
        out.append("With several cases a day, cases that share a day share its conditions (the working week, for "
                   "one: a case that arrives on a Friday waits over the weekend), so the verdict reads the days in "
                   "turn, as the daily average chart shows them.")
    if rec["status"] == "predictable" and rec["signals"]:
        out.append(f"The chart marks {_plural(int(rec['signals']), points)} by the Making Data Count rules (runs of "
                   "7, two in three near a limit), which were made for a few dozen points and fire by chance on "
                   f"a long series; read as a long series should be, {rec['reason']}.")
    return " ".join(out)


def _stats(result: pd.DataFrame, stats: pd.DataFrame | None, **kwargs) -> pd.DataFrame:
    """The chart's verdicts as the check computed them, or computed here for a chart on its own."""
    return limits_by_system(result, **kwargs) if stats is None else stats


def capability_headline(result: pd.DataFrame, *, stats: pd.DataFrame | None = None) -> str:
    """The caption's first sentence: what the system as it is now can promise. ``stats``: the
    chart's :func:`~studylib.measures.capability.limits_by_system`, as the check computed it."""
    if result["value"].notna().sum() == 0:
        return "No case has finished yet, so there is nothing to chart."
    stats = _stats(result, stats)
    unit = result.attrs.get("unit", "days")
    now = _system_words(stats.iloc[-1], unit, first=True)
    extra = exceptions_sentence(stats.iloc[-1], unit)
    extra = f" {extra[0].upper()}{extra[1:]}" if extra else ""
    if len(stats) > 1:
        change = result.attrs["changes"][-1]
        what = f" ({change['what']})" if change.get("what") else ""
        return f"Since the change of {long_date(change['date'])}{what}, {now}.{extra}"
    return f"{now[0].upper()}{now[1:]}.{extra}"


def capability_caption(result: pd.DataFrame, *, stats: pd.DataFrame | None = None) -> str:
    """The chart in plain words, computed from its limits.

    A range ("99 in every 100 of its finished cases took between 3 and 61 days") is given only for a system with at
    least :data:`studylib.measures.capability.MIN_POINTS_FOR_LIMITS` cases that is predictable; otherwise the
    caption says why none is promised. ``stats`` as for :func:`capability_headline`.
    """
    if result["value"].notna().sum() == 0:
        return "No case has finished yet, so there is nothing to chart."
    unit = result.attrs.get("unit", "days")
    stats = _stats(result, stats)
    current = stats.iloc[-1]
    if np.isnan(current["upper"]) and current["status"] == "predictable":
        text = (f"Every case took the same time ({_mean(current['mean'])} {unit}), so no limits can "
                f"be computed.")
    else:
        text = capability_headline(result, stats=stats)
        if len(stats) > 1:
            text += f" Before it, {_system_words(stats.iloc[-2], unit, first=False)}."
    target = result.attrs.get("target")
    if target is not None and current["status"] == "predictable" and not np.isnan(current["upper"]):
        if target < current["lower"]:
            text += f" No case can be expected to meet the {target:g}-day target while the system stays as it is."
        elif target >= current["upper"]:
            text += (f" The {target:g}-day target lies above the upper limit: while the system stays as it is, "
                     f"cases can be expected to meet it, but the target says nothing about what the system delivers.")
        else:
            text += f" The {target:g}-day target says nothing about what it delivers."
    n_open = result.attrs.get("open_left_out", 0)
    if n_open:
        text += (f" {n_open:,} open case{'s are' if n_open != 1 else ' is'} not charted: "
                 f"{'they have' if n_open != 1 else 'it has'} not finished yet.")
    return text


def daily_caption(daily: pd.DataFrame, *, stats: pd.DataFrame | None = None) -> str:
    """The daily average chart (:func:`studylib.measures.capability.daily_averages`) in words: its
    limits are those of a day's average, never of one case. ``stats`` as for :func:`capability_headline`."""
    unit = daily.attrs.get("unit", "days")
    rec = _stats(daily, stats, unit="days").iloc[-1]
    per_day = daily.loc[daily["group"] == daily["group"].max(), "cases"]
    lead = (f"Each point is the average of the cases that arrived that day ({per_day.median():.0f} on a "
            "typical day: the median)")
    if rec["status"] == "too few":
        return f"{lead}; only {int(rec['n'])} days since the last change, too few to judge."
    if rec["status"] == "not predictable":
        return f"{lead}. Day by day the system is not predictable: {rec['reason']}."
    return (f"{lead}. Day by day it is predictable: the average of a day's cases lies between {_days(rec['lower'])} and "
            f"{_days(rec['upper'])} {unit}, on average {_mean(rec['mean'])}. These are limits of a day's average, "
            f"not of one case: one case can take longer, as the chart above shows. {runs_sentence(rec, 'days')}").rstrip()


def runs_sentence(rec: pd.Series, points: str = "cases") -> str:
    """The runs rule as a predictable system's verdict read it, against the line the chart draws
    for it (the dotted median), and what the coloured marks are beside it."""
    if rec["status"] != "predictable" or pd.isna(rec.get("median", np.nan)):
        return ""
    words = (f"The dotted line is the median, the line the verdict reads runs around: the longest run of {points} "
             f"on one side of it is {int(rec['longest_run']):,}, where chance allows up to {int(rec['longest_run_max']):,}, "
             f"and the {points} cross it {int(rec['crossings']):,} times, where chance needs at least "
             f"{int(rec['crossings_min']):,}.")
    if rec["signals"]:
        words += (f" The {_plural(int(rec['signals']), points)} coloured are Making Data Count marks (such as 7 in a "
                  f"row on one side of the average): {points} to look at, not a verdict on the system.")
    return words


#: The special causes of :data:`studylib.measures.xmr.SPECIAL_CAUSES` in a manager's words.
_SIGNAL_WORDS = {"shift above": "in long runs above the average", "shift below": "in long runs below the average",
                 "above upper limit": "above the upper limit", "below lower limit": "below the lower limit",
                 "trend up": "in rising trends", "trend down": "in falling trends",
                 "two in three above": "close to the upper limit", "two in three below": "close to the lower limit"}


def capability_prose(result: pd.DataFrame, *, name: str = "the service",
                     stats: pd.DataFrame | None = None, holds: dict | None = None) -> dict[str, str]:
    """What / so what / now what / then what, from the numbers of a capability chart; "how we know"
    says how the verdict was reached (the rules, and what they found), for whoever asks. ``stats``
    as for :func:`capability_headline`; ``holds``: the redesign held to its frozen limits
    (:func:`studylib.measures.holds.holds_summary`), said under "then what"."""
    unit = result.attrs.get("unit", "days")
    stats = _stats(result, stats)
    if stats.empty:
        return {"what": f"No {name} case has finished yet.", "how we know": "", "so what": "", "now what": "",
                "then what": ""}
    current = stats.iloc[-1]
    n = int(result["value"].notna().sum())
    case = "case" if n == 1 else "cases"
    cases = f"{case} across all services" if name == "all services" else f"{case} of {name}"
    what = f"{n:,} finished {cases}. {capability_caption(result, stats=stats)}"
    why = verdict_sentences(current)   # how the verdict was reached: folded under "what" in reports
    if len(stats) > 1:
        before = stats.iloc[-2]
        change = (before["mean"] - current["mean"]) / before["mean"] if before["mean"] else 0
        so_what = (f"Customers of {name} now wait {_mean(current['mean'])} {unit} on average against "
                   f"{_mean(before['mean'])} before the change ({abs(change):.0%} {'less' if change >= 0 else 'more'})")
        if current["status"] == "predictable" and before["status"] == "predictable":
            so_what += (f", and an upper limit of {_days(current['upper'])} {unit} for one case against "
                        f"{_days(before['upper'])}")
        so_what += "."
    elif current["status"] == "predictable":
        so_what = (f"A customer of {name} can expect anything up to {_days(current['upper'])} {unit}. "
                   f"That range, not the average and not the target, is what the system delivers.")
    else:
        so_what = (f"On average a customer of {name} waits {_mean(current['mean'])} {unit}, but until the "
                   f"system is predictable nobody can say what it will deliver next.")
    if current["status"] == "too few":
        now_what = (f"Keep following cases: with {MIN_POINTS_FOR_LIMITS} or more finished since the last "
                    f"change, the chart can say what the system delivers.")
    elif current["status"] == "not predictable":
        now_what = ("Find out what made the system unpredictable before changing anything else: look at the "
                    "days and cases of the runs and the points beyond the limits on the chart.")
    elif current["exceptions"] or _still_open(current):
        n, m = int(current["exceptions"]), len(_still_open(current))
        which = and_list([f"the {_plural(n, 'cases')} beyond the limits"] * bool(n)
                         + [f"the {_plural(m, 'cases')} still open past the upper limit"] * bool(m))
        now_what = (f"Follow {which} end to end: each may have a cause of its own worth finding. The rest of the "
                    "variation is the system's own, so improvement means changing the system, not chasing individual "
                    "cases.")
    else:
        now_what = ("No case since the last change is beyond the limits: the variation is the system's own, so "
                    "improvement means changing the system, not chasing individual cases.")
    then_what = (f"Keep plotting each finished case in the order it arrived. If the system is improved, expect a run of "
                 f"points below the mean of {_mean(current['mean'])} {unit}; recalculate the limits only "
                 f"at a dated change.")
    if holds:
        then_what += (" The system since the change is held to limits frozen on its first cases (the check's "
                      "freeze setting), so that a slow slide cannot carry its limits with it. "
                      f"{holds_sentence(holds)}")
    return {"what": what, "how we know": why, "so what": so_what, "now what": now_what, "then what": then_what}


_ASSURANCE_WORDS = {"consistent_fail": "will consistently miss", "consistent_pass": "will consistently meet",
                    "inconsistent": "will sometimes meet and sometimes miss"}


def xmr_caption(result: pd.DataFrame, *, unit: str = "", points: str = "months", floor: float | None = None,
                ceiling: float | None = None, standard_words: str = "the standard") -> str:
    """A periodic measure's XmR chart (:func:`studylib.measures.xmr.xmr`) in plain words, as honest as the
    capability caption: a range only from 12 or more points of a predictable system (the latest group),
    the limits held within ``floor`` and ``ceiling`` (a share cannot pass 100%), and the assurance
    against the target only then.

    Examples: "Month by month this system delivers between 72.8% and 88.2%; on average 80.5%. While
    it stays as it is, it will consistently miss the standard." or "This system is not predictable: a run of 14
    months below the median, where chance gives up to 10, so no range can be promised; on average 80.5%."
    """
    from ..measures.xmr import xmr_summary
    latest = result[result["group"] == result["group"].max()]
    n = int(latest["value"].notna().sum())
    verdict = limits_by_system(result, unit=points).iloc[-1]
    mean = float(latest["mean"].iloc[0])

    def fmt(x):
        return f"{x:.1f}{unit}"

    if verdict["status"] == "too few":
        return (f"Only {n} {points}: too few to judge (at least {MIN_POINTS_FOR_LIMITS} are needed); on "
                f"average {fmt(mean)}.")
    if verdict["status"] == "not predictable":
        return (f"This system is not predictable: {verdict['reason']}, so no range can be promised; on average "
                f"{fmt(mean)}. Find out what changed before judging it against {standard_words}.")
    summary = xmr_summary(latest).iloc[0]
    lo, hi = float(summary["lower_limit"]), float(summary["upper_limit"])
    held = []
    if floor is not None and lo < floor:
        lo = floor
        held.append(f"the lower limit is shown at {fmt(floor)}")
    if ceiling is not None and hi > ceiling:
        hi = ceiling
        held.append(f"the upper limit is shown at {fmt(ceiling)}")
    text = (f"{points[:-1].capitalize() if points.endswith('s') else points.capitalize()} by "
            f"{points[:-1] if points.endswith('s') else points} this system delivers between {fmt(lo)} and "
            f"{fmt(hi)}; on average {fmt(mean)}" + (f" ({'; '.join(held)})" if held else "") + ".")
    if summary.get("assurance") in _ASSURANCE_WORDS:
        text += f" While it stays as it is, it {_ASSURANCE_WORDS[summary['assurance']]} {standard_words}."
    if verdict["exceptions"]:
        k = int(verdict["exceptions"])
        text += (f" {k} {points if k != 1 else points.rstrip('s')} fell outside the limits: look at "
                 f"{'them' if k != 1 else 'it'}; the system is still predictable.")
    why = verdict_sentences(verdict, points=points)
    if why:
        text += " " + why
    return text
