"""Turning executed stage notebooks into HTML a manager can read, and prose helpers for notebooks.

Reports are single self-contained HTML files: no code, no injected-parameters cell (a small "run
parameters" table instead), charts embedded as data URIs, no script and no external URL, readable
on a phone. nbconvert's ``lab`` and ``classic`` templates load scripts from CDNs, so the body is
rendered with the ``basic`` template and wrapped in a page of our own.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

__all__ = ["render_report", "page", "say", "escape", "redact", "private", "table", "configure_privacy",
           "PERSONAL_DATA", "HEADERS", "CODE_WORDS", "mdc_icon", "four_parts", "caveats", "open_stage", "skipped_page", "stage_heading", "index_page",
           "predictions_beside", "team_reflections", "TEACH_TAG", "no_paths"]

#: Cells tagged so teach in JupyterLab and are left out of every report.
TEACH_TAG = "teach"

#: What is redacted from reports by default, in the order the patterns are applied: the label
#: that replaces it, and the pattern. Card-like numbers first, so that a card number is not read
#: as a phone number.
PERSONAL_DATA = [
    ("[card number]", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("[email]", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("[phone]", re.compile(r"(?:(?<![\w+])\+44\s?(?:\(0\)\s?)?|(?<!\w)0)\d(?:[\s-]?\d){8,9}(?!\d)")),
    ("[postcode]", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)),
]

# What reports show. Notebooks set it once, from their ``redact`` parameter and study.yml's
# ``never_show``; a team's internal working copy is made with ``studylib check --no-redact``.
_PRIVACY = {"redact": True, "never_show": frozenset()}


def configure_privacy(*, redact: bool = True, never_show=()) -> None:
    """Set what every later :func:`say`, :func:`table` and :func:`private` in this kernel hides."""
    _PRIVACY["redact"] = bool(redact)
    _PRIVACY["never_show"] = frozenset(str(c) for c in (never_show or ()))


def redact(text, *, on: bool | None = None):
    """Text with e-mail addresses, phone numbers, UK postcodes and card-like numbers replaced.

    ``on`` says whether to redact; by default, as :func:`configure_privacy` set it (the reports'
    setting). The command line and the run manifest pass it from ``--no-redact``.

    >>> redact("Call 07700 900123 or mail jo@example.org, NB1 2AB")
    'Call [phone] or mail [email], [postcode]'
    """
    if text is None or not (_PRIVACY["redact"] if on is None else on):
        return text
    out = str(text)
    for label, pattern in PERSONAL_DATA:
        out = pattern.sub(label, out)
    return out


def private(frame):
    """A copy of a table safe to show or chart: never-show columns dropped, text redacted."""
    import pandas as pd
    out = frame.drop(columns=[c for c in frame.columns if str(c) in _PRIVACY["never_show"]])
    if _PRIVACY["redact"]:
        for col in out.columns:
            if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
                values = out[col]
                out[col] = values.map(lambda v: redact(v) if isinstance(v, str) else v)
        if isinstance(out.index, pd.Index) and (pd.api.types.is_string_dtype(out.index) or out.index.dtype == object):
            out.index = out.index.map(lambda v: redact(v) if isinstance(v, str) else v)
    return out


#: Column names as a manager reads them; other names are shown with spaces for underscores.
HEADERS = {
    "you_expected": "the team expected", "it_is": "the data says",
    "end_to_end_mean": "customer's clock, mean days", "official_mean": "organisation's clock, mean days",
    "end_to_end_days": "customer's clock, days", "official_days": "organisation's clock, days",
    "before_clock_mean": "days before the organisation's clock starts", "hidden_mean": "days the organisation does not count",
    "clean_share": "cases flowing clean", "handoffs_mean": "hand-offs per case", "rework_share": "cases repeating a step",
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


def _cell(value) -> str:
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
    # A code such as face_to_face or staff_report is read as words.
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
          icons: list[str] = ()):
    """Show a table in a report: private (see :func:`private`), every cell escaped.

    ``icons`` names columns of Making Data Count codes shown with their icon (:func:`mdc_icon`).
    ``formats`` maps columns to format strings (``"{:.0%}"``) or functions; every other cell is
    shown as a manager reads it (dates as 12 May 2025, numbers with thousands separators, codes in
    words, nothing for a missing value) and column names in words (:data:`HEADERS`). pandas'
    Styler does not escape cell text, so customer words could become markup; this does.
    """
    import pandas as pd
    from IPython.display import HTML
    shown = private(frame)
    if max_rows is not None and len(shown) > max_rows:
        note = f"<p class=\"run-parameters\">First {max_rows:,} of {len(shown):,} rows.</p>"
        shown = shown.head(max_rows)
    else:
        note = ""
    formatters = {}
    for col in shown.columns:
        fmt = (formats or {}).get(col)
        if fmt is None:
            formatters[col] = _cell
        elif callable(fmt):
            formatters[col] = fmt
        else:
            formatters[col] = (lambda f: lambda v: _cell(None) if v is None or (isinstance(v, float) and v != v)
                               else f.format(v))(fmt)
    # Every cell becomes its (escaped) text first: pandas skips formatters for an all-missing column.
    cells = pd.DataFrame({c: [escape(formatters[c](v)) for v in shown[c].tolist()] for c in shown.columns},
                         index=shown.index)
    for col in icons:        # Making Data Count icons beside their words, with text alternatives
        if col in shown.columns:
            cells[col] = [f"{mdc_icon(str(v))} {words}".strip() for v, words in zip(shown[col].tolist(), cells[col])]
    cells.columns = [escape(HEADERS.get(str(c), str(c).replace("_", " "))) for c in shown.columns]
    if index:
        cells.index = [escape(_cell(v)) for v in shown.index]
    html_table = cells.to_html(index=index, escape=False, na_rep="", border=0)
    return HTML(html_table + note)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:0 auto;
padding:1rem;line-height:1.5;color:#1d1d1d;background:#fff}
h1,h2,h3{line-height:1.2;color:#003a63}
table{border-collapse:collapse;margin:0.5rem 0;font-size:0.9rem;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #ccd;padding:0.25rem 0.5rem;text-align:left;vertical-align:top}
th{background:#eef2f7}
img{max-width:100%;height:auto}
.run-parameters{font-size:0.8rem;color:#555}
.stage-nav{font-size:0.9rem;margin-bottom:1rem}
.jp-OutputArea-output pre,pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:0.5rem}
.failed{color:#a00}
table.stages,table.facts{display:table;width:100%}
img.icon{vertical-align:middle;width:1.6em;height:1.6em}
table.stages td,table.facts td{overflow-wrap:anywhere}
table.facts th,table.stages td:nth-child(2){white-space:nowrap;width:1%}
tr.skipped td,tr.skipped th{color:#555}
"""


