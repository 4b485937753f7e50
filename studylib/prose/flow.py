"""Flow in words: sentences from the flow stage's computed results.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures.conditions import hidden_wait_words
from ..measures.systems import WHOLE_PERIOD

__all__ = ["flow_prose", "open_case_sentence", "target_sentence", "all_services_sentence", "all_services_waited",
           "largest_sentence", "waited_words"]


def open_case_sentence(effect: pd.DataFrame, *, unit: str = "days", n_open: int | None = None,
                       n_cases: int | None = None) -> str:
    """Plain words for :func:`open_case_effect` (counts from its ``attrs`` unless given)."""
    n_open = effect.attrs.get("n_open", 0) if n_open is None else n_open
    n = effect.attrs.get("n_cases", 0) if n_cases is None else n_cases
    if n_open == 0:
        return f"All {n:,} cases were finished by the end of the data, so no case is left out of the figures."
    if n_open >= n:
        return (f"{'The one case was' if n == 1 else f'All {n:,} cases were'} still open at the end of the data, so how "
                "long cases take cannot be told yet: the waiting list counts how long each has waited so far.")
    med = effect.iloc[0]
    p85 = effect.iloc[1]

    def fmt(x):
        return "more than the data can show" if not np.isfinite(x) else f"{x:.1f} {unit}"

    text = (f"{n_open:,} of {n:,} cases were still open at the end of the data. Counting only finished "
            f"cases gives a median of {med['closed_only']:.1f} {unit} and an 85th percentile of "
            f"{p85['closed_only']:.1f}; counting open cases for as long as they have waited gives "
            f"{fmt(med['estimate'])} (95% interval {fmt(med['lower'])} to {fmt(med['upper'])}) and "
            f"{fmt(p85['estimate'])}.")
    gap = p85["understated_by_days"]
    if np.isfinite(gap) and gap > 0:
        text += f" Finished-only figures understate the 85th percentile by {gap:.1f} {unit}."
    elif not np.isfinite(gap):
        text += " Too many cases are open to say how long the slowest 15% take."
    return text


def target_sentence(table: pd.DataFrame, *, clock_names: dict | None = None) -> str:
    """Plain words for :func:`around_target`: is there a spike just before the target?"""
    names = {"end_to_end_days": "the customer's clock", "official_days": "the organisation's clock"}
    names.update(clock_names or {})
    target, window = table.attrs["target"], table.attrs["window"]
    parts = []
    for rec in table.attrs["spike"].to_dict("records"):
        lo, hi = target - window, target + window
        parts.append(f"on {names.get(rec['clock'], rec['clock'])}, {rec['just_before']:,} cases finished "
                     f"between day {lo:g} and day {target:g} against {rec['just_after']:,} between day "
                     f"{target:g} and day {hi:g}")
    text = "; ".join(parts) + "."
    text = text[:1].upper() + text[1:]
    spiky = [r for r in table.attrs["spike"].to_dict("records")
             if r["just_before"] >= 10 and (r["ratio"] >= 3)]
    if spiky:
        text += (f" Work is being finished to the {target:g}-day target on "
                 f"{names.get(spiky[0]['clock'], spiky[0]['clock'])}, not to the customer's need.")
    return text


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _system_phrase(rec: dict, what: str = "") -> str:
    """"since 10 March 2025 (Repairs redesign)", or "" for a service with no dated change."""
    if rec["system"] == WHOLE_PERIOD:
        return ""
    return f" {rec['system']}" + (f" ({what})" if what and rec["era"] > 0 else "")


def _service_flow(part: pd.DataFrame, *, unit: str, whats: dict, lacks: dict) -> dict[str, list[str]]:
    part = part.sort_values("era")
    now = part.iloc[-1].to_dict()
    earlier = [r for r in part.iloc[:-1].iloc[::-1].to_dict("records")]
    named = now["service"] is not None and pd.notna(now["service"])
    words = {"what": [], "so what": [], "now what": []}
    when = _system_phrase(now, whats.get((now["service"], now["era"]), "")).strip()
    lead = f"{when[0].upper()}{when[1:]}: " if when else ""
    case = "case" if now["cases"] == 1 else "cases"
    cases = f"{case} of {now['service']}" if named else case
    if "solved" in lacks:     # nothing says when a case is solved: none is called open
        words["what"].append(f"{lead}{now['cases']:,} {cases} followed from first to last recorded event.")
    elif now["open"] == now["cases"]:
        words["what"].append(f"{lead}{now['cases']:,} {cases}, {'all' if now['cases'] != 1 else ''} still open."
                             .replace(",  still", ", still"))
    else:
        words["what"].append(f"{lead}{now['cases']:,} {cases} followed end to end; {now['open']:,} still open.")
    if now["finished"] and "solved" in lacks:
        words["what"].append(f"{_capital(waited_words(now['end_to_end_mean'], unit, lacks))}.")
    elif now["finished"]:
        words["what"].append(f"{_capital(waited_words(now['end_to_end_mean'], unit))}; the organisation's clock "
                             f"recorded {now['official_mean']:.1f}.")
    if pd.notna(now["clean_share"]):
        words["what"].append(f"Only {now['clean_share']:.0%} of cases arrive clean." if now["clean_share"] < 0.5 else
                             f"{now['clean_share']:.0%} of cases arrive clean, with what the work needs"
                             + (f"; {1 - now['clean_share']:.0%} arrive without it." if now["clean_share"] < 1 else "."))
    for rec in earlier:
        text = f"{rec['system'][0].upper()}{rec['system'][1:]}: {rec['cases']:,} cases"
        if rec["finished"]:
            text += (f", customers waited on average {rec['end_to_end_mean']:.1f} {unit} against "
                     f"{rec['official_mean']:.1f} on the organisation's clock")
        if pd.notna(rec["clean_share"]):
            text += f", {rec['clean_share']:.0%} arrived clean"
        words["what"].append(text + ".")

    def then(key, fmt):
        return "".join(f" ({r['system']}: {fmt(r[key])})" for r in earlier if pd.notna(r[key]))

    if pd.notna(now["waste_share"]):
        words["so what"].append(
            f"{now['waste_share']:.0%} of the time cases spend in the system goes on waste"
            f"{then('waste_share', lambda x: f'{x:.0%}')}; the largest part is {now['top_waste']} steps "
            f"({now['top_waste_share']:.0%} of case time).")
    rework = (f"{'no case goes' if now['rework_share'] == 0 else format(now['rework_share'], '.0%') + ' of cases go'} "
              f"through the same step twice{then('rework_share', lambda x: f'{x:.0%}')}")
    if now["finished"] and "steps" not in lacks and "people" not in lacks:   # hand-offs need steps and who did them
        words["so what"].append(
            f"A case is handed from one person or team to another {now['handoffs_mean']:.1f} times on average"
            f"{then('handoffs_mean', lambda x: f'{x:.1f}')}, and {rework}.")
    elif now["finished"] and "steps" not in lacks:
        words["so what"].append(f"{_capital(rework)}.")
    if pd.notna(now["hidden_mean"]) and now["hidden_mean"] > 0.05:
        words["so what"].append(_capital(hidden_wait_words(now, unit)) + ".")
    if now["working_to_target"]:
        words["now what"].append(f"Work is being closed to the {now['target']:g}-day target ({now['spike_before']:,} "
                                 f"cases in the 2 days before it, {now['spike_after']:,} in the 2 days after): "
                                 f"measure the customer's clock instead.")
    else:
        gamed = [r for r in earlier if r["working_to_target"]]
        if gamed and pd.notna(now["target"]):
            r = gamed[0]
            words["now what"].append(f"{r['system'][0].upper()}{r['system'][1:]}, work was closed to the "
                                     f"{r['target']:g}-day target ({r['spike_before']:,} cases in the 2 days before "
                                     f"it, {r['spike_after']:,} after); {now['system']}, no such bunching.")
    return words


def waited_words(mean: float, unit: str, lacks: dict | None = None) -> str:
    """The customer's clock in words: "customers waited on average 4.4 days from first contact to
    the problem solved", or, where nothing says when a case is solved, what the figure is instead."""
    if "solved" in (lacks or {}):
        return f"cases ran on average {mean:.1f} {unit} from their first to their last recorded event"
    return f"customers waited on average {mean:.1f} {unit} from first contact to the problem solved"


