"""A study followed over months, from its ledger: the checks as a table, what changed between two,
whether the redesign holds, and ``history.html`` with each headline measure along the as-of dates.

Read by ``studylib history STUDY`` and by every check of a study that keeps a ledger (its front
page links to the history and says in one sentence whether the redesign holds).
"""
from __future__ import annotations

import math

import pandas as pd

from ..measures.holds import frozen_limits, holds_sentence
from ..text import escape, long_date, redact
from .ledger import Ledger

__all__ = ["history_table", "what_changed", "redesign_story", "history_page", "HISTORY_PAGE", "by_as_of"]

#: The history page's file name, in a check's reports folder and in ``studylib history --out``.
HISTORY_PAGE = "history.html"

#: How many standard errors of the later figure a move must exceed to be more than noise.
NOISE_SE = 3


def by_as_of(records: list[dict]) -> list[dict]:
    """The checks in the order of the data they read (as-of date, then when they ran)."""
    return sorted(records, key=lambda r: (r.get("as_of") or "", r.get("run_at") or ""))


def _lead(record: dict) -> dict | None:
    """The system the check's story is about: the redesigned one, else the first charted system."""
    figures = record["figures"]
    holds = figures.get("holds")
    systems = [s for s in figures.get("systems", []) if s.get("limits")]
    if holds:
        found = [s for s in systems if s["system"] == holds["system"]]
        if found:
            return found[0]
    return systems[-1] if systems else None


