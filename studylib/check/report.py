"""Turning executed stage notebooks into HTML a manager can read.

Reports are single self-contained HTML files: no code, no injected-parameters cell (a small "run
parameters" table instead), charts embedded as data URIs, no script and no external URL, readable
on a phone. nbconvert's ``lab`` and ``classic`` templates load scripts from CDNs, so the body is
rendered with the ``basic`` template and wrapped in a page of our own.
"""
from __future__ import annotations

import functools
import threading
from pathlib import Path

from ..prose.show import cell_text
from ..text import and_list, escape, no_paths, redact

__all__ = ["render_report", "page", "skipped_page", "index_page", "TEACH_TAG", "sha256_of"]


def sha256_of(path: Path) -> str:
    """A file's SHA-256, as the run manifest records inputs and pages and ``studylib pdf`` checks them."""
    import hashlib
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


#: Cells tagged so teach in JupyterLab and are left out of every report.
TEACH_TAG = "teach"

#: A heading cell tagged so starts a section that stays open in the report; every other section
#: (a markdown cell with a level-2 heading and the cells after it, up to the next) folds.
OPEN_TAG = "open"


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
table.facts th{white-space:nowrap;width:1%}
table.stages th[scope=row]{width:7rem}
tr.skipped td,tr.skipped th{color:#555}
details.section{border-top:1px solid #ccd;margin:0.25rem 0}
details.section>summary{cursor:pointer;padding:0.4rem 0;color:#003a63}
details.section>summary h2{display:inline;font-size:1.2rem;margin:0}
details.section[open]>summary{margin-bottom:0.5rem}
.dated{color:#555;font-size:0.9rem;margin-top:-0.5rem}
dl.counted dt{font-weight:600;margin-top:0.5rem}
dl.counted dd{margin-left:1rem}
.scrolls{display:none;font-size:0.8rem;color:#555;margin:0.5rem 0 0}
.print-only{display:none}
@media (max-width:600px){.scrolls{display:block}}
@page{size:A4;margin:14mm 14mm 16mm}
@media print{
 body{max-width:none;padding:0;font-size:10pt;line-height:1.35}
 nav.stage-nav,details.run-parameters{display:none}
 h1{font-size:17pt;margin:0 0 4pt}h2{font-size:13pt;margin:10pt 0 4pt}h3,h4{font-size:11pt;margin:6pt 0 2pt}
 p{margin:3pt 0}
 h1,h2,h3,h4,summary{break-after:avoid}
 img,picture,tr,pre,li{break-inside:avoid}
 img{max-height:8.5cm;width:auto}
 table{display:table;font-size:8.5pt}
 details.section>summary{list-style:none}
 details.section:not([open]){display:none}
 .print-only{display:block;break-inside:avoid}
 .output_area:has(h3,h4):not(:has(picture,img,table)){break-after:avoid}
 a{color:inherit;text-decoration:none}
}
"""


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


def index_page(results, stages, *, run_at, history: str = "") -> str:
    """The front page of a check: what was studied, when, on what data, and each stage's finding.

    ``stages``: the runner's table (``stage, notebook, status, report, error``); ``run_at``: when
    the check ran (a timezone-aware timestamp); ``history``: the sentence about the study's ledger
    and its link (HTML, made safe by the runner), or "".
    """
    from .results import STAGES
    from ..read.study import quality_summary
    from ..text import long_date
    titles = {stem: title for stem, title, _ in STAGES}
    s = results.study
    start, end = results.settings.get("period_start"), results.settings.get("period_end")
    period = (f"{long_date(start)} to {long_date(end)}" if start is not None and end is not None
              else "the whole of the data (the study sets no period)")
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
        # The status is in the finding's words ("Skipped: …", "This stage failed: …"), not a column
        # of "ok" that a phone pays for in width.
        stage_rows.append(f"<tr class=\"{status}\"><th scope=\"row\">{link}</th>"
                          f"<td>{escape(redact(finding))}</td></tr>")
    notes = results.caveats["caveat"].drop_duplicates().tolist()
    caveat_html = ("<h2>Bear in mind</h2><ul class=\"caveats\">" + "".join(f"<li>{escape(redact(n))}</li>" for n in notes)
                   + "</ul>") if notes else ""
    from ..prose.headline import headline
    from .pages import every_service
    lead = headline(results)
    from ..prose.counted import COUNTED_ID
    summary_ok = any(Path(r["notebook"]).stem == "00_summary" and r["status"] == "ok" for r in stages.to_dict("records"))
    counted = (f' <a href="00_summary.html#{COUNTED_ID}">How each figure is counted</a>.' if summary_ok else "")
    body = (f"<h1>{escape(redact(s.name))}</h1>"
            + (f"<p class=\"headline\"><strong>{escape(redact(lead))}</strong>{counted}</p>" if lead else "")
            + f"<p>A check of the service, stage by stage: what customers ask "
            f"for, what the system achieves, how the work flows and why.</p>"
            f"<table class=\"facts\">{rows}</table>"
            + (f"<p class=\"history\">{history}</p>" if history else "")
            + f"<h2>What each stage found</h2><table class=\"stages\"><thead><tr><th>stage</th>"
            f"<th>the finding that matters</th></tr></thead><tbody>{''.join(stage_rows)}</tbody></table>"
            + (services.data if (services := every_service(results)) is not None else "")
            + caveat_html)
    return page(f"Check: {redact(s.name)}", body, heading=False)


#: Run parameters in words, with their units ("radius m 50.0" said nothing).
_PARAMETER_WORDS = {"radius_m": "radius, metres", "window_days": "window, days", "as_of": "data as of",
                    "period_start": "period starts", "period_end": "period ends", "business_days": "working days only",
                    "clock": "capability charted on", "order": "cases charted in the order they",
                    "target": "end-to-end target", "redact": "personal data hidden", "engine": "figures computed in",
                    "freeze": "a redesign held to the limits of its first cases"}
#: Values a manager would otherwise have to decode ("clock customer", "target none").
_VALUE_WORDS = {("clock", "customer"): "the customer's clock (first contact to solved)",
                ("clock", "organisation"): "the organisation's clock (registered to closed)",
                ("order", "arrival"): "arrived", ("order", "completion"): "finished",
                ("target", None): "each service's own, where the study sets one",
                ("period_start", None): "the first contact in the data", ("period_end", None): "the last contact in the data",
                ("as_of", None): "the last event in the data",
                ("freeze", None): "its first two weeks' cases, at least 30",
                ("engine", "pandas"): "memory (pandas)", ("engine", "duckdb"): "DuckDB", ("engine", "spark"): "Spark"}


def _parameter_value(value, name: str = "") -> str:
    if (name, value) in _VALUE_WORDS:
        return _VALUE_WORDS[(name, value)]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "target":
        return f"{value:g} days, for every service"
    if name == "freeze" and isinstance(value, int) and not isinstance(value, bool):
        return f"its first {value:,}"
    if name == "freeze" and value is not None:          # a date
        return f"those that arrived before {cell_text(value)}"
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return cell_text(value)


def _parameters_table(parameters: dict) -> str:
    rows = "".join(f"<tr><th>{escape(_PARAMETER_WORDS.get(str(k), str(k).replace('_', ' ')))}</th>"
                   f"<td>{escape(_parameter_value(v, str(k)))}</td></tr>" for k, v in parameters.items())
    return f"<details class=\"run-parameters\"><summary>Run parameters</summary><table>{rows}</table></details>"


def _is_noise(output) -> bool:
    """Python's warning text (stderr) is not for a manager: caveats are said in words instead."""
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _plain(output):
    """A failed cell's traceback becomes one sentence: the error, without source lines or paths."""
    if output.get("output_type") != "error":
        return output
    import nbformat
    text = no_paths(f"This stage stopped here: {output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return nbformat.v4.new_output("display_data", data={"text/html": f"<p class=\"failed\">{escape(redact(text))}</p>"})


def _dated(body: str, parameters: dict, counted_link: str = "", note: str = "") -> str:
    """The report's date under its title, on screen and on a printed page one: the data's as-of
    date and the study period, in words; and a link to how each figure is counted."""
    from ..text import long_date
    start, end, as_of = (parameters.get(k) for k in ("period_start", "period_end", "as_of"))
    words = []
    if as_of is not None:
        words.append(f"Data as of {long_date(as_of)}")
    if start is not None and end is not None:
        words.append(f"study period {long_date(start)} to {long_date(end)}")
    if not words and not counted_link and not note:
        return body
    said = "; ".join(words)
    line = escape(said[:1].upper() + said[1:]) + ("." if words else "")
    if counted_link:
        line += f' <a href="{escape(counted_link)}">How each figure is counted</a>.'
    line = (f'<p class="dated">{line.strip()}</p>' if line.strip() else "") + note
    at = body.find("</h1>")
    return body[:at + 5] + line + body[at + 5:] if at >= 0 else line + body


#: A table this wide or wider is too wide for a phone: a line above it says that it scrolls.
WIDE_TABLE_COLUMNS = 5


def _say_tables_scroll(cell) -> None:
    """Above each wide table, a line (shown on a phone only) that says it scrolls sideways."""
    from lxml.html import fragment_fromstring
    for tbl in cell.iter("table"):
        first_row = next(iter(tbl.iter("tr")), None)
        columns = 0 if first_row is None else sum(int(c.get("colspan") or 1) for c in first_row if c.tag in ("th", "td"))
        if columns >= WIDE_TABLE_COLUMNS and tbl.getparent() is not None:
            cue = fragment_fromstring(f'<p class="scrolls">{columns} columns: swipe the table sideways to see them '
                                      "all.</p>")
            tbl.addprevious(cue)


def _fold_sections(body: str, opened: set) -> tuple[str, list[tuple[str, str]]]:
    """Fold each section of a report into a ``<details>``, closed, its heading the summary.

    A section is a markdown cell whose first element is a level-2 heading, and the cells after it up
    to the next such cell. Sections whose heading cell is tagged :data:`OPEN_TAG` (the story: what,
    so what, now what, then what) stay open, and so does everything before the first heading. On a
    phone the page is the story and a list of what lies behind it; nothing is lost, one tap opens it.

    A section (folded or open) that holds a "left out" mark (:func:`studylib.check.pages.left_out`: the data
    cannot support its measure) is dropped whole, heading too. Returns the HTML and (heading, why)
    of every section dropped.
    """
    import lxml.html

    cells = lxml.html.fragments_fromstring(body)
    out: list[str] = []
    dropped: list[tuple[str, str]] = []
    section: list[str] | None = None     # None before the first heading
    summary, heading, is_open = "", "", False

    def close() -> None:
        if section is None:
            return
        inner = "".join(section)
        if 'class="left-out"' in inner:
            mark = lxml.html.fragment_fromstring(inner, create_parent="div").find('.//p[@class="left-out"]')
            dropped.append((heading, mark.get("data-reason", "")))
        elif is_open:
            out.append(inner)
        else:
            out.append(f'<details class="section"><summary>{summary}</summary>{inner}</details>')

    for cell in cells:
        if isinstance(cell, str):
            continue
        _say_tables_scroll(cell)
        first = next(iter(cell.xpath('.//div[contains(@class, "text_cell_render")]/*[1]')), None)
        html = lxml.html.tostring(cell, encoding="unicode")
        if first is not None and first.tag == "h2":
            close()
            section, heading = [], first.text_content().strip()
            is_open = (cell.get("id") or "").removeprefix("cell-id=") in opened
            if not is_open:
                summary = lxml.html.tostring(first, encoding="unicode", with_tail=False)
                first.drop_tree()
                html = lxml.html.tostring(cell, encoding="unicode")
        (out if section is None else section).append(html)
    close()
    return "".join(out), dropped


#: A chart in a report: a picture, or an image that is not an icon.
_A_CHART = './/picture | .//img[not(contains(@class, "icon"))]'


def _printed_charts(body: str) -> str:
    """Each folded section that holds a chart keeps it on paper: a copy of its first chart, with the
    heading and caption said just before it, stands after the section for print only (a printed page
    cannot be unfolded, and a board pack of stories without a chart proves nothing)."""
    import copy

    import lxml.html

    root = lxml.html.fragment_fromstring(body, create_parent="div")
    for section in root.xpath('//details[contains(concat(" ", @class, " "), " section ") and not(@open)]'):
        chart = next(iter(section.xpath(_A_CHART)), None)
        if chart is None:
            continue
        area = next(iter(chart.xpath('ancestor::div[contains(concat(" ", @class, " "), " output_area ")][1]')), None)
        if area is not None and section not in area.iterancestors():
            area = None               # a section folded inside one output (the summary's): its chart alone
        shown = [area] if area is not None else [chart]
        if area is not None:            # the heading and caption said just before the chart, in its cell
            for before in area.itersiblings(preceding=True):
                if before.xpath(_A_CHART):
                    break
                shown.insert(0, before)
        printed = lxml.html.fragment_fromstring('<div class="print-only"></div>')
        heading = section.find("summary/h2")
        if heading is not None:
            title = lxml.html.fragment_fromstring("<h2></h2>")
            title.text = heading.text_content().strip()
            printed.append(title)
        for part in shown:
            printed.append(copy.deepcopy(part))
        section.addnext(printed)
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def _left_out_sentence(dropped: list[tuple[str, str]]) -> str:
    """One sentence naming every section left out, grouped by why: "Left out, as this data cannot
    support them: Two clocks and Open cases (no case has finished yet)."."""
    if not dropped:
        return ""
    by_reason: dict[str, list[str]] = {}
    for heading, why in dropped:
        by_reason.setdefault(why, []).append(heading)
    parts = []
    for why, headings in by_reason.items():
        parts.append(f"{and_list(headings)} ({why})")
    return f'<p class="left-out-note">Left out, as this data cannot support them: {escape("; ".join(parts))}.</p>'


_EXPORTING = threading.Lock()


@functools.lru_cache(maxsize=1)
def _exporter():
    """The reports' HTML exporter, made once a process: its templates compile for the first report
    only (they took about half of each later render when every report made its own)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    config = Config()
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.template_name = "basic"
    config.HTMLExporter.anchor_link_text = ""   # no pilcrow beside every heading in a manager's report
    return HTMLExporter(config=config)


def render_report(notebook: str | Path, out_html: str | Path, *, title: str,
                  parameters: dict | None = None, nav: str = "", counted_link: str = "") -> Path:
    """Render an executed notebook to a self-contained HTML report with no code.

    Parameter cells (the notebook's own and papermill's injected one) are left out; a small
    "run parameters" table says what the run was given instead. Teaching cells (tagged ``teach``:
    objectives, predictions, exercises, reflection prompts) are for the team in JupyterLab and are
    left out too. ``counted_link``: where the check's "how each figure is counted" lies, linked under
    the title.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)   # widget state is the team's teaching forms, never the report's
    nb.cells = [c for c in nb.cells
                if not {"parameters", "injected-parameters", TEACH_TAG} & set(c.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        cell["outputs"] = [_plain(o) for o in cell.get("outputs", []) if not _is_noise(o)]
    with _EXPORTING:      # the lanes of a check render at once; one exporter serves them in turn
        body, _ = _exporter().from_notebook_node(nb)
    opened = {c.get("id") for c in nb.cells if OPEN_TAG in c.get("metadata", {}).get("tags", [])}
    body, dropped = _fold_sections(body, opened)
    body = _printed_charts(body)
    body = _dated(body, parameters or {}, counted_link, _left_out_sentence(dropped))
    body = _parameters_table(parameters or {}) + body
    out_html = Path(out_html)
    out_html.write_text(page(title, body, nav=nav, heading=False), encoding="utf-8")
    return out_html
