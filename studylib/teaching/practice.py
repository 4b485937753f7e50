"""Practice before the live form: ten labelled contacts to call value or failure demand, each
answer said back with why.

Value demand is what the service is there to do; failure demand is caused by a failure to do
something, or do it right, for the customer (Seddon). The ten come from a study's own labelled
contacts (or the sample's, while a new study has too few), half of each where the data allows,
each of a different type where it can; personal data in them is hidden, as in the reports.
"""
from __future__ import annotations

import pandas as pd

from ..text import redact

__all__ = ["practice_contacts", "check_labels", "FAILURE_WHY"]

#: What makes each kind of failure demand failure, in a sentence a learner can hold on to.
FAILURE_WHY = {
    "progress chasing": "the customer is chasing something that should already have happened",
    "not done": "something the service should have done was not done",
    "not done right": "it was done, but not right",
    "clarification": "the customer asks what the service should have made clear",
    "wrong place": "the customer was sent to the wrong place",
    "repeat information": "the customer gives again what they had given already",
}


def practice_contacts(contacts: pd.DataFrame, n: int = 10, seed: int = 0) -> pd.DataFrame | None:
    """``n`` labelled contacts, numbered from 1: ``number, verbatim`` to show, and the labels to
    check against (``value_or_failure, demand_type, failure_subtype``). None with fewer than
    ``n // 2`` of value or of failure demand labelled."""
    labelled = contacts[contacts["value_or_failure"].isin(["value", "failure"])
                        & contacts["verbatim"].fillna("").str.strip().ne("")]
    halves = []
    for kind in ("value", "failure"):
        some = labelled[labelled["value_or_failure"] == kind]
        if len(some) < n // 2:
            return None
        # one of each type first (shuffled), so that the ten are not ten bins
        shuffled = some.sample(frac=1, random_state=seed)
        halves.append(pd.concat([shuffled.drop_duplicates("demand_type"), shuffled]).drop_duplicates().head(n // 2))
    picked = pd.concat(halves).sample(frac=1, random_state=seed).head(n)
    out = picked[["verbatim", "value_or_failure", "demand_type", "failure_subtype"]].reset_index(drop=True)
    out["verbatim"] = out["verbatim"].map(lambda text: redact(str(text)))
    out.insert(0, "number", range(1, len(out) + 1))
    return out


def check_labels(practice: pd.DataFrame, answers) -> tuple[int, str]:
    """How many of ``answers`` (a list of "value" or "failure", or v / f, in the practice's order)
    are right, and what to say: each wrong one with why."""
    given = [str(a).strip().lower()[:1] for a in (answers or [])]
    if len(given) != len(practice) or any(g not in ("v", "f") for g in given):
        return 0, (f"Write {len(practice)} answers, one for each contact in order, each \"value\" or \"failure\" "
                   f"(or v / f): you gave {len(given)}.")
    wrong = []
    for g, row in zip(given, practice.to_dict("records")):
        if g != row["value_or_failure"][0]:
            wrong.append(f"{row['number']}. “{row['verbatim']}” is {_why(row)}")
    right = len(practice) - len(wrong)
    if not wrong:
        return right, f"All {right} right: you can tell what the service is for from what its failures cause."
    return right, f"{right} of {len(practice)} right. " + " ".join(wrong)


def _why(row: dict) -> str:
    if row["value_or_failure"] == "value":
        return f"value demand: what the service is there to do ({row['demand_type']})."
    kind = str(row.get("failure_subtype") or "")
    because = FAILURE_WHY.get(kind.lower(), "caused by a failure to do something, or do it right, for the customer")
    return f"failure demand ({kind or row['demand_type']}): {because}."
