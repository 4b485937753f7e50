"""Flow benchmarks: reading XES, and case_times at scale.

1. read_xes on ../shared/data/eventlogs/bpic2012.xes.gz (262,200 events), against pm4py's best
   configuration: pm4py with r4pm and rustxes beside it (its default then reads through r4pm;
   variant="rustxes" through rustxes), the faster of the two. Ours and pm4py's run in turn, three
   rounds, best of 3 each; the target is to be at least as fast. pm4py (AGPL: never a dependency
   of studylib) lives in its own venv; the run also checks that pm4py's case durations equal
   studylib's end_to_end_days:

       python -m venv /tmp/pm4pyenv && /tmp/pm4pyenv/bin/pip install pm4py r4pm rustxes polars
       python benchmarks/bench_flow.py --pm4py-python /tmp/pm4pyenv/bin/python

2. case_times on 1,000,000 cases / 10,000,000 events with text case ids such as "case-0123456",
   against a bare pandas groupby("case_id")["timestamp"] max() - min() on the same frame in the
   same run (target: within 2x): rows in log order and shuffled, ids stored as pandas stores text
   read from a file (arrow strings) and as Python strings (object).

    python benchmarks/bench_flow.py [--cases 1000000] [--events-per-case 10]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from studylib.read.eventlog import read_xes
from studylib.measures.flow import case_times

ROOT = Path(__file__).resolve().parent.parent
BPIC2012 = ROOT.parent / "shared" / "data" / "eventlogs" / "bpic2012.xes.gz"

PM4PY_SCRIPT = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import pm4py
# pm4py's best configuration: with r4pm installed beside it, its default reads through r4pm;
# variant="rustxes" reads through rustxes. The fastest of the two, best of 3 each.
best = {}
log = None
for variant in (None, "rustxes"):
    for _ in range(3):
        try:
            t = time.perf_counter()
            log = pm4py.read_xes(sys.argv[1], variant=variant) if variant else pm4py.read_xes(sys.argv[1])
        except Exception:
            break
        seconds = time.perf_counter() - t
        best[str(variant)] = min(best.get(str(variant), float("inf")), seconds)
durations = log.groupby("case:concept:name")["time:timestamp"].agg(lambda s: (s.max() - s.min()).total_seconds())
print(json.dumps({"best": best, "version": pm4py.__version__, "events": len(log),
                  "durations": {str(k): float(v) for k, v in durations.items()}}))
"""


def best_of(fn, repeat=3):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def bench_xes(pm4py_python: str | None, rounds: int = 3) -> None:
    if not BPIC2012.exists():
        print(f"skipped read_xes: {BPIC2012} is missing")
        return
    try:
        import rustxes  # noqa: F401
        how = "through rustxes (studylib[xes])"
    except ImportError:
        how = "with its own streaming reader (no rustxes)"
    if not pm4py_python:
        seconds, events = best_of(lambda: read_xes(BPIC2012))
        print(f"read_xes bpic2012.xes.gz {how}: {len(events):,} events, best of 3: {seconds:.2f} s")
        print("pm4py: not run (pass --pm4py-python PATH to a Python with pm4py, r4pm and rustxes)")
        return
    # In turn, so that both meet the same machine: ours, then pm4py's configurations, `rounds` times.
    ours, theirs, ref = [], {}, None
    for _ in range(rounds):
        seconds, events = best_of(lambda: read_xes(BPIC2012))
        ours.append(seconds)
        out = subprocess.run([pm4py_python, "-c", PM4PY_SCRIPT, str(BPIC2012)], capture_output=True,
                             text=True, check=True)
        ref = json.loads(out.stdout.strip().splitlines()[-1])
        for variant, t in ref["best"].items():
            theirs.setdefault(variant, []).append(t)
    print(f"read_xes bpic2012.xes.gz {how}: {len(events):,} events; best of each round: "
          + ", ".join(f"{t:.2f} s" for t in ours))
    for variant, times in theirs.items():
        name = "default (r4pm)" if variant == "None" else f'variant="{variant}"'
        print(f"pm4py {ref['version']} read_xes, {name}: " + ", ".join(f"{t:.2f} s" for t in times))
    best_theirs = min(min(t) for t in theirs.values())
    print(f"best against best: studylib {min(ours):.2f} s, pm4py {best_theirs:.2f} s "
          f"(pm4py / studylib = {best_theirs / min(ours):.2f}; at least 1 is as fast as pm4py's best)")
    ours_frame = case_times(events).set_index("case_id")["end_to_end_days"] * 86400
    durations = pd.Series(ref["durations"]).reindex(ours_frame.index)
    worst = float(np.abs(ours_frame - durations).max())
    print(f"case durations vs pm4py: {len(ours_frame):,} cases, largest difference {worst:.6f} s")


def synthetic_events(n_cases: int, per_case: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_cases * per_case
    case = np.repeat(np.arange(n_cases), per_case)
    start = rng.integers(0, 365 * 86400, n_cases)[case]
    offset = np.cumsum(rng.integers(0, 5 * 86400, n).reshape(n_cases, per_case), axis=1).ravel()
    ts = pd.to_datetime((start + offset) * 10**9, utc=True)
    activities = np.array([f"Step {i}" for i in range(20)])
    resources = np.array([f"Team {i}" for i in range(8)])
    return pd.DataFrame({
        "case_id": pd.array(np.char.add("case-", np.char.zfill(case.astype(str), 7)), dtype="str"),
        "activity": pd.Categorical.from_codes(rng.integers(0, 20, n), categories=activities),
        "timestamp": ts,
        "resource": pd.Categorical.from_codes(rng.integers(0, 8, n), categories=resources),
    })


def bench_case_times(n_cases: int, per_case: int) -> None:
    t = time.perf_counter()
    events = synthetic_events(n_cases, per_case)
    print(f"\nsynthetic log: {n_cases:,} cases, {len(events):,} events (built in {time.perf_counter() - t:.1f} s)")
    shuffled = events.sample(frac=1, random_state=2).reset_index(drop=True)
    for label, frame in (("in log order", events), ("shuffled", shuffled),
                         ("shuffled, object ids", shuffled.assign(case_id=shuffled["case_id"].astype(object)))):
        def bare():
            grouped = frame.groupby("case_id")["timestamp"]
            return grouped.max() - grouped.min()

        base, _ = best_of(bare, repeat=2)
        ours, result = best_of(lambda: case_times(frame), repeat=2)
        assert len(result) == n_cases
        print(f"{label:>21}: bare groupby max - min {base:.2f} s; case_times {ours:.2f} s "
              f"({ours / base:.2f}x the baseline; target <= 2x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pm4py-python", help="a Python interpreter that has pm4py installed")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events-per-case", type=int, default=10)
    parser.add_argument("--xes-only", action="store_true", help="time read_xes only")
    args = parser.parse_args()
    bench_xes(args.pm4py_python)
    if not args.xes_only:
        bench_case_times(args.cases, args.events_per_case)


if __name__ == "__main__":
    sys.exit(main())
