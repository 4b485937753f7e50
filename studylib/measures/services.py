"""Many services, and what a study's data can support.

A 311 export carries sixty services; a council's contact centre a dozen. :func:`service_table`
puts every service in one table, largest first, and :data:`CHARTED_SERVICES` says how many every
stage charts and describes one by one; :func:`lead_chart` picks the capability chart the front
page describes; :func:`all_services` gives every case of every service together, said as such.
:func:`data_lacks` is the one rule for what the flow data cannot show (steps, people, solved,
finished, open cases only), each with its reason: every page and sentence reads it.
"""
from __future__ import annotations

import pandas as pd

from ..read.codebooks import FlowCodebook

__all__ = ["CHARTED_SERVICES", "service_table", "lead_chart", "shown_names", "all_services", "data_lacks"]


#: How many services every stage charts and describes one by one, the largest first; the others are
#: in the table of every service (:attr:`CheckResults.services`).
CHARTED_SERVICES = 6


def service_table(demand: dict, flow: dict, capability: dict) -> pd.DataFrame:
    """Every service in one table, largest first (contacts, then cases): its contacts and failure
    share, its cases and open cases, the mean days on the customer's clock of its system as it is now,
    and its capability verdict."""
    parts = []
    if demand:
        parts.append(demand["by_service"][["service", "contacts", "failure_share"]].set_index("service"))
    if flow:
        figures = flow["figures"]
        now = figures[figures["current"].astype(bool)]
        parts.append(now[["service", "cases", "open", "end_to_end_mean"]].dropna(subset=["service"])
                     .set_index("service"))
    if capability:
        verdicts = capability["table"].set_index("chart")["status"].rename("capability")
        parts.append(verdicts[verdicts.index != "All services"].to_frame())
    columns = ["service", "contacts", "failure_share", "cases", "open", "end_to_end_mean", "capability"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, axis=1).rename_axis("service").reset_index()
    for col in columns:
        if col not in table:
            table[col] = pd.NA
    for col in ("contacts", "cases", "open"):
        table[col] = table[col].astype("Int64")
    order = table.sort_values(["contacts", "cases", "service"], ascending=[False, False, True], kind="stable",
                              na_position="last")
    return order[columns].reset_index(drop=True)


def shown_names(names, *, lead: str | None, charted: list) -> list:
    """Of ``names`` (charts, or services), those a stage draws and describes one by one, largest
    first: all services together, the lead chart (:func:`lead_chart`) and the largest services
    (``charted``); every name where there are no more than :data:`CHARTED_SERVICES`."""
    names = list(names)
    if len(names) <= CHARTED_SERVICES:
        return names
    present = set(names)
    return [n for n in dict.fromkeys(["All services", lead, *charted]) if n in present]


def lead_chart(charts: dict, config: dict) -> str | None:
    """The capability chart the front page, the summary and the capability story describe: the
    service changed latest (the system as it is now), else all services together, else the one."""
    if not charts:
        return None
    dated = sorted((c for c in config.get("system_changes") or [] if c.get("service") in charts),
                   key=lambda c: c["date"])
    if dated:
        return dated[-1]["service"]
    return "All services" if "All services" in charts else next(iter(charts))


def all_services(times: pd.DataFrame) -> dict:
    """Every case of every service together: ``services, cases, open, finished, end_to_end_mean,
    official_mean`` (means over finished cases, whatever system each entered)."""
    done = times[~times["is_open"].astype(bool)]
    return {"services": int(times["service"].nunique()), "cases": len(times), "open": len(times) - len(done),
            "finished": len(done),
            "end_to_end_mean": float(done["end_to_end_days"].mean()) if len(done) else float("nan"),
            "official_mean": float(done["official_days"].mean()) if len(done) else float("nan")}


def data_lacks(times: pd.DataFrame | None, events: pd.DataFrame, codebook: FlowCodebook | None, *,
               case_export: bool = False) -> dict[str, str]:
    """What a study's flow data cannot show, each with why, in words: the one rule every page and
    every sentence reads (a section it names is left out, a figure it names is not stated).

    - ``steps``: an export of one row a case, or cases of one event each: no step inside a case, no
      hand-off, no rework, no path, no map;
    - ``people``: no column says who did each step, so hand-offs cannot be counted;
    - ``waste``: no flow codebook says which steps are value work and which waste;
    - ``solved``: nothing says when a case is solved (no flow codebook, no closed date): a case runs
      from its first to its last recorded event, and none is called solved or open;
    - ``finished``: no case has finished;
    - ``open_only``: every case is still open, as in an export of open cases: a week-by-week list is
      then when they were opened, not a trend.
    """
    if times is None or not len(times):
        return {"finished": "there are no cases", "steps": "there are no cases"}
    lacks = {}
    if case_export:
        lacks["steps"] = ("the export has one row a case (its opened and closed dates), so the steps inside a case, "
                          "hand-offs and rework cannot be seen")
    elif not (times["n_events"] > 1).any():
        lacks["steps"] = "every case has one event, so there are no steps to time, count, follow or map"
    if "steps" not in lacks and events["resource"].isna().all():
        lacks["people"] = "no column says who did each step, so hand-offs from one person or team to another cannot be counted"
    if codebook is None and "steps" not in lacks:
        lacks["waste"] = "no flow codebook says which steps are value work and which are waste"
    if codebook is None:
        lacks["solved"] = ("nothing in the data says when a case is solved (no flow codebook, no closed date), so each "
                           "case is timed from its first to its last recorded event, and none is called solved or open")
    if times["is_open"].astype(bool).all():
        lacks["finished"] = "no case has finished yet"
        lacks["open_only"] = ("every case in the data is still open, as in an export of open cases only, so how many "
                              "were open week by week shows when they were opened, not whether a backlog is growing")
    return lacks
