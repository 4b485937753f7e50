"""Demand in words: sentences from the demand stage's computed results.
"""
from __future__ import annotations

import pandas as pd

from ..measures.capability import MIN_POINTS_FOR_LIMITS


__all__ = ["demand_prose", "cost_sentence", "problems_headline", "system_sentence", "left_out_sentence",
           "predictability_sentence", "weekly_verdict_sentence"]


def problems_headline(problems: pd.DataFrame, *, linkable: int | None = None) -> str:
    """'N contacts were about M problems; K problems drew 3 or more contacts.'

    ``linkable`` counts the contacts that carry a problem reference or a location; contacts with
    neither cannot be linked, and the headline says so rather than call them separate problems.
    """
    n_contacts = int(problems["contacts"].sum())
    if linkable == 0 and n_contacts:
        return (f"None of the {n_contacts:,} contacts could be linked to the problem it is about: none carries "
                f"a problem reference or a location, so contacts about the same problem cannot be counted.")
    many = int((problems["contacts"] >= 3).sum())
    text = (f"{n_contacts:,} contacts were about {len(problems):,} problems; "
            f"{many:,} problem{'s' if many != 1 else ''} drew 3 or more contacts.")
    if linkable is not None and linkable < n_contacts:
        text += (f" {n_contacts - linkable:,} of the contacts carry no problem reference and no location, so "
                 f"they could not be linked and count as one problem each.")
    return text


def cost_sentence(costs: pd.DataFrame | None, *, days: float | None = None, currency: str = "£") -> str:
    """'Failure demand cost between £X and £Y over the study (N contacts in channels with no cost).'

    ``costs`` None: the study gives no unit costs, and the sentence says so.
    """
    if costs is None:
        return ("The study gives no unit cost for its channels, so the cost of failure demand is not "
                "estimated.")
    n_unpriced = int(costs.attrs["unpriced_contacts"])
    if n_unpriced and n_unpriced == int(costs["failure_contacts"].sum()):
        return (f"None of the {n_unpriced:,} failure contact{'' if n_unpriced == 1 else 's'} came through a channel "
                "with a unit cost in the study, so failure demand is not priced.")
    low, high = costs.attrs["total_low"], costs.attrs["total_high"]
    span = f" over the {days:,.0f} day{'' if round(days) == 1 else 's'} of the study" if days else ""
    text = f"Failure demand cost between {currency}{low:,.0f} and {currency}{high:,.0f}{span}"
    if days and days >= 28:          # a year's cost from less than four weeks would be a guess
        text += f" (between {currency}{low * 365 / days:,.0f} and {currency}{high * 365 / days:,.0f} a year at this rate)"
    text += "." if currency else " (in the units the unit costs are given in: the study gives no currency)."
    if costs.attrs["unpriced_contacts"]:
        n = int(costs.attrs["unpriced_contacts"])
        text += (f" {n:,} failure contact{' came' if n == 1 else 's came'} through channels with no cost in "
                 f"the study and {'is' if n == 1 else 'are'} not priced.")
    return text


def _pct(x: float) -> str:
    return f"{x:.0%}"


def system_sentence(by_system: pd.DataFrame) -> str:
    """Each changed service's demand now, beside its earlier system: "Housing repairs since 10 March
    2025: 31% failure demand, 120 contacts a week; before it, 58% and 150 a week."."""
    parts = []
    for service, part in by_system.groupby("service", sort=True):
        if len(part) < 2:
            continue
        part = part.sort_values("era")
        now, earlier = part.iloc[-1], part.iloc[:-1]
        text = f"{service} {now['system']}: "
        text += (f"{_pct(now['failure_share'])} failure demand, " if pd.notna(now["failure_share"]) else "")
        text += f"{now['contacts_per_week']:,.0f} contacts a week"
        before = []
        for rec in earlier.iloc[::-1].to_dict("records"):
            share = f"{_pct(rec['failure_share'])} and " if pd.notna(rec["failure_share"]) else ""
            before.append(f"{rec['system']}, {share}{rec['contacts_per_week']:,.0f} a week")
        parts.append(text + "; " + "; ".join(before) + ".")
    return " ".join(parts)


def left_out_sentence(left_out: pd.DataFrame) -> str:
    """What the demand stage left out, and why."""
    if left_out is None or left_out.empty:
        return ""
    n = int(left_out["contacts"].sum())
    reasons = "; ".join(f"{int(r['contacts']):,} {r['reason']}" for r in left_out.to_dict("records"))
    return f"{n:,} contact{'s are' if n != 1 else ' is'} left out of these figures: {reasons}."


