"""case_times against its floor on a matrix of realistic log shapes.

The floor is the least any per-case end-to-end time can cost: a bare pandas
``groupby("case_id", sort=False)["timestamp"]`` max - min on the same frame, timed in the same run:
the floor and case_times one after the other, ``--repeat`` times, best of each (the machine's speed
swings from second to second, so each is timed in the other's company, not in a block of its own). The target is case_times within 2x the floor on every shape.

The shapes cross four things a real log varies in:
- case ids zero-padded (``case-0000042``) or not (``case-42``, of varying length);
- activities as text (what a CSV gives) or as categories;
- rows in log order, or shuffled with the shuffled index kept (not reset);
- timestamps in whole seconds, or with nanoseconds.

    python benchmarks/bench_case_times.py [--cases 1000000] [--events-per-case 10] [--repeat 3] [--shuffled-only]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np
import pandas as pd

from studylib.measures.flow import case_times


def make_log(n_cases: int, per_case: int, *, padded: bool, categories: bool, shuffled: bool, nanoseconds: bool,
             seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_cases * per_case
    case = np.repeat(np.arange(1, n_cases + 1), per_case)
    start = rng.integers(0, 365 * 86400, n_cases)[case - 1].astype(np.int64) * 10**9
    # Each event at least as late as the one before it in its case (the log is in time order).
    step = rng.integers(0, 5 * 86400 * 10**9, n) if nanoseconds else rng.integers(0, 5 * 86400, n) * 10**9
    offset = np.cumsum(step.reshape(n_cases, per_case), axis=1).ravel()
    ts = pd.to_datetime(start + offset, utc=True)
    digits = case.astype(str)
    ids = np.char.add("case-", np.char.zfill(digits, 7) if padded else digits)
    activities = np.array([f"Step {i}" for i in range(20)])[rng.integers(0, 20, n)]
    frame = pd.DataFrame({
        "case_id": pd.array(ids, dtype="str"),
        "activity": pd.Categorical(activities) if categories else pd.array(activities, dtype="str"),
        "timestamp": ts,
    })
    if shuffled:
        frame = frame.sample(frac=1, random_state=seed + 1)      # the shuffled index is kept
    return frame


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_in_turn(first, second, repeat: int) -> tuple[float, float]:
    """The best time of each of two functions, run one after the other ``repeat`` times."""
    times = [(timed(first), timed(second)) for _ in range(repeat)]
    return min(a for a, _ in times), min(b for _, b in times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events-per-case", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shuffled-only", action="store_true", help="only the shapes whose rows are shuffled")
    args = parser.parse_args()
    print(f"{args.cases:,} cases, {args.cases * args.events_per_case:,} events; best of {args.repeat}; "
          f"pandas {pd.__version__}\n")
    print("| ids | activities | rows | timestamps | floor (s) | case_times (s) | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for padded, categories, shuffled, nanoseconds in itertools.product((True, False), repeat=4):
        if args.shuffled_only and not shuffled:
            continue
        frame = make_log(args.cases, args.events_per_case, padded=padded, categories=categories,
                         shuffled=shuffled, nanoseconds=nanoseconds)

        def floor(frame=frame):
            grouped = frame.groupby("case_id", sort=False)["timestamp"]
            return grouped.max() - grouped.min()

        base, ours = best_in_turn(floor, lambda frame=frame: case_times(frame), args.repeat)
        worst = max(worst, ours / base)
        print(f"| {'padded' if padded else 'varying'} | {'categories' if categories else 'text'} | "
              f"{'shuffled' if shuffled else 'in order'} | {'nanoseconds' if nanoseconds else 'seconds'} | "
              f"{base:.2f} | {ours:.2f} | {ours / base:.2f}x |", flush=True)
        del frame
    print(f"\nworst ratio {worst:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
