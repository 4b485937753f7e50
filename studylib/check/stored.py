"""The check's results saved for the stage kernels of one run, and read back by them.

:func:`save_results` writes the results once (pickles: our own files, read by our own code), each
large table in a file of its own that a kernel reads only when one of its cells asks for it
(:class:`DeferredTable`, :class:`StageTables`); :func:`load_results` waits for the file and reads it.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd

from ..errors import StudylibError

__all__ = ["DEFER_ROWS", "DeferredTable", "StageTables", "save_results", "load_results"]


#: A table of at least this many rows is saved in a file of its own beside the results, and a
#: stage's kernel reads it only when one of its cells asks for it.
DEFER_ROWS = 1_000


class DeferredTable:
    """A table saved apart from the results (:func:`save_results`): its file, read on demand, and
    where it sits in the results (``"demand.classified"``)."""

    __slots__ = ("path", "name")

    def __init__(self, path: Path, name: str):
        self.path, self.name = str(path), name

    def __repr__(self) -> str:
        return f"<table {self.name}, read when asked for>"

    def load(self):
        with open(self.path, "rb") as fh:          # streamed: never the whole file in memory beside the table
            return pickle.load(fh)


class StageTables(dict):
    """A stage's tables as a kernel reads them: each large one from its own file, the first time a
    cell asks for it (so a kernel holds what its cells draw and print, not every raw row)."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if isinstance(value, DeferredTable):
            value = value.load()
            super().__setitem__(key, value)
        return value

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __iter__(self):          # also makes {**tables} and dict(tables) read through __getitem__
        return iter(list(super().keys()))

    def items(self):
        return [(key, self[key]) for key in super().keys()]

    def values(self):
        return [self[key] for key in super().keys()]

    def __reduce__(self):        # pickled as it stands: tables not yet read stay in their files
        return (StageTables, (dict(super().items()),))


def _dump_table(table: pd.DataFrame, fh) -> None:
    """Pickle one table with the memo off. pandas pickles each column of Arrow text as one copy of
    its chunks joined, and a pickler's memo keeps every object it has written to the end: every
    column's copy at once, 290 MB more for a million contacts, which the process then keeps. With
    no memo each copy goes once written. (A table holds no object that refers to itself, which a
    pickler without a memo could not write.)"""
    pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(table)


def _set_apart(value, folder: Path, name: str, numbers):
    """``value`` with each large table in it written to ``folder`` (files numbered by ``numbers``, an
    iterator: a service's name need not make a file name) and replaced by its DeferredTable."""
    if isinstance(value, pd.DataFrame) and len(value) >= DEFER_ROWS:
        file = folder / f"{next(numbers):03d}.pkl"
        with open(file, "wb") as fh:               # streamed: never the whole pickle in memory beside the table
            _dump_table(value, fh)
        return DeferredTable(file, name)
    if type(value) is dict:
        return StageTables({k: _set_apart(v, folder, f"{name}.{k}", numbers) for k, v in value.items()})
    return value


def save_results(results, path: str | Path) -> Path:
    """Write results for the stage kernels of one run (pickles: our own files, read by our own code).

    Each table of :data:`DEFER_ROWS` rows or more (the raw contacts and events, the classified
    contacts, the problems, the case times, ...) goes to a file of its own in ``PATH.tables/``,
    read by a kernel only when a cell asks for it. ``results`` itself is not changed.
    """
    import copy
    import dataclasses
    import itertools
    path = Path(path)
    folder = path.with_name(path.name + ".tables")
    folder.mkdir(parents=True, exist_ok=True)
    numbers = itertools.count()
    study = copy.copy(results.study)
    study._deferred = {}
    for name in ("demand", "events", "cases"):
        table = getattr(results.study, name)
        if isinstance(table, pd.DataFrame) and len(table) >= DEFER_ROWS:
            study._deferred[name] = _set_apart(table, folder, f"study.{name}", numbers)
            del study.__dict__[name]
    parts = {part: _set_apart(getattr(results, part), folder, part, numbers)
             for part in ("purpose", "demand", "flow", "capability", "conditions")}
    light = dataclasses.replace(results, study=study, **parts)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(light, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)          # last: a kernel waits for this file, and then every table is there
    return path


def load_results(path: str | Path, *, wait_seconds: float = 300) :
    """Read results written by :func:`save_results` in this run.

    ``studylib check`` starts the stage kernels while it computes the results, so a kernel may ask
    before the file is there: it waits for it (or for the run's word that computing failed).
    """
    import time
    path = Path(path)
    failed = path.with_suffix(".failed")
    deadline = time.monotonic() + wait_seconds
    while not path.exists():
        if failed.exists():
            raise StudylibError("the check's results could not be computed: " + failed.read_text(encoding="utf-8"))
        if time.monotonic() > deadline:
            raise StudylibError(f"the check's results did not arrive within {wait_seconds:.0f} s")
        time.sleep(0.05)
    with open(path, "rb") as fh:
        return pickle.load(fh)
