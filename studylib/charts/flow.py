"""Flow charts: thin, over the tables the flow functions return.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..read.codebooks import FlowCodebook
from .finish import finish, plain_dates

__all__ = ["plot_two_clocks", "plot_step_times", "plot_handoffs_rework", "plot_variants", "plot_process_map",
           "plot_around_target", "plot_waiting_ages", "plot_waiting_list", "by_system", "plot_each_system"]


VALUE_COLOUR, WASTE_COLOUR = "#2a7f2a", "#d9822b"
_CUSTOMER, _OFFICIAL = "#08519c", "#9ecae1"      # the two clocks, as in the two-clocks chart


VALUE_COLOUR, WASTE_COLOUR = "#2a7f2a", "#d9822b"


def plot_two_clocks(times: pd.DataFrame, *, ax=None, changes: pd.DataFrame | None = None):
    """Each finished case at its arrival date: the customer's clock (dark) and the organisation's
    (light), joined by a line: the gap is the time the organisation does not count. ``changes``
    (:func:`studylib.measures.systems.system_periods` rows) are drawn as dated lines."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    done = times[~times["is_open"].astype(bool)].sort_values("customer_start", kind="stable")
    import matplotlib.dates as mdates
    # The gaps as one line broken between cases, on matplotlib's day numbers: a collection of
    # segments on a date axis converts each segment at every draw (seconds for ten thousand cases).
    when = mdates.date2num(plain_dates(done["customer_start"]).to_numpy())
    gap_x = np.column_stack([when, when, np.full(len(done), np.nan)]).ravel()
    gap_y = np.column_stack([done["official_days"], done["end_to_end_days"], np.full(len(done), np.nan)]).ravel()
    ax.plot(gap_x, gap_y, color="#bbb", lw=0.6, gid="gap")
    ax.scatter(done["customer_start"], done["official_days"], s=8, color="#9ecae1", label="organisation's clock", gid="official")
    ax.scatter(done["customer_start"], done["end_to_end_days"], s=8, color="#08519c", label="customer's clock", gid="customer")
    ax.set_ylabel(times.attrs.get("unit", "days"))
    for rec in ([] if changes is None else changes[changes["era"] > 0].to_dict("records")):
        when = rec["start"] if rec["start"].tzinfo or done["customer_start"].dt.tz is None else rec["start"].tz_localize(done["customer_start"].dt.tz)
        ax.axvline(when, color="#333", ls=":", lw=1, gid="change")
        ax.annotate(f"change: {rec['system']}", (when, 1), xycoords=("data", "axes fraction"), xytext=(3, -10),
                    textcoords="offset points", fontsize=8, color="#333")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    unit = times.attrs.get("unit", "days")
    main = None
    if len(done):
        # The averages of the system as it is now, as the flow table gives them, never a mean across systems.
        now = done[done["era"] == done["era"].max()] if "era" in done else done
        systems = now["system"].dropna().unique() if "system" in now else []
        where = f"; {systems[0]}, " if len(systems) == 1 and systems[0] != "whole period" else "; "
        main = (f"{len(done):,} finished case{'s' if len(done) != 1 else ''}{where}on average "
                f"{now['end_to_end_days'].mean():.1f} {unit} on the customer's clock against "
                f"{now['official_days'].mean():.1f} on the organisation's")
    return finish(ax, "Two clocks: how long each case took", xlabel="date the customer first made contact",
                  legend=True, main=main)


def by_system(frame: pd.DataFrame) -> dict:
    """Each service and system's rows as a panel, in order of service and era, named by its system
    ("since 10 March 2025") where one service is shown, else by its service (and system, where a
    change split it)."""
    keys = frame[["service", "era", "system"]].astype(object).where(frame[["service", "era", "system"]].notna(), None)
    groups = list(frame.groupby([keys["service"], keys["era"], keys["system"]], sort=True, dropna=False))
    one_service = len({service for (service, _, _), _ in groups}) == 1
    out = {}
    for (service, era, system), part in groups:
        if one_service or service is None:
            name = str(system)
        else:
            name = str(service) if system in (None, "whole period") else f"{service}, {system}"
        out[name] = part
    return out


