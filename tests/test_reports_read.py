"""Reports a manager reads: in headless Chromium at 1280 and 390 px, on the sample and on LA 311.

No page scrolls sideways, every chart has alt text that says what it shows, the index shows the
headline figures, and no code, raw value or machine path reaches the page.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE, launch_chromium, need_browser, shared_file
from studylib.prose.show import CODE_WORDS
from studylib.check.runner import run_check, run_notebook
from studylib.read.scaffold import new_study
from studylib.read.study import load_study

# Slow: whole checks on the sample and the real-data examples, read in a real browser (left out of the quick loop, python -m pytest -m "not slow").
pytestmark = pytest.mark.slow

#: What must never be read in a report: raw missing values, codes, machine paths, Python.
FORBIDDEN = [r"\binf\b", r"\bnan\b", r"\bNaN\b", r"\bNaT\b", r"\bNone\b", "common_cause", "special_cause",
             "consistent_pass", "consistent_fail", "share_of_time", "end_to_end_mean", "Traceback",
             "/work/", "/tmp/", "site-packages", r"\bTrue\b", r"\bFalse\b"]


def _first_event_only(events):
    """A study whose cases have one event each (as Boston's open-cases export has)."""
    return events.groupby("case_id", sort=False).head(1)


def _no_case_solved(events):
    """A study with only open cases: no case has reached its end yet."""
    return events[~events["activity"].isin(["Repair completed", "Job closed"])]


def _reshaped_sample(folder, keep):
    """The sample study with its event log reshaped by ``keep``, checked; returns the reports' folder."""
    import shutil

    import pandas as pd
    study = folder / "study"
    shutil.copytree(SAMPLE, study)
    events = pd.read_csv(study / "events.csv", dtype=str)
    keep(events).to_csv(study / "events.csv", index=False)
    run_check(study, folder / "out", progress=False)
    return folder / "out"


@pytest.fixture(scope="module")
def studies(tmp_path_factory, checked):
    out = {}
    for name in ("sample", "la311", "receipt", "boston"):
        out[name], rc, _ = checked(name)
        assert rc == 0, name
    for shape, keep in (("one_event", _first_event_only), ("all_open", _no_case_solved)):
        out[shape] = _reshaped_sample(tmp_path_factory.mktemp(shape), keep)
    sf = tmp_path_factory.mktemp("sf")      # San Francisco's 311 export as it comes: 61 services
    from studylib.cli import main
    assert main(["new", str(sf / "study"), "--from", str(shared_file("311/sf_311_sample.csv"))]) == 0
    # Checked twice, at two as-of dates, as a team following its service would: the second check's
    # reports hold the history of a study of 61 services.
    as_of = pd.Timestamp(load_study(sf / "study").config["as_of"]) - pd.Timedelta(days=7)
    run_check(sf / "study", sf / "earlier", progress=False, parameters={"as_of": f"{as_of:%Y-%m-%d}"})
    run_check(sf / "study", sf / "out", progress=False)
    out["sf"] = sf / "out"
    template = tmp_path_factory.mktemp("template")
    new_study(template / "study")
    run_check(template / "study", template / "out", progress=False)
    out["template"] = template / "out"
    ae = tmp_path_factory.mktemp("ae")
    shared_file("nhs/ae_attendances.csv")
    status, error = run_notebook(ROOT / "examples" / "ae" / "ae_four_hours.ipynb", ae / "ae.ipynb", ae / "ae.html",
                                 parameters={})
    assert status == "ok", error
    out["ae"] = ae
    return out


ALL = ["sample", "la311", "receipt", "boston", "template", "one_event", "all_open", "ae", "sf"]


class _Chromium:
    """One headless Chromium for this module's fifteen readings, started when first asked for a
    context (contexts share nothing): a launch costs about a CPU-second. Playwright's sync API
    cannot run twice in one thread, so a test that runs its own (``studylib pdf``) stops it first."""

    def __init__(self):
        self._playwright = self._browser = None

    def new_context(self, **options):
        if self._browser is None:
            self._playwright = need_browser()().start()
            self._browser = launch_chromium(self._playwright)
        return self._browser.new_context(**options)

    def stop(self):
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
        self._playwright = self._browser = None


@pytest.fixture(scope="module")
def browser(studies):
    """The module's Chromium; it starts once every report is written, so no check runs beside it."""
    shared = _Chromium()
    yield shared
    shared.stop()


@pytest.mark.parametrize("study", ALL)
def test_reports_read_well_on_a_desktop_and_a_phone(studies, browser, study):
    out = studies[study]
    pages = sorted(p.name for p in out.glob("*.html"))
    # A team's own study keeps a ledger; from its second check its reports hold its history.
    history = study == "sf"     # its second check; the others are first checks or bundled studies
    assert pages == ["ae.html"] if study == "ae" else ("index.html" in pages and ("history.html" in pages) == history
                                                       and len(pages) == 7 + history)
    for width in (1280, 390):
        context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
        for name in pages:
            page = context.new_page()
            page.goto((out / name).as_uri())
            # Folded sections hold charts and tables too: open them all, and read everything.
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, (study, name, width, scroll)
            alts = page.eval_on_selector_all("img:not(.icon)", "els => els.map(e => e.getAttribute('alt') || '')")
            for alt in alts:
                assert len(alt) > 25 and "No description" not in alt, (study, name, alt)
            icons = page.eval_on_selector_all("img.icon", "els => els.map(e => e.getAttribute('alt') || '')")
            assert all(alt in CODE_WORDS.values() for alt in icons), (study, name, icons)
            # Chart text reads at 10 CSS px or more: the smallest text of the image shown, scaled
            # to the width it is shown at (on a phone the phone rendering is the one shown).
            charts = page.eval_on_selector_all(
                "picture img", "els => els.filter(e => !e.closest('.print-only'))"     # paper's copies: not on screen
                               ".map(e => [e.currentSrc === e.src, e.clientWidth, e.naturalWidth, "
                               "parseFloat(e.dataset.phoneTextPx)])")
            for desktop, shown, natural, phone_px in charts:
                if width == 390:
                    assert not desktop, (study, name, "the phone rendering is not the one shown")
                    assert phone_px * shown / natural >= 10 - 1e-6, (study, name, phone_px, shown, natural)
            text = page.inner_text("body")
            for pattern in FORBIDDEN:
                found = re.search(pattern, text)
                assert not found, (study, name, pattern, text[max(found.start() - 80, 0):found.end() + 80])
            page.close()
        context.close()


def test_index_shows_the_headline_figures(studies):
    sample = (studies["sample"] / "index.html").read_text()
    for figure in ("49% of demand is failure demand", "on average 4.4 days", "6 January 2025 to 11 May 2025"):
        assert figure in sample
    la311 = (studies["la311"] / "index.html").read_text()
    assert "LA 311, last week of 2017" in la311
    assert "No contact is labelled value or failure yet." in la311
    assert la311.count("<tr class=\"skipped\">") == 1      # system conditions: no findings, no waste


def test_an_empty_chart_becomes_a_sentence(studies):
    """LA 311 has no contact labelled value or failure: the channel mix has nothing to draw, and its
    section is left out of the report, with the reason."""
    demand = (studies["la311"] / "02_demand.html").read_text()
    assert 'alt="Value and failure demand by channel' not in demand
    assert "Failure demand: what kind, through which channel" in demand.split('class="left-out-note"')[1].split("</p>")[0]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from studylib.charts.display import chart_html
    fig, ax = plt.subplots()
    ax.barh(["a"], [0])
    ax.set_title("Value and failure demand by channel")
    assert chart_html(fig).startswith("<p>Value and failure demand by channel: nothing to chart yet")
    from studylib.charts.display import chart_is_empty
    fig, ax = plt.subplots()
    ax.barh(["a", "b"], [0, 0])
    assert chart_is_empty(fig)
    ax.barh(["c"], [3])
    assert not chart_is_empty(fig)
    plt.close(fig)


def test_making_data_count_icons_with_words(studies):
    import pandas as pd
    from studylib.prose.show import table
    shown = table(pd.DataFrame({"chart": ["<b>A</b>"], "variation": ["special_cause_concern"],
                                "assurance": ["consistent_fail"]}), icons=["variation", "assurance"]).data
    assert shown.count('<img class="icon" src="data:image/svg+xml;base64,') == 2
    assert 'alt="signal: a concern"' in shown and 'alt="will consistently miss the target"' in shown
    assert "&lt;b&gt;A&lt;/b&gt;" in shown and "special_cause" not in shown.replace('alt="signal', "")
    capability = (studies["sample"] / "03_capability.html").read_text()
    # The latest judged case's variation icon (Making Data Count's, for that point) and the assurance,
    # given because the redesigned system is predictable.
    assert 'class="icon"' in capability and 'alt="will consistently meet the target"' in capability
    assert any(f'alt="{words}"' in capability for words in ("common cause: no signal", "signal: improving",
                                                             "signal: a concern"))
    ae = (studies["ae"] / "ae.html").read_text()
    assert ae.count('class="icon"') >= 2


def test_the_front_page_and_the_summary_open_with_the_headline(studies):
    """Within its first 120 words, the sample's front page says what changed and by how much, in the
    time frame of the system as it is now; the summary leads with the same words."""
    import html as html_lib
    import re
    from studylib import compute_check, load_study
    from studylib.measures.capability import limits_by_system
    from studylib.prose.headline import HEADLINE_WORDS, headline
    r = compute_check(load_study(SAMPLE))
    lead = headline(r)
    assert len(lead.split()) <= HEADLINE_WORDS
    figures = r.flow["figures"].set_index("era")["end_to_end_mean"]
    split = r.demand["by_system"].query("service == 'Housing repairs'").set_index("era")["failure_share"]
    upper = limits_by_system(r.capability["charts"]["Housing repairs"]).iloc[-1]["upper"]
    for figure in (f"{figures[1]:.1f} days", f"against {figures[0]:.1f} before", f"its upper limit {upper:.1f} days",
                   f"{split[1]:.0%} of its contacts, against {split[0]:.0%} before",
                   f"{r.demand['overall']['failure_share'].iloc[0]:.0%} of demand is failure demand"):
        assert figure in lead, figure
    for page in ("index.html", "00_summary.html"):
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script|nav)[^>]*>.*?</\1>", " ",
                                                                 (studies["sample"] / page).read_text(), flags=re.S)))
        words = text.split()
        first = " ".join(words[:120 if page == "index.html" else 200])
        assert "Since 10 March 2025" in first and " ".join(lead.split()[:20]) in " ".join(words), page


