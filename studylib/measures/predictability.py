"""Is a system predictable? One verdict for a series of points in time order, that holds at any length.

The per-point signals of :func:`studylib.measures.xmr.xmr` (Making Data Count: one point beyond a
limit, a run of 7 on one side of the mean, a trend of 7, two in three near a limit) describe
points. They were made for 12 to 30 monthly points: on a long series one of them fires by chance
on almost every stable process (99% of 353 normal points, all of 353 lognormal ones), so "any
signal" cannot be the verdict. The verdict here is four tests at 1% each (:data:`TEST_ALPHA`) and one
at 0.5%, so that a stable process is called "not predictable" at most 4.5% of the time (Bonferroni)
at any length and for any shape of data, each following a published method:

- **Runs around the median** (Anhøj & Olesen 2014, PLoS ONE 9(11): e113825; Anhøj & Wentzel-Larsen
  2018, BMC Medical Research Methodology 18:100), points on the median left out: the series is not
  random when its longest run on one side, or its few crossings of the median, are rarer than 1%.
  Anhøj's thresholds (:func:`studylib.measures.xmr.anhoej_limits`, qicharts2's table) are each near
  5%; here the longest run's tail is computed exactly (a two-state Markov chain, by dynamic
  programming up to 300 points, Poisson clumping beyond) and the crossings are Binomial(n - 1, q),
  where q allows for two things Anhøj's assume away: points tied on the median (whole days), which
  leave a share p != 1/2 on one side (q = 2p(1 - p)); and neighbours alike (a stationary AR(1) series,
  one process in Wheeler's sense), for which two neighbours fall on opposite sides 1/2 - arcsin(phi)/pi
  of the time (the orthant probability of a bivariate normal).
- **Pettitt's change-point test** (Pettitt 1979, Applied Statistics 28(2): 126-135), on ranks: the
  series is not one process when some point splits it into a before and an after at different
  levels more clearly than chance gives once in 100, its statistic's spread widened by
  (1 + phi) / (1 - phi) for neighbours alike.
- **A week together** (a scan statistic on ranks, Naus 1982, JASA 77: 177-183): the seven points in a
  row that sit highest (or lowest) together, each read as its place among all, (rank - 1/2) / n; under
  chance a window's sum is about Irwin-Hall, and the p-value is bounded over every window and both
  ends. A bad week of cases is found whatever the series' length, where counting points beyond the
  limits ignores their order.
- **Neighbours alike** are measured, not punished: phi, the lag-1 autocorrelation of the ranks with
  the likeliest change of level taken out (so that a shift is not read as it), turned to a Gaussian
  series' (2 sin(pi r / 6)), is allowed for where it passes what chance gives (1/sqrt(n)), up to 0.3
  (:data:`AUTOCORRELATION_ALLOWED`). Above it, the verdict says so: limits drawn from moving ranges
  are then narrower than the spread the system keeps to.

**Wheeler's natural process limits** (*Understanding Variation*): mean ± 2.66 × the mean moving
range (ranges above 3.267 times their mean screened out, as NHSRplotthedots does) are the range. They
hold for skewed data without transforming it; a point beyond them is an **exception** to look at,
not a verdict on the system. Only more exceptions than a stable process of any shape gives (the 99.5%
quantile of Binomial(n, 8%), :data:`EXCEPTION_SHARE`: very skewed stable times put 6% beyond) count
against it: limits far too narrow for the spread it keeps to, as strongly autocorrelated series give.

The figures this rule set meets, measured by simulation, are in ``benchmarks/bench_predictability.py``
and the README.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .xmr import SCREEN_FACTOR, runs_around

__all__ = ["predictability", "exceptions_allowed", "level_change", "runs_limits", "cluster", "lag1_autocorrelation",
           "PREDICTABILITY_COLUMNS", "MIN_POINTS", "EXCEPTION_SHARE", "TEST_ALPHA", "AUTOCORRELATION_ALLOWED",
           "CLUSTER_WINDOW"]

#: Fewer points than this and no verdict is given (NHSRplotthedots warns below 12).
MIN_POINTS = 12
#: More than a stable process of any shape puts beyond its limits: very skewed times (lognormal,
#: sigma 1.2) put 6% beyond the screened limits, neighbours alike up to 0.3 about 1%. More points
#: beyond than the 99.5% quantile of Binomial(n, this share) count against the system: limits far
#: too narrow for the spread it keeps to.
EXCEPTION_SHARE = 0.08
PREDICTABILITY_COLUMNS = ["points", "verdict", "lower", "upper", "mean", "exceptions", "exceptions_above",
                          "exceptions_below", "exceptions_allowed", "median", "longest_run", "longest_run_max",
                          "crossings", "crossings_min", "change_after", "change_p", "autocorrelation", "cluster_p",
                          "cluster", "reason"]


def _plural(n: int, word: str) -> str:
    if word.endswith("s") and n == 1:
        word = word[:-1]
    return f"{n:,} {word}"


def exceptions_allowed(n: int, share: float = EXCEPTION_SHARE) -> int:
    """The most points beyond the limits a stable process of ``n`` points, of any shape, gives by
    chance: the 99.5% quantile of Binomial(n, share)."""
    from scipy.stats import binom
    return int(binom.ppf(0.995, int(n), share))


def level_change(values, phi: float = 0.0) -> tuple[int, float]:
    """Pettitt's test for one change of level: (how many points come before the likeliest change,
    the approximate p-value 2 exp(-6 K^2 / (n^3 + n^2)), K the largest |U_t| of the rank statistic).
    Ties take their average rank. Neighbours correlated by ``phi`` widen the statistic's spread by
    about (1 + phi) / (1 - phi), which the p-value allows for."""
    ranks = _ranks(np.asarray(values, dtype=float))
    after, k = _pettitt(ranks)
    return after, _pettitt_p(k, len(ranks), phi)


def _pettitt(ranks: np.ndarray) -> tuple[int, float]:
    """Where Pettitt's rank statistic is largest (how many points come before) and its size K."""
    n = len(ranks)
    if n < 3:
        return 0, 0.0
    u = 2 * np.cumsum(ranks)[:-1] - np.arange(1, n) * (n + 1)
    at = int(np.argmax(np.abs(u)))
    return at + 1, float(abs(u[at]))


