"""Demand benchmarks.

1. classify_demand: 1,000,000 verbatims x 50 demand types, with hyperscan (every pattern in one
   pass) and with RE2 (one pass per type), which must give the same labels. Baseline in the same
   run: one pandas str.contains pass per type with the same patterns (what a hand-written loop
   would do); target: 5x faster.
2. link_problems: 1,000,000 geolocated contacts; target <= 20 s and <= 2 GB. The peak memory is
   the process's peak resident set (it includes the synthetic data), read after the run.

    python benchmarks/bench_demand.py [--contacts 1000000]
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from studylib.read.codebooks import demand_codebook_from_dict
from studylib.measures.demand import classify_demand
from studylib.measures.problems import link_problems

WORDS = ("pothole street light bin bulky sofa fridge graffiti boiler leak damp mould council tax "
         "direct debit moving parking permit noise dog fouling fly tipping missed collection "
         "still waiting reported weeks ago nobody came back again wrong address letter").split()


def synthetic_verbatims(n: int, rng) -> pd.Series:
    idx = rng.integers(0, len(WORDS), size=(n, 12))
    words = np.array(WORDS, dtype=object)[idx]
    return pd.Series([" ".join(row) for row in words], dtype="str")


def codebook(n_types: int = 50):
    types = []
    for i in range(n_types):
        a, b = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
        types.append({"type": f"Type {i:02d}", "value_or_failure": "value",
                      "patterns": [f"{a} {b}", f"\\b{b}s?\\b.{{0,20}}{a}"], "priority": i % 5})
    return demand_codebook_from_dict({"types": types})


def bench_classify(n: int) -> None:
    rng = np.random.default_rng(1)
    demand = pd.DataFrame({"verbatim": synthetic_verbatims(n, rng)})
    cb = codebook()
    timed = {}
    for engine in ("hyperscan", "re2"):
        start = time.perf_counter()
        timed[engine] = (classify_demand(demand, cb, engine=engine), time.perf_counter() - start)
    pd.testing.assert_frame_equal(timed["hyperscan"][0], timed["re2"][0])   # the same labels

    start = time.perf_counter()
    for patterns in cb.types["patterns"]:
        demand["verbatim"].str.contains("|".join(f"(?:{p})" for p in patterns), case=False, regex=True)
    base = time.perf_counter() - start
    out = timed["hyperscan"][0]
    print(f"classify_demand: {n:,} verbatims x {len(cb.types)} types, {(out['matched_types'] != '').mean():.0%} "
          f"matched; pandas str.contains per type: {base:.2f} s")
    for engine, (_, seconds) in timed.items():
        print(f"  engine={engine}: {seconds:.2f} s, {base / seconds:.1f}x faster than the baseline (target >= 5x)")


def bench_link(n: int) -> None:
    rng = np.random.default_rng(2)
    # A city of ~20 km x 20 km; a third of contacts are repeat reports near an earlier one.
    base_lat, base_lon = 51.45, -0.2
    n_sites = int(n * 0.67)
    site_lat = base_lat + rng.uniform(0, 0.18, n_sites)
    site_lon = base_lon + rng.uniform(0, 0.29, n_sites)
    site = np.concatenate([np.arange(n_sites), rng.integers(0, n_sites, n - n_sites)])
    jitter = rng.normal(0, 15 / 111_195, size=(n, 2))
    demand = pd.DataFrame({
        "contact_id": np.arange(n),
        "received_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D"),
        "demand_type": pd.Categorical.from_codes(rng.integers(0, 10, n), [f"type {i}" for i in range(10)]),
        "latitude": site_lat[site] + jitter[:, 0],
        "longitude": site_lon[site] + jitter[:, 1],
    })
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    out = link_problems(demand, radius_m=50, window_days=28)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"link_problems: {n:,} geolocated contacts -> {out['problem_id'].nunique():,} problems in "
          f"{seconds:.2f} s (target <= 20 s); process peak memory {peak:,.0f} MB "
          f"({before:,.0f} MB before the call; target <= 2 GB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_link(args.contacts)        # first, so that the peak memory is link_problems' own run
    bench_classify(args.contacts)


if __name__ == "__main__":
    main()
