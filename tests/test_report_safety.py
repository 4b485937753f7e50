"""Reports are safe to send: customer text escaped, personal data redacted, nothing leaves the
machine, no script runs. The browser test opens every report in headless Chromium with the
network cut."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE, launch_chromium, need_browser
from studylib.text import configure_privacy, private, redact
from studylib.prose.show import say, table
from studylib.check.runner import run_check, stage_notebooks


HOSTILE = [
    "<script>window.__pwned = 1</script> hello, is anyone there?",
    "<img src=x onerror=\"window.__pwned = 2\"> is this thing on",
    "Ring me on 07700 900123 or e-mail jo.bloggs@example.org, postcode NB4 7XY",
    "I paid with card 4111 1111 1111 1111 and want it back",
]


@pytest.fixture(autouse=True)
def _privacy_defaults():
    configure_privacy(redact=True, never_show=())
    yield
    configure_privacy(redact=True, never_show=())


@pytest.mark.parametrize("text, expected", [
    ("Call 07700 900123 today", "Call [phone] today"),
    ("ring 020 7946 0018.", "ring [phone]."),
    ("+44 7700 900456", "[phone]"),
    ("+44 (0)20 7946 0018", "[phone]"),
    ("mail jo.bloggs+x@example.co.uk now", "mail [email] now"),
    ("postcode SW1A 1AA and nb4 7xy", "postcode [postcode] and [postcode]"),
    ("card 4111-1111-1111-1111", "card [card number]"),
    ("card 4111111111111111", "card [card number]"),
    # Not personal data: references, dates, money and counts stay.
    ("ref HR-00012 on 2025-01-06, £96, 3 visits, order 12345", "ref HR-00012 on 2025-01-06, £96, 3 visits, order 12345"),
])
def test_redaction(text, expected):
    assert redact(text) == expected


def test_tables_escape_and_hide():
    configure_privacy(redact=True, never_show=["customer_ref"])
    frame = pd.DataFrame({"verbatim": [HOSTILE[0], HOSTILE[2]], "customer_ref": ["C1", "C2"], "share": [0.5, 0.25]})
    html = table(frame, formats={"share": "{:.0%}"}).data
    assert "<script>" not in html and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "07700" not in html and "[phone]" in html and "[email]" in html and "[postcode]" in html
    assert "customer_ref" not in html and "C1" not in html
    assert "50%" in html
    assert list(private(frame).columns) == ["verbatim", "share"]
    assert "&lt;img src=x" in say(HOSTILE[1], heading="<b>x</b>").data
    configure_privacy(redact=False)
    assert "07700 900123" in table(frame).data


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory):
    """The sample study with hostile verbatims added, checked end to end."""
    root = tmp_path_factory.mktemp("hostile")
    study = root / "study"
    shutil.copytree(SAMPLE, study)
    demand = pd.read_csv(study / "demand.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame({col: "" for col in demand.columns}, index=range(len(HOSTILE)))
    extra["contact_id"] = [f"X-{i}" for i in range(len(HOSTILE))]
    extra["received_at"] = "2025-03-03 10:00"
    extra["channel"] = "web"
    extra["service"] = "Waste and recycling"
    extra["verbatim"] = HOSTILE
    extra["what_matters"] = "<script>window.__pwned = 3</script>"
    pd.concat([demand, extra]).to_csv(study / "demand.csv", index=False)
    out = root / "reports"
    table = run_check(study, out, progress=False)
    plain = root / "plain"
    run_check(study, plain, progress=False, parameters={"redact": False},
              notebooks_dir=_only(root / "nb", "02_demand.ipynb"))
    return out, table, plain


def _only(folder: Path, name: str) -> Path:
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / name, folder / name)
    return folder


@pytest.mark.slow
def test_hostile_text_is_shown_as_text_and_personal_data_hidden(hostile_reports):
    out, table, plain = hostile_reports
    assert table["status"].tolist() == ["ok"] * len(table)
    reports = {p.name: p.read_text() for p in out.glob("*.html")}
    joined = "\n".join(reports.values())
    # No live tag: every < of customer text is escaped, so no element carries a handler.
    assert "<script" not in joined and not re.search(r"<[^>]*onerror", joined)
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in reports["02_demand.html"]
    assert "&lt;img src=x onerror=" in reports["02_demand.html"]
    assert "&lt;script&gt;window.__pwned = 3&lt;/script&gt;" in reports["01_purpose.html"]
    for secret in ("07700 900123", "jo.bloggs@example.org", "NB4 7XY", "4111 1111 1111 1111"):
        assert secret not in joined
    assert "[phone]" in reports["02_demand.html"] and "[card number]" in reports["02_demand.html"]
    # never_show (customer_ref in the sample's study.yml) appears in no report.
    assert "customer_ref" not in joined
    # --no-redact (redact=False) is for the team's own working copy.
    assert "07700 900123" in (plain / "02_demand.html").read_text()


@pytest.mark.slow
def test_reports_in_a_browser_offline(hostile_reports):
    sync_playwright = need_browser()
    out, table, _ = hostile_reports
    pages = ["index.html"] + [f"{nb.stem}.html" for nb in stage_notebooks(ROOT / "notebooks")]
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(offline=True)
        outside: list[str] = []

        def guard(route):
            if not route.request.url.startswith("file://"):
                outside.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", guard)
        for name in pages:
            page = context.new_page()
            errors: list[str] = []
            dialogs: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto((out / name).as_uri())
            page.wait_for_load_state("load")
            assert errors == [], (name, errors)
            assert dialogs == [], name
            assert page.evaluate("window.__pwned === undefined"), f"a script ran in {name}"
            broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length")
            assert broken == 0, f"{broken} images did not load in {name}"
            text = page.inner_text("body")
            assert "import studylib" not in text and "load_study(" not in text, name
            if name != "index.html":
                assert page.evaluate("document.images.length") >= 1 or name == "05_system_conditions.html", name
            # Readable on a phone: the page declares a viewport and nothing but tables scrolls sideways.
            assert page.evaluate("!!document.querySelector('meta[name=viewport]')"), name
            page.close()
        assert outside == [], outside
        # On a phone (375 px wide) no page scrolls sideways: wide tables scroll inside themselves.
        phone = browser.new_context(offline=True, viewport={"width": 375, "height": 800})
        for name in pages:
            page = phone.new_page()
            page.goto((out / name).as_uri())
            width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width <= inner, (name, width, inner)
            page.close()
        phone.close()
        # The index links every stage report.
        page = context.new_page()
        page.goto((out / "index.html").as_uri())
        links = page.eval_on_selector_all("table.stages a", "els => els.map(e => e.getAttribute('href'))")
        assert sorted(links) == sorted(pages[1:])
        # ... and the headline links how each figure is counted, which opens where it points.
        page.click("p.headline a")
        page.wait_for_load_state("load")       # the address changes before the page it names is read
        assert page.url.endswith("00_summary.html#how-each-figure-is-counted")
        assert page.evaluate("document.getElementById('how-each-figure-is-counted').closest('details').open")
        browser.close()


# -- each protection holds for text of either kind: pandas 2's object columns and pandas 3's own ----

TEXT_KINDS = ["object", "string[python]", "str"]


def _text_frame(kind: str) -> pd.DataFrame:
    frame = pd.DataFrame({"verbatim": ["<script>alert(1)</script> ring 07700 900123", '=HYPERLINK("x")'],
                          "customer_ref": ["CUST-1", "CUST-2"], "contacts": [1, 2]})
    frame["verbatim"] = frame["verbatim"].astype(kind)
    frame["customer_ref"] = frame["customer_ref"].astype(kind)
    return frame


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_redaction_escaping_never_show_and_formulas_hold_for_every_kind_of_text_column(kind):
    from studylib.capture.store import inert_for_spreadsheets
    frame = _text_frame(kind)
    assert str(frame["verbatim"].dtype) != "" and len(frame) == 2
    shown = private(frame)
    assert "07700 900123" not in shown["verbatim"].iloc[0] and "[phone]" in shown["verbatim"].iloc[0]
    html = table(frame).data
    assert "<script>" not in html and "&lt;script&gt;" in html and "07700 900123" not in html
    configure_privacy(never_show=["customer_ref"])
    try:
        assert "customer_ref" not in private(frame).columns and "CUST-1" not in table(frame).data
    finally:
        configure_privacy()
    inert = inert_for_spreadsheets(frame)
    assert inert["verbatim"].iloc[1] == "'=HYPERLINK(\"x\")" and inert["contacts"].tolist() == [1, 2]
    # And the index, where a table shows it.
    indexed = frame.set_index("verbatim")
    assert not any("07700 900123" in str(v) for v in private(indexed).index)


def test_a_board_pack_reads_nothing_outside_its_folder(checked, tmp_path, capsys):
    """A page that names a local file in a frame, an object or an image (a faithful manifest of a
    hostile page): the pack prints without the file's text and says which address it left out."""
    need_browser()
    import hashlib
    import json

    import pypdf

    from studylib.cli import main
    secret = tmp_path / "payroll.txt"
    secret.write_text("SECRET-PAYROLL-4711", encoding="utf-8")
    reports = tmp_path / "reports"
    shutil.copytree(checked("sample")[0], reports)
    page = reports / "02_demand.html"
    named = (f'<iframe src="{secret.as_uri()}"></iframe><object data="{secret.as_uri()}"></object>'
             f'<img src="{secret.as_uri()}"><iframe src="../payroll.txt"></iframe>')
    page.write_text(page.read_text(encoding="utf-8").replace("<body>", "<body>" + named, 1), encoding="utf-8")
    manifest = json.loads((reports / "run_manifest.json").read_text(encoding="utf-8"))
    manifest["pages"]["02_demand.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (reports / "run_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["pdf", str(reports)]) == 0
    said = capsys.readouterr().out
    assert "the pack left out" in said and secret.as_uri() in said
    text = "".join(p.extract_text() for p in pypdf.PdfReader(reports / "check.pdf").pages)
    assert "Demand" in text and "SECRET-PAYROLL" not in text


def test_words_are_listed_as_a_sentence_lists_them():
    """One helper lists names in prose everywhere (the capability words, the skipped-stage note, the
    predictions' note): "A", "A and B", "A, B and C"."""
    from studylib.text import and_list
    assert [and_list(w) for w in ([], ["A"], ["A", "B"], ["A", "B", "C"], [1, 2])] == \
        ["", "A", "A and B", "A, B and C", "1 and 2"]
