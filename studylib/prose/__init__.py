"""Report prose: modules that turn computed results into words, and compute nothing of their own.

:func:`summary_prose` gives every stage's four parts (what, so what, now what, then what) from
one :class:`studylib.check.results.CheckResults`; the summary and each stage report show the same words.
"""
from __future__ import annotations

__all__ = ["summary_prose", "purpose_prose", "conditions_prose", "stage_headlines"]


def purpose_prose(results) -> dict[str, str]:
    from ..measures.purpose import targets_purpose
    from ..measures.purpose import PURPOSE_WORD_LIMIT, word_count
    from .purpose import purpose_summary
    s = results.study
    purpose = (s.findings or {}).get("purpose")
    de_facto = (s.findings or {}).get("de_facto_purpose")
    what = (f"Purpose in the customer's terms: {str(purpose).strip()}" if purpose else
            "The team has not yet written the purpose in the customer's terms.")
    words = word_count(purpose)
    if words > PURPOSE_WORD_LIMIT:
        what += (f" At {words:,} words it is longer than the {PURPOSE_WORD_LIMIT} a purpose should take: "
                 "say it in fewer, in the customer's words.")
    if s.has_demand:
        what += " " + purpose_summary(results.purpose["matters"], len(s.demand))
    implied = targets_purpose(s.config)
    so_what = (f"The organisation's measures imply another purpose: {str(de_facto).strip()}" if de_facto
               else "Compare the purpose with what the organisation's measures reward.")
    if implied:
        so_what += f" The study's targets reward this: {implied}"
    return {
        "what": what,
        "so what": so_what,
        "now what": "Judge every measure and change below against what matters to customers.",
        "then what": "Keep listening to demand: what matters may differ by service and over time.",
    }


def conditions_prose(results) -> dict[str, str]:
    """The register in words: waste found now, conditions that stand, and what a change removed."""
    c = results.conditions
    wastes, register = c["wastes"], c["register"]
    now = wastes[wastes["current"]] if len(wastes) else wastes
    conditions = register.drop_duplicates("condition") if len(register) else register
    ended = conditions[conditions["status"] != "stands"] if len(conditions) else conditions
    kinds = now["waste"].nunique()
    # The system as it is now, in words: each changed service since its change, the rest over the whole period.
    frames = []
    if len(now):
        changed = now[now["system"] != "whole period"].dropna(subset=["service"])
        frames = [f"{svc} {system}" for svc, system in changed[["service", "system"]].drop_duplicates().itertuples(index=False)]
        if (now["system"] == "whole period").any():
            frames.append("every other service over the whole period" if frames else "over the whole period")
    frame = f" ({'; '.join(frames)})" if frames and frames != ["over the whole period"] else ""
    what = (f"{kinds:,} kind{'s' if kinds != 1 else ''} of waste found in the system as it is now{frame}; "
            f"{len(conditions):,} system condition{'s' if len(conditions) != 1 else ''} recorded"
            + (f", {len(ended):,} of them ended by a change." if len(ended) else "."))
    so_what = []
    for cond in ended.to_dict("records"):
        rows = register[register["condition"] == cond["condition"]]
        figures = "; ".join(f"{r['cause']}: {r['before'] or 'not measured'} before, {r['found']} since"
                            for r in rows.to_dict("records"))
        so_what.append(f"{cond['status'][0].upper()}{cond['status'][1:]}: {cond['condition']} ({figures}).")
    standing = conditions[conditions["status"] == "stands"]["condition"].tolist() if len(conditions) else []
    if standing:
        so_what.append("Still standing: " + "; ".join(standing) + ".")
    questions = c["questions"]
    now_what = (f"{len(questions):,} kind{'s' if len(questions) != 1 else ''} of waste found "
                f"{'have' if len(questions) != 1 else 'has'} no recorded cause yet: study "
                f"{'them' if len(questions) != 1 else 'it'} before redesigning." if len(questions)
                else "Every kind of waste found has a recorded cause: redesign against those conditions.")
    return {"what": what, "so what": " ".join(so_what) or "No recorded condition has been ended by a change.",
            "now what": now_what,
            "then what": "After each change, re-run the check: the waste a condition causes should fall, "
                         "and the team's findings should record which change ended it."}


def unfinished_prose(times) -> dict[str, str]:
    """Capability when no case has finished: there is nothing to chart, and the prose says why."""
    from ..text import long_date
    n = len(times)
    return {
        "what": (f"Not one of the {n:,} cases has finished by {long_date(times.attrs['as_of'])}, so there is no capability "
                 "chart: what a system delivers can only be read from cases it has finished."),
        "so what": "How long customers have waited so far is the waiting list, in the flow report: every open case is "
                   "counted there, with its age.",
        "now what": "Follow some of the oldest open cases to the end, and find out what they are waiting for.",
        "then what": "Re-run the check when cases have finished: the chart and its limits will follow.",
    }


