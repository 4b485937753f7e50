"""The whole check, computed once: every stage's results from one study and one set of settings.

:func:`compute_check` is the one place a check's figures are computed. The stage notebooks, the
summary and the system-conditions register all read its :class:`CheckResults`, so no report can
show a figure computed with other settings than another's. ``studylib check`` computes it once,
saves it in a private folder for the run (never the reports folder: it holds the raw data), and
hands the file to every kernel (:func:`save_results`, :func:`load_results`); a notebook opened in
JupyterLab computes it from its study folder (:func:`check_results`).
"""
from __future__ import annotations

import functools
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ParameterError, StudylibWarning, collect_caveats
from ..read.ordering import order_ties, ties_sentence
from ..read.settings import resolve_settings
from ..read.study import Study, load_study
from .stored import load_results, save_results  # noqa: F401 (the runner and the package read them here)
from ..measures.services import CHARTED_SERVICES, all_services, data_lacks, lead_chart, service_table, shown_names
from ..measures.systems import assign_systems, system_periods
from ..text import long_date

__all__ = ["CheckResults", "compute_check", "check_results", "save_results", "load_results", "STAGES",
           "select_contacts", "stage_table", "likely_stages"]

#: The stages of a check: notebook stem, title, and what each needs to say something.
STAGES = [
    ("00_summary", "Summary", None),
    ("01_purpose", "Purpose", None),
    ("02_demand", "Demand", "demand"),
    ("03_capability", "Capability", "events"),
    ("04_flow", "Flow", "events"),
    ("05_system_conditions", "System conditions", "findings"),
]

#: What a skipped stage needs, and the study.yml lines that add it.
NEEDS = {
    "demand": ("no demand data",
               "This stage needs demand records: one row per contact (contact_id, received_at, channel, "
               "service, verbatim).",
               "demand:\n  file: demand.csv          # one row per contact\n"
               "demand_codebook: demand_codebook.yml   # optional: labels contacts value or failure"),
    "events": ("no case events",
               "This stage needs case events: one row per event (case_id, activity, timestamp), and a "
               "flow codebook saying which activities start and stop each clock.",
               "events:\n  file: events.csv          # one row per case event\n"
               "flow_codebook: flow_codebook.yml"),
    "findings": ("no findings and no waste found",
                 "This stage needs the team's findings (system conditions and the thinking behind "
                 "them) or data from which waste can be found (demand or case events).",
                 "findings: findings.yml     # system_conditions: [{condition: ..., causes: [...]}]"),
}


