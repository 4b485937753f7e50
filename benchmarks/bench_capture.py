"""Capture and channel benchmarks.

1. CaptureStore.add on SQLite: the milliseconds a desk waits per saved contact, against the floor of
   the same row inserted by hand (one connection and one committed INSERT per contact, as the
   store does). Two shapes: a contact with only the required fields, and one with every field.
2. normalise_channels on 1,000,000 contacts, against the floor of a per-row dictionary lookup of
   the same spellings (what a hand-written loop would do). Two shapes: six spellings, and 2,000
   (many of them unknown).

Each is timed in turn with its floor, best of 3 (as in bench_case_times.py).

    python benchmarks/bench_capture.py [--adds 300] [--contacts 1000000]
"""
from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench_case_times import best_in_turn      # the two timed in turn, best of each
from studylib.capture import CaptureStore
from studylib.read.tables import normalise_channels

REQUIRED = {"channel": "web", "service": "Repairs", "received_at": "2025-03-03 10:00"}
EVERY = {**REQUIRED, "demand_type": "Report a repair", "value_or_failure": "failure",
         "failure_subtype": "progress chasing", "resolved_first_contact": "no", "what_matters": "a date",
         "problem_ref": "J-1", "latitude": "52.41", "longitude": "-1.51", "handled_by": "desk 2"}


def _each(work, n: int):
    """``work(0)`` ... ``work(n - 1)``, as one call to time."""
    return lambda: [work(i) for i in range(n)]


def bench_add(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, record in (("required fields", REQUIRED), ("every field", EVERY)):
            store = CaptureStore(Path(folder) / f"{name}.sqlite")
            row = store.check({**record, "verbatim": "x"})
            cols = list(row) + ["stored_at"]

            def insert(i, path=store.path):
                conn = sqlite3.connect(path, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                             [*{**row, "contact_id": f"F-{name}-{i}-{time.perf_counter_ns()}"}.values(), "now"])
                conn.execute("COMMIT")
                conn.close()
            add, floor = best_in_turn(_each(lambda i: store.add({**record, "verbatim": f"contact {i}"}), n),
                                      _each(insert, n), repeat=3)
            add, floor = add / n * 1000, floor / n * 1000
            print(f"CaptureStore.add, {name}: {add:.1f} ms per contact; the bare insert {floor:.1f} ms; "
                  f"{add / floor:.1f}x")


def bench_channels(n: int) -> None:
    rng = np.random.default_rng(1)
    few = ["Phone", "web", "E-mail", "phone ", "Walk-in", "letter"]
    many = few + [f"line {i}" for i in range(1994)]
    lookup = {"phone": "phone", "web": "web", "e mail": "email", "walk in": "face to face", "letter": "letter"}
    for name, spellings in (("6 spellings", few), ("2,000 spellings", many)):
        values = pd.Series(rng.choice(spellings, n), dtype="str")
        ours, floor = best_in_turn(
            lambda: normalise_channels(values, None, label="demand.csv"),
            lambda: values.map(lambda s: lookup.get(" ".join(s.strip().lower().replace("-", " ").split()))), repeat=3)
        print(f"normalise_channels, {n:,} contacts, {name}: {ours * 1000:.0f} ms; a per-row lookup "
              f"{floor * 1000:.0f} ms; {ours / floor:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=300)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_add(args.adds)
    bench_channels(args.contacts)


if __name__ == "__main__":
    main()
