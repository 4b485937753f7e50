"""Turning executed stage notebooks into HTML a manager can read, and prose helpers for notebooks.

Reports are single self-contained HTML files: no code, no injected-parameters cell (a small "run
parameters" table instead), charts embedded as data URIs, no script and no external URL, readable
on a phone. nbconvert's ``lab`` and ``classic`` templates load scripts from CDNs, so the body is
rendered with the ``basic`` template and wrapped in a page of our own.
"""
from __future__ import annotations

import html
from pathlib import Path

import nbformat

__all__ = ["render_report", "page", "say", "escape"]

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
        parts.append(f"<h{level}>{escape(heading)}</h{level}>")
    if text:
        parts.append(f"<p>{escape(text)}</p>")
    return HTML("".join(parts))


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


def _parameters_table(parameters: dict) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in parameters.items())
    return f"<details class=\"run-parameters\"><summary>Run parameters</summary><table>{rows}</table></details>"


def render_report(notebook: str | Path, out_html: str | Path, *, title: str,
                  parameters: dict | None = None, nav: str = "") -> Path:
    """Render an executed notebook to a self-contained HTML report with no code.

    Parameter cells (the notebook's own and papermill's injected one) are left out; a small
    "run parameters" table says what the run was given instead.
    """
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells = [c for c in nb.cells
                if not {"parameters", "injected-parameters"} & set(c.get("metadata", {}).get("tags", []))]
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