@pytest.mark.parametrize("study", ["la311", "boston", "template", "one_event", "all_open"])
def test_no_stage_row_of_the_front_page_is_blank(studies, study):
    import re
    index = (studies[study] / "index.html").read_text()
    rows = re.findall(r'<tr class="(ok|skipped|failed)"><th scope="row">(.*?)</th><td>(.*?)</td></tr>',
                      index, flags=re.S)
    assert rows and all(finding.strip() for _, _, finding in rows), rows


#: At 390 px wide, the most a page may take, in CSS px: five minutes on a phone.
PHONE_HEIGHTS = {"index.html": 2_500, "00_summary.html": 6_000}
STAGE_PAGE_HEIGHT = 10_000
#: Printed to A4, the most pages the front page and the summary may take: a board pack.
A4_PAGES = {"index.html": 2, "00_summary.html": 4}


def _pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF Chromium wrote: the page tree's /Count (its largest, the root's)."""
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert counts, "no page tree in the PDF"
    return max(counts)


@pytest.mark.parametrize("study", ["sample", "la311", "receipt", "boston", "template", "one_event", "all_open"])
def test_five_minutes_on_a_phone_and_a_board_pack_on_paper(studies, browser, study):
    """Heights at 390 px; A4 pages; the print stylesheet: no navigation, no chart or table row split
    across pages, the headline and the date on page one."""
    out = studies[study]
    context = browser.new_context(offline=True, viewport={"width": 390, "height": 844})
    for path in sorted(out.glob("*.html")):
        page = context.new_page()
        page.goto(path.as_uri())
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= PHONE_HEIGHTS.get(path.name, STAGE_PAGE_HEIGHT), (study, path.name, height)
        # Everything folded is still there: one tap opens it, and no section is empty.
        folded = page.eval_on_selector_all(
            "details.section", "els => els.map(d => [d.open, d.querySelector('summary').textContent, "
            "[...d.querySelectorAll('img, table, p, li, dl')].filter(e => !e.closest('summary')).length])")
        for is_open, summary, shown in folded:
            assert not is_open and summary.strip() and shown, (study, path.name, summary)
        if path.name in A4_PAGES:
            pages = _pdf_pages(page.pdf(format="A4"))
            assert pages <= A4_PAGES[path.name], (study, path.name, pages)
        page.emulate_media(media="print")
        hidden = page.evaluate("[...document.querySelectorAll('nav, details.run-parameters')]"
                               ".every(e => getComputedStyle(e).display === 'none')")
        assert hidden, (study, path.name, "navigation printed")
        unsplit = page.evaluate("[...document.querySelectorAll('img, tr')]"
                                ".every(e => getComputedStyle(e).breakInside === 'avoid')")
        assert unsplit, (study, path.name, "a chart or row may split across pages")
        if path.name in A4_PAGES:
            # Page one of A4 (297 mm less the margins) at 96 px an inch, at the printed width.
            page.set_viewport_size({"width": round((210 - 28) / 25.4 * 96), "height": 1000})
            page_one = (297 - 30) / 25.4 * 96
            for selector in ([".headline"] if path.name == "index.html" else []) + ["h1"]:
                box = page.eval_on_selector(selector, "e => e.getBoundingClientRect().bottom")
                assert box <= page_one, (study, path.name, selector, box)
            dated = "table.facts" if path.name == "index.html" else "p.dated"
            assert page.eval_on_selector(dated, "e => e.getBoundingClientRect().bottom") <= page_one
        page.close()
    context.close()


def _text(path) -> str:
    import html as html_lib
    raw = re.sub(r"<(style|script|nav)[^>]*>.*?</\1>", " ", path.read_text(), flags=re.S)
    raw = re.sub(r'data:image/[^"]+', "", raw)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", raw)))


#: What only the team's own pages may say (a skipped stage's instructions, validate): file names, keys,
#: a setting's code value. A manager's page says settings in words, or not at all.
TEAM_WORDS = [r"\b(study|findings|predictions|reflections|judgements)\.yml\b", r"\bended_by\b", r"\bchannel_costs\b",
              r"\bnone\b(?! (of|is|has|was|yet|since|were|are)\b)", r"\bclock customer\b", r"\border arrival\b",
              r"arrive dirty\.", r"Anhøj's runs rules"]


@pytest.mark.parametrize("study", ALL)
def test_a_managers_page_says_settings_in_words_and_no_file_or_key(studies, study):
    """"target none", "findings.yml should say which change ended it (ended_by)", "The targets in
    study.yml reward this", "Anhøj's runs rules" and "0% arrive dirty" reached the manager's pages."""
    for path in sorted(studies[study].glob("*.html")):
        text = _text(path)
        if "Skipped:" in text:          # a skipped stage's page is the team's: what to add, and where
            continue
        for pattern in TEAM_WORDS:
            found = re.search(pattern, text)
            assert not found, (study, path.name, pattern, text[max(found.start() - 80, 0):found.end() + 80])


def test_one_figure_one_value(studies):
    """A figure shown in two places is the same number in the same words; a second measure has a
    name of its own. Read across every report of the sample, alt text included."""
    from studylib import compute_check, load_study
    r = compute_check(load_study(SAMPLE))
    text = " ".join(_text(p) + " " + " ".join(re.findall(r'alt="([^"]*)"', p.read_text()))
                    for p in sorted(studies["sample"].glob("*.html")))
    problems = r.demand["problems"]
    # "N problems" unqualified is always every problem; the labelled ones are named so.
    bare = set(re.findall(r"([\d,]+) problems(?! with a labelled contact| with a place| drew)(?=[ ;.,)])", text))
    assert bare == {f"{len(problems):,}"}, bare
    labelled = set(re.findall(r"([\d,]+) problems with a labelled contact", text))
    assert len(labelled) == 1
    customers = set(re.findall(r"([\d,]+) customers with a reference", text))
    assert len(customers) == 1, customers
    assert len(set(re.findall(r"([\d,]+) customers with a labelled contact", text))) == 1
    # The days the organisation does not count: one figure, in the flow table's terms, wherever it is.
    figures = r.flow["figures"].set_index("era")
    hidden = set(re.findall(r"leaves out ([\d.]+) days of every finished case", text))
    assert hidden == {f"{figures.loc[0, 'hidden_mean']:.1f}"}, hidden
    assert abs(figures.loc[0, "hidden_mean"] - (figures.loc[0, "end_to_end_mean"] - figures.loc[0, "official_mean"])) < 1e-9
    # Rework counted by time and by case, each with its own name.
    assert "of cases go through the same step twice" in text and "rework steps (" in text
    assert "repeat a step" not in text
    # "Not shown by the data" never beside a figure the data shows.
    assert "not shown by the data" not in _text(studies["sample"] / "05_system_conditions.html")


def test_a_figure_on_two_pages_has_one_rounding(studies):
    """The headline's "24.9 before" was "25 before" on the capability page; "73 contacts a week" stood
    beside 651 contacts over 63 days (72.3: the rate was of 62.6 days, shown as 63). Each system's mean
    wait is said to one decimal on every page, and a rate is of the days shown beside it."""
    from studylib import compute_check, load_study
    r = compute_check(load_study(SAMPLE))
    pages = {p.name: _text(p) for p in sorted(studies["sample"].glob("*.html"))}
    for mean in r.flow["figures"]["end_to_end_mean"].dropna():
        whole = f"{mean:.0f}"
        if whole == f"{mean:.1f}".rstrip("0").rstrip("."):
            continue
        for name, text in pages.items():
            wrong = re.search(rf"(on average|against|waited|wait) {whole}(?![\d.]|\.\d)", text)
            assert not wrong, (name, text[max(wrong.start() - 80, 0):wrong.end() + 40])
        assert sum(f"{mean:.1f}" in text for text in pages.values()) >= 2, mean
    by_system = r.demand["by_system"]
    for row in by_system.itertuples():
        assert row.days == int(row.days)                                   # whole days, as shown
        assert row.contacts_per_week == pytest.approx(row.contacts / row.days * 7)
    now = by_system[by_system["system"].str.startswith("since")].iloc[0]
    assert (now["contacts"], now["days"], round(now["contacts_per_week"])) == (651, 63, 72)
    rates = set(re.findall(r"([\d,]+) contacts a week", " ".join(pages.values())))
    assert "72" in rates and "73" not in rates, rates


def test_the_system_as_it_is_now_means_now(studies):
    """The front page and the conditions say the time frame of every whole-period figure."""
    index = _text(studies["sample"] / "index.html")
    assert "Across every service from 6 January 2025 to 11 May 2025, 49% of demand is failure demand; Housing " \
           "repairs since 10 March 2025: 43%, against 66% before." in index
    conditions = _text(studies["sample"] / "05_system_conditions.html")
    assert "every other service, over the whole period:" in conditions
    assert "Housing repairs since 10 March 2025: " in conditions


@pytest.mark.parametrize("study, page, absent, left_out", [
    ("boston", "04_flow.html", ["Hand-offs and rework per case", "different paths", "Process map:",
                                "nothing to chart yet", "Study the cases behind the largest waste"],
     ["Two clocks", "Where the time goes", "Hand-offs and rework", "The commonest paths", "Process map"]),
    ("one_event", "04_flow.html", ["Hand-offs and rework per case", "different paths", "Process map:",
                                   "hand-offs per case", "Study the cases behind the largest waste"],
     ["Where the time goes", "Hand-offs and rework", "The commonest paths", "Process map"]),
    ("all_open", "04_flow.html", ["Two clocks:", "nothing to chart yet"], ["Two clocks", "Open cases"]),
    # No flow codebook and no column of who did a step: nothing is called solved, no hand-off counted.
    ("receipt", "04_flow.html", ["every case that started has been solved", "handed from one person",
                                 "hand-offs per case", "Study the cases behind the largest waste", "still open"],
     ["Open cases", "The waiting list, on both clocks", "Where the time goes", "Hand-offs and rework"]),
    # A case export (one row a case): nothing inside a case can be seen.
    ("sf", "04_flow.html", ["Hand-offs and rework per case", "different paths", "Process map:", "hand-offs per case",
                            "Study the cases behind the largest waste"],
     ["Where the time goes", "Hand-offs and rework", "The commonest paths", "Process map"]),
    ("la311", "02_demand.html", ["Take the largest kinds of failure demand", "<th>callers</th>",
                                 "<th>failure contacts</th>",
                                 "nothing to chart yet", "Not enough whole weeks"],
     ["Failure demand: what kind, through which channel", "Who contacts us", "Is demand predictable?",
      "One percentage, or what to fix"]),
])
def test_reports_fit_the_data_they_have(studies, study, page, absent, left_out):
    """A section whose measure the data cannot support is left out, and one sentence says which and
    why; no heading stands empty, and no advice points at a measure the data lacks."""
    raw = (studies[study] / page).read_text()
    text = _text(studies[study] / page)
    for words in absent:      # words, or (starting with "<") markup such as a table's column
        assert words not in (raw if words.startswith("<") else text), (study, words)
    note = re.search(r'<p class="left-out-note">(.*?)</p>', raw, flags=re.S)
    assert note, (study, "no sentence says what was left out")
    sentence = _text_of(note.group(1))
    for heading in left_out:
        assert heading in sentence, (study, heading, sentence)
        assert "<summary><h2" not in raw.split(heading)[0][-200:], (study, heading, "still shown")
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", raw, flags=re.S)
    assert not any(_text_of(h).strip() in left_out for h in headings), (study, headings)


def _text_of(fragment: str) -> str:
    import html as html_lib
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_a_board_pack_of_the_whole_check(studies, browser, tmp_path):
    """studylib pdf: one A4 PDF, the front page first and every report from a new page."""
    need_browser()
    browser.stop()          # studylib pdf runs Playwright itself, which cannot run beside the module's
    from studylib.check.pdf import pack_html
    from studylib.cli import main
    out = tmp_path / "board.pdf"
    assert main(["pdf", str(studies["sample"]), "--out", str(out)]) == 0
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    html = pack_html(studies["sample"])
    assert html.count('class="pack-page"') == 7 and html.index("page-index") < html.index("page-00_summary")
    assert 'href="04_flow.html"' not in html and 'href="#page-04_flow"' in html
    # At least a page a report, and no more than the reports' own print lengths allow (18 on the sample
    # since every folded section with a chart prints its chart).
    assert 7 <= _pdf_pages(pdf) <= 20, _pdf_pages(pdf)


def _printed(page, path) -> bytes:
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    return page.pdf(format="A4", print_background=True)


def _page_fill(pdf: bytes) -> list[float]:
    """How far down each A4 page its content reaches, as a share of the printable height (margins
    14 mm top, 16 mm bottom): drawn with pdfium, the lowest row that is not white."""
    import numpy as np
    import pypdfium2 as pdfium
    fills = []
    for page in pdfium.PdfDocument(pdf):
        image = np.asarray(page.render(scale=1).to_pil().convert("L"))
        height = image.shape[0]
        top, bottom = round(height * 14 / 297), round(height * (297 - 16) / 297)
        inked = np.flatnonzero((image[top:bottom] < 235).any(axis=1))
        fills.append(0.0 if not len(inked) else (inked[-1] + 1) / (bottom - top))
    return fills


def _last_lines(pdf: bytes) -> list[str]:
    """The lowest thing printed on each page, above its footer: the text of its last line, or ""
    where a chart (an image) is lowest."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw
    out = []
    for page in pdfium.PdfDocument(pdf):
        footer = 16 / 25.4 * 72           # the bottom margin, in points: the page number sits in it
        boxes = [(obj.type, obj.get_bounds() if hasattr(obj, "get_bounds") else obj.get_pos())   # pypdfium2 5, 4
                 for obj in page.get_objects()]
        boxes = [(kind, box) for kind, box in boxes if box[1] > footer and kind in (raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_IMAGE)]
        if not boxes:
            out.append("")
            continue
        kind, lowest = min(boxes, key=lambda item: item[1][1])
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            out.append("")
            continue
        line = [box for k, box in boxes if k == raw.FPDF_PAGEOBJ_TEXT and abs(box[1] - lowest[1]) < 3]
        text = page.get_textpage().get_text_bounded(left=0, bottom=lowest[1] - 1, right=page.get_width(),
                                                    top=max(box[3] for box in line) + 1)
        out.append(re.sub(r"\s+", " ", text).strip())
    return out


