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


@pytest.fixture(scope="session")
def sample_study():
    from studylib import load_study
    return load_study(SAMPLE)
