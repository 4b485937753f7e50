from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "data" / "sample"


def shared_file(relative: str) -> Path:
    """A file in ../shared/data. Missing: skip on a developer's machine, fail under CI."""
    path = SHARED / relative
    if not path.exists():
        message = f"real data {path} is missing"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must have ../shared beside the checkout)")
        pytest.skip(message)
    return path


CHROMIUM = Path("/usr/bin/chromium")


def need_browser():
    """Playwright's sync API and Debian's chromium; fail under CI if either is missing, else skip."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: .ci/run must apt-get install chromium")
        pytest.skip("no /usr/bin/chromium on this machine")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is missing: it is in the test extra")
        pytest.skip("playwright is not installed")
    return sync_playwright


@pytest.fixture(scope="session")
def sample_study():
    from studylib import load_study
    return load_study(SAMPLE)
