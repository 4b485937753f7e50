"""Time grows with rows, not with services: the whole `studylib check` of one export's rows in its
own many services, beside the same rows in five.

Each real 311 export of ../shared/data/311 is made into a study by ``studylib new --from`` as it
comes (San Francisco: 61 categories; New York: 37 complaint types; Los Angeles: 12 request types),
and again with its service column folded into five (its four largest, and "Other services"): the
same rows, the same cases, the same dates. The two checks run in turn, A B A B, so that a machine
whose speed drifts shows in both, and the table gives each one's median wall time and the ratio
many / five pair by pair. Target (issue "A real service's export, as it comes"): at most 2.

    python benchmarks/bench_services.py [--runs 3] [--dir /tmp/studylib-services]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "311"
#: export, its service column, and what `new --from` needs to read its dates
EXPORTS = [("sf_311_sample.csv", "category", []),
           ("nyc_311_2022_two_hours.csv", "Complaint Type", ["--dates", "monthfirst"]),
           ("la_311_2017_subset.csv", "RequestType", [])]


def _studylib(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "studylib", *args], check=True, stdout=subprocess.DEVNULL)


def make_pair(name: str, column: str, extra: list[str], root: Path) -> tuple[Path, Path, int, int]:
    """The export as a study, and a copy with its services folded into five."""
    raw = pd.read_csv(SHARED / name, dtype=str, keep_default_na=False)
    top = raw[column].value_counts().index[:4]
    five = raw.assign(**{column: raw[column].where(raw[column].isin(top), "Other services")})
    pair = []
    for label, frame in (("many", raw), ("five", five)):
        folder = root / f"{Path(name).stem}-{label}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        frame.to_csv(folder / name, index=False)
        _studylib("new", str(folder / "study"), "--from", str(folder / name), *extra)
        pair.append(folder)
    return pair[0], pair[1], raw[column].nunique(), five[column].nunique()


def check_seconds(folder: Path) -> float:
    out = folder / "reports"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    _studylib("check", str(folder / "study"), "--out", str(out), "-q")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default="/tmp/studylib-services")
    args = parser.parse_args()
    root = Path(args.dir)
    rows = []
    for name, column, extra in EXPORTS:
        many, five, n_many, n_five = make_pair(name, column, extra, root)
        check_seconds(many), check_seconds(five)          # warm-up: imports and the file cache
        a, b = [], []
        for _ in range(args.runs):
            a.append(check_seconds(many))
            b.append(check_seconds(five))
        ratios = [x / y for x, y in zip(a, b)]
        rows.append({"export": name, "services": f"{n_many} vs {n_five}",
                     "many, median s": round(statistics.median(a), 1), "five, median s": round(statistics.median(b), 1),
                     "ratio, median": round(statistics.median(ratios), 2),
                     "ratio, range": f"{min(ratios):.2f} to {max(ratios):.2f}"})
        print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    print("\nThe whole check (studylib check -q), each export's rows in its own services against the same rows in "
          f"five, {args.runs} runs each in turn after a warm-up:")
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
