"""How often studylib.predictability is wrong, on series of known shape.

False alarms: series from one unchanging process, at n = 12, 20, 100, 353, 1,000 and 5,000: the
share called "not predictable". Seven processes: normal(10, 2); gamma(2, 3); lognormal(1.5, 0.8)
and lognormal(1.5, 1.2) (very skewed end-to-end times); Poisson(3), whole days (ties at the
median); and stationary AR(1) series with phi = 0.2 and 0.3 (neighbours alike, still one process
in Wheeler's sense). Target: at most 5% in every cell (aim near 4%, so that no cell drifts over 5%
by chance).

Power: a shift of 2 standard deviations halfway through 24 and 100 points, and a bad week (seven
cases in a row 3 standard deviations high, anywhere) in 353, on three shapes. Targets: a shift at
n = 100 and a bad week at n = 353 found at least 80% of the time, a shift at n = 24 at least 60%.

Coverage: limits drawn from the first n points of a stable process, and the share of the next
1,000 that fall between them: how often the range a page states holds.

    python benchmarks/bench_predictability.py [--series 1000] [--seed 1] [--point-rules]

``--point-rules`` prints the baseline instead: the share of the same stable series in which any
point carries a Making Data Count signal, the fixed-length rules the verdict replaced.

Prints markdown tables (the README carries them). The same simulation, with 150 series a cell,
runs in tests/test_predictability.py.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from studylib.measures.predictability import predictability
from studylib.measures.xmr import xmr


def _lognormal_sd(mu: float, sigma: float) -> float:
    return float(np.sqrt((np.exp(sigma ** 2) - 1) * np.exp(2 * mu + sigma ** 2)))


def _ar1(phi: float):
    """A stationary AR(1) series around 10: each point phi of the one before plus new noise."""
    def draw(rng, n):
        noise = rng.normal(0, 1, n + 50)
        y = np.empty_like(noise)
        y[0] = noise[0] / np.sqrt(1 - phi ** 2)
        for i in range(1, len(noise)):
            y[i] = phi * y[i - 1] + noise[i]
        return 10 + y[50:]
    return draw


#: name -> (draw(rng, n), the process's standard deviation)
SHAPES = {
    "normal(10, 2)": (lambda rng, n: rng.normal(10, 2, n), 2.0),
    "gamma(2, 3)": (lambda rng, n: rng.gamma(2, 3, n), np.sqrt(2) * 3),
    "lognormal(1.5, 0.8)": (lambda rng, n: rng.lognormal(1.5, 0.8, n), _lognormal_sd(1.5, 0.8)),
    "lognormal(1.5, 1.2)": (lambda rng, n: rng.lognormal(1.5, 1.2, n), _lognormal_sd(1.5, 1.2)),
    "Poisson(3), whole days": (lambda rng, n: rng.poisson(3, n).astype(float), np.sqrt(3)),
    "AR(1), phi 0.2": (_ar1(0.2), 1 / np.sqrt(1 - 0.04)),
    "AR(1), phi 0.3": (_ar1(0.3), 1 / np.sqrt(1 - 0.09)),
}
STABLE_N = (12, 20, 100, 353, 1000, 5000)
POWER_SHAPES = ("normal(10, 2)", "gamma(2, 3)", "lognormal(1.5, 0.8)")
POWER = {"shift of 2 SD, n = 24": (24, "shift"), "shift of 2 SD, n = 100": (100, "shift"),
         "bad week, n = 353": (353, "week")}
COVERAGE_N = (20, 100, 353)


def _called(y) -> bool:
    return predictability(y)["verdict"].item() == "not predictable"


def false_alarms(series: int, seed: int, sizes=STABLE_N, shapes=SHAPES) -> dict[tuple[str, int], float]:
    """The share of stable series called "not predictable", per process and length."""
    rng = np.random.default_rng(seed)
    return {(shape, n): float(np.mean([_called(SHAPES[shape][0](rng, n)) for _ in range(series)]))
            for shape in shapes for n in sizes}


def detections(series: int, seed: int) -> dict[tuple[str, str], float]:
    """The share of changed series called "not predictable": a shift of 2 SD halfway, or a bad week
    (seven points in a row 3 SD high, placed anywhere)."""
    rng = np.random.default_rng(seed + 1)
    out = {}
    for shape in POWER_SHAPES:
        draw, sd = SHAPES[shape]
        for name, (n, kind) in POWER.items():
            found = 0
            for _ in range(series):
                y = draw(rng, n)
                if kind == "shift":
                    y[n // 2:] += 2 * sd
                else:
                    at = int(rng.integers(0, n - 7))
                    y[at:at + 7] += 3 * sd
                found += _called(y)
            out[shape, name] = found / series
    return out


def coverage(series: int, seed: int) -> dict[tuple[str, int], float]:
    """The share of the next 1,000 points between limits drawn from the first n, averaged over the
    stable series (of the processes without autocorrelation) that are called predictable."""
    rng = np.random.default_rng(seed + 2)
    out = {}
    for shape, (draw, _) in SHAPES.items():
        if shape.startswith("AR"):
            continue
        for n in COVERAGE_N:
            shares = []
            for _ in range(series):
                y = draw(rng, n + 1000)
                row = predictability(y[:n]).iloc[0]
                if row["verdict"] == "predictable":
                    later = y[n:]
                    shares.append(float(np.mean((later >= row["lower"]) & (later <= row["upper"]))))
            out[shape, n] = float(np.mean(shares)) if shares else float("nan")
    return out


def point_rule_alarms(series: int, seed: int) -> dict[tuple[str, int], float]:
    """The same stable series judged the old way: "not stable" when any point carries a Making Data
    Count signal (beyond the limits, 7 on one side, a 7-point trend, 2 of 3 near a limit)."""
    rng = np.random.default_rng(seed)
    return {(shape, n): float(np.mean([(xmr(SHAPES[shape][0](rng, n))["special_cause"] != "none").any()
                                       for _ in range(series)]))
            for shape in SHAPES for n in STABLE_N}


def print_table(title: str, columns, shares: dict, rows=SHAPES) -> None:
    """A markdown table: one row per process, one column per length or change."""
    print(title + "\n")
    print("| process | " + " | ".join(f"n = {c:,}" if isinstance(c, int) else str(c) for c in columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for shape in rows:
        if any((shape, c) in shares for c in columns):
            print(f"| {shape} | " + " | ".join(f"{shares[shape, c]:.1%}" for c in columns) + " |")
    print()


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
    print_table(f"Stable series called \"not predictable\" ({args.series:,} series a cell; target: at most 5% "
                "in every cell):", STABLE_N, fa)
    print(f"largest {max(fa.values()):.1%}, average {np.mean(list(fa.values())):.1%}\n")
    print_table(f"Changed series called \"not predictable\" ({args.series:,} series a cell; targets: 80% for a "
                "shift at n = 100 and a bad week at n = 353, 60% for a shift at n = 24):", list(POWER),
                detections(args.series, args.seed), rows=POWER_SHAPES)
    cover_series = max(args.series // 5, 20)
    print_table(f"The share of the next 1,000 points between limits drawn from the first n, where those n are "
                f"called predictable ({cover_series:,} series a cell):", COVERAGE_N, coverage(cover_series, args.seed))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