def test_the_board_pack_prints_the_charts_and_wastes_no_page(studies, browser):
    """Printed, folded sections were dropped: the summary and demand and flow printed no chart.
    Each folded section with a chart now prints its chart; the summary one a stage. No page is under
    a quarter full but a report's last, and no heading is the last thing on a page."""
    import io

    from pypdf import PdfReader
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    least = {"00_summary.html": 4, "02_demand.html": 1, "03_capability.html": 1, "04_flow.html": 1}
    out = studies["sample"]
    for path in sorted(out.glob("*.html")):
        pdf = _printed(page, path)
        pages = PdfReader(io.BytesIO(pdf)).pages
        images = sum(len(p.images) for p in pages)
        assert images >= least.get(path.name, 0), (path.name, images)
        fills = _page_fill(pdf)
        assert all(fill >= 0.25 for fill in fills[:-1]), (path.name, [round(f, 2) for f in fills])
        headings = {h.strip() for h in re.findall(r"<h[234][^>]*>(.*?)</h[234]>", path.read_text(), flags=re.S)}
        headings = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip() for h in headings} - {""}
        for number, last in enumerate(_last_lines(pdf)[:-1], 1):
            assert last not in headings, (path.name, number, last)
    context.close()


def test_not_shown_by_the_data_says_why_when_the_data_cannot_show_it(studies):
    """With one event a case, no hand-off or step time can be seen: the register says so beside
    "not shown by the data", and never shows it bare."""
    text = _text(studies["one_event"] / "05_system_conditions.html")
    assert "not shown by the data (every case has one event, so there are no steps to time, count, follow or map)" in text
    assert not re.search(r"not shown by the data(?! \()", text)


