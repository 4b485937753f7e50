"""Rows read from a file or a capture store, checked against a table's contract: columns mapped as
study.yml says, values parsed, and every row that cannot be used set aside with its reason, so that
rows read = rows kept + rows set aside.
"""
from __future__ import annotations

import warnings

import pandas as pd

from ..errors import StudylibWarning
from .contacts import parse_contact_values
from .plausible import date_window, outside_window

__all__ = ["DEMAND_COLUMNS", "DEMAND_REQUIRED", "EVENT_COLUMNS", "EVENT_REQUIRED", "QUALITY_COLUMNS",
           "SET_ASIDE_COLUMNS", "TEXT_COLUMNS", "empty_table", "set_aside_outside_services", "set_aside_repeated_ids", "one_service", "map_columns", "rows_aside", "set_aside_missing",
           "split_kept", "quality_rows", "demand_rows"]


DEMAND_COLUMNS = ["contact_id", "received_at", "channel", "service", "verbatim", "demand_type",
                  "value_or_failure", "failure_subtype", "resolved_first_contact", "what_matters",
                  "problem_ref", "customer_ref", "latitude", "longitude", "address", "handled_by"]


DEMAND_REQUIRED = ["contact_id", "received_at", "channel", "service", "verbatim"]


EVENT_COLUMNS = ["case_id", "activity", "timestamp", "resource", "lifecycle", "service", "due"]


EVENT_REQUIRED = ["case_id", "activity", "timestamp"]


QUALITY_COLUMNS = ["file", "rows_read", "rows_kept", "reason", "rows_set_aside"]


SET_ASIDE_COLUMNS = ["file", "row", "id", "reason", "detail"]


TEXT_COLUMNS = {"demand": ["contact_id", "channel", "service", "verbatim", "demand_type",
                            "failure_subtype", "what_matters", "problem_ref", "customer_ref",
                            "address", "handled_by"],
                 "events": ["case_id", "activity", "resource", "lifecycle", "service"]}


def empty_table(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns + ["row"]})


def map_columns(raw: pd.DataFrame, spec: dict, *, label: str, columns: list[str],
                 required: list[str], optional_required: set[str] = frozenset()) -> tuple[pd.DataFrame, list[dict]]:
    """Apply study.yml's column mapping: canonical name -> source column, or a constant value."""
    mapping = spec.get("columns") or {}
    constants = spec.get("values") or {}
    unknown = set(mapping) | set(constants)
    unknown -= set(columns)
    problems: list[dict] = []
    if unknown:
        problems.append({"file": "study.yml", "row": None, "column": None, "value": None,
                         "problem": f"maps unknown column(s) {sorted(unknown)} for {label}",
                         "fix": f"the columns studylib knows are {columns}"})
    out = pd.DataFrame(index=raw.index)
    available = list(raw.columns)
    for col in columns:
        if col in constants:
            out[col] = "" if constants[col] is None else str(constants[col])
        elif col in mapping and mapping[col]:
            source = str(mapping[col])
            if source in raw.columns:
                out[col] = raw[source].astype(str)
            else:
                problems.append({"file": label, "row": None, "column": source, "value": None,
                                 "problem": f"is not in the file (study.yml maps it to '{col}')",
                                 "fix": f"columns in the file: {available}"})
        elif col in raw.columns:
            out[col] = raw[col].astype(str)
        elif col in required and col not in optional_required:
            problems.append({"file": label, "row": None, "column": col, "value": None,
                             "problem": "is a required column and is missing",
                             "fix": (f"add the column, or map it under columns: in study.yml "
                                     f"(e.g. {col}: YourColumnName); columns in the file: {available}")})
        else:
            out[col] = ""
    return out, problems


def rows_aside(label: str, frame: pd.DataFrame, id_col: str, reason: str, detail) -> pd.DataFrame:
    return pd.DataFrame({"file": label, "row": frame.index.astype(int), "id": frame[id_col].values,
                         "reason": reason, "detail": detail})


def set_aside_missing(frame: pd.DataFrame, label: str, id_col: str, required: list[str]):
    """Set aside rows with an empty required value, the first such column naming the reason."""
    aside, keep = [], pd.Series(True, index=frame.index)
    for col in required:
        values = frame[col]
        empty = keep & (values.isna() | ((values.astype(str) == "") if values.dtype == object or
                                          pd.api.types.is_string_dtype(values) else False))
        if empty.any():
            aside.append(rows_aside(label, frame[empty], id_col, f"missing {col}",
                                      f"{col} is empty; fill it in or remove the row"))
            keep &= ~empty
    return aside, keep


def set_aside_outside_services(frame: pd.DataFrame, keep: pd.Series, aside: list, config: dict, label: str,
                               id_col: str, noun: str) -> pd.Series:
    """Set aside the rows of services study.yml does not list (``services: [...]``), each with its
    reason, and say in one caveat how many, of which services; nothing when study.yml lists none or
    says ``services: all``. A row with no service at all is kept: there is nothing to judge it by.
    Returns ``keep`` without them."""
    listed = [str(s) for s in config.get("services") or []]
    if not listed:
        return keep
    service = frame["service"]
    out = keep & service.notna() & (service.astype(str) != "") & ~service.astype(str).isin(listed)
    if not out.any():
        return keep
    rows = frame.loc[out]
    aside.append(rows_aside(label, rows, id_col, "service not in the study",
                            "service " + rows["service"].astype(str) + " is not under services: in study.yml"))
    counts = (rows[id_col].groupby(rows["service"].astype(str)).nunique()
              .sort_values(ascending=False, kind="stable"))
    named = ", ".join(f"{name} ({n:,})" for name, n in counts.head(5).items())
    more = f" and {len(counts) - 5:,} more" if len(counts) > 5 else ""
    total = int(counts.sum())
    warnings.warn(f"{label}: {total:,} {noun}{'' if total == 1 else 's'} of {len(counts):,} "
                  f"service{'' if len(counts) == 1 else 's'} outside this study are left out: {named}{more} "
                  f"(study.yml services: lists {', '.join(listed[:5])}{' ...' if len(listed) > 5 else ''}; "
                  "add them there, or write services: all to study every service)", StudylibWarning, stacklevel=3)
    return keep & ~out


