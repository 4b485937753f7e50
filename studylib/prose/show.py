"""Words and tables shown in a notebook and its report: every cell escaped and redacted, codes in
words, Making Data Count icons with their meaning.
"""
from __future__ import annotations

import re

from ..text import escape, private, redact

__all__ = ["say", "table", "four_parts", "folded", "mdc_icon", "cell_text", "HEADERS", "CODE_WORDS"]


#: Column names as a manager reads them; other names are shown with spaces for underscores.
HEADERS = {
    "you_expected": "the team expected", "it_is": "the data says",
    "end_to_end_mean": "customer's clock, mean days", "official_mean": "organisation's clock, mean days",
    "end_to_end_days": "customer's clock, days", "official_days": "organisation's clock, days",
    "before_clock_mean": "days before the organisation's clock starts", "hidden_mean": "days the organisation does not count",
    "clean_share": "cases arriving clean", "handoffs_mean": "hand-offs per case", "rework_share": "cases through a step twice",
    "waste_share": "time spent on waste", "share_of_time": "share of case time", "failure_share": "failure demand",
    "contacts_per_week": "contacts a week", "value_or_failure": "value or failure", "failure_subtype": "kind of failure",
    "demand_type": "demand type", "failure_contacts": "failure contacts", "unit_low": "unit cost from",
    "unit_high": "unit cost to", "cost_low": "cost from", "cost_high": "cost to", "unpriced_contacts": "contacts not priced",
    "problem_id": "problem", "first_contact": "first contact", "last_contact": "last contact",
    "contact_id": "contact", "rows_read": "rows read", "rows_kept": "rows kept", "rows_set_aside": "rows set aside",
    "what_matters": "what matters", "matched_types": "types that matched", "n_steps": "steps",
    "median_end_to_end_days": "median days, customer's clock", "open_cases": "open cases",
    "waiting": "customers waiting", "on_organisation_list": "on the organisation's list",
    "not_yet_registered": "made contact, no case yet", "closed_not_solved": "closed, not solved",
    "median_age_days": "median days waited, customer's clock", "median_age_official_days": "median days, organisation's clock",
    "oldest_days": "longest wait, days", "past_target": "past the target, customer's clock",
    "past_target_official": "past the target, organisation's clock", "past_due": "past the service-level date",
    "share_of_contacts": "share of contacts", "share_of_failure": "share of failure demand",
    "failure_per_problem": "failure contacts per problem", "counted": "what is counted",
}


#: Codes that reach a table, in words (Making Data Count's variation and assurance, and more).
CODE_WORDS = {
    "common_cause": "common cause: no signal", "special_cause_improvement": "signal: improving",
    "special_cause_concern": "signal: a concern", "special_cause_neutral_high": "signal: higher",
    "special_cause_neutral_low": "signal: lower", "consistent_pass": "will consistently meet the target",
    "consistent_fail": "will consistently miss the target", "inconsistent": "will sometimes meet the target",
    "hand label": "by hand", "none": "not labelled",
}


def cell_text(value) -> str:
    """One cell as a manager reads it: dates as 12 May 2025, thousands separated, codes in words."""
    import pandas as pd
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        day = f"{value.day} {value:%B %Y}"
        return day if (value.hour, value.minute) == (0, 0) else f"{day} {value:%H:%M}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}"
    if isinstance(value, float):
        if value in (float("inf"), float("-inf")):
            return "more than the data can show"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    text = str(value)
    if text in CODE_WORDS:
        return CODE_WORDS[text]
    # A code such as face_to_face or staff_report is read as words, alone or in a list of codes.
    parts = text.split(", ")
    if len(parts) > 1 and all(re.fullmatch(r"[a-z]+(?:_[a-z]+)*", part) for part in parts):
        return ", ".join(CODE_WORDS.get(part, part.replace("_", " ")) for part in parts)
    return text.replace("_", " ") if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", text) else text


#: Making Data Count icons: the colour and the mark of each variation and assurance code.
_ICONS = {
    "common_cause": ("#7B7D7D", "~"), "special_cause_improvement": ("#289de0", "+"),
    "special_cause_concern": ("#fab428", "!"), "special_cause_neutral_high": ("#361475", "H"),
    "special_cause_neutral_low": ("#361475", "L"), "consistent_pass": ("#289de0", "P"),
    "consistent_fail": ("#fab428", "F"), "inconsistent": ("#7B7D7D", "?"),
}


