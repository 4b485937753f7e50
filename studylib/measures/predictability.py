"""Is a system predictable? One verdict for a series of points in time order, that holds at any length.

The per-point signals of :func:`studylib.measures.xmr.xmr` (Making Data Count: one point beyond a
limit, a run of 7 on one side of the mean, a trend of 7, two in three near a limit) describe
points. They were made for 12 to 30 monthly points: on a long series one of them fires by chance
on almost every stable process (99% of 353 normal points, all of 353 lognormal ones), so "any
signal" cannot be the verdict. The verdict here follows two published sources:

- **Anhøj's runs rules** (Anhøj & Olesen 2014, PLoS ONE 9(11): e113825; Anhøj & Wentzel-Larsen
  2018, BMC Medical Research Methodology 18:100), around the **median**, points on the median left
  out: the series is not random when its longest run on one side is longer than
  round(log2(n) + 3), or when it crosses the median fewer times than the 5% quantile of
  Binomial(n - 1, 0.5). Their false alarms stay near 5% at any length and do not depend on the
  shape of the data (skewed times included).
- **Pettitt's change-point test** (Pettitt 1979, Applied Statistics 28(2): 126-135), on ranks: the
  series is not one process when some point splits it into a before and an after at different
  levels more clearly than chance gives once in 100 (:data:`CHANGE_ALPHA`). Runs rules alone find a
  shift of 2 standard deviations halfway through 24 points six times in ten; with this test, more
  than eight in ten, and it does not depend on the shape of the data either.
- **Wheeler's natural process limits** (*Understanding Variation*): mean ± 2.66 × the mean moving
  range (ranges above 3.267 times their mean screened out, as NHSRplotthedots does). They hold for
  skewed data without transforming it; a few points beyond them in hundreds are expected, and each
  is an **exception** to look at, not proof that the system is unpredictable. Only more
  exceptions than a skewed but stable process gives (the 99.5% quantile of Binomial(n, 5%): very
  skewed end-to-end times, lognormal with sigma 0.8, put 4 to 5% of their points beyond the
  screened limits) count against the system.

The figures this rule set meets, measured by simulation, are in ``benchmarks/bench_predictability.py``
and the README.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .xmr import SCREEN_FACTOR, anhoej_limits, runs_around

__all__ = ["predictability", "exceptions_allowed", "level_change", "PREDICTABILITY_COLUMNS", "MIN_POINTS",
           "EXCEPTION_SHARE", "CHANGE_ALPHA"]

#: Fewer points than this and no verdict is given (NHSRplotthedots warns below 12).
MIN_POINTS = 12
#: The share of points a skewed but stable process puts beyond its limits: more exceptions than
#: chance allows at this share count against predictability.
EXCEPTION_SHARE = 0.05
#: How rarely chance alone may give a change of level as clear as the one found (Pettitt's test).
CHANGE_ALPHA = 0.01
PREDICTABILITY_COLUMNS = ["points", "verdict", "lower", "upper", "mean", "exceptions", "exceptions_above",
                          "exceptions_below", "exceptions_allowed", "median", "longest_run", "longest_run_max",
                          "crossings", "crossings_min", "change_after", "change_p", "reason"]


def _plural(n: int, word: str) -> str:
    if word.endswith("s") and n == 1:
        word = word[:-1]
    return f"{n:,} {word}"


def exceptions_allowed(n: int, share: float = EXCEPTION_SHARE) -> int:
    """The most points beyond the limits that a stable but skewed process of ``n`` points gives by
    chance: the 99.5% quantile of Binomial(n, share)."""
    from scipy.stats import binom
    return int(binom.ppf(0.995, int(n), share))


def level_change(values) -> tuple[int, float]:
    """Pettitt's test for one change of level: (how many points come before the likeliest change,
    the approximate p-value 2 exp(-6 K^2 / (n^3 + n^2)), K the largest |U_t| of the rank statistic).
    Ties take their average rank."""
    from scipy.stats import rankdata
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 3:
        return 0, 1.0
    u = 2 * np.cumsum(rankdata(y))[:-1] - np.arange(1, n) * (n + 1)
    at = int(np.argmax(np.abs(u)))
    k = float(abs(u[at]))
    return at + 1, float(min(1.0, 2 * np.exp(-6 * k * k / (float(n) ** 3 + float(n) ** 2))))


def _limits(y: np.ndarray) -> tuple[float, float, float]:
    mean = float(np.mean(y))
    mr = np.abs(np.diff(y))
    if len(mr) == 0:
        return mean, mean, mean
    mr_bar = float(np.mean(mr))
    kept = mr[mr <= SCREEN_FACTOR * mr_bar]
    mr_bar = float(np.mean(kept)) if len(kept) else mr_bar
    return mean, mean - 2.66 * mr_bar, mean + 2.66 * mr_bar


def predictability(values, *, unit: str = "points") -> pd.DataFrame:
    """Whether a series of one system's values, in time order, is predictable, and the range it
    can promise.

    Parameters
    ----------
    values : array-like
        One system's values in time order (missing values left out).
    unit : str
        What a point is, in the plural, for the reason in words ("cases", "weeks", "days").

    Returns
    -------
    DataFrame
        One row: ``points``; ``verdict``: "predictable", "not predictable" or "too few points"
        (fewer than :data:`MIN_POINTS`); ``lower``, ``upper``: the natural process limits, the range
        the system can promise, empty unless predictable; ``mean``; ``exceptions`` (points beyond
        the limits; ``exceptions_above``, ``exceptions_below``) and ``exceptions_allowed`` (what
        chance gives); ``median``, ``longest_run``, ``longest_run_max``, ``crossings``,
        ``crossings_min`` (Anhøj's runs analysis around the median: the line a chart draws for
        it); ``reason``, in words.

    Examples
    --------
    >>> predictability([5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 6, 5])["verdict"].item()
    'predictable'
    >>> predictability([1, 2, 1, 2, 1, 2, 9, 9, 8, 9, 9, 8])["verdict"].item()
    'not predictable'
    """
    y = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    y = y[~np.isnan(y)]
    n = len(y)
    row = dict.fromkeys(PREDICTABILITY_COLUMNS, np.nan)
    row.update(points=n, exceptions=0, exceptions_above=0, exceptions_below=0, exceptions_allowed=0)
    if n < MIN_POINTS:
        row.update(verdict="too few points", mean=float(np.mean(y)) if n else np.nan,
                   reason=f"only {_plural(n, unit)}: a verdict needs at least {MIN_POINTS}")
        return pd.DataFrame([row], columns=PREDICTABILITY_COLUMNS)
    mean, lower, upper = _limits(y)
    above, below = int((y > upper).sum()), int((y < lower).sum())
    allowed = exceptions_allowed(n)
    median = float(np.median(y))
    longest, crossings, useful, side = runs_around(y, median)
    lmax, cmin = anhoej_limits(useful)
    reasons = []
    if longest > lmax:
        reasons.append(f"a run of {longest:,} {unit} {side} the median, where {lmax:,} would be chance")
    if crossings < cmin:
        times = {0: "never", 1: "only once", 2: "only twice"}.get(crossings, f"only {crossings:,} times")
        reasons.append(f"the {unit} cross the median {times}, where chance gives at least {cmin:,}")
    change_after, change_p = level_change(y)
    if change_p < CHANGE_ALPHA:
        before, after = np.median(y[:change_after]), np.median(y[change_after:])
        reasons.append(f"the level changes after the first {change_after:,} {unit}: those after sit "
                       f"{'higher' if after > before else 'lower'} than those before, more clearly than chance gives "
                       f"once in 100")
    if above + below > allowed:
        reasons.append(f"{above + below:,} {unit} beyond the limits, where chance gives up to {allowed:,}")
    verdict = "not predictable" if reasons else "predictable"
    if not reasons:
        reasons.append(f"no signal was found (the longest run on one side of the median is "
                       f"{longest:,}, where chance allows up to {lmax:,}; the median is crossed {crossings:,} times, "
                       f"where chance needs at least {cmin:,}; no change of level)")
    row.update(verdict=verdict, mean=mean, exceptions=above + below, exceptions_above=above,
               exceptions_below=below, exceptions_allowed=allowed, median=median, longest_run=longest, longest_run_max=lmax,
               crossings=crossings, crossings_min=cmin, change_after=change_after, change_p=change_p,
               reason="; ".join(reasons))
    if verdict == "predictable":
        row.update(lower=lower, upper=upper)
    return pd.DataFrame([row], columns=PREDICTABILITY_COLUMNS)
