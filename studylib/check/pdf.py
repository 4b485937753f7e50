"""A board pack: one A4 PDF of a whole check, as a manager takes it to a board.

The front page, the summary and each stage report, in that order, each from a new page, printed by
headless Chromium through Playwright with the reports' own print stylesheet: no navigation, folded
detail left folded (the reports keep it), no chart or table row split across pages. Links between
the reports become links inside the PDF.

Playwright is an optional dependency (``pip install 'studylib[pdf]'``), and it needs a Chromium:
Debian's ``chromium`` package is used where it is installed, else Playwright's own browser.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..errors import ParameterError

__all__ = ["board_pack", "CHROMIUM"]

#: Debian's Chromium, used when it is there (Playwright cannot always download its own).
CHROMIUM = Path("/usr/bin/chromium")

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_NAV = re.compile(r'<nav class="stage-nav">.*?</nav>', re.S)


def _pages(reports: Path) -> list[Path]:
    index = reports / "index.html"
    if not index.is_file():
        raise ParameterError(f"{reports.name or reports} holds no index.html, so it is not a folder of reports: "
                             "run studylib check first, and name the folder it wrote (--out)")
    return [index, *sorted(p for p in reports.glob("[0-9]*.html"))]


def pack_html(reports: str | Path) -> str:
    """The reports of a check as one HTML document, each from a new page, links made internal."""
    reports = Path(reports)
    pages = _pages(reports)
    css, title = "", ""
    sections = []
    for path in pages:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ParameterError(f"{path.name} in {reports.name} is not UTF-8 text, as studylib check writes its "
                                 "reports: it was saved again by another program. Run studylib check again to "
                                 "write the reports afresh") from None
        css = css or "".join(_STYLE.findall(text))
        title = title or (re.search(r"<title>(.*?)</title>", text, re.S) or [None, ""])[1]
        found = _BODY.search(text)
        body = _NAV.sub("", found.group(1) if found else "")
        # Within the pack, "04_flow.html#x" is "#x" when x is there, else the page's own start.
        for other in pages:
            body = re.sub(rf'href="{re.escape(other.name)}#', 'href="#', body)
            body = body.replace(f'href="{other.name}"', f'href="#page-{other.stem}"')
        sections.append(f'<section id="page-{path.stem}" class="pack-page">{body}</section>')
    css += ".pack-page+.pack-page{break-before:page}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{css}</style></head><body>"
            + "".join(sections) + "</body></html>\n")


def board_pack(reports: str | Path, out: str | Path | None = None, *, chromium: str | Path | None = None) -> Path:
    """Print the reports a check wrote into one A4 PDF (default: ``check.pdf`` in that folder).

    Returns the PDF's path. Raises :class:`ParameterError` for a folder that holds no reports, or
    when Playwright is not installed.
    """
    reports = Path(reports)
    html = pack_html(reports)
    out = Path(out) if out is not None else reports / "check.pdf"
    if out.is_dir():
        raise ParameterError(f"--out {out} is a folder: name the PDF to write, e.g. --out {out / 'check.pdf'}")
    if not out.parent.is_dir():
        raise ParameterError(f"--out {out}: the folder {out.parent} does not exist")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise ParameterError("studylib pdf needs Playwright and a Chromium: pip install 'studylib[pdf]', and "
                             "apt-get install chromium (or: playwright install chromium)") from err
    browser_path = Path(chromium) if chromium is not None else (CHROMIUM if CHROMIUM.exists() else None)
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "pack.html"
        page_file.write_text(html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(browser_path) if browser_path else None, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_context(offline=True).new_page()
                page.goto(page_file.as_uri())
                page.emulate_media(media="print")
                footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
                page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                         header_template="<div></div>", footer_template=footer,
                         margin={"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
            finally:
                browser.close()
    return out