@dataclass
class CheckResults:
    """Every stage's results from one study and one set of settings.

    Attributes
    ----------
    study : Study
    settings : dict
        :func:`studylib.read.settings.resolve_settings`.
    systems : DataFrame
        :func:`studylib.measures.systems.system_periods` for every service in the data.
    stages : DataFrame
        ``notebook, stage, status, reason``: ``status`` is "ok" or "skipped" (``reason`` then
        says what data is missing).
    caveats : DataFrame
        ``stage, caveat``: what a reader should bear in mind, in words (the study's warnings).
    prose : dict
        Stage title -> {"what", "so what", "now what", "then what"}: the words every report shows.
    headlines : dict
        Stage title -> the one finding that matters, with its figure (the front page).
    demand, flow, capability, conditions : dict
        Each stage's tables (empty when the stage has no data).
    predictions : dict
        The team's predictions (``predictions.yml``), by key, as read when the check was computed.
    reflections : dict
        What the team wrote after each stage (``reflections.yml``): stage -> prompt -> text.
    services : DataFrame
        Every service, largest first (by contacts, then cases): ``service, contacts,
        failure_share, cases, open, end_to_end_mean`` (the system as it is now, on the customer's
        clock) and ``capability`` (its verdict) (:func:`service_table`). A study of many services
        shows them here, in one table, rather than a paragraph or a chart each.
    charted : list of str
        The services charted and described one by one on every stage: the largest
        :data:`CHARTED_SERVICES` (every service where there are no more).
    counts : dict
        The study as read: ``contacts``, ``events``, ``logged_cases`` (distinct case ids in the log)
        and ``cases`` (those the flow stage times, to the as-of date).
    answers : dict
        Every exercise's answer for this study, by key (:func:`studylib.teaching.exercises.every_answer`).
    figures : dict
        The headline figures and verdicts in plain numbers and words, per service and system, as the
        study's ledger keeps them (:func:`studylib.check.ledger.headline_figures`).
    seconds : dict
        How long each part of the computation took (part -> seconds, in the order they ran), for
        ``run_manifest.json`` and ``benchmarks/bench_large.py``.
    """

    study: Study
    settings: dict
    systems: pd.DataFrame
    stages: pd.DataFrame
    caveats: pd.DataFrame
    prose: dict = field(default_factory=dict)
    headlines: dict = field(default_factory=dict)
    purpose: dict = field(default_factory=dict)
    demand: dict = field(default_factory=dict)
    flow: dict = field(default_factory=dict)
    capability: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)
    predictions: dict = field(default_factory=dict)
    reflections: dict = field(default_factory=dict)
    services: pd.DataFrame = field(default_factory=pd.DataFrame)
    charted: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    def status(self, notebook: str) -> str:
        rec = self.stages[self.stages["notebook"] == notebook]
        return rec["status"].iloc[0] if len(rec) else "ok"

    def shown(self, names) -> list:
        """Of ``names`` (charts, or services), those a stage draws and describes one by one: all
        services together, the service the latest dated change split, and the largest services
        (:attr:`charted`); the others are in the table of every service (:attr:`services`)."""
        return shown_names(names, lead=(self.capability or {}).get("lead"), charted=self.charted)

    def drawn(self, charts) -> tuple[list, list]:
        """The charts :meth:`shown` keeps, as ``(alone, together)``: all services together and the
        lead chart each drawn on their own; the largest services side by side as small multiples,
        where there are two or more of them (else every chart on its own)."""
        shown = self.shown(charts)
        alone = [n for n in shown if n in ((self.capability or {}).get("lead"), "All services")]
        together = [n for n in shown if n not in alone]
        return (shown, []) if len(together) < 2 else (alone, together)

    def stage_caveats(self, stage: str) -> list[str]:
        return self.caveats.loc[self.caveats["stage"].isin([stage, "Data"]), "caveat"].drop_duplicates().tolist()

    def __repr__(self) -> str:
        ok = ", ".join(f"{r.stage} {r.status}" for r in self.stages.itertuples())
        return f"<CheckResults {self.study.name!r}: {ok}; {len(self.caveats)} caveats>"


def release_memory() -> None:
    """Give freed memory back to the system: Arrow keeps the text of tables no longer held in a pool
    of its own until asked, and C's allocator keeps what numpy freed, a large study's parts leave
    hundreds of megabytes in each."""
    import pyarrow as pa
    pa.default_memory_pool().release_unused()
    _trim_c_heap()


@functools.cache
def _c_library():
    import ctypes
    import ctypes.util
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _trim_c_heap() -> None:
    """glibc's ``malloc_trim(0)``: the free memory at the top and in the middle of the C heap given
    back (where the C library has it: glibc does, macOS's and musl's have no such call)."""
    libc = _c_library()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)


@contextmanager
def timed(seconds: dict | None, part: str):
    """Add the time the block takes to ``seconds[part]`` (nothing when ``seconds`` is None), and
    give back what the part freed (:func:`release_memory`)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        release_memory()
        if seconds is not None:
            seconds[part] = seconds.get(part, 0.0) + time.perf_counter() - started


def select_contacts(study: Study, settings: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The contacts inside the check's period, and a count of those left out with the reason.

    Returns
    -------
    (contacts, left_out): ``left_out`` has columns ``reason, contacts``.
    """
    start, end = settings.get("period_start"), settings.get("period_end")
    contacts = study.demand
    keep = pd.Series(True, index=contacts.index)
    left = []
    if start is not None:
        early = contacts["received_at"] < start
        left.append({"reason": f"received before the study period starts ({long_date(start)})",
                     "contacts": int(early.sum())})
        keep &= ~early
    if end is not None:
        late = contacts["received_at"] >= end + pd.Timedelta(days=1)
        left.append({"reason": f"received after the study period ends ({long_date(end)})",
                     "contacts": int(late.sum())})
        keep &= ~late
    as_of = settings.get("as_of")
    if as_of is not None:
        after = keep & (contacts["received_at"] > as_of)
        left.append({"reason": f"received after the as-of date ({long_date(as_of)})", "contacts": int(after.sum())})
        keep &= ~after
    left_out = pd.DataFrame(left, columns=["reason", "contacts"])
    return contacts[keep], left_out[left_out["contacts"] > 0].reset_index(drop=True)