def set_aside_repeated_ids(frame: pd.DataFrame, keep: pd.Series, aside: list, label: str, id_col: str) -> pd.Series:
    """Set aside every row whose id an earlier kept row already has, naming that row. Returns ``keep``
    without them."""
    ids = frame[id_col].where(keep)
    dup = keep & ids.duplicated(keep="first") & ids.notna()
    if not dup.any():
        return keep
    first_row = frame.index.to_series().groupby(ids).transform("min")
    aside.append(rows_aside(label, frame[dup], id_col, f"duplicate {id_col}",
                            [f"same {id_col} as row {int(first_row[r])}" for r in frame.index[dup]]))
    return keep & ~dup


def one_service(frame: pd.DataFrame, config: dict) -> None:
    """A table with no service column belongs to the one service the study names, if it names one."""
    services = config.get("services") or []
    if len(services) == 1 and frame["service"].isna().all():
        frame["service"] = str(services[0])


def split_kept(frame: pd.DataFrame, keep: pd.Series, aside: list[pd.DataFrame],
                columns: list[str], label: str, rows_read: int):
    """The kept rows (canonical columns plus their source ``row``), the quality rows, and the
    rows set aside, as one frame."""
    aside_frame = pd.concat(aside, ignore_index=True) if aside else pd.DataFrame(columns=SET_ASIDE_COLUMNS)
    kept = frame[keep].copy()
    kept["row"] = kept.index.astype(int)
    kept = kept.reset_index(drop=True)[columns + ["row"]]
    return kept, quality_rows(label, rows_read, aside_frame), aside_frame


def quality_rows(label: str, rows_read: int, aside: pd.DataFrame) -> list[dict]:
    kept = rows_read - len(aside)
    if len(aside) == 0:
        return [{"file": label, "rows_read": rows_read, "rows_kept": kept, "reason": "",
                 "rows_set_aside": 0}]
    counts = aside.groupby("reason", sort=False).size()
    return [{"file": label, "rows_read": rows_read, "rows_kept": kept, "reason": reason,
             "rows_set_aside": int(n)} for reason, n in counts.items()]


def demand_rows(raw: pd.DataFrame, spec: dict, label: str, config: dict, timestamps: dict, *,
                warn_empty: bool = True):
    """Check contacts read from a file or a capture store as a demand table: values parsed, rows
    without what they need set aside with their reason. Returns (kept, channel map, quality rows,
    rows set aside, problems)."""
    keep_empty_verbatim = str(spec.get("empty_verbatim", "set_aside")) == "keep"
    frame, problems = map_columns(raw, spec, label=label, columns=DEMAND_COLUMNS,
                                   required=DEMAND_REQUIRED,
                                   optional_required={"verbatim"} if keep_empty_verbatim else set())
    if problems:
        return empty_table(DEMAND_COLUMNS), None, [], pd.DataFrame(columns=SET_ASIDE_COLUMNS), problems
    rows_read = len(frame)
    if rows_read == 0 and warn_empty:
        warnings.warn(f"{label} has a header but no rows", StudylibWarning, stacklevel=4)
    for col in TEXT_COLUMNS["demand"]:
        frame[col] = frame[col].astype(str).str.strip()

    frame, channel_map, probs = parse_contact_values(frame, label=label, channels=config.get("channels"),
                                                     timestamps=timestamps, columns=spec.get("columns") or {})
    problems += probs
    if problems:
        return empty_table(DEMAND_COLUMNS), None, [], pd.DataFrame(columns=SET_ASIDE_COLUMNS), problems
    for col in TEXT_COLUMNS["demand"]:
        if col not in DEMAND_REQUIRED:
            frame[col] = frame[col].where(frame[col] != "", None)

    aside, keep = set_aside_missing(frame, label, "contact_id",
                                     ["contact_id", "received_at", "channel", "service"])
    if not keep_empty_verbatim:
        empty = keep & (frame["verbatim"] == "")
        if empty.any():
            aside.append(rows_aside(label, frame[empty], "contact_id", "empty verbatim",
                                      "no words from the customer were recorded"))
            keep &= ~empty
    else:
        frame["verbatim"] = frame["verbatim"].where(frame["verbatim"] != "", None)
    far, detail = outside_window(frame["received_at"].where(keep), date_window(config, config.get("timezone") or "UTC"))
    if far.any():
        aside.append(rows_aside(label, frame[far], "contact_id", "implausible date", detail))
        keep &= ~far
    keep = set_aside_outside_services(frame, keep, aside, config, label, "contact_id", "contact")
    keep = set_aside_repeated_ids(frame, keep, aside, label, "contact_id")
    kept, quality, aside_frame = split_kept(frame, keep, aside, DEMAND_COLUMNS, label, rows_read)
    return kept, channel_map, quality, aside_frame, []
