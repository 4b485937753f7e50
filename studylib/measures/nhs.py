"""NHS England's monthly A&E attendances and four-hour breaches, ready for an XmR chart.

The file format is NHS England's published monthly A&E statistics as the NHSRdatasets package
ships them: ``period, org_code, type, attendances, breaches, admissions``, one row per provider,
department type and month. Type 1 is a major A&E department.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, ParameterError

__all__ = ["read_ae_attendances", "four_hour_performance", "FOUR_HOUR_STANDARD"]

#: The operational standard: 95% of patients admitted, transferred or discharged within 4 hours.
FOUR_HOUR_STANDARD = 0.95

_COLUMNS = ["period", "org_code", "type", "attendances", "breaches", "admissions"]


def read_ae_attendances(path: str | Path) -> pd.DataFrame:
    """Read the monthly A&E file: codes as text, counts as integers, ``period`` as a date.

    Raises
    ------
    DataError
        When a column is missing or a count is not a whole number.
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise DataError([{"file": path.name, "row": None, "column": c, "value": None,
                          "problem": "is a required column and is missing",
                          "fix": f"columns in the file: {list(raw.columns)}"} for c in missing])
    out = raw[_COLUMNS].copy()
    problems = []
    for col in ("attendances", "breaches", "admissions"):
        numbers = pd.to_numeric(out[col], errors="coerce")
        bad = numbers.isna() | (numbers % 1 != 0) | (numbers < 0)
        for row in out.index[bad][:20]:
            problems.append({"file": path.name, "row": int(row) + 2, "column": col, "value": out.at[row, col],
                             "problem": "is not a whole number of patients", "fix": "correct the count"})
        out[col] = numbers.fillna(0).astype("int64")
    if problems:
        raise DataError(problems)
    out["period"] = pd.to_datetime(out["period"], format="%Y-%m-%d")
    return out.sort_values(["period", "org_code", "type"], kind="stable").reset_index(drop=True)


def four_hour_performance(ae: pd.DataFrame, *, org_code: str | None = None,
                          types: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Monthly share of attendances within four hours, for one provider or England.

    Parameters
    ----------
    ae : DataFrame
        From :func:`read_ae_attendances`.
    org_code : str, optional
        A provider (e.g. ``"RRK"``); default all providers (England).
    types : list of str, optional
        Department types to include (e.g. ``["1"]`` for major A&E); default all.

    Returns
    -------
    DataFrame
        One row per month: ``period, attendances, breaches, within_four_hours`` (a share, 0-1).
    """
    part = ae
    if org_code is not None:
        part = part[part["org_code"] == org_code]
        if part.empty:
            raise ParameterError(f"no rows for org_code {org_code!r}")
    if types is not None:
        part = part[part["type"].isin([str(t) for t in types])]
    out = part.groupby("period", sort=True)[["attendances", "breaches"]].sum().reset_index()
    out["within_four_hours"] = 1 - out["breaches"] / out["attendances"]
    return out
