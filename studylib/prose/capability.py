"""Capability in words: the caption and the four parts, from a capability chart's limits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..capability import limits_by_system

__all__ = ["capability_caption", "capability_prose"]


def _days(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 or x == 0 else f"{x:.1f}"


def capability_caption(result: pd.DataFrame) -> str:
    """The chart in plain words, computed from the result.

    e.g. "This system will deliver anywhere between 3 and 61 days; on average 24. The 28-day
    target says nothing about what it delivers."
    """
    if result["value"].notna().sum() == 0:
        return "No case has finished yet, so there is nothing to chart."
    unit = result.attrs.get("unit", "days")
    stats = limits_by_system(result)
    current = stats.iloc[-1]
    if np.isnan(current["upper"]):
        text = (f"Every case took the same time ({_days(current['mean'])} {unit}), so no limits can "
                f"be computed.")
    else:
        lead = "This system will deliver"
        if len(stats) > 1:
            change = result.attrs["changes"][-1]
            what = f" ({change['what']})" if change.get("what") else ""
            lead = f"Since the change of {change['date']:%d %B %Y}{what}, this system will deliver"
        text = (f"{lead} anywhere between {_days(current['lower'])} and {_days(current['upper'])} "
                f"{unit}; on average {_days(current['mean'])}.")
        if len(stats) > 1:
            before = stats.iloc[-2]
            text += (f" Before it, between {_days(before['lower'])} and {_days(before['upper'])}; "
                     f"on average {_days(before['mean'])}.")
    target = result.attrs.get("target")
    if target is not None and not np.isnan(current["upper"]):
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


def capability_prose(result: pd.DataFrame, *, name: str = "the service") -> dict[str, str]:
    """What / so what / now what / then what, from the numbers of a capability chart."""
    unit = result.attrs.get("unit", "days")
    stats = limits_by_system(result)
    if stats.empty:
        return {"what": f"No {name} case has finished yet.", "so what": "", "now what": "", "then what": ""}
    current = stats.iloc[-1]
    n = int(result["value"].notna().sum())
    signals = result[result["special_cause"] != "none"]
    latest_signals = int(current["signals"])
    what = f"{n:,} finished {name} cases. {capability_caption(result)}"
    if len(stats) > 1:
        before = stats.iloc[-2]
        change = (before["mean"] - current["mean"]) / before["mean"] if before["mean"] else 0
        so_what = (f"Customers of {name} now wait {_days(current['mean'])} {unit} on average against "
                   f"{_days(before['mean'])} before the change ({change:.0%} less), and the slowest "
                   f"predictable case {_days(current['upper'])} {unit} against {_days(before['upper'])}.")
    else:
        so_what = (f"A customer of {name} can expect anything up to {_days(current['upper'])} {unit}. "
                   f"That range, not the average and not the target, is what the system delivers.")
    if latest_signals:
        kinds = signals[signals["group"] == stats.index[-1]]["special_cause"].astype(str).value_counts()
        named = ", ".join(f"{k} ({v})" for k, v in kinds.items())
        now_what = (f"{latest_signals} cases since the last change are signals ({named}): find out what "
                    f"happened to them before changing anything else.")
    else:
        now_what = ("No case since the last change is a signal: the variation is the system's own, so "
                    "improvement means changing the system, not chasing individual cases.")
    then_what = (f"Keep plotting each finished case in order. If the system is improved, expect a run of "
                 f"points below the mean of {_days(current['mean'])} {unit}; recalculate the limits only "
                 f"at a dated change.")
    return {"what": what, "so what": so_what, "now what": now_what, "then what": then_what}
