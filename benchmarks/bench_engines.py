"""case_times on a synthetic log too big to be comfortable in pandas: pandas, DuckDB and Spark.

Writes a Parquet log of N events (10 per case, case ids such as "case-0012345", rows shuffled
within each row group), then runs `case_times` on it in a fresh process per engine, and prints
each engine's wall time (reading included) and peak memory (resident, the process and everything
it started, such as Spark's JVM, sampled every 0.1 s):

- pandas: `case_times(pandas.read_parquet(path))`;
- DuckDB: `case_times(path, engine="duckdb", memory_limit=...)` (default 2GB: it spills past it);
- Spark: `case_times(spark.read.parquet(path), engine="spark")` in `local[*]`.

    python benchmarks/bench_engines.py --events 10000000
    python benchmarks/bench_engines.py --events 100000000 --engines duckdb,spark
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

RUN = """
import sys, time, warnings
warnings.simplefilter("ignore")
engine, path, limit = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
from studylib.measures.flow import case_times
if engine == "pandas":
    import pandas as pd
    times = case_times(pd.read_parquet(path))
elif engine == "duckdb":
    times = case_times(path, engine="duckdb", memory_limit=limit)
else:
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[*]").config("spark.driver.memory", "8g")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    times = case_times(spark.read.parquet(path), engine="spark")
print("RESULT", len(times), int(times["n_events"].sum()), round(time.perf_counter() - start, 2))
"""


def write_log(path: Path, n_events: int, per_case: int = 10, chunk_cases: int = 1_000_000, seed: int = 1) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(seed)
    activities = pa.array([f"Step {i}" for i in range(20)])
    resources = pa.array([f"Team {i}" for i in range(8)])
    n_cases = n_events // per_case
    writer = None
    for first in range(0, n_cases, chunk_cases):
        cases = np.arange(first, min(first + chunk_cases, n_cases))
        case = np.repeat(cases, per_case)
        start = rng.integers(0, 365 * 86400, len(cases))[case - first]
        offset = np.cumsum(rng.integers(0, 5 * 86400, len(case)).reshape(len(cases), per_case), axis=1).ravel()
        order = rng.permutation(len(case))
        table = pa.table({
            "case_id": pa.array(np.char.add("case-", np.char.zfill(case[order].astype(str), 8))),
            "activity": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 20, len(case)), pa.int8()), activities),
            "timestamp": pa.array(((1_700_000_000 + start + offset)[order] * 1_000_000).astype("datetime64[us]"),
                                  pa.timestamp("us", tz="UTC")),
            "resource": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 8, len(case)), pa.int8()), resources),
        })
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(stat[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run(engine: str, path: Path, limit: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", RUN, engine, str(path), limit], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    watcher.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    watcher.join()
    result = [line for line in out.splitlines() if line.startswith("RESULT")]
    if proc.returncode or not result:
        lines = err.strip().splitlines() or ["no output"]
        tail = next((line for line in reversed(lines) if "Error" in line), lines[-1])
        print(f"{engine:>7}: failed after {wall:.0f} s, peak {peak[0] / 2**30:.1f} GiB: {tail[:200]}")
        return
    _, cases, events, inner = result[-1].split()
    print(f"{engine:>7}: {int(cases):,} cases, {int(events):,} events; {wall:.1f} s wall "
          f"({float(inner):.1f} s inside, imports and start-up included), peak memory {peak[0] / 2**30:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--engines", default="pandas,duckdb,spark")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's memory limit")
    parser.add_argument("--dir", default=None, help="where to write the log (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "events.parquet"
        start = time.perf_counter()
        write_log(path, args.events)
        print(f"synthetic log: {args.events:,} events, {path.stat().st_size / 2**20:,.0f} MiB of Parquet "
              f"(written in {time.perf_counter() - start:.0f} s); {os.cpu_count()} cores")
        for engine in args.engines.split(","):
            run(engine.strip(), path, args.memory_limit)


if __name__ == "__main__":
    main()