def mdc_icon(code: str) -> str:
    """A Making Data Count icon for a variation or assurance code: an inline SVG image whose text
    alternative says what it means in words ("" for a missing code)."""
    import base64
    if code not in _ICONS:
        return ""
    colour, mark = _ICONS[code]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28" viewBox="0 0 28 28">'
           f'<circle cx="14" cy="14" r="11.5" fill="#fff" stroke="{colour}" stroke-width="3"/>'
           f'<text x="14" y="19" text-anchor="middle" font-family="sans-serif" font-size="14" font-weight="bold" '
           f'fill="{colour}">{escape(mark)}</text></svg>')
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="icon" src="data:image/svg+xml;base64,{data}" alt="{escape(CODE_WORDS[code])}" width="28" height="28">'


def table(frame, *, formats: dict | None = None, max_rows: int | None = 50, index: bool = False,
          icons: list[str] = (), of: int | None = None):
    """Show a table in a report: private (see :func:`private`), every cell escaped.

    ``of`` is how many rows there are where ``frame`` holds the first of them only (a few of a
    million contacts): the table says "First 30 of 8,000 rows." as it does of a long frame.

    ``icons`` names columns of Making Data Count codes shown with their icon (:func:`mdc_icon`).
    ``formats`` maps columns to format strings (``"{:.0%}"``) or functions; every other cell is
    shown as a manager reads it (dates as 12 May 2025, numbers with thousands separators, codes in
    words, nothing for a missing value) and column names in words (:data:`HEADERS`). pandas'
    Styler does not escape cell text, so customer words could become markup; this does.
    """
    import pandas as pd
    from IPython.display import HTML
    shown = private(frame)
    rows = len(shown) if of is None else max(of, len(shown))
    if max_rows is not None and rows > max_rows:
        note = f"<p class=\"run-parameters\">First {min(max_rows, len(shown)):,} of {rows:,} rows.</p>"
        shown = shown.head(max_rows)
    else:
        note = ""
    formatters = {}
    for col in shown.columns:
        fmt = (formats or {}).get(col)
        if fmt is None:
            formatters[col] = cell_text
        elif callable(fmt):
            formatters[col] = fmt
        else:
            formatters[col] = (lambda f: lambda v: cell_text(None) if v is None or (isinstance(v, float) and v != v)
                               else f.format(v))(fmt)
    # Every cell becomes its (escaped) text first: pandas skips formatters for an all-missing column.
    cells = pd.DataFrame({c: [escape(formatters[c](v)) for v in shown[c].tolist()] for c in shown.columns},
                         index=shown.index)
    for col in icons:        # Making Data Count icons beside their words, with text alternatives
        if col in shown.columns:
            cells[col] = [f"{mdc_icon(str(v))} {words}".strip() for v, words in zip(shown[col].tolist(), cells[col])]
    cells.columns = [escape(HEADERS.get(str(c), str(c).replace("_", " "))) for c in shown.columns]
    if index:
        cells.index = [escape(cell_text(v)) for v in shown.index]
    html_table = cells.to_html(index=index, escape=False, na_rep="", border=0)
    return HTML(html_table + note)


def say(text: str, *, heading: str | None = None, level: int = 3, items: list[str] = ()):
    """Show a sentence (or a heading and a sentence) in a notebook, escaped, and ``items`` as a
    list beneath it (one line a service, say).

    Prose in reports is computed from the numbers; this shows it as text, so that nothing a
    customer typed can become markup.
    """
    from IPython.display import HTML
    parts = []
    if heading:
        parts.append(f"<h{level}>{escape(redact(heading))}</h{level}>")
    if text:
        parts.append(f"<p>{escape(redact(text))}</p>")
    if items:
        parts.append("<ul>" + "".join(f"<li>{escape(redact(item))}</li>" for item in items) + "</ul>")
    return HTML("".join(parts))


#: Parts of a stage's prose that back a statement up rather than make it: folded in reports.
FOLDED_PARTS = {"how we know": "How we know"}


def four_parts(parts: dict[str, str], *, level: int = 3):
    """What / so what / now what / then what, as headings and paragraphs (the same in every report);
    a part that backs one up ("how we know") folds beneath it."""
    from IPython.display import HTML
    html = []
    for name, text in parts.items():
        if not text:
            continue
        if name in FOLDED_PARTS:
            html.append(folded(FOLDED_PARTS[name], say(text).data).data)
        else:
            html.append(say(text, heading=name.capitalize(), level=level).data)
    return HTML("".join(html))


def folded(summary: str, inner_html: str, *, open: bool = False):
    """A folded section: ``summary`` (escaped) as the line a reader taps, ``inner_html`` (already
    safe HTML, such as :func:`say` or a chart) behind it; closed unless ``open``. Reports fold
    detail a manager does not need first, so that the story reads on a phone."""
    from IPython.display import HTML
    return HTML(f'<details class="section"{" open" if open else ""}><summary>{escape(redact(summary))}</summary>'
                f"{inner_html}</details>")