def test_sixty_services_read_as_one_story(studies):
    """San Francisco's 61 services: every one in one table, largest first; a figure over all of them
    says so; the front page repeats no sentence; no price, currency or target the study never set."""
    out = studies["sf"]
    index = _text(out / "index.html")
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", index) if len(s.strip()) > 20]
    assert len(sentences) == len(set(sentences)), [s for s in sentences if sentences.count(s) > 1][:3]
    assert "Across all 61 services, customers wait 100.0 days on average" in index
    assert "All services together: the system is not predictable" in index
    assert "Every service (61), largest first" in index
    raw = (out / "index.html").read_text()
    table = raw.split("Every service (61), largest first")[1]
    services = re.findall(r"<tr>\s*<td>([^<]+)</td>", table)
    assert services[:3] == ["Sewer Issues", "MUNI Feedback", "311 External Request"], services[:3]
    assert len(services) == 61
    for page in out.glob("*.html"):
        text = _text(page)
        assert not re.search(r"[£$€]|\d+-day target|target \(\d", text), page.name     # a target line is "target (28)"
        assert not re.search(r'alt="[^"]*target', (out / page.name).read_text()), page.name


def test_every_count_on_the_flow_page_is_over_its_cases(studies):
    """Receipt's log holds 1,434 cases, 56 of them begun after its as-of date: the flow page counts
    1,378 everywhere, alt text (the paths, the process map) included."""
    raw = (studies["receipt"] / "04_flow.html").read_text()
    assert "1,434" not in raw
    alts = re.findall(r'alt="([^"]*)"', raw)
    assert any("made by 1,378 cases" in alt for alt in alts), alts
    purpose = _text(studies["receipt"] / "01_purpose.html")
    assert "56 of the cases begin after the as-of date, so the check's figures count 1,378" in purpose
