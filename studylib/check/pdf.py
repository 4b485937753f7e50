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
    pages = [index, *sorted(p for p in reports.glob("[0-9]*.html"))]
    _as_the_check_wrote_them(reports, pages)
    return pages


def _as_the_check_wrote_them(reports: Path, pages: list[Path]) -> None:
    """Refuse a folder whose pages are not the ones its ``run_manifest.json`` lists, byte for byte:
    a page cut short, missing, changed or added since the check is not printed for a board."""
    import json

    from .report import sha256_of
    again = "run studylib check again to write the reports afresh"
    try:
        manifest = json.loads((reports / "run_manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"{reports.name} holds no run_manifest.json, so its pages cannot be checked as the "
                             f"check wrote them: {again}") from None
    except (ValueError, UnicodeDecodeError):
        raise ParameterError(f"run_manifest.json in {reports.name} cannot be read (damaged): {again}") from None
    written = manifest.get("pages") if isinstance(manifest, dict) else None
    if not isinstance(written, dict):
        raise ParameterError(f"run_manifest.json in {reports.name} was written by an older studylib, which did not "
                             f"record its pages: {again}")
    problems = [f"{name} is missing" for name in written if not (reports / name).is_file()]
    for page in pages:
        if page.name not in written:
            problems.append(f"{page.name} was not written by that check")
        elif sha256_of(page) != written[page.name]:
            problems.append(f"{page.name} is not as the check wrote it (cut short or changed since)")
    if problems:
        raise ParameterError(f"the reports in {reports.name} are not as studylib check wrote them: "
                             + "; ".join(problems) + ". Run studylib check again to write the reports afresh")


#: What the pack may load while it is printed: its own styles and the images inside it. No frame,
#: object, script or file outside it (a local file named in a page would be printed into the pack).
_ONLY_ITSELF = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
                "frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")
#: The address in Chromium's words for a load the policy blocked ("Framing 'file:///…' violates …").
_REFUSED = re.compile(r"'([^']*)'")


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
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_ONLY_ITSELF}\">"
            f"<title>{title}</title><style>{css}</style></head><body>"
            + "".join(sections) + "</body></html>\n")


def board_pack(reports: str | Path, out: str | Path | None = None, *, chromium: str | Path | None = None) -> Path:
    """Print the reports a check wrote into one A4 PDF (default: ``check.pdf`` in that folder).

    The pack holds only the folder's own pages and the images inside them: anything else a page
    names (a frame, an object, a local file) is blocked while printing, and each address blocked
    is said as a :class:`~studylib.errors.StudylibWarning`.

    Returns the PDF's path, written whole (through a file beside it). Raises
    :class:`ParameterError` for a folder that holds no reports, pages that are not as the check
    wrote them (``run_manifest.json``), or when Playwright is not installed.
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
    from ..writing import replaced, said_in_words
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "pack.html"
        with said_in_words(f"the pack's page to {tmp} (the temporary folder)", "nothing was written"):
            page_file.write_text(html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(browser_path) if browser_path else None, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            blocked: list[str] = []
            try:
                page = browser.new_context(offline=True).new_page()
                page.on("console", lambda msg: blocked.extend(_REFUSED.findall(msg.text)[:1]
                                                              if "Content Security Policy" in msg.text else []))
                page.goto(page_file.as_uri())
                page.emulate_media(media="print")
                footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
                pdf = page.pdf(format="A4", print_background=True, display_header_footer=True,
                               header_template="<div></div>", footer_template=footer,
                               margin={"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
            finally:
                browser.close()
    if blocked:
        import warnings

        from ..errors import StudylibWarning
        shown = list(dict.fromkeys(blocked))
        warnings.warn(f"the pack left out {len(shown)} address{'es' if len(shown) != 1 else ''} outside the reports "
                      f"folder that a page named ({', '.join(shown[:5])}{' …' if len(shown) > 5 else ''}): a board "
                      "pack holds only the check's own pages and images", StudylibWarning, stacklevel=2)
    with replaced(out, what=f"the board pack to {out}", binary=True) as written:
        written.write(pdf)
    return out
