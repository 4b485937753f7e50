"""The whole check on the sample study, as a user runs it: `studylib check` in a fresh process.

Target (issue "One check, one story"): 10 s wall with -j 2 on a 2-core machine, from a fresh
output folder (results computed, not reused). Baseline in the same run: the same command with one
stage at a time (-j 1). The runs alternate (A B A B ...) so that a drifting machine shows in both;
the medians and the ratio of each pair are printed.

    python benchmarks/bench_check.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(jobs: int, out: Path) -> tuple[float, dict]:
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studylib", "check", "-q", "-j", str(jobs), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    return wall, json.loads((out / "run_manifest.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run(2, tmp / "warm")                      # first run: bytecode and font caches
        two, one, ratios, compute = [], [], [], []
        for _ in range(runs):
            a, manifest = run(2, tmp / "a")
            b, _ = run(1, tmp / "b")
            two.append(a)
            one.append(b)
            ratios.append(b / a)
            compute.append(manifest["seconds"]["compute"])
    statuses = [s["status"] for s in manifest["stages"]]
    print(f"stages: {len(statuses)} ({', '.join(statuses)}); {runs} runs of each, alternating")
    print(f"studylib check -j 2, fresh output: median {statistics.median(two):.1f} s wall "
          f"(min {min(two):.1f}, max {max(two):.1f}); target <= 10 s")
    print(f"studylib check -j 1, fresh output: median {statistics.median(one):.1f} s wall "
          f"(min {min(one):.1f}, max {max(one):.1f})")
    print(f"-j 1 / -j 2 pair by pair: median {statistics.median(ratios):.2f}x")
    print(f"computing every stage's results once: median {statistics.median(compute):.2f} s of the -j 2 run")


if __name__ == "__main__":
    main()