def _targets(config: dict, services, settings: dict) -> dict:
    from ..measures.capability import study_target
    out = {}
    for service in services:
        if settings.get("target") is not None:
            out[service] = float(settings["target"])
            continue
        found = study_target(config, service=service)
        out[service] = None if found is None else float(found["value"])
    return out


def _demand(study: Study, settings: dict, systems: pd.DataFrame, seconds: dict | None = None) -> dict:
    from ..measures import demand as dm
    from ..measures.problems import link_problems, problem_table
    contacts, left_out = select_contacts(study, settings)
    with timed(seconds, "classify"):
        if study.demand_codebook is not None:
            classified = dm.classify_demand(contacts, study.demand_codebook)
        else:
            labelled = contacts["demand_type"].notna()
            classified = contacts.assign(matched_by=labelled.map({True: "hand label", False: "none"}),
                                         needs_review=~labelled)
    changes = study.config.get("system_changes") or []
    classified = pd.concat([classified, assign_systems(classified["received_at"], classified["service"], changes)],
                           axis=1)
    with timed(seconds, "link"):
        linked = link_problems(classified, radius_m=settings["radius_m"], window_days=settings["window_days"])
        problems = problem_table(linked)
    with timed(seconds, "demand tables"):
        start, end = settings.get("period_start"), settings.get("period_end")
        if end is not None and settings.get("as_of") is not None:
            end = min(end, settings["as_of"])       # the weeks after the as-of date are not in the data: no gap
        weekly = dm.weekly_demand(classified, period=(start, end) if start is not None and end is not None else None,
                                  engine=settings["engine"], timezone=study.config.get("timezone"))
        received = classified["received_at"]
        costs = study.config.get("channel_costs") or None
        from ..measures.customers import customer_kinds, customer_patterns, failure_per_problem, ni14_comparison
        out = {
            "classified": classified,
            "left_out": left_out,
            # Who contacts us: counts per kind of customer only (customer references are never shown).
            "customers": customer_kinds(customer_patterns(linked)),
            "ni14": ni14_comparison(linked),
            "fix_first": failure_per_problem(problems),
            "problems": problems,
            # Only the study's own unit costs price failure demand: without them it is not priced.
            "costs": dm.failure_cost(classified, costs) if costs else None,
            "costs_by_service": dm.failure_cost(classified, costs, by="service") if costs else None,
            "currency": dm.currency_symbol(study.config.get("currency")),
            "linkable": int((classified["problem_ref"].notna()
                             | (classified["latitude"].notna() & classified["longitude"].notna())).sum()),
            "weekly": weekly,
            "predictability": (dm.demand_predictability(weekly, rebase_at=dm.change_weeks(classified, weekly, systems))
                               if len(weekly) else None),
            "by_type": dm.demand_frequency(classified, ["demand_type", "value_or_failure"]),
            "subtypes": dm.demand_frequency(classified[classified["value_or_failure"] == "failure"], "failure_subtype"),
            "by_channel": dm.failure_share(classified, "channel"),
            "by_service": dm.failure_share(classified, "service"),
            "overall": dm.failure_share(classified),
            "by_system": dm.demand_by_system(classified, systems,
                                             period=(start, end) if start is not None and end is not None else None),
            # The span the contacts stand for: the study's period (to the as-of date) when study.yml gives
            # one, else the days from the first contact to the last.
            "days": (float((end.date() - start.date()).days + 1) if start is not None and end is not None
                     else (received.max() - received.min()).total_seconds() / 86400 + 1 if len(classified) else None),
            "period": (start, end),
        }
        out["verdicts"] = dm.weekly_verdicts(out["predictability"])
        out.update(_demand_shown(classified, coded=study.demand_codebook is not None))
    return out


#: The contacts needing review a demand report lists, the first of them, in the customers' words.
REVIEW_ROWS = 30