def plot_each_system(frame: pd.DataFrame, draw, *, shown, title: str, one: str):
    """Draw each service and system of ``frame`` (:func:`by_system`) among the services ``shown``
    keeps (:meth:`studylib.check.results.CheckResults.shown`; rows of no service always): one chart
    titled ``one.format(name)`` where there is one, small multiples under ``title`` where several.
    Returns the figure."""
    from .finish import small_multiples
    kept = frame[frame["service"].isin(shown(frame["service"].dropna().unique())) | frame["service"].isna()]
    panels = by_system(kept)
    if len(panels) > 1:
        return small_multiples(panels, draw, title=title)
    (name, part), = panels.items()
    ax = draw(part)
    ax.set_title(one.format(name))
    return ax.figure


def plot_step_times(steps: pd.DataFrame, *, ax=None):
    """Bars of the time charged to each kind of step (:func:`step_times`): value green, waste orange."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.4 * len(steps) + 1.2))
    shown = steps.iloc[::-1]
    colours = [VALUE_COLOUR if k == "value" else WASTE_COLOUR if k.startswith("waste") else "#999" for k in shown["kind"]]
    ax.barh(shown["kind"], shown["days"], color=colours, gid="days")
    big = steps.loc[steps["days"].idxmax()] if len(steps) and steps["days"].max() > 0 else None
    kind = None if big is None else str(big["kind"])
    kind = None if kind is None else (f"{kind.removeprefix('waste: ')} (waste)" if kind.startswith("waste")
                                      else "value work" if kind == "value" else kind)
    main = (None if big is None else f"the most case time, {big['days']:,.0f} of {steps['days'].sum():,.0f} days "
            f"({big['days'] / steps['days'].sum():.0%}), goes on {kind}")
    return finish(ax, "Where the time goes (green: value, orange: waste)", xlabel="days of case time, all cases",
                  main=main)


def plot_handoffs_rework(times: pd.DataFrame, *, ax=None):
    """How many cases had 0, 1, 2, ... hand-offs, and repeated steps: bars side by side, whole-number
    ticks."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    top = int(max(times["handoffs"].max(), times["rework"].max(), 0))
    counts = np.arange(top + 1)
    hand = times["handoffs"].value_counts().reindex(counts, fill_value=0)
    rework = times["rework"].value_counts().reindex(counts, fill_value=0)
    ax.bar(counts - 0.2, hand.to_numpy(), width=0.4, color="#6a51a3", label="hand-offs", gid="handoffs")
    ax.bar(counts + 0.2, rework.to_numpy(), width=0.4, color=WASTE_COLOUR, label="repeated steps", gid="rework")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    n = len(times)
    main = (None if not n else
            f"{int(hand.get(0, 0)):,} of {n:,} cases have no hand-off, and the most in one case is "
            f"{int(times['handoffs'].max()):,}; {int((times['rework'] > 0).sum()):,} go through a step twice")
    return finish(ax, "Hand-offs and rework per case", xlabel="number in the case", ylabel="cases", legend=True,
                  main=main)