def _pettitt_p(k: float, n: int, phi: float) -> float:
    """Pettitt's approximate p-value for K in ``n`` points, neighbours correlated by ``phi``."""
    if n < 3:
        return 1.0
    widened = (1 + phi) / (1 - phi)
    return float(min(1.0, 2 * np.exp(-6 * k * k / ((float(n) ** 3 + float(n) ** 2) * widened))))


def _limits(y: np.ndarray) -> tuple[float, float, float]:
    mean = float(np.mean(y))
    mr = np.abs(np.diff(y))
    if len(mr) == 0:
        return mean, mean, mean
    mr_bar = float(np.mean(mr))
    kept = mr[mr <= SCREEN_FACTOR * mr_bar]
    mr_bar = float(np.mean(kept)) if len(kept) else mr_bar
    return mean, mean - 2.66 * mr_bar, mean + 2.66 * mr_bar


#: Each test's false-alarm rate: four tests at 1% each, with the count of exceptions at 0.5%, keep the
#: verdict's at most 4.5% (Bonferroni), at any length and for any shape of data.
TEST_ALPHA = 0.01
#: The lag-1 autocorrelation the tests allow for: a stationary series whose neighbours are alike up
#: to this much is still one process (Wheeler's "predictable"), and the tests are widened for it.
AUTOCORRELATION_ALLOWED = 0.3
#: A week of cases (or of days in turn): the window in which points that sit together are a signal.
CLUSTER_WINDOW = 7