def all_services_sentence(flow: dict, unit: str = "days") -> str:
    """Every service together, said as such: "Across all 61 services, 9,983 cases followed end to
    end; 370 still open. Customers waited on average 100.0 days ... (9,613 finished cases)"."""
    every = flow["all_services"]
    text = (f"Across all {every['services']:,} services, {every['cases']:,} cases followed end to end; "
            f"{every['open']:,} still open.")
    return f"{text} {all_services_waited(flow, unit)}" if every["finished"] else text


def all_services_waited(flow: dict, unit: str = "days") -> str:
    """The customer's clock over every finished case of every service, said as such."""
    every = flow["all_services"]
    return (f"{_capital(waited_words(every['end_to_end_mean'], unit, flow.get('lacks')))} "
            f"({every['finished']:,} finished cases, all services together); the organisation's "
            f"clock recorded {every['official_mean']:.1f}.")


def largest_sentence(figures: pd.DataFrame, names: list, unit: str = "days") -> str:
    """The largest services in one sentence, each named with its cases and mean wait."""
    now = figures[figures["current"].astype(bool)].set_index("service")
    parts = []
    for name in names:
        if name in now.index:
            rec = now.loc[name]
            wait = f", {rec['end_to_end_mean']:.1f} {unit} on average" if rec["finished"] else ", none finished"
            parts.append(f"{name} ({int(rec['cases']):,} cases{wait})")
    return ("The largest: " + "; ".join(parts) + ". Every service is in the table of every service, largest first."
            if parts else "")


