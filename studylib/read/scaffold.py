"""``studylib new DIR``: an empty study folder with commented templates."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import StudylibError

__all__ = ["new_study", "TEMPLATE_FILES"]

TEMPLATE_FILES = ["study.yml", "demand.csv", "events.csv", "demand_codebook.yml",
                  "flow_codebook.yml", "findings.yml"]
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def new_study(folder: str | Path) -> list[Path]:
    """Create a study folder from the commented templates. Never overwrites a file.

    Raises
    ------
    StudylibError
        The folder already holds any of the template files.
    """
    folder = Path(folder)
    existing = [n for n in TEMPLATE_FILES if (folder / n).exists()]
    if existing:
        raise StudylibError(f"{folder} already holds {', '.join(existing)}; choose an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TEMPLATE_FILES:
        shutil.copyfile(_TEMPLATES / name, folder / name)
        written.append(folder / name)
    return written
