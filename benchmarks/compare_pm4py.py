"""Paths through the work, held to pm4py on the real logs in ../shared/data/eventlogs/.

For each log: the variants (each path and how many cases take it), the directly-follows counts
(how often one activity is followed by another within a case) and the start and end activities,
from studylib (`variants`, `transitions`) and from pm4py (`format_dataframe`, which sorts by case,
timestamp and row index, then `get_variants` and `discover_dfg`). Events of a case that share a
timestamp keep their recorded order in both. Prints one line per log; exits 1 on any difference.

pm4py is AGPL, so it is never a dependency of studylib: it runs in its own virtual environment.

    python -m venv --system-site-packages /tmp/pm4pyenv && /tmp/pm4pyenv/bin/pip install pm4py
    python benchmarks/compare_pm4py.py --pm4py-python /tmp/pm4pyenv/bin/python
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from studylib.read.eventlog import read_event_log
from studylib.read.ordering import ordered_events
from studylib.measures.paths import transitions, variants

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT.parent / "shared" / "data" / "eventlogs"
NAMES = ["receipt_wabo.csv", "bpic15_1.csv", "traffic_fines_10k.csv", "sepsis.csv", "hospital_billing.csv",
         "bpic14_incidents.csv", "receipt_pm4py_format.csv", "roadtraffic100traces.xes", "helpdesk.xes.gz",
         "bpic2012.xes.gz"]

# Runs in the pm4py interpreter: reads each log as studylib's tests do (ids as text, "NA" kept).
PM4PY_SCRIPT = r"""
import json, sys
import pandas as pd
import pm4py
out = {}
for path in sys.argv[1:]:
    if path.endswith((".xes", ".xes.gz")):
        raw = pm4py.read_xes(path)
        df = pd.DataFrame({"case_id": raw["case:concept:name"].astype(str), "activity": raw["concept:name"].astype(str),
                           "timestamp": pd.to_datetime(raw["time:timestamp"], utc=True)})
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "case:concept:name" in df.columns:
            df = df.rename(columns={"case:concept:name": "case_id", "concept:name": "activity", "time:timestamp": "timestamp"})
        df = df[["case_id", "activity", "timestamp"]].copy()
        df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
    df = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="timestamp")
    variants = pm4py.get_variants(df)
    dfg, start, end = pm4py.discover_dfg(df)
    out[path] = {"variants": [[list(k), int(v if isinstance(v, int) else len(v))] for k, v in variants.items()],
                 "dfg": [[a, b, int(n)] for (a, b), n in dfg.items()],
                 "start": {k: int(v) for k, v in start.items()}, "end": {k: int(v) for k, v in end.items()}}
print("PM4PY " + json.dumps({"version": pm4py.__version__, "logs": out}))
"""


def ours(path: Path) -> dict:
    if path.name == "receipt_pm4py_format.csv":
        events = read_event_log(path, case_id="case:concept:name", activity="concept:name", timestamp="time:timestamp")
    else:
        events = read_event_log(path)
    events = events[["case_id", "activity", "timestamp"]]
    sep = "\x1f"
    table = variants(events, top=None, separator=sep)
    moves = transitions(events)
    inner = moves[(moves["from_activity"] != "(start)") & (moves["to_activity"] != "(end)")]
    starts = moves[moves["from_activity"] == "(start)"]
    ends = moves[moves["to_activity"] == "(end)"]
    return {"events": len(events), "tied": int(ordered_events(events).attrs["tied_events"]),
            "variants": Counter({tuple(v.split(sep)): int(n) for v, n in zip(table["variant"], table["cases"])}),
            "dfg": Counter({(a, b): int(n) for a, b, n in zip(inner["from_activity"], inner["to_activity"], inner["count"])}),
            "start": Counter(dict(zip(starts["to_activity"], starts["count"].astype(int)))),
            "end": Counter(dict(zip(ends["from_activity"], ends["count"].astype(int))))}


def differences(a: Counter, b: Counter) -> int:
    """How many keys have a different count (a key missing from one side counts as 0 there)."""
    return sum(1 for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pm4py-python", required=True, help="a Python interpreter that has pm4py installed")
    args = parser.parse_args()
    paths = [LOGS / n for n in NAMES]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"missing logs: {[p.name for p in missing]}", file=sys.stderr)
        return 2
    run = subprocess.run([args.pm4py_python, "-c", PM4PY_SCRIPT, *map(str, paths)], capture_output=True, text=True)
    line = [x for x in run.stdout.splitlines() if x.startswith("PM4PY ")]
    if run.returncode or not line:
        print(run.stderr[-3000:], file=sys.stderr)
        return 2
    ref = json.loads(line[-1][6:])
    print(f"pm4py {ref['version']} against studylib: counts that differ (0 everywhere = the same)")
    print(f"{'log':<26} {'events':>8} {'tied':>7} {'variants':>13} {'differ':>6} {'moves':>6} {'differ':>6} "
          f"{'starts':>6} {'ends':>6}")
    bad = 0
    for path in paths:
        mine, theirs = ours(path), ref["logs"][str(path)]
        tv = Counter({tuple(k): n for k, n in theirs["variants"]})
        td = Counter({(a, b): n for a, b, n in theirs["dfg"]})
        diffs = [differences(mine["variants"], tv), differences(mine["dfg"], td),
                 differences(mine["start"], Counter(theirs["start"])), differences(mine["end"], Counter(theirs["end"]))]
        bad += sum(diffs)
        print(f"{path.name:<26} {mine['events']:>8,} {mine['tied']:>7,} {len(mine['variants']):>6,}/{len(tv):<6,}"
              f"{diffs[0]:>7} {len(mine['dfg']):>6,} {diffs[1]:>6} {diffs[2]:>6} {diffs[3]:>6}")
    print("all agree" if not bad else f"{bad} counts differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