def flow_prose(flow: dict, *, whats: dict | None = None, shown: list | None = None) -> dict[str, str]:
    """What / so what / now what / then what for the flow stage, from :func:`studylib.measures.flow.flow_by_system`.

    The system as it is now leads ("Since 10 March 2025 ..."); each earlier system follows it.
    ``whats`` maps (service, era) to the words of the change that started that system.
    """
    figures = flow["figures"]
    unit = flow["times"].attrs.get("unit", "days") if "times" in flow else "days"
    lacks = flow.get("lacks") or {}
    what, so_what, now_what = [], [], []
    services = figures["service"].dropna().unique()
    many = shown is not None and len(shown) < len(services)
    if many:      # every service together, then the largest by name; each one's paragraph only where a change split it
        what += [all_services_sentence(flow, unit), largest_sentence(figures, shown, unit)]
        changed = figures.groupby("service")["era"].transform("nunique") > 1
        figures = figures[changed]
    for _, part in figures.groupby(figures["service"].astype(object).fillna(""), sort=True):
        words = _service_flow(part, unit=unit, whats=whats or {}, lacks=lacks)
        what += words["what"]
        so_what += words["so what"]
        now_what += words["now what"]
    if "waiting_summary" in flow and "solved" not in lacks:      # no one is called waiting without a definition
        from .people import waiting_sentence
        so_what.append(waiting_sentence(flow["waiting_summary"], flow["times"].attrs.get("as_of")))
    if "steps" in lacks:    # advice only about what this data can show
        now_what.insert(0, f"The data cannot show how the work flows: {lacks['steps']}. Follow some cases end to end "
                           "and record each step, who did it and when.")
        then_what = ("Re-run this stage with every step of each case in an event log: the hand-offs, the repeats "
                     "and where the time goes will follow.")
    elif "waste" in lacks:
        now_what.insert(0, "Write a flow codebook for this log: which steps are value work and which are waste, and which "
                           "one solves the customer's problem; then where the time goes and who is waiting can be read."
                           + (" The log does not say who did each step; record it, and the hand-offs can be counted."
                              if "people" in lacks else ""))
        then_what = ("Re-run this stage with the flow codebook, and after each change compare the customer's clock and "
                     "the share of clean cases.")
    elif "people" in lacks:
        now_what.insert(0, "Study the cases behind the largest waste: where does the work wait, and why? The log does not "
                           "say who did each step; record it, and the hand-offs can be counted.")
        then_what = "Re-run this stage after each change and compare the customer's clock and the share of clean cases."
    else:
        now_what.insert(0, "Study the cases behind the largest waste and the hand-offs: who passes the work on, and why?")
        then_what = ("Re-run this stage after each change and compare the customer's clock, the share of clean cases "
                     "and the hand-offs.")
    if "solved" in lacks and "waste" not in lacks:
        then_what += (" Say in a flow codebook which activity means the customer's problem is solved (solved:), and the "
                      "customer's clock and the waiting list can be read.")
    if "finished" in lacks:
        then_what += " When cases finish, the customer's clock can be read."
    if int(figures["open"].sum()):
        then_what += " Keep open cases in the figures (as here) so that a backlog cannot make the service look faster."
    return {"what": " ".join(what), "so what": " ".join(so_what), "now what": " ".join(now_what),
            "then what": then_what}
