"""Capturing demand while sitting with the people who answer the phones: a store that loses nothing.

:class:`CaptureStore` is one SQLite file in the study folder (``capture.sqlite``), or, for a
team at several desks, a shared PostgreSQL server (``capture: postgresql://user@host:5432/db`` in
study.yml); :mod:`studylib.read.stores` keeps the two alike. Every :meth:`CaptureStore.add`
is its own committed transaction, so a record is stored before the form clears; several kernels
or processes adding at once wait for each other rather than fail, and a process killed mid-run
loses no committed row. Records are checked field by field before they are stored, with the same
validation as a demand file; a malformed one is refused with a message naming the field and why.

Labels given later (the review queue, a second rater) go to their own table, one row per contact
and rating, so a first label is never overwritten by a second person's.
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..writing import replaced
from ..read.codebooks import FAILURE_SUBTYPES, load_demand_codebook
from ..read.contacts import parse_contact_values
from ..errors import CaptureError, StudylibError
from ..read.captured import capture_path
from ..read.sample import bundled_sample
from ..read.rows import DEMAND_COLUMNS
from ..read.study import read_config
from ..read.stores import CAPTURE_FIELDS, backend_for, is_url, stored_contacts
from ..read.tables import DEFAULT_CHANNELS

__all__ = ["CaptureStore", "CAPTURE_FIELDS", "study_store", "BUNDLED_SAMPLE"]


def _text(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = str(value).strip()
    return value or None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _not_a_formula(value):
    """A text that a spreadsheet would read as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)          # a negative number is a number, not a formula
            return value
        except ValueError:
            return "'" + value
    return value


