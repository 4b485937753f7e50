"""Reading a CSV file's text into a frame of text, every value as it is written ("" for an empty one).

:func:`read_csv_file` checks the file before its rows: the encoding (the line of the first byte that
is not text), a header of the wrong delimiter, a column named twice, rows longer than the header. A
UTF-8 file is read by Arrow's CSV reader (a million contacts in a second, and no Python string made
per value); anything else, and any file Arrow reads otherwise than this module expects, by pandas'.
Each row is numbered by the line of the file it starts on, as an editor shows it.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from ..errors import DataError

__all__ = ["read_csv_file", "file_problem"]

#: Bytes of a file that is not plain ASCII decoded at a time, to the next line's end, to check it.
DECODE_BLOCK = 1 << 24


def read_csv_file(path: Path, *, label: str, encoding: str, delimiter: str | None,
                  expected_columns: list[str] | None, skip: int = 0) -> pd.DataFrame:
    """The rows of the CSV file at ``path`` (gzipped if it ends in .gz) as text, after ``skip``
    lines above its header, indexed by the line each starts on; a :class:`DataError` naming the
    problem and its fix where the file cannot be read as one table."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip
        raw = gzip.decompress(raw)
    if skip:
        frame = _read_csv_bytes(_after_lines(raw, skip), label=label, encoding=encoding, delimiter=delimiter,
                                expected_columns=expected_columns)
        frame.index = frame.index + skip             # the rows a spreadsheet shows
        return frame
    return _read_csv_bytes(raw, label=label, encoding=encoding, delimiter=delimiter,
                           expected_columns=expected_columns)


def _after_lines(raw: bytes, n: int) -> bytes:
    """The bytes after the first ``n`` lines (title rows above a header)."""
    at = 0
    for _ in range(n):
        found = raw.find(b"\n", at)
        if found < 0:
            return b""
        at = found + 1
    return raw[at:]


def _read_csv_bytes(raw: bytes, *, label: str, encoding: str, delimiter: str | None,
                    expected_columns: list[str] | None) -> pd.DataFrame:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and (raw[1:4:2] == b"\x00\x00" or raw[0:3:2] == b"\x00\x00"))
    if utf16 and not encoding.lower().replace("_", "-").startswith("utf-16"):
        raise DataError([file_problem(label, "is UTF-16 text (its bytes say so), not " + encoding,
                                       "set encoding: utf-16 for this table in study.yml, or save it as UTF-8")])
    _decodes(raw, codec, encoding, label)
    head = _header_line(raw, codec)
    if not head.strip():
        raise DataError([file_problem(label, "is empty (no header row)",
                                       "export the data again, or remove the file from study.yml")])
    sep = delimiter or ","
    if expected_columns and delimiter is None:
        # Judged on the header, before the rows: values with commas in them would hide a ';' file.
        present = {c.strip().strip('"') for c in head.split(",")}
        if not any(c in present for c in expected_columns):
            for other in (";", "\t", "|"):
                if other in head and any(c.strip().strip('"') in expected_columns for c in head.split(other)):
                    shown = "\\t" if other == "\t" else other
                    raise DataError([file_problem(
                        label,
                        f"looks delimited by '{shown}', not ',': its header reads {head[:120]!r}",
                        f"set delimiter: '{shown}' for this table in study.yml, or re-export as CSV",
                    )])
    names = _no_column_twice(head, sep, label)
    blank_lines = bool(re.search(r"\n[ \t]*\r?\n", raw.decode(codec)) if _wide(codec) else
                       re.search(rb"\n[ \t]*\r?\n", raw))
    frame = None
    if codec == "utf-8-sig" and not blank_lines:
        frame = _read_csv_arrow(raw, sep, names)
    if frame is None:
        frame = _read_csv_pandas(raw, codec, sep, label)
    frame.index = _line_numbers(raw, codec, sep, len(frame))
    if not blank_lines:
        return frame
    # Blank lines are not rows (a line of empty fields, ",,,", is: it is set aside with its reason).
    text = raw.decode(codec)
    blank = frame.index.isin([i for i, line in enumerate(text.splitlines(), start=1) if not line.strip()])
    return frame[~blank] if blank.any() else frame


def _decodes(raw: bytes, codec: str, encoding: str, label: str) -> None:
    """Refuse bytes that are not text in ``encoding``, naming the line of the first bad byte. Text
    that is plain ASCII is every encoding's own and is not decoded; other text is decoded some lines
    at a time, so that a large file is never held twice."""
    if raw.isascii() and not _wide(codec):
        return
    block, at = DECODE_BLOCK, 0
    while at < len(raw):
        cut = len(raw) if _wide(codec) else raw.find(b"\n", at + block) + 1 or len(raw)
        try:
            raw[at:cut].decode(codec if at == 0 else codec.replace("-sig", ""))
        except UnicodeDecodeError as exc:
            start = at + exc.start
            raise DataError([{
                "file": label, "row": raw[:start].count(b"\n") + 1, "column": None, "value": None,
                "problem": (f"is not {encoding} text: byte {raw[start: start + 1]!r} at position {start} "
                            f"cannot be decoded"),
                "fix": ("save the file as UTF-8, or set encoding: cp1252 (or latin-1) for this "
                        "table in study.yml"),
            }]) from None
        at = cut


