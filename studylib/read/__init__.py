"""Reading a study: study.yml checked whole against its schema, the demand file and the capture
store, event logs (CSV, Excel, Parquet, XES) with their events in order, the codebooks, and every
row that cannot be used set aside with its reason. Also the bundled sample and ``studylib new``.

Past this layer, code trusts its inputs.
"""
from __future__ import annotations

from .codebooks import DemandCodebook, FlowCodebook, load_demand_codebook, load_flow_codebook
from .eventlog import read_event_log, read_xes
from .sample import SAMPLE_SEED, bundled_sample, generate_sample
from .scaffold import new_study
from .settings import SETTINGS, resolve_settings, settings_help
from .study import Study, load_study, quality_summary, read_config

__all__ = ["Study", "load_study", "quality_summary", "read_config", "read_event_log", "read_xes",
           "DemandCodebook", "FlowCodebook", "load_demand_codebook", "load_flow_codebook",
           "SETTINGS", "resolve_settings", "settings_help", "generate_sample", "bundled_sample", "SAMPLE_SEED",
           "new_study"]
