"""Who contacts us: persistent complainers and patrollers, and why one avoidable-contact percentage misleads.

With a customer reference in the demand data (a column no report shows), contacts can be counted
per person. Two kinds of people matter to a check, and they need opposite responses:

- **persistent complainers** contact again and again because a problem is not solved: each repeat
  is failure demand the service caused, a cost of not fixing it the first time;
- **patrollers** report many different problems (the street champion who reports every pot-hole on
  the walk to work): value demand, and a resource the service could work with.

The old national indicator NI14 counted "avoidable contact" as a share of all contact. One
percentage moves with the channel mix and with what is counted (contacts, callers or problems),
while failure demand per problem, by type, says what to fix. :func:`ni14_comparison` puts the
numbers side by side.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["customer_patterns", "customer_kinds", "ni14_comparison", "failure_per_problem", "KINDS"]

#: The kinds of customer, in the order reports show them.
KINDS = ["persistent complainer", "patroller", "both", "other"]


def _known(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna(), "")
    return text.astype(str).str.strip().ne("")


def customer_patterns(linked: pd.DataFrame, *, repeats: int = 3, problems: int = 3) -> pd.DataFrame | None:
    """Contacts per customer, and what kind of customer each is.

    Parameters
    ----------
    linked : DataFrame
        Contacts with ``customer_ref``, ``value_or_failure`` and ``problem_id``
        (:func:`studylib.link_problems`).
    repeats : int
        Failure contacts (for at least half of a person's contacts) that make a persistent complainer.
    problems : int
        Different problems reported as value demand that make a patroller.

    Returns
    -------
    DataFrame, or None when no contact carries a customer reference
        One row per customer: ``customer_ref, contacts, failure_contacts, problems,
        value_problems, most_on_one_problem, kind``. ``problems`` counts the distinct problems the
        person contacted about, ``value_problems`` those they reported as value demand,
        ``most_on_one_problem`` the most contacts they made about one problem; ``kind`` is one of
        :data:`KINDS` ("both" meets both rules). Sorted by contacts, most first.
    """
    known = linked[_known(linked["customer_ref"])] if "customer_ref" in linked else linked.iloc[0:0]
    if known.empty:
        return None
    who = known["customer_ref"].astype(str).str.strip()
    # Customers and problems as whole-number codes, counted with numpy: grouping a million
    # contacts by their text took seconds.
    customer, names = pd.factorize(who, sort=False)
    problem = pd.factorize(known["problem_id"], sort=False)[0]
    failure = known["value_or_failure"].eq("failure").to_numpy(dtype=bool)
    value = known["value_or_failure"].eq("value").to_numpy(dtype=bool)
    n, base = len(names), max(int(problem.max()) + 1, 1)

    def distinct_problems(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per customer, the distinct problems among ``rows``, and each (customer, problem)'s contacts."""
        rows = rows & (problem >= 0)
        pairs, counts = np.unique(customer[rows].astype(np.int64) * base + problem[rows], return_counts=True)
        return pairs // base, counts

    who_of_pair, contacts_of_pair = distinct_problems(np.ones(len(customer), dtype=bool))
    most = np.zeros(n, dtype=np.int64)
    np.maximum.at(most, who_of_pair, contacts_of_pair)
    per = pd.DataFrame({"contacts": np.bincount(customer, minlength=n),
                        "failure_contacts": np.bincount(customer[failure], minlength=n),
                        "problems": np.bincount(who_of_pair, minlength=n),
                        "value_problems": np.bincount(distinct_problems(value)[0], minlength=n),
                        "most_on_one_problem": most},
                       index=pd.Index(names, name="customer_ref"))
    if len(np.unique(who_of_pair)) < n:      # a customer whose contacts name no problem has no most
        per["most_on_one_problem"] = per["most_on_one_problem"].where(np.bincount(who_of_pair, minlength=n) > 0)
    complainer = (per["failure_contacts"] >= repeats) & (per["failure_contacts"] * 2 >= per["contacts"])
    patroller = per["value_problems"] >= problems
    per["kind"] = "other"
    per.loc[complainer, "kind"] = "persistent complainer"
    per.loc[patroller, "kind"] = "patroller"
    per.loc[complainer & patroller, "kind"] = "both"
    per = per.reset_index()
    return per.sort_values(["contacts", "customer_ref"], ascending=[False, True], kind="stable").reset_index(drop=True)


def customer_kinds(patterns: pd.DataFrame | None) -> pd.DataFrame | None:
    """How many customers of each kind, and how much of the demand they make.

    Returns
    -------
    DataFrame, or None without customer references
        One row per kind in :data:`KINDS` order: ``kind, customers, contacts, failure_contacts,
        share_of_contacts, share_of_failure`` (shares of all contacts and of all failure contacts
        that carry a customer reference).
    """
    if patterns is None:
        return None
    kinds = patterns.groupby("kind").agg(customers=("customer_ref", "size"), contacts=("contacts", "sum"),
                                         failure_contacts=("failure_contacts", "sum"))
    kinds = kinds.reindex(KINDS, fill_value=0)
    kinds["share_of_contacts"] = kinds["contacts"] / max(int(kinds["contacts"].sum()), 1)
    kinds["share_of_failure"] = kinds["failure_contacts"] / max(int(kinds["failure_contacts"].sum()), 1)
    return kinds.rename_axis("kind").reset_index()


def ni14_comparison(linked: pd.DataFrame, *, moved: float = 0.5) -> pd.DataFrame | None:
    """The NI14-style avoidable-contact share beside what the same demand shows counted otherwise.

    Parameters
    ----------
    linked : DataFrame
        Labelled contacts with ``channel``, ``value_or_failure``, ``problem_id`` and, where known,
        ``customer_ref`` (:func:`studylib.link_problems`).
    moved : float
        The share of phone contacts imagined moving to the digital channel (web or app) with the
        lowest failure share, each channel keeping its own failure share: "channel shift", which
        leaves every customer as they were.

    Returns
    -------
    DataFrame, or None when no contact is labelled
        ``measure, value, counted``: the NI14 share (failure contacts / all contacts); the share of
        problems that drew failure demand; the share of callers who made a failure contact (with
        customer references); the NI14 share after the channel shift (with phone and a digital
        channel); failure contacts per problem. ``value`` is a fraction, except for failure
        contacts per problem (a number).
    """
    used = [c for c in ("value_or_failure", "problem_id", "customer_ref", "channel") if c in linked]
    labelled = linked[used][linked["value_or_failure"].isin(["value", "failure"])]   # not every column copied
    if labelled.empty:
        return None
    failure = labelled["value_or_failure"].eq("failure")
    rows = [{"measure": "NI14: avoidable (failure) contacts as a share of all contacts",
             "value": float(failure.mean()), "counted": f"{len(labelled):,} labelled contacts"}]
    by_problem = failure.groupby(labelled["problem_id"]).any()
    rows.append({"measure": "Counted per problem: problems that drew any failure demand",
                 "value": float(by_problem.mean()),
                 "counted": f"{len(by_problem):,} problems with a labelled contact"})
    if "customer_ref" in labelled and _known(labelled["customer_ref"]).any():
        known = _known(labelled["customer_ref"])
        by_caller = failure[known].groupby(labelled.loc[known, "customer_ref"].astype(str)).any()
        rows.append({"measure": "Counted per caller: customers who made any failure contact",
                     "value": float(by_caller.mean()),
                     "counted": f"{len(by_caller):,} customers with a labelled contact"})
    volume = labelled.groupby("channel").size().astype(float)
    share = failure.groupby(labelled["channel"]).mean()
    digital = [c for c in ("web", "app") if c in volume.index]
    if "phone" in volume.index and digital:
        to = min(digital, key=lambda c: share[c])
        shift = volume["phone"] * moved
        volume["phone"] -= shift
        volume[to] += shift
        rows.append({"measure": f"NI14 again, with {moved:.0%} of phone contacts moved to the {to} "
                                "(each channel's failure share unchanged: no customer better off)",
                     "value": float((volume * share).sum() / volume.sum()),
                     "counted": f"{len(labelled):,} labelled contacts, another channel mix"})
    rows.append({"measure": "Failure contacts per problem", "value": float(failure.sum() / len(by_problem)),
                 "counted": f"{int(failure.sum()):,} failure contacts, {len(by_problem):,} problems with a labelled contact"})
    return pd.DataFrame(rows, columns=["measure", "value", "counted"])


def failure_per_problem(problems: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """What to fix: failure contacts per problem, by the kind of problem.

    Parameters
    ----------
    problems : DataFrame
        :func:`studylib.measures.problems.problem_table` (``demand_type``, ``contacts``, ``failure_contacts``).

    Returns
    -------
    DataFrame
        ``demand_type, problems, failure_contacts, failure_per_problem``, the kinds of problem with
        the most failure contacts first (``top`` of them).
    """
    by = problems.groupby("demand_type").agg(problems=("contacts", "size"), failure_contacts=("failure_contacts", "sum"))
    by["failure_per_problem"] = by["failure_contacts"] / by["problems"]
    by = by[by["failure_contacts"] > 0].sort_values("failure_contacts", ascending=False, kind="stable")
    return by.head(top).reset_index()
