"""Real-browser tests: JupyterLab on 127.0.0.1, Debian's chromium driven by Playwright. The capture
form filled in and submitted, and the row found in the store; a stage's results folded until the
learner saves a prediction."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import json
import time
import urllib.request

import pytest

from conftest import ROOT, SAMPLE, launch_chromium, need_browser
from studylib.capture.store import CaptureStore

# Slow: JupyterLab in a real browser (left out of the quick loop, python -m pytest -m "not slow").
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _jupyterlab(tmp_path, notebook: str, parameters: dict):
    """JupyterLab serving a folder with one notebook of the kit, its parameters set, and the
    notebook's kernel started: yields ``(url, token, kernel)``; the server ends whatever happens."""
    import papermill as pm
    work = tmp_path / "lab"
    work.mkdir()
    pm.execute_notebook(str(ROOT / "notebooks" / notebook), str(work / notebook), parameters=parameters,
                        prepare_only=True)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config")
    # Every cell in the page, not only those scrolled into view (JupyterLab 4 renders lazily).
    tracker = tmp_path / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--ServerApp.open_browser=False", "--LabApp.extension_manager=readonly"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:          # the server (and its kernel) ends whatever happens, a failed start included
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield url, token, _start_kernel(url, token, notebook)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def lab(tmp_path):
    """The capture notebook, pointed at a copy of the sample study."""
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study)
    with _jupyterlab(tmp_path, "02a_capture.ipynb", {"study": str(study), "captured_by": "browser-test"}) as (
            url, token, kernel):
        yield url, token, study, kernel


def _api(url: str, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"{url}{path}", method="POST" if body is not None else "GET",
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _start_kernel(url: str, token: str, notebook: str) -> str:
    """Start the notebook's session and its python3 kernel through the server's REST API before the
    page opens: the page then attaches to a running kernel, with no "Select Kernel" dialog to race
    against (JupyterLab raises one when the kernel list is slow to come on a busy machine)."""
    session = _api(url, token, "/api/sessions", {"path": notebook, "name": notebook, "type": "notebook",
                                                 "kernel": {"name": "python3"}})
    return session["kernel"]["id"]


def _wait_idle(url: str, token: str, kernel: str, timeout: float = 180) -> None:
    """Wait until the server says the kernel is idle with the page connected to it (the server
    reports "starting" until a client has asked the kernel for its info)."""
    deadline = time.time() + timeout
    state = {}
    while time.time() < deadline:
        state = _api(url, token, f"/api/kernels/{kernel}")
        if state.get("execution_state") == "idle" and state.get("connections", 0) > 0:
            return
        time.sleep(0.25)
    pytest.fail(f"the python3 kernel was not idle with the page connected within {timeout:.0f} s: {state}")


def test_capture_form_in_jupyterlab(lab):
    sync_playwright = need_browser()
    url, token, study, kernel = lab
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # The session and its kernel were started before the page opened: wait on states, not clicks.
        _open_and_run_all(page, url, token, kernel, "02a_capture.ipynb")
        verbatim = page.wait_for_selector("textarea[placeholder='What the customer said, in their words']",
                                          timeout=180_000)
        verbatim.fill("Typed in the browser: my kitchen tap is still dripping")
        page.fill("input[placeholder='the service this contact was for']", "Housing repairs")
        page.click(".widget-toggle-button:has-text('failure')")
        page.fill("input[placeholder='now; or 2025-03-14 10:30 for a paper sheet']", "2025-03-14 10:30")
        page.click("button:has-text('Save contact')")
        page.wait_for_selector("text=/Saved CAP-.*dated 14 March 2025, 10:30/", timeout=60_000)
        assert "outside this study's period" not in _outputs(page)
        browser.close()
    rows = CaptureStore(study / "capture.sqlite").to_frame()
    typed = rows[rows["verbatim"] == "Typed in the browser: my kitchen tap is still dripping"]
    assert len(typed) == 1
    assert typed.iloc[0]["value_or_failure"] == "failure" and typed.iloc[0]["captured_by"] == "browser-test"
    assert typed.iloc[0]["service"] == "Housing repairs"
    assert typed.iloc[0]["received_at"].startswith("2025-03-14T10:30")


def _open_and_run_all(page, url: str, token: str, kernel: str, notebook: str) -> None:
    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    _wait_idle(url, token, kernel)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    dialogs = [d.inner_text() for d in page.query_selector_all(".jp-Dialog")]
    assert dialogs == [], f"JupyterLab asked something before any cell ran: {dialogs}"
    page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=60_000)
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=60_000)


