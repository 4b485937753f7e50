"""A large service's year: the whole `studylib check` on the sample study made N times larger.

The recipe (issue "A large service's year in a minute"): every contact and every case of the
sample repeated N times under new ids (contact, case, problem and customer references take a
suffix ``-xI``), each copy's places moved onto its own square of a grid, far enough (11 km by
13 km) that no copy's places come within a linking radius of another's. At N = 200 that is
1,061,400 contacts and 1,228,000 events. Every share and mean of the copies' reports is the
sample's own; only the counts grow.

Targets: the x200 study in <= 60 s wall and <= 2 GB (proportional set size summed over the
process tree, so that libraries the kernels share count once) on 2 cores; time linear in rows,
x200 at most 12 times the x20 time. The sizes run in one process, in turn, so that a drifting
machine shows in all of them. Each part's time comes from the run's manifest (``seconds``):
reading the study, each stage's computation, saving the results, each notebook and its HTML.

    python benchmarks/bench_large.py [--sizes 1 20 200] [--engines pandas duckdb] [--dir /tmp/studylib-large] [--jobs 2]

The largest size is also checked with ``-p engine duckdb`` (and spark, if named): its column in the
table is that engine's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
#: Degrees a copy moves per step of the grid: 0.1 of latitude (11 km), 0.2 of longitude (13 km at
#: 53 degrees north); the sample's places span 0.07 by 0.12 degrees.
GRID_LAT, GRID_LON, GRID_WIDTH = 0.1, 0.2, 20


def make_study(factor: int, dest: Path) -> Path:
    """The sample study, ``factor`` times over (the recipe above), in ``dest``; made once."""
    done = dest / ".made"
    if done.exists():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for item in SAMPLE.iterdir():
        if item.suffix != ".csv":
            shutil.copy(item, dest / item.name)
    demand = pd.read_csv(SAMPLE / "demand.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(SAMPLE / "events.csv", dtype=str, keep_default_na=False)
    lat = pd.to_numeric(demand["latitude"], errors="coerce")
    lon = pd.to_numeric(demand["longitude"], errors="coerce")
    copies, logs = [], []
    for i in range(factor):
        tag = f"-x{i}" if factor > 1 else ""

        def suffixed(column: pd.Series) -> pd.Series:
            return column.where(column == "", column + tag)
        copy = demand.assign(contact_id=demand["contact_id"] + tag, problem_ref=suffixed(demand["problem_ref"]),
                             customer_ref=suffixed(demand["customer_ref"]),
                             latitude=(lat + (i // GRID_WIDTH) * GRID_LAT).round(6).astype(str).replace("nan", ""),
                             longitude=(lon + (i % GRID_WIDTH) * GRID_LON).round(6).astype(str).replace("nan", ""))
        copies.append(copy)
        logs.append(events.assign(case_id=events["case_id"] + tag))
    pd.concat(copies).to_csv(dest / "demand.csv", index=False)
    pd.concat(logs).to_csv(dest / "events.csv", index=False)
    done.write_text(str(factor))
    return dest


def _tree_pss(root: int) -> tuple[int, int]:
    """Proportional set size, in bytes, summed over ``root`` and every process below it, and of
    ``root`` alone."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, own, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1]) * 1024
                        total += pss
                        own = pss if pid == root else own
                        break
        except OSError:
            pass
    return total, own


def run_check(study: Path, out: Path, jobs: int, engine: str = "pandas") -> dict:
    """``studylib check`` in a fresh process: wall seconds, peak summed PSS and the manifest. It adds
    its record to the study's ledger as a user's check does (the same check, no new line)."""
    if out.exists():
        shutil.rmtree(out)
    env = {k: v for k, v in os.environ.items() if k != "STUDYLIB_KEEP_KERNELS"}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "studylib", "check", str(study), "--out", str(out), "-q",
                             "-j", str(jobs), "-p", "engine", engine], stdout=subprocess.DEVNULL, env=env)
    peak = [0, 0]

    def watch():
        while proc.poll() is None:
            total, own = _tree_pss(proc.pid)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], own)
            time.sleep(0.2)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = proc.wait()
    wall = time.perf_counter() - started
    watcher.join()
    manifest = json.loads((out / "run_manifest.json").read_text()) if (out / "run_manifest.json").exists() else {}
    return {"exit": code, "wall": wall, "peak_gb": peak[0] / 1e9, "parent_gb": peak[1] / 1e9, "manifest": manifest}