def _demand_shown(classified: pd.DataFrame, *, coded: bool) -> dict:
    """What the demand report shows of the contacts, drawn from them here so that its kernel need
    not read a million rows to print a few: ``contacts`` (how many), ``examples`` (verbatims of the
    main failure types), ``labelled_by`` (contacts per way of labelling), ``review`` (the first
    :data:`REVIEW_ROWS` contacts needing review; ``review_count`` all of them) and, where a codebook
    labelled them, ``agreement`` (with the team's hand labels)."""
    from ..measures import demand as dm
    needs = classified["needs_review"].astype(bool)
    review = classified.loc[needs, [c for c in ("contact_id", "channel", "verbatim", "matched_types") if c in classified]]
    return {
        "contacts": len(classified),
        "examples": dm.example_verbatims(classified),
        "labelled_by": classified["matched_by"].value_counts().rename_axis("labelled by").reset_index(),
        "review": review.head(REVIEW_ROWS).copy(),
        "review_count": int(needs.sum()),
        "agreement": dm.codebook_agreement(classified)[0] if coded else None,
    }


def _flow(study: Study, settings: dict) -> dict:
    from ..measures import flow
    from ..measures.paths import process_map_layout, variants
    times = flow.case_times(study.events, codebook=study.flow_codebook, as_of=settings.get("as_of"),
                            business_days=settings["business_days"], holidays=study.config.get("holidays"),
                            engine=settings["engine"])
    by_column = times.attrs["tie_order"] == "order column"
    tie_words = ties_sentence(times.attrs["tied_events"], int(times["n_events"].sum()), by_column=by_column,
                              still_tied=order_ties(study.events) if by_column else 0)
    if tie_words and study.cases is None:     # a case export's two events come in their known order
        warnings.warn(tie_words, StudylibWarning, stacklevel=2)
    changes = study.config.get("system_changes") or []
    attrs = dict(times.attrs)
    times = pd.concat([times, assign_systems(times["customer_start"], times["service"], changes)], axis=1)
    times.attrs.update(attrs)
    services = list(pd.unique(times["service"]))
    targets = _targets(study.config, services, settings)
    out = {"times": times, "targets": targets, **flow.flow_by_system(times, study.events, study.flow_codebook,
                                                                    targets=targets)}
    out["all_services"] = all_services(times)
    out["lacks"] = data_lacks(times, study.events, study.flow_codebook, case_export=study.cases is not None)
    from ..measures.waiting import list_over_time, waiting_list, waiting_summary
    out["waiting"] = waiting_list(times, study.events, targets=targets)
    out["waiting_summary"] = waiting_summary(out["waiting"])
    out["list_weekly"] = list_over_time(times)
    # Paths and the map count the cases every other figure counts: those begun by the as-of date, to it.
    counted = study.events["case_id"].isin(times["case_id"])
    if settings.get("as_of") is not None:
        counted &= study.events["timestamp"] <= settings["as_of"]
    events = study.events if counted.all() else study.events[counted]
    out["paths"] = variants(events, times, top=8)
    out["map"] = process_map_layout(events)
    return out


def _capability(study: Study, settings: dict, times: pd.DataFrame, charted: list,
                waiting: pd.DataFrame | None = None) -> dict:
    """The capability charts on both clocks, and every verdict on them, each computed once here:
    ``limits`` and ``other_limits`` (each chart's :func:`~studylib.measures.capability.limits_by_system`,
    by name, the current system's row with ``open_beyond``: the open cases already older than its
    upper limit), ``daily`` and ``daily_limits`` (the daily average charts, where a system finishes
    many cases a day), and ``table`` (:func:`~studylib.measures.capability.capability_limits`).
    Words, exercises and notebooks read these; none judges a system again."""
    from ..measures.capability import capability_charts, capability_limits, daily_averages, limits_by_system, open_beyond
    clock, other = settings["clock"], "organisation" if settings["clock"] == "customer" else "customer"
    kwargs = {"order": settings["order"], "target": settings.get("target")}

    def judged(chart: pd.DataFrame) -> pd.DataFrame:
        stats = limits_by_system(chart)
        stats["open_beyond"] = [[] for _ in range(len(stats))]
        if len(stats):
            stats.at[stats.index[-1], "open_beyond"] = open_beyond(chart, stats, waiting)
        return stats
    charts = capability_charts(times, study.config, clock=clock, **kwargs)
    limits = {name: judged(chart) for name, chart in charts.items()}
    lead = lead_chart(charts, study.config)
    # The daily chart and the other clock only where a chart is drawn: many services' others are in the table.
    drawn = shown_names(charts, lead=lead, charted=charted)
    other_charts = capability_charts(times, study.config, clock=other, services=[n for n in drawn if n != "All services"],
                                     whole="All services" in drawn, **kwargs)
    daily = {name: d for name in drawn if (d := daily_averages(charts[name], stats=limits[name])) is not None}
    return {"clock": clock, "charts": charts, "limits": limits, "lead": lead,
            "daily": daily, "daily_limits": {name: limits_by_system(d, unit="days") for name, d in daily.items()},
            "table": capability_limits(charts, stats=limits),
            "other_clock": other, "other": other_charts,
            "other_limits": {name: judged(chart) for name, chart in other_charts.items()}}


