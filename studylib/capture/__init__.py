"""Capturing demand as it happens: a store shared by every desk (a SQLite file, or PostgreSQL), and
the JupyterLab forms to capture, review and label contacts (:mod:`studylib.capture.widgets`, which
needs ipywidgets and is imported on its own). ``load_study`` reads the store with the demand file.
"""
from __future__ import annotations

from .store import CAPTURE_FIELDS, CaptureStore, study_store

__all__ = ["CaptureStore", "study_store", "CAPTURE_FIELDS"]
