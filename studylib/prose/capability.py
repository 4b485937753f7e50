"""Capability in words: the caption and the four parts, from a capability chart's limits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures.capability import MIN_POINTS_FOR_LIMITS, limits_by_system
from ..text import long_date

__all__ = ["capability_caption", "capability_prose", "capability_headline", "xmr_caption"]


def _days(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 or x == 0 else f"{x:.1f}"


def _system_words(rec: pd.Series, unit: str, *, first: bool) -> str:
    """What one system can promise, honestly: a range only from enough points and no signals."""
    if rec["status"] == "too few":
        return (f"only {rec['n']:,} case{'s' if rec['n'] != 1 else ''} finished, too few to set limits "
                f"(at least {MIN_POINTS_FOR_LIMITS} are needed); on average {_days(rec['mean'])} {unit}")
    if rec["status"] == "not stable" and first:
        return (f"the system is not stable: {rec['signals']:,} of its {rec['n']:,} cases are signals, so no "
                f"range can be promised; on average {_days(rec['mean'])} {unit}")
    if rec["status"] == "not stable":
        return (f"the system was not stable either ({rec['signals']:,} of {rec['n']:,} cases were signals); "
                f"on average {_days(rec['mean'])} {unit}")
    words = (f"this system will deliver anywhere between {_days(rec['lower'])} and {_days(rec['upper'])} "
             f"{unit}; on average {_days(rec['mean'])}" if first else
             f"between {_days(rec['lower'])} and {_days(rec['upper'])}; on average {_days(rec['mean'])}")
    if rec["lower_raw"] < 0:
        words += " (the lower limit is shown at 0: a case cannot take less than no time)"
    return words


def capability_headline(result: pd.DataFrame) -> str:
    """The caption's first sentence: what the system as it is now can promise."""
    if result["value"].notna().sum() == 0:
        return "No case has finished yet, so there is nothing to chart."
    stats = limits_by_system(result)
    now = _system_words(stats.iloc[-1], result.attrs.get("unit", "days"), first=True)
    if len(stats) > 1:
        change = result.attrs["changes"][-1]
        what = f" ({change['what']})" if change.get("what") else ""
        return f"Since the change of {long_date(change['date'])}{what}, {now}."
    return f"{now[0].upper()}{now[1:]}."


def capability_caption(result: pd.DataFrame) -> str:
    """The chart in plain words, computed from its limits.

    A range ("will deliver anywhere between 3 and 61 days") is given only for a system with at
    least :data:`studylib.measures.capability.MIN_POINTS_FOR_LIMITS` cases and no signals; otherwise the
    caption says why none is promised.
    """
    if result["value"].notna().sum() == 0:
        return "No case has finished yet, so there is nothing to chart."
    unit = result.attrs.get("unit", "days")
    stats = limits_by_system(result)
    current = stats.iloc[-1]
    if np.isnan(current["upper"]) and current["status"] == "stable":
        text = (f"Every case took the same time ({_days(current['mean'])} {unit}), so no limits can "
                f"be computed.")
    else:
        text = capability_headline(result)
        if len(stats) > 1:
            text += f" Before it, {_system_words(stats.iloc[-2], unit, first=False)}."
    target = result.attrs.get("target")
    if target is not None and current["status"] == "stable" and not np.isnan(current["upper"]):
        if target < current["lower"]:
            text += f" No case can be expected to meet the {target:g}-day target while the system stays as it is."
        elif target >= current["upper"]:
            text += (f" Cases will meet the {target:g}-day target while the system stays as it is, "
                     f"but the target says nothing about what the system delivers.")
        else:
            text += f" The {target:g}-day target says nothing about what it delivers."
    n_open = result.attrs.get("open_left_out", 0)
    if n_open:
        text += (f" {n_open:,} open case{'s are' if n_open != 1 else ' is'} not charted: "
                 f"{'they have' if n_open != 1 else 'it has'} not finished yet.")
    return text


#: The special causes of :data:`studylib.measures.xmr.SPECIAL_CAUSES` in a manager's words.
_SIGNAL_WORDS = {"shift above": "in long runs above the average", "shift below": "in long runs below the average",
                 "above upper limit": "above the upper limit", "below lower limit": "below the lower limit",
                 "trend up": "in rising trends", "trend down": "in falling trends",
                 "two in three above": "close to the upper limit", "two in three below": "close to the lower limit"}