def _outputs(page) -> str:
    """What the cells showed, without their code."""
    return "\n".join(el.inner_text() for el in page.query_selector_all(".jp-OutputArea-output"))


def _wait_for_outputs(page, test: str, timeout: float = 60_000) -> None:
    """Wait until what the cells showed, as ``text``, passes ``test`` (a JavaScript expression):
    JupyterLab draws outputs, and widgets redraw theirs, when it gets to them, later on a busy
    machine. Out of time, the caller's assertions say what was shown."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function("() => { const text = [...document.querySelectorAll('.jp-OutputArea-output')]"
                               f".map(e => e.innerText).join('\\n'); return {test}; }}", timeout=timeout)


def test_results_stay_folded_until_the_learner_predicts(tmp_path):
    """03_capability in JupyterLab with no predictions: the charts stay folded under a note until the
    prediction is saved through the form, then appear in place without running anything again."""
    from studylib.teaching.predictions import read_predictions
    sync_playwright = need_browser()
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study, ignore=shutil.ignore_patterns("predictions.yml", "reflections.yml", "capture.sqlite*"))
    with _jupyterlab(tmp_path, "03_capability.ipynb", {"study": str(study)}) as (url, token, kernel), \
            sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _open_and_run_all(page, url, token, kernel, "03_capability.ipynb")
        page.wait_for_selector("button:has-text('Save reflections')", timeout=180_000)   # the last cell ran
        _wait_for_outputs(page, "text.split(\"Folded until this stage's predictions are saved\").length > 5")
        text = _outputs(page)
        assert text.count("Folded until this stage's predictions are saved") >= 5
        assert "The verdict, the limits and the icons" not in text and "What the team expected" not in text
        boxes = page.locator("input[placeholder='a number']")      # the average wait, then the longest
        boxes.nth(0).fill("5")
        boxes.nth(1).fill("10")
        page.click("button:has-text('Save predictions')")
        page.wait_for_selector(".jp-OutputArea-output:has-text('The verdict, the limits and the icons')",
                               timeout=60_000)
        _wait_for_outputs(page, "!text.includes(\"Folded until this stage's predictions are saved\") && "
                                "text.includes('The team expected the longest wait to be 10 days')")
        text = _outputs(page)
        assert "Folded until this stage's predictions are saved" not in text
        assert "The team expected the longest wait to be 10 days" in text
        # The judgement question: its model answer opens only once the learner's own answer is written and saved.
        answer = page.locator("textarea[placeholder='Your answer, in a few sentences']")
        compare = page.locator("button:has-text('Compare with a model answer')")
        assert "A model answer, from this study's figures" not in _outputs(page)
        answer.fill("The target is met")
        page.wait_for_timeout(500)
        assert compare.is_disabled()
        answer.fill("The target is far above what the system does, so it tells us nothing")
        page.wait_for_function("() => !Array.from(document.querySelectorAll('button')).find("
                               "b => b.textContent.includes('Compare with a model answer')).disabled", timeout=30_000)
        compare.click()
        page.wait_for_selector(".jp-OutputArea-output:has-text(\"A model answer, from this study's figures\")",
                               timeout=60_000)
        assert "predictably delivers between 0 and 9.6 days" in _outputs(page)
        assert answer.is_disabled()
        browser.close()
    assert read_predictions(study)[0] == {"end_to_end_days": 5.0, "longest_wait_days": 10.0}
    from studylib.teaching.predictions import read_judgements
    assert read_judgements(study)[0]["capability"]["answer"] == ("The target is far above what the system does, so "
                                                                  "it tells us nothing")
