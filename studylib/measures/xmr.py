"""The XmR (process behaviour) engine, as NHS "Making Data Count" charts compute it.

:func:`xmr` reproduces NHSRplotthedots 0.2.2 exactly (limits, special-cause rules, point types,
short-group warnings, assurance), tested against that package's own output in
``../shared/data/spc/``. Other traditions are options: qicharts2's I chart (sigma = mean moving
range / 1.128, three sigma) and Wheeler's median moving range (3.145). :func:`runs_analysis` is
Anhøj's runs analysis around the median, as qicharts2 computes it.

Everything is vectorised over all facets and groups at once: a million points take well under a
second (``benchmarks/bench_xmr.py``).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import StudylibError

__all__ = ["xmr", "xmr_summary", "runs_analysis", "runs_around", "anhoej_limits", "XMR_COLUMNS",
           "SPECIAL_CAUSES", "POINT_TYPES", "SCREEN_FACTOR"]

XMR_COLUMNS = ["x", "facet", "value", "moving_range", "group", "mean", "lower_limit",
               "upper_limit", "special_cause", "point_type", "short_group_warning"]
#: Rule names, in precedence order, high side then low side.
SPECIAL_CAUSES = ["above upper limit", "below lower limit", "trend up", "trend down",
                  "two in three above", "two in three below", "shift above", "shift below", "none"]
POINT_TYPES = ["common_cause", "special_cause_improvement", "special_cause_concern",
               "special_cause_neutral_high", "special_cause_neutral_low"]
_HIGH = {"above upper limit", "trend up", "two in three above", "shift above"}
_CODE = {name: i for i, name in enumerate(SPECIAL_CAUSES)}
_NONE = _CODE["none"]

# Scaling constants of each tradition: limits = centre +/- K x (mean or median) moving range.
_METHODS = {
    "nhs": ("mean", 2.66),            # Making Data Count / NHSRplotthedots
    "qicharts2": ("mean", 3 / 1.128),  # sigma = MRbar / d2, d2 = 1.128
    "median": ("median", 3.145),      # Wheeler: 3 x median MR / 0.954
}
#: The upper range limit, D4 x the mean moving range: a moving range above it is screened out of the limits.
SCREEN_FACTOR = 3.267


def _run_so_far(cond: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For each row, how many rows in a row (ending here) meet ``cond``, within its group."""
    c = cond.astype(bool)
    n = len(c)
    idx = np.arange(n)
    # the last row at or before i that broke the run (cond False, or a group start)
    broke = np.where(~c, idx, np.where(starts, idx - 1, -1))
    last_break = np.maximum.accumulate(broke) if n else broke
    return np.where(c, idx - last_break, 0)