def escape(text) -> str:
    """Customer and team text made safe to show in HTML."""
    return html.escape("" if text is None else str(text), quote=True)


def say(text: str, *, heading: str | None = None, level: int = 3):
    """Show a sentence (or a heading and a sentence) in a notebook, escaped.

    Prose in reports is computed from the numbers; this shows it as text, so that nothing a
    customer typed can become markup.
    """
    from IPython.display import HTML
    parts = []
    if heading:
        parts.append(f"<h{level}>{escape(redact(heading))}</h{level}>")
    if text:
        parts.append(f"<p>{escape(redact(text))}</p>")
    return HTML("".join(parts))


def four_parts(parts: dict[str, str], *, level: int = 3):
    """What / so what / now what / then what, as headings and paragraphs (the same in every report)."""
    from IPython.display import HTML
    return HTML("".join(say(text, heading=name.capitalize(), level=level).data for name, text in parts.items() if text))


def caveats(results, stage: str):
    """What a reader should bear in mind for a stage, in words (the study's warnings), or nothing."""
    from IPython.display import HTML
    notes = results.stage_caveats(stage)
    if not notes:
        return HTML("")
    items = "".join(f"<li>{escape(redact(n))}</li>" for n in notes)
    return HTML(f"<h3>Bear in mind</h3><ul class=\"caveats\">{items}</ul>")