def _ranks(y: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata
    return rankdata(y)


def lag1_autocorrelation(values, split: int | None = None) -> float:
    """The lag-1 autocorrelation of the series' ranks, each side of ``split`` (a change of level)
    centred on its own mean, so that a change of level is not read as neighbours being alike."""
    return _lag1(_ranks(np.asarray(values, dtype=float)), split)


def _lag1(r: np.ndarray, split: int | None) -> float:
    if len(r) < 3:
        return 0.0
    parts = [r[:split], r[split:]] if split and 0 < split < len(r) else [r]
    resid = np.concatenate([p - p.mean() for p in parts])
    denominator = float(np.dot(resid, resid))
    return float(np.dot(resid[:-1], resid[1:]) / denominator) if denominator else 0.0


def _change_probability(split: float, phi: float) -> float:
    """How often the side of the median changes from one point to the next: 2p(1 - p) for points
    apart, with a share p above, times 1 - 2 arcsin(phi) / pi where neighbours correlate by phi
    (the probability that two neighbours of a Gaussian AR(1) series fall on opposite sides)."""
    return 2 * split * (1 - split) * (1 - 2 * np.arcsin(phi) / np.pi)


def _longest_run_tail(m: int, split: float, change: float, length: int) -> float:
    """P(the longest run on either side is at least ``length``) in ``m`` useful points whose sides
    follow a two-state Markov chain with a share ``split`` above and a change between neighbours
    ``change`` of the time: exact by dynamic programming up to 300 points, Poisson clumping beyond
    (the number of runs of at least that length is about Poisson)."""
    leave = np.array([change / (2 * split), change / (2 * (1 - split))])     # from above, from below
    leave = np.clip(leave, 1e-12, 1.0)
    stay = 1 - leave
    start = np.array([split, 1 - split])
    if m > 300:
        expected = m * float(np.sum(start * leave * stay ** (length - 1)))
        return float(1 - np.exp(-expected))
    if length > m:
        return 0.0
    if length < 2:
        return 1.0
    runs = np.zeros((2, length - 1))      # P(on a side with a run of k + 1 points so far, none yet of length)
    runs[:, 0] = start
    reached = 0.0
    for _ in range(m - 1):
        staying = runs * stay[:, None]
        moved = runs.sum(axis=1) * leave
        reached += float(staying[:, -1].sum())
        runs = np.concatenate([moved[::-1, None], staying[:, :-1]], axis=1)
    return reached


def runs_limits(m: int, split: float = 0.5, phi: float = 0.0, alpha: float | None = None) -> tuple[int, int]:
    """The verdict's runs limits for ``m`` useful points: the longest run chance gives more than
    ``alpha`` of the time, and the fewest crossings it gives at least ``1 - alpha`` of the time,
    for points with a share ``split`` above the median (below 1/2 where points tie on it) and
    neighbours correlated by ``phi``. At split 1/2 and phi 0 the same rules as Anhøj's, at ``alpha``
    instead of about 5%."""
    from scipy.stats import binom
    alpha = TEST_ALPHA if alpha is None else alpha
    if m < 2:
        return m, 0
    change = _change_probability(split, phi)
    length = 2
    while length <= m and _longest_run_tail(m, split, change, length) > alpha:
        length += 1
    # Fewer crossings than the alpha quantile of Binomial(m - 1, change) come less than alpha of the time.
    return length - 1, int(binom.ppf(alpha, m - 1, change))


def cluster(values, *, phi: float = 0.0, window: int = CLUSTER_WINDOW) -> tuple[int, float, str]:
    """The ``window`` points in a row that sit most together at one end of the series, and how
    rarely chance puts any so far out: (where they start, the p-value, "higher" or "lower").

    On ranks, so that the shape of the data does not matter: each point's place (rank - 1/2) / n,
    ties averaged. Under chance a window's sum is about that of ``window`` uniform values
    (Irwin-Hall), its spread widened by neighbours correlated by ``phi``; the p-value is bounded
    over every window and both ends (Bonferroni: windows overlap, so the bound is cautious)."""
    return _cluster(_ranks(np.asarray(values, dtype=float)), phi, window)


def _cluster(ranks: np.ndarray, phi: float, window: int) -> tuple[int, float, str]:
    n, w = len(ranks), window
    if n < 2 * w:
        return 0, 1.0, ""
    u = (ranks - 0.5) / n
    sums = np.convolve(u, np.ones(w), mode="valid")
    inflation = 1 + 2 * sum((1 - k / w) * phi ** k for k in range(1, w))
    high, low = int(np.argmax(sums)), int(np.argmin(sums))
    tail_high = _irwin_hall(w / 2 - (sums[high] - w / 2) / np.sqrt(inflation), w)
    tail_low = _irwin_hall(w / 2 + (sums[low] - w / 2) / np.sqrt(inflation), w)
    windows = n - w + 1
    if tail_high <= tail_low:
        return high, float(min(1.0, 2 * windows * tail_high)), "higher"
    return low, float(min(1.0, 2 * windows * tail_low)), "lower"


def _irwin_hall(x: float, n: int) -> float:
    """P(the sum of ``n`` uniform values on (0, 1) is at most ``x``)."""
    from math import comb, factorial, floor
    if x <= 0:
        return 0.0
    if x >= n:
        return 1.0
    return sum((-1) ** k * comb(n, k) * (x - k) ** n for k in range(floor(x) + 1)) / factorial(n)


def _ordinal(n: int) -> str:
    return f"{n:,}" + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


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
    median = float(np.median(y))
    longest, crossings, useful, side = runs_around(y, median)
    ranks = _ranks(y)                     # every test below reads ranks: the shape of the data does not matter
    change_after, k = _pettitt(ranks)
    phi_seen = _lag1(ranks, change_after)
    # On ranks it reads as 6/pi arcsin(phi/2) of a Gaussian series' phi: turned back. Allowed for where
    # it passes what chance gives n points apart (1/sqrt(n), one standard error), up to
    # AUTOCORRELATION_ALLOWED.
    phi = 2 * np.sin(np.pi * phi_seen / 6)
    se = 1 / np.sqrt(n)
    phi = float(np.clip(phi, 0.0, AUTOCORRELATION_ALLOWED)) if phi > se else 0.0
    split = float(np.mean(y[y != median] > median)) if useful else 0.5
    split = min(max(split, 1 / max(useful, 2)), 1 - 1 / max(useful, 2))
    lmax, cmin = runs_limits(useful, split=split, phi=phi)
    reasons = []
    if longest > lmax:
        reasons.append(f"a run of {longest:,} {unit} {side} the median, where chance gives up to {lmax:,}")
    if crossings < cmin:
        times = {0: "never", 1: "only once", 2: "only twice"}.get(crossings, f"only {crossings:,} times")
        reasons.append(f"the {unit} cross the median {times}, where chance gives at least {cmin:,}")
    change_p = _pettitt_p(k, n, phi)
    if change_p < TEST_ALPHA:
        before, after = np.median(y[:change_after]), np.median(y[change_after:])
        reasons.append(f"the level changes after the first {change_after:,} {unit}: those after sit "
                       f"{'higher' if after > before else 'lower'} than those before, more clearly than chance gives "
                       f"once in 100")
    cluster_at, cluster_p, cluster_side = _cluster(ranks, phi, CLUSTER_WINDOW)
    together = ""
    if cluster_p < TEST_ALPHA:
        together = (f"the {CLUSTER_WINDOW} {unit} in a row from the {_ordinal(cluster_at + 1)} sit so "
                    f"{'high' if cluster_side == 'higher' else 'low'} together that chance would put {CLUSTER_WINDOW} "
                    "in a row there less than once in 100")
        reasons.append(together)
    allowed = exceptions_allowed(n)
    if above + below > allowed:
        reasons.append(f"{above + below:,} {unit} beyond the limits, where a stable process gives up to {allowed:,}")
    verdict = "not predictable" if reasons else "predictable"
    if not reasons:
        reasons.append(f"no signal was found (the longest run on one side of the median is "
                       f"{longest:,}, where chance gives up to {lmax:,}; the median is crossed {crossings:,} times, "
                       f"where chance gives at least {cmin:,}; no change of level; no {CLUSTER_WINDOW} {unit} in a row "
                       f"apart from the rest)")
    if phi_seen > AUTOCORRELATION_ALLOWED:
        reasons.append(f"neighbouring {unit} are alike (lag-1 autocorrelation {phi_seen:.2f}, more than the "
                       f"{AUTOCORRELATION_ALLOWED} allowed for), so limits drawn from moving ranges are narrower than "
                       "the spread the system keeps to, and this verdict is cautious")
    row.update(verdict=verdict, mean=mean, exceptions=above + below, exceptions_above=above,
               exceptions_below=below, exceptions_allowed=allowed, median=median, longest_run=longest,
               longest_run_max=lmax, crossings=crossings, crossings_min=cmin, change_after=change_after,
               change_p=change_p, autocorrelation=phi_seen, cluster_p=cluster_p, cluster=together,
               reason="; ".join(reasons))
    if verdict == "predictable":
        row.update(lower=lower, upper=upper)
    return pd.DataFrame([row], columns=PREDICTABILITY_COLUMNS)
