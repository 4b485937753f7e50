"""How often studylib.predictability is wrong, on series of known shape.

False alarms: independent values from one unchanging process, in three shapes (normal(10, 2);
gamma(shape 2, scale 3) rounded to half days, many ties; lognormal(1.5, 0.8) rounded to 0.1), at
n = 20, 50, 100, 353 and 1,000: the share called "not predictable". Targets: at most 10% on
average over the cells, at most 15% in any one cell (aim: 5%).

Detection: the same processes with the second half shifted up by 2 standard deviations, at n = 24
and 100: the share called "not predictable". Targets: at least 95% at n = 100 (normal and gamma),
at least 60% at n = 24 (aim: 85%).

    python benchmarks/bench_predictability.py [--series 1000] [--seed 1] [--point-rules]

``--point-rules`` prints the baseline instead: the share of the same stable series in which any
point carries a Making Data Count signal, the fixed-length rules the verdict replaced.

Prints markdown tables (the README carries them). The same simulation, with fewer series, runs in
tests/test_predictability.py.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from studylib.measures.predictability import predictability
from studylib.measures.xmr import xmr

SHAPES = {
    "normal(10, 2)": (lambda rng, n: rng.normal(10, 2, n), 2.0),
    "gamma(2, 3), half days": (lambda rng, n: np.round(rng.gamma(2, 3, n) * 2) / 2, np.sqrt(2) * 3),
    "lognormal(1.5, 0.8), 0.1": (lambda rng, n: np.round(rng.lognormal(1.5, 0.8, n), 1),
                                 float(np.sqrt((np.exp(0.64) - 1) * np.exp(3 + 0.64)))),
}
STABLE_N = (20, 50, 100, 353, 1000)
SHIFT_N = (24, 100)


def not_predictable_share(shape: str, n: int, series: int, rng, shift_sd: float = 0.0) -> float:
    draw, sd = SHAPES[shape]
    called = 0
    for _ in range(series):
        y = draw(rng, n)
        if shift_sd:
            y[n // 2:] += shift_sd * sd
        called += predictability(y)["verdict"].item() == "not predictable"
    return called / series


def false_alarms(series: int, seed: int) -> dict[tuple[str, int], float]:
    rng = np.random.default_rng(seed)
    return {(shape, n): not_predictable_share(shape, n, series, rng) for shape in SHAPES for n in STABLE_N}


def detections(series: int, seed: int) -> dict[tuple[str, int], float]:
    rng = np.random.default_rng(seed + 1)
    return {(shape, n): not_predictable_share(shape, n, series, rng, shift_sd=2.0)
            for shape in SHAPES for n in SHIFT_N}


def point_rule_alarms(series: int, seed: int) -> dict[tuple[str, int], float]:
    """The same stable series judged the old way: "not stable" when any point carries a Making Data
    Count signal (beyond the limits, 7 on one side, a 7-point trend, 2 of 3 near a limit)."""
    rng = np.random.default_rng(seed)
    out = {}
    for shape in SHAPES:
        draw, _ = SHAPES[shape]
        for n in STABLE_N:
            out[shape, n] = float(np.mean([(xmr(draw(rng, n))["special_cause"] != "none").any()
                                           for _ in range(series)]))
    return out


def print_table(title: str, sizes, shares: dict[tuple[str, int], float]) -> None:
    """A markdown table: one row per process, one column per series length."""
    print(title + "\n")
    print("| process | " + " | ".join(f"n = {n:,}" for n in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for shape in SHAPES:
        print(f"| {shape} | " + " | ".join(f"{shares[shape, n]:.1%}" for n in sizes) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--point-rules", action="store_true",
                        help="only the baseline: any point signal makes a series 'not stable'")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.point_rules:
        print_table(f"Stable series with any point signal ({args.series:,} series a cell):", STABLE_N,
                    point_rule_alarms(args.series, args.seed))
        return 0
    fa = false_alarms(args.series, args.seed)
    print_table(f"Stable series called \"not predictable\" ({args.series:,} series a cell; target: <= 10% on "
                "average, <= 15% in any cell):", STABLE_N, fa)
    print(f"\naverage {np.mean(list(fa.values())):.1%}, largest {max(fa.values()):.1%}\n")
    print_table("A shift of 2 standard deviations in the second half, called \"not predictable\" "
                "(target: >= 95% at n = 100, >= 60% at n = 24):", SHIFT_N, detections(args.series, args.seed))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