def _holds(capability: dict, settings: dict, flow: dict) -> dict | None:
    """The system since the latest dated change, held to limits frozen on its first cases
    (:func:`~studylib.measures.holds.redesign_holds`), on the lead chart; None without a change."""
    from ..measures.holds import redesign_holds
    lead = capability.get("lead")
    chart = capability["charts"].get(lead) if lead else None
    if chart is None:
        return None
    freeze = settings.get("freeze")          # a number of cases, or a date
    return redesign_holds(chart, freeze=freeze, waiting=flow.get("waiting"))


def _conditions(study: Study, demand: dict, flow: dict) -> dict:
    from ..measures import conditions
    wastes = conditions.waste_found(demand=demand.get("classified"), flow=flow)
    lacks = (flow or {}).get("lacks") or {}
    # What the event log cannot show, so that "not shown by the data" says why.
    unseen = lacks.get("steps") or lacks.get("finished") or ""
    register = conditions.condition_register(study.findings, wastes, study.config.get("system_changes") or [],
                                             unseen=unseen)
    return {"wastes": wastes, "register": register, "questions": conditions.open_questions(study.findings, wastes)}


def _caught(stage: str, caveats: list, compute):
    """Run one stage's computation, keeping its StudylibWarnings as caveats of that stage."""
    result, messages = collect_caveats(compute)
    caveats.extend({"stage": stage, "caveat": m} for m in messages)
    return result


def _has_findings(study: Study) -> bool:
    return bool(study.findings.get("system_conditions") or study.findings.get("thinking"))


def stage_table(available: dict) -> pd.DataFrame:
    """Each stage's status from what data is available: ``notebook, stage, status, reason``."""
    rows = []
    for notebook, title, needs in STAGES:
        ok = needs is None or available[needs]
        rows.append({"notebook": notebook, "stage": title, "status": "ok" if ok else "skipped",
                     "reason": "" if ok else NEEDS[needs][0]})
    return pd.DataFrame(rows, columns=["notebook", "stage", "status", "reason"])


def likely_stages(study: Study) -> pd.DataFrame:
    """:func:`stage_table` as far as it can be told before computing (to start kernels early):
    a stage marked ok here may still turn out to have nothing to show (no contact in the period,
    no waste found), never the other way round."""
    return stage_table({"demand": study.has_demand, "events": study.has_events,
                        "findings": _has_findings(study) or study.has_demand or study.has_events})


def check_as_of(study: Study, settings: dict) -> None:
    """Refuse an as-of date before anything in the study happened (nothing would be there to count)."""
    as_of = settings.get("as_of")
    if as_of is None:
        return
    firsts = []
    if study.has_demand and len(study.demand):
        firsts.append(("contact", study.demand["received_at"].min()))
    if study.has_events and len(study.events):
        firsts.append(("event", study.events["timestamp"].min()))
    firsts = [(what, when) for what, when in firsts if not pd.isna(when)]
    if firsts and as_of < min(when for _, when in firsts):
        what, when = min(firsts, key=lambda pair: pair[1])
        raise ParameterError(f"the as-of date {long_date(as_of)} is before the study's first {what} "
                             f"({long_date(when)}): nothing had happened by then. Give an as-of date inside the "
                             f"data (as_of: in study.yml, or -p as_of {when:%Y-%m-%d}), or leave it out to take "
                             "the last event")


