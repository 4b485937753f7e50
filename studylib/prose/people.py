"""Who contacts us, one percentage against another, and the waiting list, in words."""
from __future__ import annotations

import pandas as pd

from ..text import long_date

__all__ = ["customers_sentence", "ni14_sentence", "waiting_sentence"]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def customers_sentence(kinds: pd.DataFrame | None) -> str:
    """Persistent complainers and patrollers, or why they cannot be told apart."""
    if kinds is None:
        return ("The demand data carries no customer reference, so who contacts again and again (and who reports "
                "many different problems) cannot be told.")
    k = kinds.set_index("kind")
    total = int(k["customers"].sum())
    complainers = int(k.loc["persistent complainer", "customers"] + k.loc["both", "customers"])
    patrollers = int(k.loc["patroller", "customers"] + k.loc["both", "customers"])
    parts = [f"Of {_plural(total, 'customer')} with a reference, {complainers:,} contacted again and again about "
             "failures (persistent complainers)"]
    if complainers:
        parts[0] += (f": {k.loc['persistent complainer', 'share_of_contacts'] + k.loc['both', 'share_of_contacts']:.0%} "
                     f"of contacts and {k.loc['persistent complainer', 'share_of_failure'] + k.loc['both', 'share_of_failure']:.0%} "
                     "of failure demand, each repeat a cost of not solving the problem the first time")
    parts.append(f"{patrollers:,} reported three or more different problems (patrollers): people the service could "
                 "work with, not a burden" if patrollers else "no one reported three or more different problems")
    return "; ".join(parts) + "."


def ni14_sentence(ni14: pd.DataFrame | None, fix_first: pd.DataFrame | None = None) -> str:
    """Why one avoidable-contact percentage misleads, with the study's own numbers."""
    if ni14 is None or ni14.empty:
        return ""
    v = dict(zip(ni14["measure"].str.split(":").str[0], ni14["value"]))
    text = f"NI14 would report {v['NI14']:.0%} avoidable contact."
    counted = []
    if "Counted per problem" in v:
        counted.append(f"{v['Counted per problem']:.0%} counted per problem")
    if "Counted per caller" in v:
        counted.append(f"{v['Counted per caller']:.0%} per caller")
    if counted:
        text += " The same demand reads " + " and ".join(counted) + "."
    shift = ni14[ni14["measure"].str.startswith("NI14 again")]
    if len(shift):
        how = shift.iloc[0]["measure"].split(", with ", 1)[1].split(" (")[0]
        text += f" With {how} it would read {shift.iloc[0]['value']:.0%}, and no customer would be better off."
    text += " One percentage moves with the channel mix and with what is counted; failure demand per problem says what to fix"
    if fix_first is not None and len(fix_first):
        top = fix_first.iloc[0]
        text += (f": most of it comes with '{top['demand_type']}' ({int(top['failure_contacts']):,} failure contacts, "
                 f"{top['failure_per_problem']:.1f} per problem)")
    return text + "."


def waiting_sentence(summary: pd.DataFrame | None, as_of) -> str:
    """How many wait at the as-of date on the customer's clock, beside the organisation's list."""
    if summary is None or summary.empty:
        return f"No customer is waiting at {long_date(as_of)}: every case that started has been solved."
    waiting, listed = int(summary["waiting"].sum()), int(summary["on_organisation_list"].sum())
    hidden, closed = int(summary["not_yet_registered"].sum()), int(summary["closed_not_solved"].sum())
    text = f"At {long_date(as_of)}, {_plural(waiting, 'customer is', 'customers are')} waiting for a problem to be solved"
    if waiting != listed:
        gaps = [g for g in (f"{hidden:,} made contact and have no case yet" if hidden else "",
                            f"{closed:,} {'case is' if closed == 1 else 'cases are'} closed but not solved" if closed else "") if g]
        text += f"; the organisation's list shows {listed:,} ({'; '.join(gaps)})"
    text += "."
    if summary["past_target"].notna().any():
        past, past_official = int(summary["past_target"].sum()), int(summary["past_target_official"].sum())
        if past == 0:
            text += " No one has waited past the target yet."
        else:
            text += (f" {past:,} {'has' if past == 1 else 'have'} waited past the target on the customer's clock"
                     + (f", {past_official:,} on the organisation's." if past_official != past else "."))
    if summary["past_due"].notna().any():
        past_due = int(summary["past_due"].sum())
        text += f" {past_due:,} of {waiting:,} are past the service-level date the organisation published."
    return text