def predictions_beside(results, stage: str | None = None, *, level: int = 3):
    """What the team predicted beside what the data says ("The team expected 20% failure demand; it
    is 49%."), from the study's predictions.yml as it is now; nothing when it holds none for the stage.

    With no ``stage`` (the summary), every prediction the check read, as a table.
    """
    from IPython.display import HTML
    from .teaching import prediction_table
    if stage is None:
        t = prediction_table(results, results.predictions)
        if t.empty:
            return say("The team wrote down no predictions before looking at the figures (predictions.yml): "
                       "next time, write what you expect first, and see by how much the data differs.")
        return table(t[["measure", "you_expected", "it_is"]], max_rows=None)
    t = prediction_table(results, stage=stage, who="The team")
    if t.empty:
        return HTML("")
    items = "".join(f"<li>{escape(redact(text))}</li>" for text in t["sentence"])
    return HTML(f"<h{level}>What the team expected</h{level}><ul>{items}</ul>")


def team_reflections(results):
    """What the team wrote after each stage (reflections.yml), quoted, escaped and redacted."""
    from .teaching import reflections_table
    t = reflections_table(results.reflections)
    if t.empty:
        return say("The team has not written its reflections yet (reflections.yml, or the form at the end of "
                   "each stage notebook).")
    return table(t, max_rows=None)


def open_stage(results, notebook: str):
    """Set up a stage notebook from the check's results: privacy from the settings, and a sentence
    saying why the stage has nothing to show when its data is missing. Returns whether it has."""
    from IPython.display import display
    configure_privacy(redact=results.settings.get("redact", True), never_show=results.study.config.get("never_show"))
    rec = results.stages[results.stages["notebook"] == notebook]
    if len(rec) and rec["status"].iloc[0] == "skipped":
        from .results import NEEDS, STAGES
        need = next(n for stem, _, n in STAGES if stem == notebook)
        reason, text, lines = NEEDS[need]
        display(say(f"This stage was skipped: {reason}. {text} Add to study.yml:"))
        from IPython.display import HTML
        display(HTML(f"<pre>{escape(lines)}</pre>"))
        return False
    return True


def stage_heading(results, notebook: str, title: str):
    """A stage's heading in the summary, linking to its report, with "skipped: why" when it has no data."""
    from IPython.display import HTML
    rec = results.stages[results.stages["notebook"] == notebook]
    skipped = f" <em>(skipped: {escape(rec['reason'].iloc[0])})</em>" if len(rec) and rec["status"].iloc[0] == "skipped" else ""
    return HTML(f'<h2>{escape(title)}</h2><p><a href="{escape(notebook)}.html">The {escape(title.lower())} report</a>'
                f"{skipped}</p>")


def skipped_page(title: str, reason: str, needs: str, lines: str, *, nav: str = "") -> str:
    """The short page of a stage skipped for lack of data: what it needs and the study.yml lines."""
    body = (f"<h1>{escape(title)}</h1><p><strong>Skipped: {escape(reason)}.</strong> {escape(needs)}</p>"
            f"<p>Add to study.yml (and the file it names to the study folder), then run the check again:</p>"
            f"<pre>{escape(lines)}</pre>")
    return page(title, body, nav=nav, heading=False)


