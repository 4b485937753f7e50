"""Work split over forked processes, shared by the XES reader and the pattern matcher.

Forked workers inherit what the parent has built (a compiled pattern database, the text to scan)
without pickling it; only results travel back. Where the platform cannot fork, callers do the
work in this process.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

__all__ = ["can_fork", "fork_pool"]


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def fork_pool(processes: int) -> ProcessPoolExecutor:
    """A pool of ``processes`` forked workers (use it in a ``with`` block)."""
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
