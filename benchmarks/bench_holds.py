"""How often "the redesign holds" is wrong, on redesigned systems of known shape.

A system since a change: its first 30 cases set the limits, then ``weeks`` weeks of ``per_week``
cases a week arrive (the sample's repairs: about 40 a week). False alarms: every case from one
unchanging process, in five shapes (normal; gamma; lognormal with sigma 0.8 and 1.2; whole days
from a Poisson process), called "no longer holds". Detection: the same, with every case from the
middle week on taking ``shift`` standard deviations longer (1 SD; and a week longer, as the
test's deterioration does, where the shape's SD is under a week), found.

    python benchmarks/bench_holds.py [--series 1000] [--seed 1]

Prints markdown tables. The same simulation, with fewer series, runs in tests/test_ledger.py.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from studylib.measures.holds import redesign_holds

#: name -> (draw(rng, n), standard deviation of one case)
SHAPES = {
    "normal(5, 1.5)": (lambda rng, n: np.clip(rng.normal(5, 1.5, n), 0, None), 1.5),
    "gamma(2, 2)": (lambda rng, n: rng.gamma(2, 2, n), np.sqrt(2) * 2),
    "lognormal(1.5, 0.8)": (lambda rng, n: rng.lognormal(1.5, 0.8, n),
                            float(np.sqrt((np.exp(0.64) - 1) * np.exp(3 + 0.64)))),
    "lognormal(1.0, 1.2)": (lambda rng, n: rng.lognormal(1.0, 1.2, n),
                            float(np.sqrt((np.exp(1.44) - 1) * np.exp(2 + 1.44)))),
    "Poisson(3), whole days": (lambda rng, n: rng.poisson(3, n).astype(float), np.sqrt(3)),
}


def simulated_chart(values: np.ndarray, per_week: int, start="2025-03-10") -> pd.DataFrame:
    """A capability chart of one system since a change on ``start``: ``per_week`` arrivals a week."""
    n = len(values)
    arrived = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(np.arange(n) * 7 / per_week, unit="D")
    chart = pd.DataFrame({"case_id": [f"C{i}" for i in range(n)], "value": values, "group": 1,
                          "arrived": arrived, "edge": False, "service": "Repairs"})
    chart.attrs["changes"] = [{"date": pd.Timestamp(start, tz="UTC"), "what": "redesign"}]
    return chart


def no_longer_holds_share(shape: str, *, series: int, rng, weeks: int = 12, per_week: int = 40,
                          shift: float = 0.0, freeze: int = 30) -> float:
    """The share of ``series`` simulated systems called "no longer holds"; ``shift`` (in days) is
    added to every case from the middle of the later weeks on."""
    draw = SHAPES[shape][0]
    n = freeze + weeks * per_week
    called = 0
    for _ in range(series):
        y = draw(rng, n)
        if shift:
            y[freeze + (weeks // 2) * per_week:] += shift
        called += redesign_holds(simulated_chart(y, per_week), freeze=freeze)["status"] == "no longer holds"
    return called / series


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    cells = [(12, 40), (26, 40), (52, 10), (52, 40)]
    print(f"False alarms: stable systems called \"no longer holds\", % of {args.series} (30 cases frozen)\n")
    print("| shape | " + " | ".join(f"{w} weeks x {k}" for w, k in cells) + " |")
    print("| --- |" + " --- |" * len(cells))
    for shape in SHAPES:
        shares = [no_longer_holds_share(shape, series=args.series, rng=rng, weeks=w, per_week=k) for w, k in cells]
        print(f"| {shape} | " + " | ".join(f"{100 * s:.1f}" for s in shares) + " |")
    print(f"\nDetection: a slowdown from the middle week of 12 (40 cases a week), found, % of {args.series}\n")
    print("| shape | 1 SD longer | a week longer |")
    print("| --- | --- | --- |")
    for shape, (_, sd) in SHAPES.items():
        one = no_longer_holds_share(shape, series=args.series, rng=rng, shift=sd)
        week = no_longer_holds_share(shape, series=args.series, rng=rng, shift=7.0)
        print(f"| {shape} | {100 * one:.1f} | {100 * week:.1f} |")
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