def page(title: str, body: str, *, subtitle: str = "", nav: str = "", heading: bool = True) -> str:
    """A complete, offline HTML page (``heading=False`` when the body brings its own h1)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        + nav + (f"<h1>{escape(title)}</h1>" if heading else "")
        + (f"<p class=\"run-parameters\">{escape(subtitle)}</p>" if subtitle else "")
        + body + "</body></html>\n"
    )


def index_page(results, stages, *, run_at) -> str:
    """The front page of a check: what was studied, when, on what data, and each stage's finding.

    ``stages``: the runner's table (``stage, notebook, status, report, error``); ``run_at``: when
    the check ran (a timezone-aware timestamp).
    """
    from .results import STAGES
    from .study import quality_summary
    from .systems import long_date
    titles = {stem: title for stem, title, _ in STAGES}
    s = results.study
    start, end = results.settings.get("period_start"), results.settings.get("period_end")
    period = (f"{long_date(start)} to {long_date(end)}" if start is not None and end is not None
              else "the whole of the data (study.yml sets no period)")
    as_of = results.settings.get("as_of")
    facts = [("Study period", period),
             ("Data as of", long_date(as_of) if as_of is not None else "the last event in the data"),
             ("Checked on", f"{long_date(run_at)}, {run_at:%H:%M} {run_at.tzname() or ''}".strip()),
             ("Data", quality_summary(s))]
    rows = "".join(f"<tr><th scope=\"row\">{escape(k)}</th><td>{escape(redact(v))}</td></tr>" for k, v in facts)
    stage_rows = []
    for rec in stages.to_dict("records"):
        link = (f"<a href=\"{escape(rec['report'])}\">{escape(rec['stage'])}</a>" if rec["report"]
                else escape(rec["stage"]))
        title = titles.get(Path(rec["notebook"]).stem, rec["stage"])
        if rec["status"] == "ok":
            status, finding = "ok", results.headlines.get(title, "")
        elif rec["status"] == "skipped":
            status, finding = "skipped", f"Skipped: {rec['error']}."
        else:
            status, finding = "failed", f"This stage failed: {rec['error']}"
        stage_rows.append(f"<tr class=\"{status}\"><th scope=\"row\">{link}</th><td>{status}</td>"
                          f"<td>{escape(redact(finding))}</td></tr>")
    notes = results.caveats["caveat"].drop_duplicates().tolist()
    caveat_html = ("<h2>Bear in mind</h2><ul class=\"caveats\">" + "".join(f"<li>{escape(redact(n))}</li>" for n in notes)
                   + "</ul>") if notes else ""
    body = (f"<h1>{escape(redact(s.name))}</h1><p>A check of the service, stage by stage: what customers ask "
            f"for, what the system achieves, how the work flows and why.</p>"
            f"<table class=\"facts\">{rows}</table>"
            f"<h2>What each stage found</h2><table class=\"stages\"><thead><tr><th>stage</th><th>status</th>"
            f"<th>the finding that matters</th></tr></thead><tbody>{''.join(stage_rows)}</tbody></table>"
            + caveat_html)
    return page(f"Check: {redact(s.name)}", body, heading=False)


def _parameters_table(parameters: dict) -> str:
    rows = "".join(f"<tr><th>{escape(str(k).replace('_', ' '))}</th><td>{escape(_cell(v) if v is not None else 'none')}</td></tr>"
                   for k, v in parameters.items())
    return f"<details class=\"run-parameters\"><summary>Run parameters</summary><table>{rows}</table></details>"


def _is_noise(output) -> bool:
    """Python's warning text (stderr) is not for a manager: caveats are said in words instead."""
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


_FOLDERS = re.compile(r"(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/<>]+[\\/])+")


def no_paths(text: str) -> str:
    """An error message without the folders of the machine it ran on (a file keeps its name)."""
    return _FOLDERS.sub("", str(text))


def _plain(output):
    """A failed cell's traceback becomes one sentence: the error, without source lines or paths."""
    if output.get("output_type") != "error":
        return output
    import nbformat
    text = no_paths(f"This stage stopped here: {output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return nbformat.v4.new_output("display_data", data={"text/html": f"<p class=\"failed\">{escape(redact(text))}</p>"})


def render_report(notebook: str | Path, out_html: str | Path, *, title: str,
                  parameters: dict | None = None, nav: str = "") -> Path:
    """Render an executed notebook to a self-contained HTML report with no code.

    Parameter cells (the notebook's own and papermill's injected one) are left out; a small
    "run parameters" table says what the run was given instead. Teaching cells (tagged ``teach``:
    objectives, predictions, exercises, reflection prompts) are for the team in JupyterLab and are
    left out too.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)   # widget state is the team's teaching forms, never the report's
    nb.cells = [c for c in nb.cells
                if not {"parameters", "injected-parameters", TEACH_TAG} & set(c.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        cell["outputs"] = [_plain(o) for o in cell.get("outputs", []) if not _is_noise(o)]
    config = Config()
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.template_name = "basic"
    config.HTMLExporter.anchor_link_text = ""   # no pilcrow beside every heading in a manager's report
    body, _ = HTMLExporter(config=config).from_notebook_node(nb)
    body = _parameters_table(parameters or {}) + body
    out_html = Path(out_html)
    out_html.write_text(page(title, body, nav=nav, heading=False), encoding="utf-8")
    return out_html

