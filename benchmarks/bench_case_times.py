"""case_times against its floor on a matrix of realistic log shapes.

The floor is the least any per-case end-to-end time can cost: a bare pandas
``groupby("case_id", sort=False)["timestamp"]`` max - min on the same frame, timed in the same run,
best of ``--repeat`` each, in turn. The target is case_times within 2x the floor on every shape.

The shapes cross four things a real log varies in:
- case ids zero-padded (``case-0000042``) or not (``case-42``, of varying length);
- activities as text (what a CSV gives) or as categories;
- rows in log order, or shuffled with the shuffled index kept (not reset);
- timestamps in whole seconds, or with nanoseconds.

    python benchmarks/bench_case_times.py [--cases 1000000] [--events-per-case 10] [--repeat 2]
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


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events-per-case", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.cases:,} cases, {args.cases * args.events_per_case:,} events; best of {args.repeat}; "
          f"pandas {pd.__version__}\n")
    print("| ids | activities | rows | timestamps | floor (s) | case_times (s) | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for padded, categories, shuffled, nanoseconds in itertools.product((True, False), repeat=4):
        frame = make_log(args.cases, args.events_per_case, padded=padded, categories=categories,
                         shuffled=shuffled, nanoseconds=nanoseconds)

        def floor():
            grouped = frame.groupby("case_id", sort=False)["timestamp"]
            return grouped.max() - grouped.min()

        base = best_of(floor, args.repeat)
        ours = best_of(lambda: case_times(frame), args.repeat)
        worst = max(worst, ours / base)
        print(f"| {'padded' if padded else 'varying'} | {'categories' if categories else 'text'} | "
              f"{'shuffled' if shuffled else 'in order'} | {'nanoseconds' if nanoseconds else 'seconds'} | "
              f"{base:.2f} | {ours:.2f} | {ours / base:.2f}x |", flush=True)
        del frame
    print(f"\nworst ratio {worst:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
