"""xmr with all rules on 1,000,000 points; target <= 1 s. Anhøj's limits at any n; target < 10 ms
at 70,600 points (a large service's year of cases).

Baseline in the same run: the bare arithmetic of an XmR chart in numpy (mean, moving ranges,
limits, points outside), so the ratio says what the rules, facets and point types cost.

    python benchmarks/bench_xmr.py
"""
from __future__ import annotations

import time

import numpy as np

from studylib.measures import xmr
from studylib.measures.xmr import _crossings_min_exact, anhoej_limits


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n: int = 1_000_000):
    rng = np.random.default_rng(1)
    y = rng.normal(100, 10, n)
    y[rng.integers(0, n, 1000)] = np.nan
    x = np.arange(n)

    def bare():
        mr = np.abs(np.diff(y))
        amr = np.nanmean(mr)
        m = np.nanmean(y)
        return (y > m + 2.66 * amr) | (y < m - 2.66 * amr)

    def full():
        return xmr(y, x)

    t_bare, t_full = best_of(bare), best_of(full)
    r = full()
    print(f"points: {n:,}; special causes found: {(r['special_cause'] != 'none').sum():,}")
    print(f"bare numpy XmR arithmetic: {t_bare:.3f} s")
    print(f"studylib.xmr, all rules:   {t_full:.3f} s  (target <= 1 s; {t_full / t_bare:.1f}x the bare arithmetic)")
    facets = np.repeat(np.arange(1000), n // 1000)
    t_facets = best_of(lambda: xmr(y, x, facet=facets), repeat=3)
    print(f"studylib.xmr, 1,000 facets: {t_facets:.3f} s")

    anhoej()


def anhoej():
    """anhoej_limits against the exact sum of binomial coefficients, each term from the last (the
    baseline; the sum by math.comb term by term that it replaced took 22 s at 20,000 points)."""
    anhoej_limits(10)                                  # scipy's import, once
    print("Anhøj's limits: points, constant-time call, exact sum (baseline)")
    for n in (1_000, 5_000, 20_000, 70_600, 1_000_000):
        fast = best_of(lambda: anhoej_limits(n))
        exact = f"{best_of(lambda: _crossings_min_exact(n - 1), repeat=1):.3f} s" if n <= 70_600 else "(not timed)"
        print(f"  {n:>9,}: {fast * 1e3:.3f} ms  {exact}")


if __name__ == "__main__":
    main()