def _parts(run: dict) -> dict:
    """Each part's seconds from the manifest: reading, the computation's parts, saving, then each
    stage's notebook and HTML (and how long its kernel waited for the results first)."""
    seconds = run["manifest"].get("seconds", {})
    parts = {"read the study": seconds.get("read")}
    parts.update({f"compute: {k}": v for k, v in seconds.get("parts", {}).items()})
    parts["compute, in all"] = seconds.get("compute")
    parts["save the results"] = seconds.get("save results")
    for stage in run["manifest"].get("stages", []):
        name = stage["notebook"].removesuffix(".ipynb")
        parts[f"{name}: waited"] = stage.get("waited_seconds")
        parts[f"{name}: notebook"] = stage.get("notebook_seconds")
        parts[f"{name}: HTML"] = stage.get("html_seconds")
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 20, 200])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/studylib-large"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--engines", nargs="+", default=["pandas", "duckdb"], choices=["pandas", "duckdb", "spark"],
                        help="engines the largest size is also checked on (every size runs on pandas)")
    args = parser.parse_args()
    runs, also = {}, {}
    for factor in args.sizes:
        made = time.perf_counter()
        study = make_study(factor, args.dir / f"x{factor}")
        print(f"x{factor}: study ready in {time.perf_counter() - made:.0f} s", flush=True)
        runs[factor] = run_check(study, args.dir / f"x{factor}-reports", args.jobs)
        print(f"x{factor}: exit {runs[factor]['exit']}, {runs[factor]['wall']:.1f} s, "
              f"{runs[factor]['peak_gb']:.2f} GB", flush=True)
    largest = max(args.sizes)
    for engine in (e for e in args.engines if e != "pandas"):
        also[engine] = run_check(args.dir / f"x{largest}", args.dir / f"x{largest}-{engine}-reports", args.jobs, engine)
        print(f"x{largest} on {engine}: exit {also[engine]['exit']}, {also[engine]['wall']:.1f} s, "
              f"{also[engine]['peak_gb']:.2f} GB", flush=True)
    load = os.getloadavg()
    columns = {f"x{f}": r for f, r in runs.items()} | {f"x{largest} {e}": r for e, r in also.items()}
    runs = columns
    table = pd.DataFrame({name: _parts(r) for name, r in runs.items()})
    table.loc["whole check, wall s"] = [r["wall"] for r in runs.values()]
    table.loc["peak PSS of the tree, GB"] = [r["peak_gb"] for r in runs.values()]
    table.loc["peak PSS of the parent alone, GB"] = [r["parent_gb"] for r in runs.values()]
    print(f"\nstudylib check -j {args.jobs}, seconds (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"{os.cpu_count()} cores)")
    print(table.round(2).to_string())
    sizes = [f"x{f}" for f in args.sizes]
    for small, large in zip(sizes, sizes[1:]):
        ratio = runs[large]["wall"] / runs[small]["wall"]
        rows = int(large[1:]) / int(small[1:])
        print(f"{large} / {small}: {ratio:.1f} times the wall time for {rows:.0f} times the rows")
    for engine in also:
        name = f"x{largest} {engine}"
        print(f"{name} / x{largest} on pandas: {runs[name]['wall'] / runs[f'x{largest}']['wall']:.2f} times the wall "
              f"time; the parent's peak {runs[name]['parent_gb']:.2f} GB against {runs[f'x{largest}']['parent_gb']:.2f} GB")


if __name__ == "__main__":
    main()
