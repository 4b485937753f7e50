"""studylib: study a service the systems-thinking way.

A check in six stages (purpose, demand, capability, flow, system conditions, management
thinking) on a study folder of demand records and case events; notebooks per stage; HTML reports
a manager can read.

The package is laid out in the order data flows; each folder's ``__init__`` is its public face,
and imports run one way, from a folder to the ones before it::

    errors, text, parallel   the error family; text as a reader may see it (escaped, redacted)
         |
    read/        study.yml, demand files, the capture store, event logs, codebooks, the sample
         |
    engines/     DuckDB, Spark and hyperscan, for data past one machine
         |
    measures/    demand, problems, customers, capability (XmR), flow, paths, waiting, conditions
         |
    prose/  ->  charts/     words from the figures; charts drawn from the tables
         |
    teaching/    predictions, exercises, reflections       capture/   the shared store, the forms
         |
    check/       compute every stage once, run the notebooks, write the reports
         |
    cli          studylib new | validate | check | sample
"""
from __future__ import annotations

from .errors import CaptureError, ConfigError, DataError, ParameterError, StudylibError, StudylibWarning
from .read import Study, load_study, quality_summary, read_event_log, read_xes
from .measures import case_times, classify_demand, link_problems, predictability, runs_analysis, xmr, xmr_summary
from . import teaching
from .teaching import check_answer
from .capture import CaptureStore, study_store
from .check import CheckResults, check_results, compute_check

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
    "predictability",
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