def predictability_sentence(verdicts: pd.DataFrame | None) -> str:
    """Is weekly demand predictable? From :func:`studylib.measures.demand.weekly_verdicts`: each
    type's weeks since its last change, and only from 12 or more weeks (fewer: too few to judge)."""
    if verdicts is None or verdicts.empty:
        return "There are no whole weeks of data, so whether demand is predictable cannot be judged."
    per_type = verdicts.set_index("demand_type")
    enough = per_type[per_type["weeks"] >= MIN_POINTS_FOR_LIMITS]
    few = per_type[per_type["weeks"] < MIN_POINTS_FOR_LIMITS]
    parts = []
    if len(enough):
        stable = int((enough["verdict"] == "predictable").sum())
        judged = (f"main demand type{'s' if len(enough) != 1 else ''} with {MIN_POINTS_FOR_LIMITS} or more weeks of "
                  "data")
        how = "(judged by the runs around the median and the limits: see How each figure is counted)"
        if stable == 0:
            parts.append(f"Not one of the {len(enough)} {judged} is predictable week to week {how}: the service "
                         "cannot yet be designed around them.")
        elif stable == len(enough):
            subject = f"All {len(enough)} {judged} are" if stable > 1 else f"The one {judged} is"
            parts.append(f"{subject} predictable week to week {how}, so the service can be designed around "
                         f"{'them' if stable > 1 else 'it'}.")
        else:
            parts.append(f"{stable} of the {len(enough)} {judged} {'is' if stable == 1 else 'are'} predictable week "
                         f"to week {how}: the service can be designed around {'that one' if stable == 1 else 'those'}.")
        unsteady = enough[enough["verdict"] != "predictable"]
        for facet, rec in unsteady.iterrows():
            parts.append(f"{facet} is not predictable: {rec['reason']}.")
    if len(few):
        names = ", ".join(str(n) for n in few.index)
        parts.append(f"Too few weeks to judge for {names} ({int(few['weeks'].max())} or fewer since the last "
                     f"change; {MIN_POINTS_FOR_LIMITS} are needed).")
    return " ".join(parts)


def weekly_verdict_sentence(name: str, rec: pd.Series) -> str:
    """One demand type's weekly verdict (a row of :func:`studylib.measures.demand.weekly_verdicts`)."""
    if rec["verdict"] == "too few points":
        return f"{name}: only {int(rec['weeks'])} weeks since the last change, too few to judge."
    if rec["verdict"] == "not predictable":
        return f"{name} is not predictable week to week: {rec['reason']}."
    text = (f"{name} is predictable: between {max(rec['lower'], 0):,.0f} and {rec['upper']:,.0f} contacts a week, "
            f"on average {rec['mean']:,.0f}.")
    k = int(rec["exceptions"])
    if k:
        text += f" {k} week{'s' if k != 1 else ''} fell outside the limits: look at {'them' if k != 1 else 'it'}."
    return text


def demand_prose(demand: dict) -> dict[str, str]:
    """What / so what / now what / then what for the demand stage, from its computed tables.

    ``demand`` is the demand part of :class:`studylib.check.results.CheckResults` (``overall``,
    ``subtypes``, ``problems``, ``costs``, ``by_channel``, ``by_system``, ``predictability``,
    ``left_out``, ``days``, ``classified``).
    """
    overall = demand["overall"].iloc[0]
    n = len(demand["classified"])
    what = [f"{n:,} contacts; {int(overall['labelled']):,} labelled value or failure."]
    if overall["labelled"]:
        what.append(f"{overall['failure_share']:.0%} of demand is failure demand.")
        sub = demand["subtypes"]
        sub = sub[sub["failure_subtype"].notna()]
        if len(sub):
            what.append(f"{str(sub.iloc[0]['failure_subtype']).capitalize()} is the largest kind "
                        f"({int(sub.iloc[0]['contacts']):,} contacts).")
    changed = system_sentence(demand["by_system"])
    if changed:
        what.append(changed)
    if demand.get("problems") is not None:
        what.append(problems_headline(demand["problems"], linkable=demand.get("linkable")))
    left = left_out_sentence(demand.get("left_out"))
    if left:
        what.append(left)
    so_what = []
    if overall["labelled"]:
        so_what.append(f"Roughly {overall['failure_share'] * 10:.0f} in every 10 contacts exist only because something "
                       "was not done, or not done right, for the customer the first time.")
    if overall["failure"] > 0:
        so_what.append(cost_sentence(demand.get("costs"), days=demand.get("days"), currency=demand.get("currency", "£")))
    if not overall["labelled"]:
        so_what.append("No contact is labelled value or failure yet: listen to the verbatims and label them, "
                       "or grow the demand codebook, before judging how much demand is failure.")
    if "customers" in demand:
        from .people import customers_sentence
        so_what.append(customers_sentence(demand["customers"]))
    by_channel = demand["by_channel"]
    by_channel = by_channel[by_channel["labelled"] >= 30]
    if len(by_channel):
        top = by_channel.iloc[0]
        so_what.append(f"Failure demand is highest by {str(top['channel']).replace('_', ' ')} ({top['failure_share']:.0%}).")
    if overall["failure"] > 0:
        now_what = ["Take the largest kinds of failure demand, follow some of those contacts back to where the work "
                    "failed, and study that flow."]
    elif not overall["labelled"]:   # advice only about what this data can show
        now_what = ["Listen to a sample of contacts in the customers' words and label each value or failure "
                    "(in demand.csv, or with patterns in the demand codebook); then run the check again."]
    else:
        now_what = ["No labelled contact is failure demand: check the labels against the verbatims before "
                    "trusting that."]
    problems = demand.get("problems")
    if problems is not None and (problems["contacts"] >= 3).any():
        now_what.append("Treat problems, not contacts, as the unit of work: one pot-hole reported five times "
                        "is one job.")
    then_what = "Re-run the demand stage after each change: failure demand should fall in share and in number."
    then_what += " " + predictability_sentence(demand.get("verdicts"))
    return {"what": " ".join(what), "so what": " ".join(so_what), "now what": " ".join(now_what),
            "then what": then_what}