def _percent(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _days(value) -> str:
    return "" if value is None else f"{value:.1f}"


def history_table(ledger: Ledger) -> pd.DataFrame:
    """One row per check, in the order they ran: ``check`` (its number, for ``--diff``), ``ran``,
    ``as_of``, ``failure_share``, ``contacts_a_week``, the lead system's ``system``,
    ``end_to_end_mean`` (days, on the chart's clock), ``upper_limit``, ``verdict`` and ``redesign``."""
    rows = []
    for number, record in enumerate(ledger.records, start=1):
        figures, lead = record["figures"], _lead(record)
        overall = figures.get("overall", {})
        limits = (lead or {}).get("limits") or {}
        holds = figures.get("holds") or {}
        rows.append({"check": number, "ran": pd.Timestamp(record["run_at"]).strftime("%Y-%m-%d %H:%M"),
                     "as_of": record.get("as_of") or "", "failure_share": _percent(overall.get("failure_share")),
                     "contacts_a_week": "" if overall.get("contacts_per_week") is None
                     else f"{overall['contacts_per_week']:,.0f}",
                     "system": "" if lead is None else f"{lead['service']}, {lead['system']}",
                     "end_to_end_mean": _days(limits.get("mean")), "upper_limit": _days(limits.get("upper")),
                     "verdict": limits.get("status", ""), "redesign": holds.get("status", "")})
    return pd.DataFrame(rows, columns=["check", "ran", "as_of", "failure_share", "contacts_a_week", "system",
                                       "end_to_end_mean", "upper_limit", "verdict", "redesign"])


def _moved(name: str, before, after, se, fmt) -> str | None:
    if before is None or after is None or se is None or not se > 0:
        return None
    if abs(after - before) <= NOISE_SE * se:
        return None
    way = "rose" if after > before else "fell"
    noise = f"{100 * NOISE_SE * se:.1f} points" if fmt is _percent else fmt(NOISE_SE * se)
    if noise.startswith("0.0 "):          # a mean of thousands of cases: its noise in hundredths
        noise = f"{NOISE_SE * se:.2f} {noise.split(' ', 1)[1]}"
    return f"{name} {way} from {fmt(before)} to {fmt(after)}, beyond its noise (±{noise})"


def what_changed(before: dict, after: dict) -> list[str]:
    """What changed from one check to another, in sentences: the data and settings, figures that
    moved beyond their noise (more than three standard errors of the later figure: checks of one
    study share most of their data, so their difference varies less than that), and signals that
    began or ended."""
    out = []
    a_in, b_in = before.get("inputs", {}), after.get("inputs", {})
    changed = sorted(n for n in set(a_in) & set(b_in) if a_in[n] != b_in[n])
    added, gone = sorted(set(b_in) - set(a_in)), sorted(set(a_in) - set(b_in))
    if changed:
        out.append(f"The data changed: {', '.join(changed)}.")
    if added:
        out.append(f"New in the study folder: {', '.join(added)}.")
    if gone:
        out.append(f"No longer in the study folder: {', '.join(gone)}.")
    a_set, b_set = before.get("settings", {}), after.get("settings", {})
    moved = [f"{k} {a_set.get(k)} → {b_set.get(k)}" for k in sorted(set(a_set) | set(b_set)) if a_set.get(k) != b_set.get(k)]
    if moved:
        out.append(f"The settings changed: {'; '.join(moved)}.")
    if before.get("studylib") != after.get("studylib"):
        out.append(f"studylib changed: {before.get('studylib')} → {after.get('studylib')}.")
    a, b = before["figures"], after["figures"]
    ao, bo = a.get("overall", {}), b.get("overall", {})
    share = bo.get("failure_share")
    n = bo.get("labelled")
    figures = [_moved("The failure demand share", ao.get("failure_share"), share,
                      math.sqrt(share * (1 - share) / n) if share is not None and n else None, _percent)]
    weeks = (bo.get("days") or 0) / 7
    figures.append(_moved("Contacts a week", ao.get("contacts_per_week"), bo.get("contacts_per_week"),
                          math.sqrt(bo["contacts"]) / weeks if weeks and bo.get("contacts") else None,
                          lambda v: f"{v:,.0f}"))
    a_sys = {(s["service"], s["system"]): s for s in a.get("systems", [])}
    clock = b.get("clock") or "customer"
    for s in b.get("systems", []):
        old = a_sys.get((s["service"], s["system"]))
        if old is None:
            continue
        new_c, old_c = s.get(clock) or {}, old.get(clock) or {}
        se = (new_c["sd"] / math.sqrt(new_c["finished"])
              if new_c.get("sd") is not None and new_c.get("finished") else None)
        figures.append(_moved(f"{s['service']} ({s['system']}): the mean end-to-end time", old_c.get("mean"),
                              new_c.get("mean"), se, lambda v: f"{v:.1f} days"))
        was, now = old.get("limits") or {}, s.get("limits") or {}
        if was.get("status") and now.get("status") and was["status"] != now["status"]:
            out.append(f"{s['service']} ({s['system']}) was {was['status']} and is now {now['status']}: "
                       f"{now.get('reason', '')}.")
        for key, words in (("exceptions", "beyond the limits"), ("open_beyond", "still open and older than the upper limit")):
            new_ids = sorted(set(now.get(key, [])) - set(was.get(key, [])))
            if new_ids:
                out.append(f"{s['service']} ({s['system']}): {len(new_ids):,} new case{'s' if len(new_ids) != 1 else ''} "
                           f"{words} ({', '.join(new_ids[:5])}{' …' if len(new_ids) > 5 else ''}).")
    out.extend(f + "." for f in figures if f)
    ah, bh = a.get("holds") or {}, b.get("holds") or {}
    if ah.get("status") != bh.get("status") and bh:
        out.append(f"The redesign: {ah.get('status', 'not judged')} → {bh['status']}.")
    if not any(figures):
        out.append("No headline figure moved beyond its noise.")
    return out


def redesign_story(records: list[dict]) -> str:
    """Does the redesign hold, over the checks: the latest check's sentence, and where it no longer
    holds, from which check (by the data's as-of date) and why."""
    judged = [r for r in by_as_of(records) if (r["figures"].get("holds") or {}).get("status") in ("holds", "no longer holds")]
    if not judged:
        return ""
    last = judged[-1]["figures"]["holds"]
    if last["status"] != "no longer holds":
        return holds_sentence(last, checks=len(judged))
    first = next(i for i in range(len(judged)) if all(r["figures"]["holds"]["status"] == "no longer holds"
                                                       for r in judged[i:]))
    since, held = judged[first], judged[first - 1] if first > 0 else None
    return (f"The redesign no longer holds, from the check of the data as of {long_date(pd.Timestamp(since['as_of']))}"
            + (f" (it still held as of {long_date(pd.Timestamp(held['as_of']))})" if held else "")
            + f": {last['signal']}. It was held to {frozen_limits(last)}.")


def _chart(title: str, series: dict[str, list[tuple]], unit: str, **kwargs) -> str:
    from ..charts.display import chart_html
    from ..charts.history import plot_history
    return chart_html(plot_history(title, series, unit, **kwargs),
                      alt=f"{title}, along the as-of dates of the study's checks")


def _charts(records: list[dict]) -> str:
    if not records:
        return ""
    dates = [pd.Timestamp(r["as_of"]) if r.get("as_of") else pd.Timestamp(r["run_at"]) for r in records]
    out = []
    share = {"All services": [(d, r["figures"]["overall"].get("failure_share")) for d, r in zip(dates, records)]}
    weekly = {"All services": [(d, r["figures"]["overall"].get("contacts_per_week")) for d, r in zip(dates, records)]}
    if any(v is not None for _, v in share["All services"]):
        out.append(_chart("Failure demand, % of contacts", share, "% of contacts", percent=True))
    if any(v is not None for _, v in weekly["All services"]):
        out.append(_chart("Contacts a week", weekly, "contacts a week"))
    lead = [(d, _lead(r)) for d, r in zip(dates, records)]
    names = {f"{s['service']}, {s['system']}" for _, s in lead if s}
    if names:
        clock = records[-1]["figures"].get("clock") or "customer"
        means = {n: [(d, (s.get("limits") or {}).get("mean") if s and f"{s['service']}, {s['system']}" == n else None)
                     for d, s in lead] for n in sorted(names)}
        upper = [(d, (s.get("limits") or {}).get("upper") if s else None) for d, s in lead]
        out.append(_chart("Mean end-to-end time", means, f"days, {clock}'s clock", limits=upper))
    waiting = {}
    for d, r in zip(dates, records):
        for s in r["figures"].get("services", []):
            if s.get("waiting") is not None:
                waiting.setdefault(s["service"], []).append((d, s["waiting"]))
    if waiting:
        out.append(_chart("Cases waiting at the as-of date", dict(list(waiting.items())[:5]), "cases"))
    return "".join(out)


def history_page(ledger: Ledger, *, beside_check: bool = False) -> str:
    """``history.html``: the checks, what changed between the last two, whether the redesign holds
    and each headline measure along the as-of dates; redacted as the last check's reports were.
    ``beside_check``: written in a check's reports folder (it links back to the front page)."""
    from .report import page
    records = ledger.records
    on = bool((records[-1].get("settings") or {}).get("redact", True)) if records else True

    def words(text):
        return escape(redact(text, on=on))
    name = records[-1].get("study", "") if records else ""
    parts = [f"<h1>History: {words(name)}</h1>",
             f"<p>{len(records)} check{'s' if len(records) != 1 else ''} of this study, from its ledger "
             f"({words(ledger.path.name)}), each with the data as of its own date.</p>"]
    story = redesign_story(records)
    if story:
        parts.append(f"<p class=\"headline\"><strong>{words(story)}</strong></p>")
    if len(records) >= 2:
        changes = what_changed(records[-2], records[-1])
        parts.append("<h2>What changed since the check before</h2><ul>"
                     + "".join(f"<li>{words(c)}</li>" for c in changes) + "</ul>")
    ordered = by_as_of(records)
    parts.append("<h2>Each measure along the as-of dates</h2>" + _charts(ordered))
    table = history_table(ledger)
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{words(v)}</td>" for v in row) + "</tr>" for row in table.itertuples(index=False))
    parts.append(f"<h2>Every check</h2><p class=\"scrolls\">{len(table.columns)} columns: swipe the table "
                 f"sideways to see them all.</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if ledger.problems:
        parts.append("<h2>Bear in mind</h2><ul class=\"caveats\">"
                     + "".join(f"<li>{words(p)}</li>" for p in ledger.problems) + "</ul>")
    return page(f"History: {redact(name, on=on)}", "".join(parts), heading=False,
                nav="<nav class=\"stage-nav\"><a href=\"index.html\">The latest check</a></nav>" if beside_check else "")
