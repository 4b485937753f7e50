"""Turning executed stage notebooks into HTML a manager can read.

Reports are single self-contained HTML files: no code, no injected-parameters cell (a small "run
parameters" table instead), charts embedded as data URIs, no script and no external URL, readable
on a phone. nbconvert's ``lab`` and ``classic`` templates load scripts from CDNs, so the body is
rendered with the ``basic`` template and wrapped in a page of our own.
"""
from __future__ import annotations

from pathlib import Path

from ..prose.show import cell_text
from ..text import escape, no_paths, redact

__all__ = ["render_report", "page", "skipped_page", "index_page", "TEACH_TAG"]


#: Cells tagged so teach in JupyterLab and are left out of every report.
TEACH_TAG = "teach"


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
    from ..read.study import quality_summary
    from ..text import long_date
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
    from ..prose.headline import headline
    lead = headline(results)
    body = (f"<h1>{escape(redact(s.name))}</h1>"
            + (f"<p class=\"headline\"><strong>{escape(redact(lead))}</strong></p>" if lead else "")
            + f"<p>A check of the service, stage by stage: what customers ask "
            f"for, what the system achieves, how the work flows and why.</p>"
            f"<table class=\"facts\">{rows}</table>"
            f"<h2>What each stage found</h2><table class=\"stages\"><thead><tr><th>stage</th><th>status</th>"
            f"<th>the finding that matters</th></tr></thead><tbody>{''.join(stage_rows)}</tbody></table>"
            + caveat_html)
    return page(f"Check: {redact(s.name)}", body, heading=False)


#: Run parameters in words, with their units ("radius m 50.0" said nothing).
_PARAMETER_WORDS = {"radius_m": "radius, metres", "window_days": "window, days", "as_of": "data as of",
                    "period_start": "period starts", "period_end": "period ends", "business_days": "working days only"}


def _parameter_value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return cell_text(value)


def _parameters_table(parameters: dict) -> str:
    rows = "".join(f"<tr><th>{escape(_PARAMETER_WORDS.get(str(k), str(k).replace('_', ' ')))}</th>"
                   f"<td>{escape(_parameter_value(v))}</td></tr>" for k, v in parameters.items())
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