def plot_variants(table: pd.DataFrame, *, ax=None, width: int = 70):
    """Horizontal bars of the commonest paths (:func:`variants`), most common at the top."""
    import textwrap

    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.75 * len(table) + 1))
    shown = table.iloc[::-1]
    labels = ["\n".join(textwrap.wrap(v, width)) for v in shown["variant"]]
    ax.barh(range(len(shown)), shown["cases"], color="#4a7fb0", gid="cases")
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    if "median_end_to_end_days" in shown:
        for i, (c, d) in enumerate(zip(shown["cases"], shown["median_end_to_end_days"])):
            ax.annotate(f"median {d:.1f} d", (c, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7,
                        gid="detail")
    first = table.iloc[0] if len(table) else None
    path = None if first is None else str(first["variant"])
    if path is not None and len(path) > 90:
        path = path[:89].rstrip() + "\u2026"
    main = (None if first is None else f"the commonest path ({path}) is taken by {int(first['cases']):,} cases"
            + (f", {first['share']:.0%} of them" if "share" in table else ""))
    return finish(ax, "The commonest paths through the work", xlabel="cases", main=main)


def plot_process_map(nodes: pd.DataFrame, edges: pd.DataFrame, *, ax=None,
                     codebook: FlowCodebook | None = None, label_share: float = 0.1):
    """Draw :func:`process_map_layout`: activities top to bottom, moves as arcs as wide as the
    cases making them (forward moves on the right, moves back up on the left), the busiest
    labelled with cases and median wait. Pure matplotlib: no Graphviz binary needed.

    Each arc carries ``gid`` "from -> to"; each box the activity's name.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    n = len(nodes)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.55 * n + 1))
    kinds = {}
    if codebook is not None and len(codebook.activities):
        kinds = dict(zip(codebook.activities["activity"], codebook.activities["kind"]))
    row = dict(zip(nodes["activity"], nodes["row"]))
    n_cases = int(nodes["events"].iloc[0]) if n else 1
    biggest = max(edges["cases"].max() if len(edges) else 1, 1)
    for rec in edges.sort_values("cases").to_dict("records"):
        if rec["from_activity"] not in row or rec["to_activity"] not in row:
            continue
        r0, r1 = row[rec["from_activity"]], row[rec["to_activity"]]
        forward = r1 > r0
        side = 1 if forward else -1
        start, stop = (side * 2.3, -r0), (side * 2.3, -r1)
        rad = -0.5 * side * (1 if forward else -1) * min(1.0, 0.25 + 0.08 * abs(r1 - r0))
        arrow = FancyArrowPatch(start, stop, arrowstyle="-|>", mutation_scale=8,
                                lw=0.4 + 5 * rec["cases"] / biggest, alpha=0.55,
                                color="#555" if forward else WASTE_COLOUR,
                                connectionstyle=f"arc3,rad={rad}", gid=f"{rec['from_activity']} -> {rec['to_activity']}")
        ax.add_patch(arrow)
        if rec["cases"] >= label_share * n_cases and abs(r1 - r0) >= 1:
            # Just outside the arc's outermost point (arc3 bows a chord by rad times its length, in
            # display units: 0.7 converts this figure's rows to its x units), on a white ground
            # so that no arc runs through the words.
            apex = side * 2.3 + rad * (r0 - r1) * 0.7 / 2
            ax.annotate(f"{rec['cases']:,} cases, median wait {rec['median_wait_days']:.1f} d",
                        (apex + side * 0.25, -(r0 + r1) / 2), fontsize=6, ha="left" if forward else "right",
                        va="center", color="#333", gid="detail", zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
    for rec in nodes.to_dict("records"):
        face = {"value": "#d8efd8", "waste": "#fbe0c6"}.get(kinds.get(rec["activity"]), "#eeeeee")
        ax.text(0, -rec["row"], f"{rec['activity']}  ({rec['events']:,})" if not rec["activity"].startswith("(") else rec["activity"],
                ha="center", va="center", fontsize=8, gid=rec["activity"],
                bbox={"boxstyle": "round,pad=0.35", "facecolor": face, "edgecolor": "#777"})
    ax.set_xlim(-7, 7)
    ax.set_ylim(-(n - 1) - 0.8, 0.8)
    ax.set_axis_off()
    ax.set_title("Process map: moves between steps (green: value, orange: waste; orange arcs go back)")
    busiest = edges.loc[edges["cases"].idxmax()] if len(edges) else None
    ax.studylib_main = (f"{n:,} steps and {len(edges):,} kinds of move between them"
                        + ("" if busiest is None else f"; the busiest, {busiest['from_activity']} to "
                           f"{busiest['to_activity']}, made by {int(busiest['cases']):,} cases"))
    return ax


def plot_around_target(table: pd.DataFrame, *, ax=None):
    """Cases finishing in each day-bin on each clock (:func:`around_target`), with the target."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.8))
    names = {"end_to_end_days": "customer's clock", "official_days": "organisation's clock"}
    colours = {"end_to_end_days": "#08519c", "official_days": "#9ecae1"}
    for clock, part in table.groupby("clock", sort=False):
        ax.step(part["bin_start"], part["cases"], where="post", label=names.get(clock, clock),
                color=colours.get(clock), gid=clock)
    target = table.attrs["target"] if "target" in table.attrs else float(table["target"].iloc[0])
    ax.axvline(target, color="#a00", ls="--", lw=1, gid="target")
    ax.annotate(f"target: {target:g} days", (target, 1), xycoords=("data", "axes fraction"),
                xytext=(3, -10), textcoords="offset points", fontsize=8, color="#a00")
    window = 2.0
    near = table[(table["bin_start"] >= target - window) & (table["bin_start"] < target)]
    said = [f"{int(part['cases'].sum()):,} on the {names.get(clock, clock)}"
            for clock, part in near.groupby("clock", sort=False)]
    main = f"cases finishing in the {window:g} days before the {target:g}-day target: " + ", ".join(said) if said else None
    return finish(ax, "When cases finish, on each clock", xlabel="days to finish", ylabel="cases", legend=True,
                  main=main)


def plot_waiting_ages(waiting: pd.DataFrame, *, ax=None, bins: int = 20, target: float | None = None):
    """The open cases by age at the as-of date, on the customer's clock and the organisation's
    (:func:`studylib.measures.waiting.waiting_list`): the light bars are the list the organisation counts."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    customer = waiting["customer_age_days"].dropna()
    official = waiting["official_age_days"].dropna()
    top = max(float(customer.max()) if len(customer) else 1.0, 1.0)
    edges = np.linspace(0, top, bins + 1)
    ax.hist(customer, bins=edges, color=_CUSTOMER, alpha=0.85, label="customer's clock: everyone waiting", gid="customer")
    ax.hist(official, bins=edges, color="#d9822b", linewidth=2, label="organisation's clock: the cases on its list",
            gid="official", histtype="step")
    if target is not None:
        ax.axvline(target, color="#333", ls=":", lw=1, gid="target", label=f"target ({target:g} days)")
    ax.legend(frameon=False, fontsize=8)
    main = (None if not len(customer) else
            f"{len(customer):,} customers waiting, {len(official):,} of them on the organisation's list; the longest "
            f"has waited {customer.max():.0f} days, half of them more than {customer.median():.0f}")
    return finish(ax, "The waiting list: open cases by age", xlabel="days waited so far", ylabel="cases", main=main)


def plot_waiting_list(weekly: pd.DataFrame, *, ax=None):
    """Week by week, the list on the customer's clock against the organisation's, with arrivals
    and completions (:func:`studylib.measures.waiting.list_over_time`)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    week = pd.to_datetime(weekly["week"])
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.plot(week, weekly["waiting"], color=_CUSTOMER, marker="o", markersize=3, label="waiting (customer's clock)")
    ax.plot(week, weekly["on_organisation_list"], color="#d9822b", marker="o", markersize=3,
            label="on the organisation's list")
    ax.plot(week, weekly["arrivals"], color="#777777", linestyle="--", linewidth=1, label="arrivals a week")
    ax.plot(week, weekly["completions"], color="#777777", linestyle=":", linewidth=1, label="solved a week")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    main = None
    if len(weekly):
        first, last = weekly.iloc[0], weekly.iloc[-1]
        start, end = pd.Timestamp(first["week"]), pd.Timestamp(last["week"])
        main = (f"{int(last['waiting']):,} customers waiting in the week of {end.day} {end:%B %Y} "
                f"({int(last['on_organisation_list']):,} on the organisation's list), against "
                f"{int(first['waiting']):,} in the week of {start.day} {start:%B %Y}")
    return finish(ax, "The waiting list week by week", xlabel="week beginning", ylabel="cases", main=main)
