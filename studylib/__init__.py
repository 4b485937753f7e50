"""studylib: study a service the systems-thinking way.

A check in six stages (purpose, demand, capability, flow, system conditions, management
thinking) on a study folder of demand records and case events; notebooks per stage; HTML reports
a manager can read.
"""
from __future__ import annotations

from .errors import CaptureError, ConfigError, DataError, ParameterError, StudylibError, StudylibWarning
from .study import Study, load_study, quality_summary
from .results import CheckResults, check_results, compute_check
from .capture import CaptureStore, study_store
from .exercises import check_answer
from . import teaching
from .demand import classify_demand
from .problems import link_problems
from .eventlog import read_event_log, read_xes
from .flow import case_times
from .xmr import runs_analysis, xmr, xmr_summary

__all__ = [
    "load_study",
    "study_store",
    "check_answer",
    "teaching",
    "Study",
    "quality_summary",
    "check_results",
    "compute_check",
    "CheckResults",
    "xmr",
    "xmr_summary",
    "runs_analysis",
    "case_times",
    "read_xes",
    "read_event_log",
    "classify_demand",
    "link_problems",
    "CaptureStore",
    "StudylibError",
    "DataError",
    "ConfigError",
    "ParameterError",
    "StudylibWarning",
    "CaptureError",
]

__version__ = "0.1.0"
