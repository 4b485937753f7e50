"""``studylib new DIR``: an empty study folder with commented templates."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import StudylibError
from ..writing import write_whole

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
    names = ["study.yml", "findings.yml"] if export is not None else TEMPLATE_FILES
    # Whole or not at all: a full disk or Ctrl-C part way leaves no half-made study.
    with write_whole(folder, what=f"the new study to {folder}") as staging:
        for name in names:
            shutil.copyfile(_TEMPLATES / name, staging / name)
        if export is not None:
            from .mapping import study_yaml
            (staging / "study.yml").write_text(study_yaml(export, folder.absolute()), encoding="utf-8")
    return [folder / name for name in names]
