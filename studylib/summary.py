"""The whole check at once: every stage's results from one study, for the summary and the register.

Each stage notebook computes its own results; the summary and the system-conditions register
need all of them. :func:`stage_results` computes them with the same library functions and the
stages' default parameters, so the figures agree with the stage reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .study import Study

__all__ = ["StageResults", "stage_results", "demand_results", "flow_results", "select_contacts"]


@dataclass
class StageResults:
    """What each stage found. Fields are None where the study has no data for that stage."""

    study: Study
    classified: pd.DataFrame | None = None
    problems: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    predictability: pd.DataFrame | None = None
    days: float | None = None
    times: pd.DataFrame | None = None
    steps: pd.DataFrame | None = None
    effect: pd.DataFrame | None = None
    spike: pd.DataFrame | None = None
    target: float | None = None
    capability: dict = field(default_factory=dict)
    period: tuple | None = None

    def prose(self) -> dict[str, dict[str, str]]:
        """Stage name -> what / so what / now what / then what."""
        from .capability import capability_prose
        from .demand import demand_prose
        from .flow import flow_prose
        from .purpose import purpose_summary, what_matters
        out = {}
        s = self.study
        if s.has_demand:
            matters = what_matters(s.demand)
            purpose = s.findings.get("purpose") if s.findings else None
            de_facto = s.findings.get("de_facto_purpose") if s.findings else None
            out["Purpose"] = {
                "what": (f"Purpose in the customer's terms: {purpose.strip()}" if purpose else
                         "The team has not yet written the purpose in the customer's terms.")
                        + " " + purpose_summary(matters, len(s.demand)),
                "so what": (f"The organisation's measures imply another purpose: {de_facto.strip()}" if de_facto
                            else "Compare the purpose with what the organisation's measures reward."),
                "now what": "Judge every measure and change below against what matters to customers.",
                "then what": "Keep listening to demand: what matters may differ by service and over time.",
            }
        if self.classified is not None:
            out["Demand"] = demand_prose(self.classified, self.problems, self.costs,
                                         predictability=self.predictability, days=self.days)
        if self.capability:
            name, result = next(reversed(self.capability.items()))
            out["Capability"] = capability_prose(result, name=name.lower())
        if self.times is not None:
            services = self.times["service"].dropna().unique()
            out["Flow"] = flow_prose(self.times, steps=self.steps, effect=self.effect, spike=self.spike,
                                     name=services[0].lower() if len(services) == 1 else "the service")
        return out


def select_contacts(study: Study, *, period_start=None, period_end=None, service: str | None = None):
    """The study's contacts within a period (default study.yml's) and, optionally, one service.

    Returns ``(contacts, start, end)``; ``end`` is the last day included. Dates without a zone are
    read in the study's timezone.
    """
    period = study.config.get("period") or {}
    start = pd.Timestamp(period_start) if period_start else period.get("start")
    end = pd.Timestamp(period_end) if period_end else period.get("end")

    def zoned(stamp):
        return stamp if stamp is None or stamp.tzinfo or study.timezone is None else stamp.tz_localize(study.timezone)

    start, end = zoned(start), zoned(end)
    contacts = study.demand
    if start is not None:
        contacts = contacts[contacts["received_at"] >= start]
    if end is not None:
        contacts = contacts[contacts["received_at"] < end + pd.Timedelta(days=1)]
    if service:
        contacts = contacts[contacts["service"] == service]
    return contacts, start, end


def demand_results(study: Study, *, radius_m: float = 50, window_days: float = 28, period_start=None,
                   period_end=None, service: str | None = None) -> StageResults:
    """The demand stage's results (classified contacts, problems, costs, predictability)."""
    from . import demand as dm

    out = StageResults(study=study)
    if not study.has_demand:
        return out
    contacts, start, end = select_contacts(study, period_start=period_start, period_end=period_end, service=service)
    classified = (dm.classify_demand(contacts, study.demand_codebook) if study.demand_codebook is not None
                  else contacts.assign(matched_by=contacts["demand_type"].notna().map({True: "hand label", False: "none"}),
                                       needs_review=contacts["demand_type"].isna()))
    out.classified = classified
    out.problems = dm.problem_table(dm.link_problems(classified, radius_m=radius_m, window_days=window_days))
    out.costs = dm.failure_cost(classified, study.config.get("channel_costs"))
    weekly = dm.weekly_demand(classified, period=(start, end) if start is not None and end is not None else None)
    out.predictability = dm.demand_predictability(weekly) if len(weekly) else None
    received = classified["received_at"]
    out.days = (received.max() - received.min()).total_seconds() / 86400 + 1 if len(classified) else None
    out.period = (start, end)
    return out


def flow_results(study: Study, *, as_of=None, business_days: bool = False, target: float | None = None) -> StageResults:
    """The flow and capability stages' results (case times, steps, open cases, target spike, charts).

    ``target`` None takes the end_to_end_days target from study.yml (for the one service with
    cases, or the one for all services).
    """
    from . import capability as cap
    from . import flow

    out = StageResults(study=study)
    if not study.has_events:
        return out
    times = flow.case_times(study.events, codebook=study.flow_codebook, as_of=as_of or study.as_of,
                            business_days=business_days, holidays=study.config.get("holidays"))
    out.times = times
    out.steps = flow.step_times(study.events, study.flow_codebook) if study.flow_codebook is not None else None
    out.effect = flow.open_case_effect(times)
    if target is None:
        services = times["service"].dropna().unique()
        found = cap.study_target(study.config, service=services[0] if len(services) == 1 else None)
        target = None if found is None else float(found["value"])
    out.target = target
    out.spike = flow.around_target(times, target) if target else None
    out.capability = cap.capability_charts(times, study.config)
    return out


def stage_results(study: Study, *, radius_m: float = 50, window_days: float = 28) -> StageResults:
    """Compute every stage's results for a loaded study, as the stage notebooks do by default."""
    demand = demand_results(study, radius_m=radius_m, window_days=window_days)
    flows = flow_results(study)
    for name in ("times", "steps", "effect", "spike", "target", "capability"):
        setattr(demand, name, getattr(flows, name))
    return demand