def summary_prose(results) -> dict[str, dict[str, str]]:
    """Stage title -> what / so what / now what / then what, for every stage with data."""
    from ..measures.holds import holds_summary
    from .capability import capability_prose
    from .demand import demand_prose
    from .flow import flow_prose
    out = {"Purpose": purpose_prose(results)}
    if results.demand:
        out["Demand"] = demand_prose(results.demand)
    charts = results.capability.get("charts") if results.capability else None
    if charts:
        name = results.capability["lead"]
        chart = charts[name]
        out["Capability"] = capability_prose(chart, name=name.lower(), stats=results.capability["limits"][name],
                                             holds=holds_summary(results.capability.get("holds")))
    elif results.flow:
        out["Capability"] = unfinished_prose(results.flow["times"])
    if results.flow:
        whats = {(r["service"], r["era"]): r["what"] for r in results.systems.to_dict("records")}
        out["Flow"] = flow_prose(results.flow, whats=whats,
                                 shown=results.shown(results.flow["figures"]["service"].dropna().unique()))
    if results.status("05_system_conditions") == "ok" or len(results.conditions.get("wastes", [])):
        out["System conditions"] = conditions_prose(results)
    return out


def stage_headlines(results) -> dict[str, str]:
    """Stage title -> the one finding that matters, with its figure, for the front page.

    Each is a sentence (or its figures) that the stage's own report states too.
    """
    from .capability import capability_headline
    out = {"Summary": "Every stage's findings on one page: what, so what, now what, then what, with one chart each."}
    matters = results.purpose.get("matters")
    if matters is not None and len(matters):
        top = matters.iloc[0]
        out["Purpose"] = f"What matters most to customers: “{top['what_matters']}” ({top['share']:.0%} of the contacts where it was recorded)."
    elif (results.study.findings or {}).get("purpose"):
        out["Purpose"] = f"Purpose in the customer's terms: {str(results.study.findings['purpose']).strip()}"
    else:   # never a blank row: say why there is no finding yet
        out["Purpose"] = ("No purpose yet: no contact records what matters to the customer, and the team has not written "
                          "the purpose in the customer's terms yet.")
    if results.demand:
        overall = results.demand["overall"].iloc[0]
        from .headline import failure_now_words, period_words
        now = failure_now_words(results)
        # The whole period's share says so; the system as it is now comes beside it where a change split one.
        out["Demand"] = (f"Across every service {period_words(results)}, {overall['failure_share']:.0%} of demand is "
                         f"failure demand" + (f"; {now}." if now else ".") if overall["labelled"]
                         else "No contact is labelled value or failure yet.")
    charts = results.capability.get("charts") if results.capability else None
    if charts:
        name = results.capability["lead"]
        words = capability_headline(charts[name], stats=results.capability["limits"][name])
        # A figure over every service says so.
        out["Capability"] = f"All services together: {words[0].lower()}{words[1:]}" if name == "All services" else words
    elif "Capability" in results.prose:
        out["Capability"] = results.prose["Capability"]["what"]
    if results.flow:
        figures = results.flow["figures"]
        now = figures[figures["current"]]
        unit = results.flow["times"].attrs.get("unit", "days")
        parts = []
        services = figures["service"].dropna().unique()
        if len(results.shown(services)) < len(services):     # many services: all of them together, said so
            from .flow import all_services_sentence, all_services_waited
            parts.append(all_services_waited(results.flow, unit) if results.flow["all_services"]["finished"]
                         else all_services_sentence(results.flow, unit))
            now = now.iloc[:0]
        from .flow import waited_words
        lacks = results.flow.get("lacks") or {}
        for rec in now.to_dict("records"):
            if rec["finished"]:
                when = "" if rec["system"] == "whole period" else f"{rec['system'][0].upper()}{rec['system'][1:]}, "
                text = waited_words(rec["end_to_end_mean"], unit, lacks) + (
                    "." if "solved" in lacks else f"; the organisation's clock recorded {rec['official_mean']:.1f}.")
                parts.append(when + (text if when else text[0].upper() + text[1:]))
        if not parts:
            from .people import waiting_sentence
            parts = ["No case has finished yet.",
                     waiting_sentence(results.flow.get("waiting_summary"), results.flow["times"].attrs.get("as_of"))]
        out["Flow"] = " ".join(parts)
    if "System conditions" in results.prose:
        out["System conditions"] = results.prose["System conditions"]["what"]
    return out
