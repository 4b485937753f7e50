"""One exception family for studylib, and a warning class of its own.

Every error a user can cause by what they put in a study folder is a :class:`StudylibError`.
:class:`DataError` carries the failing rows as a DataFrame so that a notebook can show them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:        # pandas is imported where a problem table is made: the command starts without it
    import pandas as pd

__all__ = [
    "StudylibError",
    "DataError",
    "ConfigError",
    "ParameterError",
    "StudylibWarning",
    "collect_caveats",
    "CaptureError",
    "PROBLEM_COLUMNS",
]

#: Columns of the table a :class:`DataError` carries: one row per problem found.
PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem", "fix"]


class StudylibError(Exception):
    """Base class of every error studylib raises about a user's study or call."""


class DataError(StudylibError):
    """A study's data does not meet its contract.

    Validation is lazy: every problem found is collected before this is raised.

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per problem, columns ``file, row, column, value, problem, fix``. ``row`` is the
        row number a spreadsheet shows (the header is row 1), or missing for file-level problems.
    """

    def __init__(self, problems: pd.DataFrame | list[dict], *, limit: int = 20):
        import pandas as pd
        if not isinstance(problems, pd.DataFrame):
            problems = pd.DataFrame(list(problems), columns=PROBLEM_COLUMNS)
        self.problems = problems.reset_index(drop=True)
        super().__init__(self._message(limit))

    def _message(self, limit: int) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} found in the study data:"]
        for rec in self.problems.head(limit).to_dict("records"):
            lines.append("  - " + format_problem(rec))
        if n > limit:
            lines.append(f"  ... and {n - limit} more (see DataError.problems)")
        return "\n".join(lines)


def format_problem(rec: dict) -> str:
    """One problem as a sentence: where, what was found, what was expected, how to fix it."""
    import pandas as pd
    where = str(rec.get("file") or "")
    row = rec.get("row")
    if row is not None and not pd.isna(row):
        where += f" row {int(row)}"
    column = rec.get("column")
    if column:
        where += f", column '{column}'"
    text = f"{where}: " if where else ""
    value = rec.get("value")
    if value is not None and not (isinstance(value, float) and pd.isna(value)) and value != "":
        text += f"{value!r} {rec['problem']}"
    else:
        text += str(rec["problem"])
    if rec.get("fix"):
        text += f" ({rec['fix']})"
    return text


class CaptureError(DataError):
    """A contact typed into the capture form (or given to :class:`studylib.CaptureStore`) that
    cannot be stored. ``problems`` holds the same records as a demand file's (the source is "capture
    form", the row is missing); the message names each field and why, e.g.
    ``channel: 'pigeon' is not a known channel (...)``.
    """

    def __init__(self, problems: pd.DataFrame | list[dict] | str, *, limit: int = 20, contact_id: str | None = None):
        if isinstance(problems, str):
            problems = [{"file": "capture form", "row": None, "column": None, "value": None,
                         "problem": problems, "fix": ""}]
        super().__init__(problems, limit=limit)
        #: When set, the write may or may not have landed: send the contact again under this id, and
        #: the store keeps one row either way.
        self.contact_id = contact_id

    def _message(self, limit: int) -> str:
        import pandas as pd
        lines = []
        for rec in self.problems.head(limit).to_dict("records"):
            text = (f"{rec['column']}: " if rec.get("column")
                    else f"{rec['file']} " if rec.get("file") and rec["file"] != "capture form" else "")
            value = rec.get("value")
            if value is not None and not (isinstance(value, float) and pd.isna(value)) and value != "":
                text += f"{value!r} "
            text += str(rec["problem"]) + (f" ({rec['fix']})" if rec.get("fix") else "")
            lines.append(text)
        return "; ".join(lines)


class ConfigError(StudylibError):
    """study.yml or a codebook is missing something or says something studylib cannot use.

    Raised with a message, or with every problem found at once (``problems``: the same records as
    a :class:`DataError`'s, with the line of study.yml as ``row``).
    """

    def __init__(self, problems: str | list[dict] | pd.DataFrame, *, limit: int = 20):
        import pandas as pd
        if isinstance(problems, str):
            self.problems = pd.DataFrame([{"file": None, "row": None, "column": None, "value": None,
                                           "problem": problems, "fix": ""}], columns=PROBLEM_COLUMNS)
            super().__init__(problems)
            return
        if not isinstance(problems, pd.DataFrame):
            problems = pd.DataFrame(list(problems), columns=PROBLEM_COLUMNS)
        self.problems = problems.reset_index(drop=True)
        n = len(self.problems)
        files = sorted({str(f) for f in self.problems["file"].dropna()}) or ["the study"]
        lines = [f"{n} problem{'s' if n != 1 else ''} found in {', '.join(files)}:"]
        for rec in self.problems.head(limit).to_dict("records"):
            line = dict(rec)
            if line.get("row") is not None and not pd.isna(line["row"]):
                line["file"] = f"{rec['file']} line {int(rec['row'])}"
                line["row"] = None
            lines.append("  - " + format_problem(line).replace(", column '", ", key '"))
        if n > limit:
            lines.append(f"  ... and {n - limit} more (see ConfigError.problems)")
        super().__init__("\n".join(lines))


class ParameterError(StudylibError):
    """A notebook parameter is unknown or of the wrong type."""


class StudylibWarning(UserWarning):
    """Something a user should see that need not stop the study."""


def collect_caveats(compute):
    """Run ``compute()`` and keep the :class:`StudylibWarning` messages it raised as caveats in words.

    Returns ``(result, messages)``; any other warning is passed on as it was raised.
    """
    import warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", StudylibWarning)
        result = compute()
    messages = []
    for w in seen:
        if issubclass(w.category, StudylibWarning):
            messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result, messages
