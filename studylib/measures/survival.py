"""Kaplan-Meier estimates of end-to-end time when some cases are still open.

An open case has waited *at least* its age so far. Dropping it, or counting it as finished at its
last event, makes the service look faster than it is. The Kaplan-Meier estimator uses each open
case for as long as it is known to have waited (it is "censored" there).

Confidence intervals follow R's ``survfit(conf.type = "log-log")`` (also lifelines' default):
Greenwood's variance on the log(-log) scale. A percentile's interval is read off the pointwise
band, as R's ``quantile.survfit`` and lifelines do; a bound the data never reach is infinite.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from statistics import NormalDist

from ..errors import ParameterError

__all__ = ["KaplanMeier"]


class KaplanMeier:
    """Kaplan-Meier estimator with Greenwood log-log confidence bands.

    Parameters
    ----------
    alpha : float
        1 - confidence level of the intervals (default 0.05: 95% intervals).

    Attributes (after :meth:`fit`)
    ------------------------------
    survival_function_ : DataFrame
        One row per distinct event time: ``time, at_risk, events, censored, survival, std_err,
        lower, upper``. ``survival`` is the estimated share of cases still unfinished just after
        ``time``; ``std_err`` is Greenwood's standard error of it.
    median_ : float
        The smallest time at which the estimate falls to 0.5 or below (inf if it never does).
    n_, n_censored_ : int

    Examples
    --------
    >>> km = KaplanMeier().fit([6, 6, 7, 10], observed=[1, 0, 1, 1])
    >>> km.median_
    7.0
    """

    def __init__(self, alpha: float = 0.05):
        if not 0 < alpha < 1:
            raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
        self.alpha = alpha

    def fit(self, durations, observed=None) -> "KaplanMeier":
        """Fit to durations; ``observed`` is False (or 0) where the case is still open."""
        t = np.asarray(durations, dtype=float)
        d = np.ones(len(t), dtype=bool) if observed is None else np.asarray(observed).astype(bool)
        if len(d) != len(t):
            raise ParameterError(f"durations ({len(t)}) and observed ({len(d)}) differ in length")
        if np.isnan(t).any() or (t < 0).any():
            raise ParameterError("durations must be non-negative numbers with none missing")
        self.n_ = len(t)
        self.n_censored_ = int((~d).sum())
        times, inverse = np.unique(t, return_inverse=True)
        events = np.bincount(inverse, weights=d, minlength=len(times)).astype(np.int64)
        total = np.bincount(inverse, minlength=len(times)).astype(np.int64)
        at_risk = len(t) - np.r_[0, np.cumsum(total)[:-1]]
        censored = total - events
        with np.errstate(divide="ignore", invalid="ignore"):
            survival = np.cumprod(1.0 - events / at_risk)
            greenwood = np.cumsum(np.where(events > 0, events / (at_risk * (at_risk - events)), 0.0))
            std_err = survival * np.sqrt(greenwood)
            z = NormalDist().inv_cdf(1 - self.alpha / 2)
            log_s = np.log(survival)
            spread = z * np.sqrt(greenwood) / np.abs(log_s)
            lower = survival ** np.exp(spread)
            upper = survival ** np.exp(-spread)
        # Where S is 1 (no event yet) or 0 (all done), the log-log band is degenerate: use S itself.
        edge = (survival >= 1.0) | (survival <= 0.0)
        lower = np.where(edge, survival, lower)
        upper = np.where(edge, survival, upper)
        frame = pd.DataFrame({"time": times, "at_risk": at_risk, "events": events, "censored": censored,
                              "survival": survival, "std_err": std_err, "lower": lower, "upper": upper})
        self.survival_function_ = frame
        self.median_ = self.percentile(0.5)
        return self

    def _first_time_at_or_below(self, curve: np.ndarray, level: float) -> float:
        times = self.survival_function_["time"].to_numpy()
        hit = np.flatnonzero(curve <= level + 1e-12)
        return float(times[hit[0]]) if len(hit) else float("inf")

    def percentile(self, q: float) -> float:
        """The time by which a share ``q`` of cases is estimated to have finished (inf if never)."""
        self._check_fitted()
        return self._first_time_at_or_below(self.survival_function_["survival"].to_numpy(), 1 - q)

    def percentile_interval(self, q: float) -> tuple[float, float]:
        """Confidence interval of :meth:`percentile`, read off the pointwise band."""
        self._check_fitted()
        sf = self.survival_function_
        # The low band reaches the level first, so it gives the earlier (lower) time.
        return (self._first_time_at_or_below(sf["lower"].to_numpy(), 1 - q),
                self._first_time_at_or_below(sf["upper"].to_numpy(), 1 - q))

    def survival_at(self, times) -> np.ndarray:
        """The estimate just after each of ``times`` (1 before the first event time)."""
        self._check_fitted()
        sf = self.survival_function_
        idx = np.searchsorted(sf["time"].to_numpy(), np.asarray(times, dtype=float), side="right") - 1
        return np.where(idx >= 0, sf["survival"].to_numpy()[np.maximum(idx, 0)], 1.0)

    @property
    def summary(self) -> pd.DataFrame:
        """Median and 85th percentile with their intervals, one row each."""
        rows = []
        for label, q in (("median", 0.5), ("85th percentile", 0.85)):
            lo, hi = self.percentile_interval(q)
            rows.append({"statistic": label, "estimate": self.percentile(q), "lower": lo, "upper": hi})
        return pd.DataFrame(rows)

    def _check_fitted(self) -> None:
        if not hasattr(self, "survival_function_"):
            raise ParameterError("call fit() first")

    def __repr__(self) -> str:
        if not hasattr(self, "survival_function_"):
            return "<KaplanMeier: not fitted>"
        return (f"<KaplanMeier: {self.n_} cases, {self.n_censored_} open (censored), "
                f"median {self.median_:g}>")
