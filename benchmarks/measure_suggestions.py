"""How good are the suggestions? BANKING77 (real customer queries, 77 intents as demand types).

Trains DemandSuggester on the first N of a seeded shuffle of the train split (100, 300, 1,000
and all 10,003 labels) and measures accuracy on the whole test split (3,080 queries), plus the
accuracy among the suggestions made with confidence >= 0.5 and how many those are.

    python benchmarks/measure_suggestions.py
"""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from studylib.measures.suggest import DemandSuggester

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "verbatims"


def measure(sizes=(100, 300, 1000, None), seed: int = 0) -> pd.DataFrame:
    train = pd.read_csv(DATA / "banking77_train.csv").sample(frac=1, random_state=seed).reset_index(drop=True)
    test = pd.read_csv(DATA / "banking77_test.csv")
    rows = []
    for n in sizes:
        part = train if n is None else train.head(n)
        start = time.perf_counter()
        model = DemandSuggester().fit(part["text"], part["category"])
        out = model.suggest(test["text"])
        seconds = time.perf_counter() - start
        right = out["suggested_type"].to_numpy() == test["category"].to_numpy()
        sure = out["confidence"].to_numpy() >= 0.5
        rows.append({"labels": len(part), "types_seen": len(model.classes_), "accuracy": right.mean(),
                     "confident_share": sure.mean(), "accuracy_when_confident": right[sure].mean() if sure.any() else float("nan"),
                     "seconds": seconds})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    print(measure().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
