"""Text as a reader may see it: escaped, with personal data redacted, without the machine's folders,
dates in words, and the known name a typo most likely meant.

Every layer of studylib shows text to somebody (a report, the terminal, an error message), so these
helpers sit below all of them and import nothing of studylib's.
"""
from __future__ import annotations

import difflib
import html
import re

import pandas as pd

__all__ = ["escape", "redact", "private", "configure_privacy", "PERSONAL_DATA", "no_paths",
           "long_date", "iso_date", "and_list", "nearest", "did_you_mean"]


#: What is redacted from reports by default, in the order the patterns are applied: the label
#: that replaces it, and the pattern. Card-like numbers first, so that a card number is not read
#: as a phone number.
PERSONAL_DATA = [
    ("[card number]", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("[email]", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("[phone]", re.compile(r"(?:(?<![\w+])\+44\s?(?:\(0\)\s?)?|(?<!\w)0)\d(?:[\s-]?\d){8,9}(?!\d)")),
    ("[postcode]", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)),
]


# What reports show. Notebooks set it once, from their ``redact`` parameter and study.yml's
# ``never_show``; a team's internal working copy is made with ``studylib check --no-redact``.
_PRIVACY = {"redact": True, "never_show": frozenset()}


def configure_privacy(*, redact: bool = True, never_show=()) -> None:
    """Set what every later :func:`say`, :func:`table` and :func:`private` in this kernel hides."""
    _PRIVACY["redact"] = bool(redact)
    _PRIVACY["never_show"] = frozenset(str(c) for c in (never_show or ()))


def redact(text, *, on: bool | None = None):
    """Text with e-mail addresses, phone numbers, UK postcodes and card-like numbers replaced.

    ``on`` says whether to redact; by default, as :func:`configure_privacy` set it (the reports'
    setting). The command line and the run manifest pass it from ``--no-redact``.

    >>> redact("Call 07700 900123 or mail jo@example.org, NB1 2AB")
    'Call [phone] or mail [email], [postcode]'
    """
    if text is None or not (_PRIVACY["redact"] if on is None else on):
        return text
    out = str(text)
    for label, pattern in PERSONAL_DATA:
        out = pattern.sub(label, out)
    return out


def private(frame):
    """A copy of a table safe to show or chart: never-show columns dropped, text redacted."""
    out = frame.drop(columns=[c for c in frame.columns if str(c) in _PRIVACY["never_show"]])
    if _PRIVACY["redact"]:
        for col in out.columns:
            if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
                values = out[col]
                out[col] = values.map(lambda v: redact(v) if isinstance(v, str) else v)
        if isinstance(out.index, pd.Index) and (pd.api.types.is_string_dtype(out.index) or out.index.dtype == object):
            out.index = out.index.map(lambda v: redact(v) if isinstance(v, str) else v)
    return out


def escape(text) -> str:
    """Customer and team text made safe to show in HTML."""
    return html.escape("" if text is None else str(text), quote=True)


_FOLDERS = re.compile(r"(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/<>]+[\\/])+")


def no_paths(text: str) -> str:
    """An error message without the folders of the machine it ran on (a file keeps its name)."""
    return _FOLDERS.sub("", str(text))


def long_date(stamp) -> str:
    """A date as people write it: 10 March 2025."""
    stamp = pd.Timestamp(stamp)
    return f"{stamp.day} {stamp:%B %Y}"


def iso_date(stamp) -> str | None:
    """A date as files and settings write it (2025-03-10); None for a missing one."""
    return None if stamp is None or pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m-%d}"


def and_list(words) -> str:
    """Words as a sentence lists them: "A", "A and B", "A, B and C" ("" for none)."""
    words = [str(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def nearest(name, known) -> str:
    """The known name closest to ``name`` (a typo's likely meaning), or an empty string."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return close[0] if close else ""


def did_you_mean(name, known) -> str:
    """"; did you mean 'x'?" for the known name closest to ``name``, or an empty string."""
    close = nearest(name, known)
    return f"; did you mean '{close}'?" if close else ""