def compute_check(study: Study, settings: dict | None = None, *, load_caveats: list[str] = (),
                  largest_done=None) -> CheckResults:
    """Compute every stage's results once.

    Parameters
    ----------
    study : Study
        :func:`studylib.load_study`.
    settings : dict, optional
        :func:`studylib.read.settings.resolve_settings` (default: study.yml's).
    load_caveats : list of str
        Warnings raised while the study was read, kept as caveats of the data.
    largest_done : callable, optional
        Called once demand and flow are computed: the parts that hold every row of a large study,
        with what they build beside it, at once. ``studylib check`` starts the stage kernels then,
        so that they do not add to the check's largest use of memory.

    Returns
    -------
    CheckResults
    """
    from ..prose import stage_headlines, summary_prose
    settings = settings or resolve_settings(study.config)
    check_as_of(study, settings)
    caveats = [{"stage": "Data", "caveat": c} for c in load_caveats]
    services = sorted(set(study.config.get("services") or [])       # each distinct name, not each row's
                      | set(study.demand["service"].dropna().astype(str).unique())
                      | set(study.events["service"].dropna().astype(str).unique()))
    systems = system_periods(study.config.get("system_changes") or [], services)
    seconds: dict[str, float] = {}
    demand = _caught("Demand", caveats, lambda: _demand(study, settings, systems, seconds)) if study.has_demand else {}
    if demand and demand["classified"].empty:
        demand = {}
        caveats.append({"stage": "Demand", "caveat": "No contact falls inside the study period, so there is no "
                                                     "demand to study; check period: in study.yml."})
    with timed(seconds, "flow"):
        flow = _caught("Flow", caveats, lambda: _flow(study, settings)) if study.has_events else {}
    if largest_done is not None:
        largest_done()          # the parts that hold a large study's every row at once are over
    with timed(seconds, "capability and verdicts"):
        charted = service_table(demand, flow, {})["service"].head(CHARTED_SERVICES).tolist()   # by size: before verdicts
        capability = (_caught("Capability", caveats, lambda: _capability(study, settings, flow["times"], charted,
                                                                         flow.get("waiting")))
                      if flow else {})
        if capability:
            capability["holds"] = _holds(capability, settings, flow)
    with timed(seconds, "system conditions"):
        conditions = _caught("System conditions", caveats, lambda: _conditions(study, demand, flow))
    from ..measures.purpose import what_matters
    purpose = {"matters": what_matters(study.demand), "matters_by_service": what_matters(study.demand, by="service")}

    from ..teaching.predictions import read_predictions, read_reflections
    predictions, problems = read_predictions(study.path)
    reflections, more = read_reflections(study.path)
    caveats.extend({"stage": "Summary", "caveat": f"{m}; it is left out."} for m in problems + more)

    available = {"demand": bool(demand), "events": bool(flow),
                 "findings": _has_findings(study) or len(conditions["wastes"]) > 0}
    results = CheckResults(study=study, settings=settings, systems=systems, stages=stage_table(available),
                           caveats=pd.DataFrame(caveats, columns=["stage", "caveat"]).drop_duplicates(ignore_index=True),
                           purpose=purpose, demand=demand, flow=flow, capability=capability, conditions=conditions,
                           predictions=predictions, reflections=reflections, seconds=seconds,
                           services=(ranked := service_table(demand, flow, capability)),
                           charted=ranked["service"].head(CHARTED_SERVICES).tolist(),
                           counts={"contacts": len(study.demand), "events": len(study.events),
                                   "logged_cases": int(study.events["case_id"].nunique()),
                                   "cases": len(flow["times"]) if flow else 0})
    with timed(seconds, "words"):
        results.prose = summary_prose(results)
        results.headlines = stage_headlines(results)
    from .ledger import headline_figures
    results.figures = headline_figures(results)
    from ..teaching.exercises import every_answer
    with timed(seconds, "exercises"):
        results.answers = every_answer(results)
    return results


def check_results(study: str | Path, results: str | Path | None = None, **overrides) -> CheckResults:
    """What a stage notebook calls: the run's results when ``results`` names them, else computed
    from the study folder with study.yml's settings (and ``overrides``), as in JupyterLab."""
    if results:
        return load_results(results)
    study_obj, notes = collect_caveats(lambda: load_study(study))
    return compute_check(study_obj, resolve_settings(study_obj.config, overrides), load_caveats=notes)
