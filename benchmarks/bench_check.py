"""The whole check on the sample study, wall time; target <= 25 s on a 2-core machine.

Baseline in the same run: the same check with one stage at a time (jobs=1).

    python benchmarks/bench_check.py
"""
from __future__ import annotations

import tempfile
import time

from studylib.runner import run_check


def timed(jobs: int | None) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        table = run_check(out=out, progress=False, jobs=jobs)
        return time.perf_counter() - start, table["status"].tolist()


def main() -> None:
    parallel, status = timed(None)
    serial, _ = timed(1)
    print(f"stages: {len(status)} ({', '.join(status)})")
    print(f"studylib check, stages side by side: {parallel:.1f} s (target <= 25 s)")
    print(f"studylib check, one stage at a time: {serial:.1f} s ({serial / parallel:.2f}x the parallel run)")


if __name__ == "__main__":
    main()
