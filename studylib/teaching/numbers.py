"""A number a learner types, read one way wherever it is typed: a prediction, an exercise's answer.

A share may be typed as 0.49, 49% or 49: each means 49%, and a bare number above 1 is said back
("read 49 as 49%"), so that nobody is marked wrong, or has a prediction refused, for writing a
share the way people write shares. Thousands separators are allowed (1,234). What cannot be read
one way is refused with how to write it.
"""
from __future__ import annotations

import math

__all__ = ["read_number", "said"]


def read_number(value, kind: str) -> tuple[float | None, str | None, str]:
    """``(number, problem, note)`` for what was typed. ``kind`` is "share", "days" or "number".

    ``number`` is None where nothing was typed or it cannot be read (``problem`` then says why, with
    how to write it); ``note`` says back a reading the learner may not have meant ("read 49 as
    49%"), else is empty. Whether a negative is allowed is the caller's to say.
    """
    example = "0.2 or 20%" if kind == "share" else "10"
    if value is None or value is Ellipsis or (isinstance(value, str) and not value.strip()):
        return None, None, ""
    if isinstance(value, bool):
        return None, f"{value!r} is not a number; write it like {example}", ""
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None, f"{text!r} is not a number; write it like {example}", ""
    if math.isnan(number) or math.isinf(number):
        return None, f"{text!r} is not a number; write it like {example}", ""
    if kind != "share":
        return number, None, ""
    note = ""
    if not percent and number > 1:
        note = f"read {text} as {text}%"
        percent = True
    if percent:
        number /= 100
    if number > 1:
        return None, f"{text} is more than the whole (100%); write a share like {example}", ""
    return number, None, note


def said(value: float, kind: str) -> str:
    """A prediction's value as a sentence says it: 49%, 4.4 days, 12 days, 3.0."""
    if kind == "share":
        return f"{value:.0%}"
    if kind == "days":
        return f"{value:,.1f} days" if value < 10 else f"{value:,.0f} days"
    return f"{value:,.1f}"
