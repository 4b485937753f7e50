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
    measures/    demand, problems, customers, capability (XmR), holds, flow, paths, waiting, conditions
         |
    prose/  ->  charts/     words from the figures; charts drawn from the tables
         |
    teaching/    predictions, exercises, reflections       capture/   the shared store, the forms
         |
    check/       compute every stage once, run the notebooks, write the reports; the ledger, the history
         |
    cli          studylib new | validate | check | history | sample | solutions | pdf | report
"""
from __future__ import annotations

import importlib

#: Where each public name lives. They are imported when first used, not with the package: the
#: ``studylib`` command starts without pandas or matplotlib (and Ctrl-C while it starts is said in
#: one line), and ``import studylib`` stays quick.
_WHERE = {
    "CaptureError": ".errors", "ConfigError": ".errors", "DataError": ".errors", "ParameterError": ".errors",
    "StudylibError": ".errors", "StudylibWarning": ".errors",
    "Study": ".read", "load_study": ".read", "quality_summary": ".read", "read_event_log": ".read", "read_xes": ".read",
    "case_times": ".measures", "classify_demand": ".measures", "link_problems": ".measures",
    "predictability": ".measures", "runs_analysis": ".measures", "xmr": ".measures", "xmr_summary": ".measures",
    "check_answer": ".teaching", "CaptureStore": ".capture", "study_store": ".capture",
    "CheckResults": ".check", "check_results": ".check", "compute_check": ".check",
}


def __getattr__(name: str):
    if name == "teaching":
        return importlib.import_module(".teaching", __name__)
    if name not in _WHERE:
        raise AttributeError(f"module 'studylib' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