def capability_prose(result: pd.DataFrame, *, name: str = "the service") -> dict[str, str]:
    """What / so what / now what / then what, from the numbers of a capability chart."""
    unit = result.attrs.get("unit", "days")
    stats = limits_by_system(result)
    if stats.empty:
        return {"what": f"No {name} case has finished yet.", "so what": "", "now what": "", "then what": ""}
    current = stats.iloc[-1]
    n = int(result["value"].notna().sum())
    cases = "cases across all services" if name == "all services" else f"{name} cases"
    what = f"{n:,} finished {cases}. {capability_caption(result)}"
    if len(stats) > 1:
        before = stats.iloc[-2]
        change = (before["mean"] - current["mean"]) / before["mean"] if before["mean"] else 0
        so_what = (f"Customers of {name} now wait {_days(current['mean'])} {unit} on average against "
                   f"{_days(before['mean'])} before the change ({abs(change):.0%} {'less' if change >= 0 else 'more'})")
        if current["status"] == "stable" and before["status"] == "stable":
            so_what += (f", and the slowest predictable case {_days(current['upper'])} {unit} against "
                        f"{_days(before['upper'])}")
        so_what += "."
    elif current["status"] == "stable":
        so_what = (f"A customer of {name} can expect anything up to {_days(current['upper'])} {unit}. "
                   f"That range, not the average and not the target, is what the system delivers.")
    else:
        so_what = (f"On average a customer of {name} waits {_days(current['mean'])} {unit}, but until the "
                   f"system is stable nobody can say what it will deliver next.")
    if current["status"] == "too few":
        now_what = (f"Keep following cases: with {MIN_POINTS_FOR_LIMITS} or more finished since the last "
                    f"change, the chart can say what the system delivers.")
    elif current["signals"]:
        part = result[result["group"] == stats.index[-1]]
        kinds = part.loc[part["special_cause"] != "none", "special_cause"].astype(str).value_counts()
        named = ", ".join(f"{v} {_SIGNAL_WORDS.get(k, k)}" for k, v in kinds.items())
        now_what = (f"{int(current['signals'])} cases since the last change are signals ({named}): find out "
                    f"what happened to them before changing anything else.")
    else:
        now_what = ("No case since the last change is a signal: the variation is the system's own, so "
                    "improvement means changing the system, not chasing individual cases.")
    then_what = (f"Keep plotting each finished case in order. If the system is improved, expect a run of "
                 f"points below the mean of {_days(current['mean'])} {unit}; recalculate the limits only "
                 f"at a dated change.")
    return {"what": what, "so what": so_what, "now what": now_what, "then what": then_what}


_ASSURANCE_WORDS = {"consistent_fail": "will consistently miss", "consistent_pass": "will consistently meet",
                    "inconsistent": "will sometimes meet and sometimes miss"}


def xmr_caption(result: pd.DataFrame, *, unit: str = "", points: str = "months", floor: float | None = None,
                ceiling: float | None = None, standard_words: str = "the standard") -> str:
    """A periodic measure's XmR chart (:func:`studylib.measures.xmr.xmr`) in plain words, as honest as the
    capability caption: a range only from 12 or more points of a stable system (the latest group),
    the limits held within ``floor`` and ``ceiling`` (a share cannot pass 100%), and the assurance
    against the target only then.

    Examples: "Month by month this system delivers between 72.8% and 88.2%; on average 80.5%. While
    it stays as it is, it will consistently miss the standard." or "This system is not stable: 9 of
    its 36 months are signals (7 in long runs below the average, ...), so no range can be promised;
    on average 80.5%."
    """
    from ..measures.xmr import xmr_summary
    latest = result[result["group"] == result["group"].max()]
    n = int(latest["value"].notna().sum())
    signals = latest.loc[latest["special_cause"] != "none", "special_cause"].astype(str).value_counts()
    mean = float(latest["mean"].iloc[0])

    def fmt(x):
        return f"{x:.1f}{unit}"

    if n < MIN_POINTS_FOR_LIMITS:
        return (f"Only {n} {points}: too few to set limits (at least {MIN_POINTS_FOR_LIMITS} are needed); on "
                f"average {fmt(mean)}.")
    if len(signals):
        named = ", ".join(f"{v} {_SIGNAL_WORDS.get(k, k)}" for k, v in signals.items())
        return (f"This system is not stable: {int(signals.sum())} of its {n} {points} are signals ({named}), so no "
                f"range can be promised; on average {fmt(mean)}. Find out what changed before judging it "
                f"against {standard_words}.")
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
    return text
