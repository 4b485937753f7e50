"""One validation of a contact, whether it comes from a demand file or the capture form.

:func:`parse_contact_values` reads the text of each contact field into its value (a time in the
study's zone, a channel under its canonical name, yes/no, a number in range, value or failure) and
lists every value it cannot read as a problem record (file or source, row, column, value, problem,
fix). :func:`studylib.load_study` uses it on a whole file; :class:`studylib.CaptureStore` on the
one contact a person has just typed, so the form accepts exactly what a file may hold.
"""
from __future__ import annotations

import pandas as pd

from .tables import is_blank, normalise_channels, parse_booleans, parse_numbers, parse_timestamps

__all__ = ["parse_contact_values", "VALUE_OR_FAILURE"]

#: Spellings of value and failure demand accepted in a demand file or the capture form.
VALUE_OR_FAILURE = {"value": "value", "v": "value", "value demand": "value",
                    "failure": "failure", "f": "failure", "failure demand": "failure"}


def parse_contact_values(frame: pd.DataFrame, *, label: str, channels: dict | None = None,
                         timestamps: dict | None = None, columns: dict | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Read contact fields from text into values, listing every value that cannot be read.

    Parameters
    ----------
    frame : DataFrame
        Contacts with the canonical demand columns as stripped text ("" for empty).
    label : str
        Where the contacts come from, for the problem records ("demand.csv", "capture form").
    channels : dict, optional
        study.yml ``channels:`` (extra spellings).
    timestamps : dict, optional
        ``formats``, ``dayfirst`` and ``timezone`` for :func:`studylib.read.tables.parse_timestamps`.
    columns : dict, optional
        Canonical name -> the source's own column name, so that problems name the column the
        team sees (study.yml ``columns:``).

    Returns
    -------
    (contacts, channel_map, problems)
        ``contacts``: a copy of ``frame`` with ``received_at`` (timezone-aware), ``channel``,
        ``resolved_first_contact`` (nullable boolean), ``latitude``/``longitude`` (float; (0, 0)
        read as no place) and ``value_or_failure`` ("value", "failure" or missing) parsed;
        ``channel_map``: ``spelling, channel, rows``; ``problems``: one record per value that
        could not be read, with ``file, row, column, value, problem, fix``.
    """
    columns = columns or {}
    timestamps = timestamps or {"formats": None, "dayfirst": False, "timezone": "UTC"}
    out = frame.copy()
    problems: list[dict] = []
    received, probs = parse_timestamps(frame["received_at"], label=label,
                                       column=columns.get("received_at", "received_at"), **timestamps)
    problems += probs
    channel, channel_map, probs = normalise_channels(frame["channel"], channels, label=label,
                                                     column=columns.get("channel", "channel"))
    problems += probs
    # An optional field left empty throughout (as most are on one captured contact) is missing,
    # with nothing to read: it is not parsed.
    empty = {name: bool(is_blank(frame[name]).all()) for name in _OPTIONAL}
    if empty["resolved_first_contact"]:
        rfc = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    else:
        rfc, probs = parse_booleans(frame["resolved_first_contact"], label=label, column="resolved_first_contact")
        problems += probs
    if empty["latitude"] and empty["longitude"]:
        lat = pd.Series(float("nan"), index=frame.index, dtype="float64")
        lon = lat.copy()
    else:
        lat, probs = parse_numbers(frame["latitude"], label=label, column="latitude", low=-90, high=90)
        problems += probs
        lon, probs = parse_numbers(frame["longitude"], label=label, column="longitude", low=-180, high=180)
        problems += probs
    if empty["value_or_failure"]:
        vof = pd.Series(pd.NA, index=frame.index, dtype="str")
    else:
        key = frame["value_or_failure"].astype(str).str.strip().str.lower()
        vof = key.map(VALUE_OR_FAILURE)
        for r in key[(key != "") & vof.isna()].index:
            problems.append({"file": label, "row": int(r), "column": "value_or_failure",
                             "value": frame.at[r, "value_or_failure"], "problem": "is not value or failure",
                             "fix": "use 'value' or 'failure', or leave it empty for the codebook to classify"})
    out["received_at"] = received
    out["channel"] = channel
    out["resolved_first_contact"] = rfc
    out["latitude"], out["longitude"] = lat, lon
    out["value_or_failure"] = vof
    # Locations of (0, 0) are an export's way of saying "none".
    no_place = (out["latitude"] == 0) & (out["longitude"] == 0)
    if no_place.any():
        out.loc[no_place, ["latitude", "longitude"]] = float("nan")
    return out, channel_map, problems


_OPTIONAL = ("resolved_first_contact", "latitude", "longitude", "value_or_failure")