def _seven_point_one_side(rtm: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """+1/-1 at each row that completes 7 in a row above/below the mean (NHSRplotthedots'
    ``ptd_seven_point_one_side_mean``); a point on the mean or missing (rtm 0) breaks it."""
    up = _run_so_far(rtm == 1, starts) >= 7
    down = _run_so_far(rtm == -1, starts) >= 7
    return up.astype(np.int64) - down.astype(np.int64)


def _seven_point_trend(step: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """+1/-1 at each row that completes 6 strict rises/falls (7 points); ``step`` is the
    difference from the previous row of the group (missing at a group start or a gap)."""
    with np.errstate(invalid="ignore"):
        up = _run_so_far(step > 0, starts) >= 6
        down = _run_so_far(step < 0, starts) >= 6
    return up.astype(np.int64) - down.astype(np.int64)


def _extend_back(ends: np.ndarray, starts: np.ndarray, width: int = 7) -> np.ndarray:
    """Rows that are part of a ``width``-row pattern flagged at its last row (``ptd_part_of_*``):
    row i is part of one when a flag stands at i..i+width-1 within the same group."""
    n = len(ends)
    out = ends.astype(bool).copy()
    group = np.cumsum(starts)
    for k in range(1, width):
        if k >= n:
            break
        shifted = np.zeros(n, dtype=bool)
        shifted[:-k] = ends[k:].astype(bool) & (group[k:] == group[:-k])
        out |= shifted
    return out


def _two_in_three(close: np.ndarray, rtm: np.ndarray, missing: np.ndarray,
                  starts: np.ndarray) -> np.ndarray:
    """Rows in a window of 3 consecutive rows of one group, none missing, all strictly on one
    side of the mean, at least 2 of them close to a limit (``ptd_two_in_three``). The caller
    keeps only the close points of such windows (``ptd_part_of_two_in_three``)."""
    n = len(close)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    same_group = (~starts[1:-1]) & (~starts[2:])
    w_ok = same_group & ~missing[:-2] & ~missing[1:-1] & ~missing[2:]
    w_side = (rtm[:-2] == rtm[1:-1]) & (rtm[1:-1] == rtm[2:]) & (rtm[:-2] != 0)
    w_close = close[:-2].astype(int) + close[1:-1] + close[2:]
    window = w_ok & w_side & (w_close >= 2)
    for offset in range(3):
        out[offset:n - 2 + offset] |= window
    return out


def _group_reduce(values: np.ndarray, codes: np.ndarray, n_groups: int, how: str) -> np.ndarray:
    """Per-group mean or median of the non-missing values (NaN for a group with none)."""
    ok = ~np.isnan(values)
    if how == "mean":
        total = np.bincount(codes[ok], weights=values[ok], minlength=n_groups)
        count = np.bincount(codes[ok], minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    s = pd.Series(values[ok]).groupby(codes[ok]).median()
    out = np.full(n_groups, np.nan)
    out[s.index.to_numpy()] = s.to_numpy()
    return out


def _rebase_starts(x: pd.Series, facet: pd.Series, rebase_at) -> np.ndarray:
    n = len(x)
    starts = np.zeros(n, dtype=bool)
    if rebase_at is None:
        return starts
    if isinstance(rebase_at, dict):
        for f, values in rebase_at.items():
            vals = _as_x_values(values, x)
            starts |= ((facet == f) & x.isin(vals)).to_numpy()
    else:
        starts |= x.isin(_as_x_values(rebase_at, x)).to_numpy()
    return starts


def _as_float(values) -> np.ndarray:
    """Values as floats; anything that is not a number (None, '', 'n/a') becomes missing."""
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype("float64")
    return pd.to_numeric(pd.Series(arr, dtype=object), errors="coerce").astype("float64").to_numpy()


def _as_x_values(values, x: pd.Series):
    values = [values] if np.isscalar(values) or isinstance(values, (pd.Timestamp, str)) else list(values)
    if pd.api.types.is_datetime64_any_dtype(x):
        tz = getattr(x.dt, "tz", None)
        conv = pd.to_datetime(pd.Series(values))
        if tz is not None and conv.dt.tz is None:
            conv = conv.dt.tz_localize(tz)
        return list(conv)
    return values


def xmr(values, x=None, *, facet=None, rebase_at=None, fix_after_n_points: int | None = None,
        screen_outliers: bool = True, improvement: str = "increase", target: float | None = None,
        method: str = "nhs", short_group_threshold: int = 13) -> pd.DataFrame:
    """An XmR chart's numbers, one row per point, as NHSRplotthedots computes them.

    Parameters
    ----------
    values : array-like
        The measured values, in any order (missing values allowed).
    x : array-like, optional
        Their order (dates or numbers); default 0..n-1 within each facet, in the order given.
    facet : array-like, optional
        A facet per point; each facet is charted on its own.
    rebase_at : x value(s), or dict {facet: x values}
        A new group (recalculated limits) starts at each row whose x equals one of these;
        values matching no x are ignored.
    fix_after_n_points : int, optional
        Limits from each group's first n rows only (n >= 12; missing rows counted); a group of n
        rows or fewer uses all its rows.
    screen_outliers : bool
        Leave out moving ranges >= 3.267 x their mean, once, before the limits (default, as
        NHSRplotthedots; the NHS Excel tool does not screen).
    improvement : {"increase", "decrease", "neutral"}
        Which direction is better; turns high/low signals into improvement or concern.
    target : float, optional
        Kept for :func:`xmr_summary` (assurance).
    method : {"nhs", "qicharts2", "median"}
        ``nhs``: mean +/- 2.66 x mean moving range. ``qicharts2``: mean +/- 3 x MRbar / 1.128.
        ``median``: Wheeler's mean +/- 3.145 x median moving range.
    short_group_threshold : int
        Groups with fewer rows than this (missing counted) get ``short_group_warning``.

    Returns
    -------
    DataFrame, one row per point, sorted stably by facet then x, with columns
    ``x, facet, value, moving_range, group, mean, lower_limit, upper_limit, special_cause,
    point_type, short_group_warning``.

    ``moving_range`` is |difference| from the previous point of the same group: missing at a
    group's first row and next to a missing value. It shows the ranges *used for the limits*:
    a range screened out, or one after the first n rows when the limits are fixed on n points,
    is shown as missing. ``group`` numbers the rebase groups within a facet from 0. No floor is
    applied to the lower limit here: a capability chart of times floors it for display.
    ``special_cause`` is the rule that fired, the first that applies of: above/below the limits,
    trend up/down (7 points, 6 strict steps), two in three above/below (beyond two thirds of the
    way to a limit), shift above/below (7+ on one side of the mean), else "none".

    Examples
    --------
    >>> r = xmr([5, 6, 5, 7, 6, 5, 6, 20, 6, 5, 6, 5, 6])
    >>> r.loc[7, "special_cause"], r.loc[7, "point_type"]
    ('above upper limit', 'special_cause_improvement')
    """
    if improvement not in ("increase", "decrease", "neutral"):
        raise StudylibError(f"improvement must be 'increase', 'decrease' or 'neutral', got {improvement!r}")
    if method not in _METHODS:
        raise StudylibError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    if fix_after_n_points is not None and fix_after_n_points < 12:
        raise StudylibError(f"fix_after_n_points must be at least 12 (limits from fewer points "
                            f"are not reliable), got {fix_after_n_points}")
    y = _as_float(values)
    n = len(y)
    if facet is None:
        f = pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=["no facet"]))
    else:
        f = pd.Series(facet.to_numpy() if isinstance(facet, (pd.Series, pd.Index)) else np.asarray(facet, dtype=object))
    if x is None:
        xs = pd.Series(f.groupby(f, sort=False).cumcount().to_numpy())
    else:
        xs = pd.Series(x.to_numpy() if isinstance(x, (pd.Series, pd.Index)) else x)
    if len(xs) != n or len(f) != n:
        raise StudylibError(f"values, x and facet must be the same length ({n}, {len(xs)}, {len(f)})")
    frame = pd.DataFrame({"x": xs.to_numpy(), "facet": f.to_numpy(), "value": y})
    # stable sort by facet (in order of first appearance when unorderable) then x
    try:
        frame = frame.sort_values(["facet", "x"], kind="stable").reset_index(drop=True)
    except TypeError:
        order = {k: i for i, k in enumerate(pd.unique(frame["facet"]))}
        frame["_f"] = frame["facet"].map(order)
        frame = frame.sort_values(["_f", "x"], kind="stable").drop(columns="_f").reset_index(drop=True)
    y = frame["value"].to_numpy()
    fcode = pd.factorize(frame["facet"])[0]
    facet_start = np.concatenate(([True], fcode[1:] != fcode[:-1])) if n else np.zeros(0, bool)
    rebase = _rebase_starts(frame["x"], frame["facet"], rebase_at) & ~facet_start
    starts = facet_start | rebase
    gcode = np.cumsum(starts) - 1 if n else np.zeros(0, dtype=np.int64)
    n_groups = int(gcode[-1]) + 1 if n else 0
    # group number within facet
    first_group_of_facet = np.maximum.accumulate(np.where(facet_start, gcode, 0)) if n else gcode
    frame["group"] = (gcode - first_group_of_facet).astype(np.int64)
    pos = np.arange(n) - np.maximum.accumulate(np.where(starts, np.arange(n), 0)) if n else np.zeros(0, np.int64)
    size = np.bincount(gcode, minlength=n_groups)[gcode] if n else np.zeros(0, np.int64)

    missing = np.isnan(y)
    mr = np.abs(np.diff(y, prepend=np.nan))
    mr[starts] = np.nan
    base = np.ones(n, dtype=bool)
    if fix_after_n_points is not None:
        base = (size <= fix_after_n_points) | (pos < fix_after_n_points)
    centre = _group_reduce(np.where(base, y, np.nan), gcode, n_groups, "mean")
    mr_base = np.where(base, mr, np.nan)
    how, k = _METHODS[method]
    raw_amr = _group_reduce(mr_base, gcode, n_groups, "mean")
    used = mr_base.copy()
    if screen_outliers:
        limit = SCREEN_FACTOR * raw_amr[gcode]
        with np.errstate(invalid="ignore"):
            used[~(mr_base < limit)] = np.nan
    spread = _group_reduce(used, gcode, n_groups, how)
    no_limits = ~(raw_amr > 0)     # all ranges zero, or no range at all
    spread = np.where(no_limits, np.nan, spread)
    mean = centre[gcode]
    lpl = mean - k * spread[gcode]
    upl = mean + k * spread[gcode]
    frame["moving_range"] = used
    frame["mean"], frame["lower_limit"], frame["upper_limit"] = mean, lpl, upl

    has_limits = ~np.isnan(upl)
    with np.errstate(invalid="ignore"):
        rtm = np.where(missing, 0, np.sign(y - mean)).astype(np.int64)
        above = has_limits & (y > upl)
        below = has_limits & (y < lpl)
        outside = above | below
        close = has_limits & ~outside & ~missing & (np.abs(y - mean) > (2.0 / 3.0) * (upl - mean))

    # -- trend: 7 points with 6 strict rises (or falls); a tie or a missing value breaks it
    with np.errstate(invalid="ignore"):
        step = np.diff(y, prepend=np.nan)
    step[starts] = np.nan
    in_trend = _extend_back(_seven_point_trend(step, starts) != 0, starts)
    nxt_same = np.concatenate((~starts[1:], [False])) if n else np.zeros(0, bool)
    next_in_trend = np.concatenate((in_trend[1:], [False])) & nxt_same
    step_next = np.concatenate((step[1:], [np.nan]))
    trend_up = in_trend & np.where(next_in_trend, step_next > 0, step > 0)

    # -- two in three, then shift (7 or more in a row on one side of the mean)
    two3 = _two_in_three(close, rtm, missing, starts) & close
    shift = _extend_back(_seven_point_one_side(rtm, starts) != 0, starts)

    # rule codes index SPECIAL_CAUSES; later assignments take precedence
    code = np.full(n, _NONE, dtype=np.int8)
    high = rtm > 0
    for flag, hi_name, lo_name in ((shift, "shift above", "shift below"),
                                   (two3, "two in three above", "two in three below")):
        code = np.where(flag, np.where(high, _CODE[hi_name], _CODE[lo_name]), code)
    code = np.where(in_trend, np.where(trend_up, _CODE["trend up"], _CODE["trend down"]), code)
    code = np.where(outside, np.where(high, _CODE["above upper limit"], _CODE["below lower limit"]), code)
    code = np.where(missing | ~has_limits, _NONE, code).astype(np.int8)
    frame["special_cause"] = pd.Categorical.from_codes(code, categories=SPECIAL_CAUSES)
    frame["point_type"] = _point_types(code, improvement)
    frame["short_group_warning"] = size < short_group_threshold
    frame.attrs.update({"improvement": improvement, "target": target, "method": method,
                        "screen_outliers": screen_outliers})
    return frame[XMR_COLUMNS]


def _point_types(code: np.ndarray, improvement: str) -> pd.Categorical:
    is_high = np.isin(code, [_CODE[c] for c in _HIGH])
    if improvement == "neutral":
        hi, lo = "special_cause_neutral_high", "special_cause_neutral_low"
    elif improvement == "increase":
        hi, lo = "special_cause_improvement", "special_cause_concern"
    else:
        hi, lo = "special_cause_concern", "special_cause_improvement"
    pcode = np.where(code == _NONE, 0, np.where(is_high, POINT_TYPES.index(hi), POINT_TYPES.index(lo)))
    return pd.Categorical.from_codes(pcode.astype(np.int8), categories=POINT_TYPES)


def xmr_summary(result: pd.DataFrame, *, target: float | None = None,
                improvement: str | None = None) -> pd.DataFrame:
    """Per facet: the variation icon and the assurance icon, as Making Data Count shows them.

    ``variation`` is the point type of the facet's row with the largest x. ``assurance`` compares
    the target with the last row's limits: a target above the upper limit is ``consistent_fail``
    when higher is better (``consistent_pass`` when lower is better), below the lower limit the
    reverse, otherwise ``inconsistent``; missing with no target or a neutral direction.

    Returns
    -------
    DataFrame with columns ``facet, n_points, mean, lower_limit, upper_limit, variation,
    target, assurance``.
    """
    target = result.attrs.get("target") if target is None else target
    improvement = improvement or result.attrs.get("improvement", "increase")
    rows = []
    for f, part in result.groupby("facet", sort=False):
        last = part.iloc[-1]
        latest = part.loc[part["x"].idxmax()] if part["x"].notna().any() else last
        assurance = None
        if target is not None and improvement != "neutral" and not np.isnan(last["upper_limit"]):
            if target > last["upper_limit"]:
                assurance = "consistent_fail" if improvement == "increase" else "consistent_pass"
            elif target < last["lower_limit"]:
                assurance = "consistent_pass" if improvement == "increase" else "consistent_fail"
            else:
                assurance = "inconsistent"
        rows.append({"facet": f, "n_points": int(part["value"].notna().sum()), "mean": last["mean"],
                     "lower_limit": last["lower_limit"], "upper_limit": last["upper_limit"],
                     "variation": latest["point_type"], "target": target, "assurance": assurance})
    return pd.DataFrame(rows, columns=["facet", "n_points", "mean", "lower_limit", "upper_limit",
                                       "variation", "target", "assurance"])


def anhoej_limits(n_useful: int) -> tuple[int, int]:
    """Anhøj's critical values for ``n_useful`` points: (longest run max, crossings min).

    Longest run max = round(log2(n) + 3); crossings min = the 5th percentile of
    Binomial(n - 1, 0.5) (R's ``qbinom(0.05, n - 1, 0.5)``), the smallest k with
    P(X <= k) >= 0.05.

    The quantile takes constant time at any n: scipy's binomial distribution function (the
    regularised incomplete beta function) gives P(X <= k) and P(X <= k - 1) to about 1e-14 of
    their size, and the answer is taken from it only when both stand clear of 5% by far more than
    that. Otherwise the exact sum of big-integer binomial coefficients decides (it never has to for
    any n up to 1,000,000; ``tests/test_xmr.py`` holds every n up to 5,000 to the exact sum).

    Examples
    --------
    >>> anhoej_limits(24)
    (8, 8)
    >>> anhoej_limits(1_000_000)
    (23, 499177)
    """
    n_useful = int(n_useful)
    if n_useful < 1:
        return (0, 0)
    longest = int(math.floor(math.log2(n_useful) + 3 + 0.5))
    return longest, _crossings_min(n_useful - 1)


#: How far, relative to 5%, both P(X <= k) and P(X <= k - 1) must stand from 5% for the floating
#: point answer to be certain; scipy's bdtr is accurate to about 1e-14 relative.
_QUANTILE_MARGIN = 1e-9


def _crossings_min(trials: int) -> int:
    """The smallest k with P(X <= k) >= 5%, X ~ Binomial(trials, 1/2)."""
    from scipy.special import bdtr
    if trials == 0:
        return 0
    k = int(max(0.0, math.floor(trials / 2 + 0.5 * math.sqrt(trials) * -1.6448536269514722)))
    # Walk from the normal approximation to the quantile: a step or two at any n.
    while k > 0 and bdtr(k - 1, trials, 0.5) >= 0.05:
        k -= 1
    while bdtr(k, trials, 0.5) < 0.05:
        k += 1
    close = [abs(p - 0.05) <= _QUANTILE_MARGIN * 0.05
             for p in (bdtr(k, trials, 0.5), bdtr(k - 1, trials, 0.5) if k > 0 else 0.0)]
    return _crossings_min_exact(trials) if any(close) else k


def _crossings_min_exact(trials: int) -> int:
    """The same quantile by the exact sum of binomial coefficients, each term from the last."""
    # P(X <= k) >= 5%  <=>  20 * sum(comb) >= 2**trials, in integers
    total, k, term, bound = 0, 0, 1, 2 ** trials
    while True:
        total += term
        if 20 * total >= bound:
            return k
        term = term * (trials - k) // (k + 1)
        k += 1


def runs_around(y: np.ndarray, line: float) -> tuple[int, int, int, str | None]:
    """The runs of ``y`` (no missing values) around a centre line: the longest run, the number of
    crossings, the useful points (those not on the line) and the side of the longest run ("above",
    "below", or None without points)."""
    side = np.sign(y - line)
    side = side[side != 0]
    if not len(side):
        return 0, 0, 0, None
    change = np.flatnonzero(side[1:] != side[:-1])
    bounds = np.concatenate(([0], change + 1, [len(side)]))
    lengths = np.diff(bounds)
    at = int(np.argmax(lengths))
    return int(lengths[at]), len(change), len(side), "above" if side[bounds[at]] > 0 else "below"


def runs_analysis(values, *, centre: str | float = "median") -> pd.DataFrame:
    """Anhøj's runs analysis around a centre line, as qicharts2 does it.

    Parameters
    ----------
    values : array-like
        The points in order; missing values are left out.
    centre : "median", "mean" or a number
        The centre line. A run chart uses the median (the default); qicharts2 runs the same
        analysis on an I chart around its centre line, the mean.

    Points on the centre line are not useful: they neither extend nor break a run and are not
    counted. A signal is a run longer than ``longest_run_max`` or fewer crossings than
    ``n_crossings_min`` (:func:`anhoej_limits`).

    Returns
    -------
    One-row DataFrame: ``longest_run, longest_run_max, n_crossings, n_crossings_min, runs_signal,
    n_useful``.

    Examples
    --------
    >>> runs_analysis([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])["n_crossings"].item()
    1
    """
    y = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    y = y[~np.isnan(y)]
    if centre == "median":
        line = float(np.median(y)) if len(y) else np.nan
    elif centre == "mean":
        line = float(np.mean(y)) if len(y) else np.nan
    else:
        line = float(centre)
    longest, n_cross, n_useful, _ = runs_around(y, line)
    lmax, cmin = anhoej_limits(n_useful)
    return pd.DataFrame([{"longest_run": longest, "longest_run_max": lmax, "n_crossings": n_cross,
                          "n_crossings_min": cmin,
                          "runs_signal": bool(n_useful and (longest > lmax or n_cross < cmin)),
                          "n_useful": n_useful}])