def _wide(codec: str) -> bool:
    """Whether the encoding's bytes for a newline are not the one byte 0x0A (UTF-16 and UTF-32)."""
    return codec.lower().replace("_", "-").startswith(("utf-16", "utf-32", "utf16", "utf32"))


def _read_csv_arrow(raw: bytes, sep: str, names: list[str]) -> pd.DataFrame | None:
    """The rows of a UTF-8 file read by Arrow's CSV reader, every value as text and an empty one as
    "": a million contacts in a second, with no Python string made per value. None when the file
    needs what only the pandas reader does as this module expects (a header name that is empty,
    a row with more or fewer values than the header): that reader then reads it, and says so."""
    if len(sep) != 1 or any(not n.strip() for n in names):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv
    try:
        table = pacsv.read_csv(
            pa.BufferReader(raw),
            read_options=pacsv.ReadOptions(use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=True,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 null_values=[]))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.column_names != names:
        return None
    text = pd.Series([], dtype=str).dtype
    mapper = {pa.string(): text, pa.large_string(): text}.get if isinstance(text, pd.StringDtype) else None
    return table.to_pandas(types_mapper=mapper, self_destruct=True)


def _read_csv_pandas(raw: bytes, codec: str, sep: str, label: str) -> pd.DataFrame:
    import warnings
    try:
        with warnings.catch_warnings():
            # index_col=False: a row longer than the header is an error here, never an index.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # From the bytes: a StringIO of the text would hold it again at up to four bytes a
            # character (close to a gigabyte for a million contacts).
            return pd.read_csv(io.BytesIO(raw), encoding=codec, sep=sep, dtype=str, keep_default_na=False,
                               index_col=False, na_filter=False, skipinitialspace=False, engine="c",
                               skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        line, n, expected = _ragged_line(raw.decode(codec), sep)
        raise DataError([{"file": label, "row": line, "column": None, "value": None,
                          "problem": f"has {n} values where the header has {expected} columns",
                          "fix": "a value with the delimiter in it needs quotes (\"Smith, Jo\"); check the "
                                 "delimiter and quoting, or set delimiter: in study.yml"}]) from None


def _header_line(raw: bytes, codec: str) -> str:
    """The first line that is not blank, read from the start of the file only (splitting a large
    file's every line to find it took a second)."""
    size = 1 << 16
    while True:
        lines = raw[:size].decode(codec, errors="replace").splitlines()
        whole = size >= len(raw)
        found = next((line for line in (lines if whole else lines[:-1]) if line.strip()), None)
        if found is not None or whole:
            return found or ""
        size *= 8


def _no_column_twice(header: str, sep: str, label: str) -> list[str]:
    """The header's names as written. A header that names one column twice is refused: pandas would
    read the second as 'channel.1', and every figure keyed on the first would silently change."""
    import csv
    written = next(csv.reader([header], delimiter=sep), [])
    names = [n.strip() for n in written]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        shown = ", ".join(f"'{n}'" for n in twice)
        raise DataError([file_problem(label, f"names the column {shown} twice in its header row; only one of "
                                              "them could count", "rename or remove one of them, then export again")])
    return written


def _ragged_line(text: str, sep: str) -> tuple[int | None, int, int]:
    """The first record with another number of values than the header: (line, values, columns)."""
    import csv
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header, previous = None, 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if header is None:
            header = len(record)
        elif record and len(record) != header:
            return start, len(record), header
    return None, 0, header or 0


def _line_numbers(raw: bytes, codec: str, sep: str, n_rows: int) -> pd.Index:
    """The line of the file each record starts on (the header is line 1), counting blank lines
    and values that run over several lines, so that a problem names the line an editor shows.

    Read with blank lines kept, each line is a row unless a quoted value runs over several lines:
    when the lines and the rows tally, the row number is the line number, and only otherwise is the
    file walked record by record."""
    if _wide(codec):
        text = raw.decode(codec)
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    else:
        text = None
        lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if lines == n_rows + 1:
        return pd.RangeIndex(2, 2 + n_rows, name="row")
    import csv
    reader = csv.reader(io.StringIO(text if text is not None else raw.decode(codec), newline=""), delimiter=sep)
    starts, previous = [], 0
    for _ in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    starts = starts[1:]                       # the header
    if len(starts) != n_rows:                 # the two readers disagree: fall back to record numbers
        return pd.RangeIndex(2, 2 + n_rows, name="row")
    return pd.Index(starts, name="row")


def file_problem(label: str, problem: str, fix: str) -> dict:
    return {"file": label, "row": None, "column": None, "value": None, "problem": problem, "fix": fix}
