"""The check: every stage computed once from a study and one set of settings
(:func:`compute_check`), the stage notebooks run on those results, and their reports written
(:func:`run_check`, ``studylib check``); each check added to the study's ledger and its history
(:mod:`.ledger`, :mod:`.history`, ``studylib history``).
"""
from __future__ import annotations

from .results import STAGES, CheckResults, check_results, compute_check, load_results, save_results
from .ledger import read_ledger
from .runner import run_check, run_notebook, stage_notebooks

__all__ = ["CheckResults", "compute_check", "check_results", "load_results", "save_results", "STAGES",
           "run_check", "run_notebook", "stage_notebooks", "read_ledger"]
