"""A process behaviour chart computed by hand, as Wheeler teaches it: a dozen cases, their mean,
their moving ranges, the limits, one point beyond them, and the runs around the median that the
verdict of every chart in a check reads (Anhøj's rules).

The capability notebook works :data:`WORKED_DAYS` through step by step in pandas, then sets
:func:`limits_by_hand` beside :func:`studylib.measures.xmr.xmr` to show the chart computes the same.
The learner then computes the upper limit of :func:`practice_series`, a short run of their own
study's cases, and :func:`limit_mistakes` names the step that went wrong when an answer is off.

Wheeler, D. J. (2000). *Understanding Variation: the key to managing chaos*, chapter 4;
2.66 = 3 / 1.128, the bias correction (d2) for ranges of two points. Anhøj, J. and Olesen, A. V.
(2014). Run charts revisited. *PLoS ONE* 9(11): e113825.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures.xmr import anhoej_limits, runs_around

__all__ = ["WORKED_DAYS", "SCALING", "limits_by_hand", "practice_series", "limit_mistakes", "longest_run",
           "runs_by_hand"]

#: Days from first contact to solved for twelve repairs, in the order they arrived: case 5 beyond
#: the upper limit, and a change after case 6 that the runs around the median find (one crossing).
WORKED_DAYS = [9, 11, 8, 10, 19, 6, 4, 3, 5, 4, 3, 5]
#: The scaling factor of an XmR chart: three sigma, estimated from the mean moving range (3 / 1.128).
SCALING = 2.66


def longest_run(values, centre: float) -> tuple[int, str]:
    """The longest run of points on one side of ``centre`` (points on it break no run), and its side."""
    longest, _, _, side = runs_around(np.asarray(values, dtype=float), float(centre))
    return longest, side or ""


def runs_by_hand(values) -> dict:
    """The runs rule the verdict reads, step by step as a learner does it: ``median``, ``useful``
    (points not on it), ``longest`` (run on one side), ``crossings``, and Anhøj's ``run_max`` and
    ``crossings_min`` for that many useful points; ``signal`` when either is broken."""
    days = pd.Series(values, dtype=float).dropna()
    median = float(days.median())
    longest, crossings, useful, _ = runs_around(days.to_numpy(), median)
    run_max, crossings_min = anhoej_limits(useful)
    return {"median": median, "useful": useful, "longest": longest, "crossings": crossings,
            "run_max": run_max, "crossings_min": crossings_min,
            "signal": bool(useful) and (longest > run_max or crossings < crossings_min)}


def limits_by_hand(values) -> dict:
    """Each step of an XmR chart, unscreened: ``mean, moving_ranges, mean_moving_range, upper,
    lower, beyond`` (the positions of points outside the limits) and ``run`` (longest, side)."""
    days = pd.Series(values, dtype=float).reset_index(drop=True)
    moving = days.diff().abs()
    mean, mr = float(days.mean()), float(moving.mean())
    upper, lower = mean + SCALING * mr, mean - SCALING * mr
    return {"mean": mean, "moving_ranges": moving, "mean_moving_range": mr, "upper": upper, "lower": lower,
            "beyond": [int(i) for i in days.index[(days > upper) | (days < lower)]],
            "run": longest_run(days, mean)}


def practice_series(results, n: int = 10) -> pd.Series | None:
    """The first ``n`` finished cases of the system as it is now (the latest system of the last
    service charted), days rounded to one decimal, indexed by case: a series for the learner to
    compute limits on. None when the study has fewer than ``n`` such cases."""
    charts = (results.capability or {}).get("charts") or {} if results.capability else {}
    if not charts or not results.flow:
        return None
    chart = charts[results.capability["lead"]]
    latest = chart[chart["group"] == chart["group"].max()].dropna(subset=["value"])
    if len(latest) < n:
        return None
    first = latest.sort_values(["x", "case_id"] if "case_id" in latest else ["x"]).head(n)
    index = first["case_id"].astype(str) if "case_id" in first else range(1, n + 1)
    return pd.Series(first["value"].round(1).to_numpy(), index=pd.Index(index, name="case"), name="days")


def limit_mistakes(values) -> list[tuple[float, str]]:
    """Upper limits a learner reaches by a known wrong step, each with what went wrong."""
    days = pd.Series(values, dtype=float)
    right = limits_by_hand(days)
    mean, mr, n = right["mean"], right["mean_moving_range"], len(days)
    signed = float(days.diff().mean())
    return [
        (mean + 3 * days.std(), "you used the standard deviation, not the moving range: the limits come from "
                                "the differences between neighbouring cases"),
        (mean + 3 * days.std(ddof=0), "you used the standard deviation, not the moving range"),
        (mean + SCALING * days.std(), "you used the standard deviation with 2.66: 2.66 goes with the mean moving range"),
        (mean + 3 * mr, "you multiplied by 3: with the mean moving range the factor is 2.66 (3 / 1.128)"),
        (mean + mr, "you added the mean moving range once: multiply it by 2.66 first"),
        (mean + SCALING * float(days.diff().abs().sum()) / n,
         f"you divided the moving ranges' sum by {n}: {n} cases have {n - 1} moving ranges"),
        (mean + SCALING * signed, "you kept the sign of each difference: a moving range is the difference "
                                  "without its sign, always zero or more"),
        (mean + SCALING * float(days.max() - days.min()), "you used the range of the whole series (largest "
                                                          "minus smallest): use the mean of the moving ranges"),
        (mean - SCALING * mr, "that is the lower limit: the upper one is the mean plus 2.66 mean moving ranges"),
        (mean, "that is the mean: the upper limit lies 2.66 mean moving ranges above it"),
        (float(days.median()) + SCALING * mr, "you started from the median: an XmR chart's centre line is the mean"),
    ]
