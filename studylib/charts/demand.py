"""Demand charts: thin, over the tables the demand functions return.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .finish import finish

__all__ = ["plot_demand_pareto", "plot_failure_subtypes", "plot_channel_mix", "plot_contacts_per_problem", "plot_problem_map", "plot_customer_kinds"]


_VALUE, _FAILURE = "#2a7f2a", "#d9822b"


_VALUE, _FAILURE = "#2a7f2a", "#d9822b"


def plot_demand_pareto(by_type: pd.DataFrame, *, top: int = 15, ax=None):
    """Bars of contacts per demand type (:func:`demand_frequency` by ``[demand_type,
    value_or_failure]``), value green and failure orange, with the cumulative share."""
    import matplotlib.pyplot as plt
    shown = by_type.head(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.35 * len(shown) + 1.5))
    colours = [_FAILURE if v == "failure" else _VALUE for v in shown["value_or_failure"]]
    ax.barh(shown["demand_type"].astype(str).iloc[::-1], shown["contacts"].iloc[::-1], color=colours[::-1], gid="contacts")
    big = by_type.loc[by_type["contacts"].idxmax()] if len(by_type) else None
    main = (None if big is None else f"{len(by_type):,} kinds of demand; the most contacts, {int(big['contacts']):,} of "
            f"{int(by_type['contacts'].sum()):,}, are {big['demand_type']} ({big['value_or_failure']} demand)")
    return finish(ax, "Demand by type (green: value, orange: failure)", xlabel="contacts", main=main)


def plot_failure_subtypes(subtypes: pd.DataFrame, *, ax=None):
    """Bars of failure contacts per sub-type (:func:`demand_frequency` by ``failure_subtype``)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.4 * len(subtypes) + 1.2))
    ax.barh(subtypes["failure_subtype"].astype(str).iloc[::-1], subtypes["contacts"].iloc[::-1], color=_FAILURE, gid="contacts")
    big = subtypes.loc[subtypes["contacts"].idxmax()] if len(subtypes) else None
    main = (None if big is None else f"the largest kind is {big['failure_subtype']}, {int(big['contacts']):,} of "
            f"{int(subtypes['contacts'].sum()):,} failure contacts")
    return finish(ax, "Failure demand by kind", xlabel="contacts", main=main)


def plot_channel_mix(by_channel: pd.DataFrame, *, ax=None):
    """Stacked bars of value and failure contacts per channel (:func:`failure_share` by channel)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(by_channel) + 1.2))
    shown = by_channel.sort_values("contacts", kind="stable")
    names = shown["channel"].astype(str).str.replace("_", " ")      # face_to_face is said "face to face"
    ax.barh(names, shown["value"], color=_VALUE, label="value", gid="value")
    ax.barh(names, shown["failure"], left=shown["value"], color=_FAILURE, label="failure", gid="failure")
    ax.legend(frameon=False, fontsize=8)
    big = shown.iloc[-1] if len(shown) else None
    main = (None if big is None else f"{len(shown)} channels; the most contacts came by {names.iloc[-1]}, "
            f"{int(big['contacts']):,} ({int(big['failure']):,} of them failure demand)")
    return finish(ax, "Value and failure demand by channel", xlabel="contacts", main=main)


def plot_contacts_per_problem(problems: pd.DataFrame, *, ax=None, most: int = 10):
    """How many problems drew 1, 2, 3, ... contacts (the last bar is ``most`` or more)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    capped = problems["contacts"].clip(upper=most)
    counts = capped.value_counts().reindex(range(1, most + 1), fill_value=0)
    ax.bar(counts.index, counts.to_numpy(), color="#4a7fb0", gid="problems")
    ax.set_xticks(range(1, most + 1), [str(i) for i in range(1, most)] + [f"{most}+"])
    top = int(counts.idxmax()) if counts.sum() else None
    main = (None if top is None else
            f"{len(problems):,} problems; the most, {int(counts.max()):,}, drew "
            f"{top if top < most else f'{most} or more'} contact{'' if top == 1 else 's'} each")
    return finish(ax, "Contacts per problem", xlabel="contacts about the problem", ylabel="problems", main=main)


def plot_problem_map(problems: pd.DataFrame, *, ax=None):
    """Problems on a plain latitude/longitude scatter, sized by contacts (no map tiles: offline)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    placed = problems.dropna(subset=["latitude", "longitude"]) if {"latitude", "longitude"} <= set(problems) else problems.iloc[:0]
    ax.scatter(placed["longitude"], placed["latitude"], s=6 + 10 * (placed["contacts"] - 1), alpha=0.5,
               color="#4a7fb0", gid="problems")
    ax.set_aspect(1 / np.cos(np.deg2rad(placed["latitude"].mean())) if len(placed) else "auto")
    main = (f"{len(placed):,} problems with a place, of {len(problems):,}; the most contacts about one is "
            f"{int(placed['contacts'].max()):,}" if len(placed) else None)
    return finish(ax, "Where the problems are (bigger: more contacts)", xlabel="longitude", ylabel="latitude",
                  main=main)


def plot_customer_kinds(kinds: pd.DataFrame, *, ax=None):
    """Contacts made by each kind of customer, split into value and failure
    (:func:`studylib.measures.customers.customer_kinds`)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.6))
    shown = kinds[kinds["customers"] > 0].iloc[::-1]
    labels = [f"{k} ({n:,})" for k, n in zip(shown["kind"], shown["customers"])]
    value = shown["contacts"] - shown["failure_contacts"]
    ax.barh(labels, value, color=_VALUE, label="value", gid="value")
    ax.barh(labels, shown["failure_contacts"], left=value, color=_FAILURE, label="failure", gid="failure")
    ax.legend(frameon=False, fontsize=8)
    big = shown.sort_values("contacts", kind="stable").iloc[-1] if len(shown) else None
    main = (None if big is None else f"the most contacts, {int(big['contacts']):,}, came from {big['kind']} "
            f"({int(big['customers']):,} customers), {int(big['failure_contacts']):,} of them failure demand")
    return finish(ax, "Who contacts us: contacts by kind of customer (customers in brackets)", xlabel="contacts",
                  main=main)
