"""A table's header: the row it is on when title rows sit above it, and columns without one.

An export's header is not always row 1 (a title, a date line and a blank row above it), and a
header cell may be merged into the one beside it, leaving a column of values with no name. Both
are said with the row or column a spreadsheet shows, never guessed past or dropped.
"""
from __future__ import annotations

import re
import warnings

import pandas as pd

from ..errors import DataError, StudylibWarning

__all__ = ["header_row_of", "header_further_down", "headed_columns", "HeaderBelow"]


#: pandas' name for a column whose header cell is empty.
_NO_HEADER = re.compile(r"^(Unnamed: \d+(_level_\d+)?)?$")


def headed_columns(frame: pd.DataFrame, label: str, *, excel: bool) -> pd.DataFrame:
    """Drop columns with neither a header nor a value; refuse one with values and no header."""
    problems, empty = [], []
    for i, name in enumerate(frame.columns):
        if not _NO_HEADER.match(str(name)):
            continue
        values = frame.iloc[:, i].astype(str).str.strip()
        if not (values != "").any():
            empty.append(i)
            continue
        if i == 0 and values.str.fullmatch(r"\d+").all() and values.is_unique:
            empty.append(i)             # the row numbers a program saved with the table (pandas' index)
            warnings.warn(f"{label}: column 1 has no header and holds row numbers (an index the program that "
                          "wrote the file saved with it): left out", StudylibWarning, stacklevel=4)
            continue
        where = f"column {i + 1}" + (f" ({_letter(i)})" if excel else "")
        beside = f"; its header may be merged with {str(frame.columns[i - 1])!r} beside it" if i else ""
        problems.append({"file": label, "row": int(values[values != ""].index[0]), "column": where,
                         "value": values[values != ""].iloc[0],
                         "problem": f"holds values but has no header{beside}",
                         "fix": "give the column its own header (unmerge the header cells), or delete the column"})
    if problems:
        raise DataError(problems)
    return frame.drop(columns=frame.columns[empty]) if empty else frame


def _letter(i: int) -> str:
    """A spreadsheet's letters for the column at position ``i`` (0: A, 26: AA)."""
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(65 + rest) + out
    return out


def header_row_of(frame: pd.DataFrame, expected: list[str] | None = None) -> int | None:
    """The spreadsheet row that is the table's header when row 1 is not (title rows sit above it),
    or None. With ``expected`` names, the first of the next ten rows that holds two of them (or the
    one); without, where row 1 names at most one column, the first row that names every column it
    fills, with text that is not a number, each once."""
    named = [c for c in frame.columns if not _NO_HEADER.match(str(c))]
    if expected:
        wanted = {str(c).strip().lower() for c in expected}
        if wanted & {str(c).strip().lower() for c in frame.columns}:
            return None
        for row, values in frame.head(10).iterrows():
            if len(wanted & {str(v).strip().lower() for v in values}) >= min(2, len(wanted)):
                return int(row)
        return None
    if len(named) > 1 or frame.shape[1] < 2:
        return None
    for row, values in frame.head(10).iterrows():
        cells = [str(v).strip() for v in values]
        filled = [c for c in cells if c]
        if (len(filled) >= max(2, 0.8 * len(cells)) and len(set(filled)) == len(filled)
                and not any(re.fullmatch(r"[-+.,:/\d\s]+", c) for c in filled)):
            return int(row)
    return None


def header_further_down(frame: pd.DataFrame, label: str, expected: list[str] | None) -> None:
    """Refuse a table whose header is further down (title rows above it), naming the row."""
    row = header_row_of(frame, expected)
    if row is None:
        return
    first = next((str(c) for c in frame.columns if not _NO_HEADER.match(str(c))), "")
    raise HeaderBelow(row, [{"file": label, "row": row, "column": None, "value": None,
                             "problem": f"has its header on row {row}, not row 1 (row 1 reads {first!r}, a title)",
                             "fix": f"add header_row: {row} to this table in study.yml, or delete the rows above "
                                    "the header"}])


class HeaderBelow(DataError):
    """A table whose header is on ``row``, below title rows: ``header_row: row`` reads it."""

    def __init__(self, row: int, problems: list[dict]):
        self.row = row
        super().__init__(problems)
