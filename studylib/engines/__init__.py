"""Engines for data past one machine's memory or patience: the flow measures as SQL on DuckDB or
Spark (``engine="duckdb"`` / ``"spark"``), and demand patterns matched in one pass (hyperscan, else
RE2). Each gives the pandas path's results; the measures in :mod:`studylib.measures` call them.
"""
from __future__ import annotations

from .matching import type_hits
from .queries import case_aggregates, read_events, transition_edges, variant_paths, weekly_counts

__all__ = ["case_aggregates", "read_events", "transition_edges", "variant_paths", "weekly_counts", "type_hits"]
