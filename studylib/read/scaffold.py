"""``studylib new DIR``: an empty study folder with commented templates."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import StudylibError

__all__ = ["new_study", "TEMPLATE_FILES"]

TEMPLATE_FILES = ["study.yml", "demand.csv", "events.csv", "demand_codebook.yml",
                  "flow_codebook.yml", "findings.yml"]
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def new_study(folder: str | Path, *, export=None) -> list[Path]:
    """Create a study folder from the commented templates. Never overwrites a file.

    With ``export`` (:func:`studylib.read.mapping.map_export` of a service's export as it comes),
    study.yml maps that export, each guess commented, and the folder holds study.yml and
    findings.yml only.

    Raises
    ------
    StudylibError
        The folder already holds any of the template files.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise StudylibError(f"{folder} is a file, not a folder: name a new folder for the study")
    existing = [n for n in TEMPLATE_FILES if (folder / n).exists()]
    if existing:
        raise StudylibError(f"{folder} already holds {', '.join(existing)}; choose an empty folder")
    if export is not None:
        from .mapping import study_yaml
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "study.yml").write_text(study_yaml(export, folder), encoding="utf-8")
        shutil.copyfile(_TEMPLATES / "findings.yml", folder / "findings.yml")
        return [folder / "study.yml", folder / "findings.yml"]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TEMPLATE_FILES:
        shutil.copyfile(_TEMPLATES / name, folder / name)
        written.append(folder / name)
    return written