def inert_for_spreadsheets(frame: pd.DataFrame) -> pd.DataFrame:
    """Text a spreadsheet would run as a formula (=HYPERLINK(...), +, -, @) made inert, in every
    column that holds text, whatever its dtype (object, or pandas 3's own text dtype)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_not_a_formula)
    return out


class CaptureStore:
    """Durable capture of contacts (SQLite, WAL, one committed transaction per record).

    Parameters
    ----------
    path : str or Path
        The SQLite file, e.g. ``my-study/capture.sqlite`` (created if missing).
    timezone : str
        Where naive ``received_at`` times are local (default Europe/London).
    channels : dict, optional
        Extra channel spellings, as study.yml ``channels:``.
    failure_subtypes : list of str, optional
        Accepted failure sub-types (default the study guide's).

    Examples
    --------
    >>> store = CaptureStore(tmp_path / "capture.sqlite")                      # doctest: +SKIP
    >>> store.add({"channel": "phone", "service": "Repairs", "received_at": "2025-03-03 10:00",
    ...            "verbatim": "My boiler has gone again"})                     # doctest: +SKIP
    'CAP-...'
    """

    def __init__(self, path: str | Path, *, timezone: str = "Europe/London", channels: dict | None = None,
                 failure_subtypes: list[str] | None = None, busy_timeout_s: float = 30.0):
        self.timezone = timezone
        self.failure_subtypes = [s.lower() for s in (failure_subtypes or FAILURE_SUBTYPES)]
        self._channels = {}
        for channel, spellings in {**DEFAULT_CHANNELS, **(channels or {})}.items():
            self._channels[channel.lower()] = channel
            for s in ([spellings] if isinstance(spellings, str) else spellings or []):
                self._channels[str(s).strip().lower()] = channel
        self._extra_channels = channels
        self._backend = backend_for(path if is_url(path) else Path(path), busy_timeout_s)
        #: The SQLite file, or None for a server store (see ``where``).
        self.path = None if is_url(path) else Path(path)
        #: Where the store is, fit to print (a server's password left out).
        self.where = self._backend.where

    # -- checking ---------------------------------------------------------------------------------

    def check(self, record: dict) -> dict:
        """The record as it would be stored, or :class:`CaptureError` naming the field and why."""
        unknown = set(record) - set(CAPTURE_FIELDS)
        if unknown:
            raise CaptureError(f"unknown field(s) {sorted(unknown)}; a captured contact has {CAPTURE_FIELDS}")
        for key, value in record.items():
            if isinstance(value, (list, tuple, set, dict, bytes)):
                raise CaptureError(f"{key}: a {type(value).__name__} is not one value; give one text, number or date")
            if isinstance(value, bool) and key not in ("resolved_first_contact",):
                raise CaptureError(f"{key}: {value!r} is not a value for this field")
            if isinstance(value, str) and "\x00" in value:     # PostgreSQL's text cannot hold it; SQLite's would
                raise CaptureError(f"{key}: holds an invisible NUL character (\\x00), often from text pasted out of "
                                   "another program, which a store cannot keep: delete that part and type it again, "
                                   "or paste it as plain text")
        out = {key: _text(record, key) for key in CAPTURE_FIELDS}
        for key in ("verbatim", "service"):
            if out[key] is None:
                raise CaptureError(f"{key}: is empty; write down what the customer said, in their words"
                                   if key == "verbatim" else f"{key}: is empty; say which service the contact was for")
        if out["channel"] is None:
            raise CaptureError(f"channel: is empty; one of {sorted(set(self._channels.values()))}")
        when = record.get("received_at")
        if when is None or (isinstance(when, str) and not when.strip()):
            raise CaptureError("received_at: is empty; the form fills it in with the time of the contact")
        # The same reading of every field as a demand file gets (studylib.read.contacts).
        text = {key: "" if out[key] is None else out[key] for key in CAPTURE_FIELDS}
        text["received_at"] = (when.isoformat(sep=" ") if isinstance(when, datetime)
                               else pd.Timestamp(when).isoformat(sep=" ") if isinstance(when, pd.Timestamp) else str(when).strip())
        parsed, _, problems = parse_contact_values(
            pd.DataFrame([text]), label="capture form", channels=self._extra_channels,
            timestamps={"formats": None, "dayfirst": False, "timezone": self.timezone})
        if problems:
            for p in problems:   # the form gives the time itself; a program gives it as ISO 8601
                if p.get("column") == "received_at" and p.get("problem") == "is not a date":
                    p["fix"] = "give the time of the contact as 2025-03-03 10:05 (ISO 8601), or a datetime"
            raise CaptureError([{**p, "row": None} for p in problems])
        row = parsed.iloc[0]
        out["channel"] = row["channel"]
        out["received_at"] = row["received_at"].isoformat()
        vof = None if pd.isna(row["value_or_failure"]) else row["value_or_failure"]
        out["value_or_failure"] = vof
        sub = (out["failure_subtype"] or "").lower() or None
        if sub is not None and vof != "failure":
            raise CaptureError("failure_subtype: only failure demand has a sub-type; set value_or_failure to 'failure'")
        if sub is not None and sub not in self.failure_subtypes:
            raise CaptureError(f"failure_subtype: {sub!r} is not one of {self.failure_subtypes}")
        out["failure_subtype"] = sub
        rfc = row["resolved_first_contact"]
        out["resolved_first_contact"] = None if pd.isna(rfc) else int(bool(rfc))
        for key in ("latitude", "longitude"):
            out[key] = None if pd.isna(row[key]) or out[key] is None else float(row[key])
        if (out["latitude"] is None) != (out["longitude"] is None):
            raise CaptureError("latitude and longitude: give both or neither")
        if out["contact_id"] is None:
            out["contact_id"] = f"CAP-{uuid.uuid4().hex[:12]}"
        return out

    # -- writing ----------------------------------------------------------------------------------

    def add(self, record: dict) -> str:
        """Check and store one contact; returns its id once it is committed."""
        row = self.check(record)
        row["stored_at"] = datetime.now().astimezone().isoformat()
        self._backend.insert_contact(row)
        return row["contact_id"]

    def label(self, contact_id: str, demand_type: str, value_or_failure: str, failure_subtype: str | None = None,
              *, rater: str = "first", reviewer: str | None = None) -> str:
        """Store one reviewer's label of a contact; returns the rating it was recorded as.

        A reviewer's later label replaces their own. A label from another reviewer never
        overwrites: it becomes the next rating ("second", "third", ...), so two people labelling
        the same contact at two desks give two ratings. ``reviewer`` defaults to ``rater``.
        """
        demand_type = (demand_type or "").strip()
        vof = (value_or_failure or "").strip().lower()
        sub = (failure_subtype or "").strip().lower() or None
        if not demand_type:
            raise CaptureError("demand_type: is empty")
        if vof not in ("value", "failure"):
            raise CaptureError(f"value_or_failure: {value_or_failure!r}; expected 'value' or 'failure'")
        if sub is not None and (vof != "failure" or sub not in self.failure_subtypes):
            raise CaptureError(f"failure_subtype: {sub!r} needs failure demand and one of {self.failure_subtypes}")
        return self._backend.save_label({"contact_id": str(contact_id), "reviewer": reviewer or rater,
                                         "demand_type": demand_type, "value_or_failure": vof, "failure_subtype": sub,
                                         "labelled_at": datetime.now().astimezone().isoformat()}, rater)

    # -- reading ----------------------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """Every stored contact, in the order stored, with the first rater's label applied where
        the capture itself had none. Columns: :data:`CAPTURE_FIELDS`."""
        return stored_contacts(self._backend)

    def labels(self, rater: str | None = None) -> pd.DataFrame:
        """Labels given after capture: ``contact_id, rater, reviewer, demand_type, value_or_failure,
        failure_subtype, labelled_at``."""
        return self._backend.labels(rater)

    def agreement(self, first: str = "first", second: str = "second"):
        """Cohen's kappa between two ratings of the same contacts, from the store alone.

        Returns ``(summary, disagreements)`` as :func:`studylib.measures.demand.rater_agreement`.
        """
        from ..measures.demand import rater_agreement
        a = self.labels(first).set_index("contact_id")["demand_type"]
        b = self.labels(second).set_index("contact_id")["demand_type"]
        both = a.index.intersection(b.index)
        return rater_agreement(a.loc[both], b.loc[both], ids=both)

    def counts(self) -> pd.DataFrame:
        """Contacts so far by demand type and value or failure (unlabelled ones as "not labelled yet")."""
        frame = self.to_frame()
        frame = frame.fillna({"demand_type": "not labelled yet", "value_or_failure": "not labelled yet"})
        return (frame.groupby(["demand_type", "value_or_failure"]).size().rename("contacts").reset_index()
                .sort_values("contacts", ascending=False, kind="stable").reset_index(drop=True))

    def __len__(self) -> int:
        return self._backend.count()

    def recent(self, n: int = 5) -> pd.DataFrame:
        """The last ``n`` contacts stored, newest first."""
        return self.to_frame().tail(n).iloc[::-1].reset_index(drop=True)

    def export_csv(self, path: str | Path, *, timestamp_format: str | None = None) -> Path:
        """Write the contacts as a demand.csv in the study contract.

        Timestamps are ISO 8601 with their UTC offset by default (what a study reads with no
        ``timestamp_formats``); with ``timestamp_format`` (e.g. ``"%Y-%m-%d %H:%M"``, as the study's
        study.yml names) they are local times in the store's timezone, written that way.
        """
        frame = self.to_frame().drop(columns=["captured_by"])
        if timestamp_format:
            local = pd.to_datetime(frame["received_at"], utc=True).dt.tz_convert(self.timezone)
            frame["received_at"] = local.dt.strftime(timestamp_format)
        frame["customer_ref"] = None
        frame = inert_for_spreadsheets(frame)
        path = Path(path)
        # A temporary file of its own beside the target, then one atomic rename: two exports to one
        # path at once each land whole, and never share a half-written file.
        with replaced(path, what=f"the contacts to {path}") as out:
            frame[DEMAND_COLUMNS].to_csv(out, index=False)
        return path

    def __repr__(self) -> str:
        return f"<CaptureStore {self.path.name if self.path else self.where}: {len(self):,} contacts>"


#: The sample study bundled with the package: practice on a copy, never capture into it.
BUNDLED_SAMPLE = bundled_sample()


def study_store(study) -> CaptureStore:
    """The capture store of a study folder, set up from its study.yml (timezone, channels, the
    codebook's failure sub-types): ``capture.sqlite`` in the folder, or the file named by ``capture:``.

    ``load_study`` reads the contacts stored there together with the demand file, so what a team
    captures reaches the check with no export.

    Raises
    ------
    StudylibError
        No study is named, or it is the package's bundled sample (the sample is written by
        ``studylib sample`` and stays the same; capture into a study of your own).
    """
    if study is None or study is Ellipsis or not str(study).strip():
        raise StudylibError("name the study folder you are capturing for (study = \"../my-study\"); "
                            "make one with: studylib new my-study")
    folder = Path(study)
    if folder.resolve() == BUNDLED_SAMPLE.resolve():
        raise StudylibError(f"{study} is the bundled sample study, which stays as `studylib sample` writes it; "
                            "capture into your own study (studylib new my-study), or practise on a copy "
                            "(studylib sample my-practice)")
    config = read_config(folder)
    subtypes = None
    codebook = folder / str(config.get("demand_codebook") or "demand_codebook.yml")
    if codebook.exists():
        subtypes = load_demand_codebook(codebook).failure_subtypes
    return CaptureStore(capture_path(folder, config), timezone=config.get("timezone") or "UTC",
                        channels=config.get("channels"), failure_subtypes=subtypes)


# -- the store as a source of the study's contacts (load_study) ---------------------------------


