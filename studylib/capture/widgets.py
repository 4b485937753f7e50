"""Capture and classify demand inside JupyterLab (ipywidgets): the software suggests, people decide.

- :class:`CaptureForm`: write down a contact as it happens. Each submission is committed to the
  :class:`~studylib.capture.CaptureStore` before the form clears; a refused record keeps what was
  typed and says which field is wrong.
- :class:`ReviewQueue`: contacts that need a person, one at a time, least certain first; labels go
  to the store; a pattern can be added to the demand codebook from here (checked, atomic, backed up).
- :func:`second_rater_sample` and :func:`store_agreement`: a second person labels a sample blind;
  Cohen's kappa and the disagreements.
- :class:`PredictionForm` and :class:`ReflectionForm`: what the team expects before a figure, and
  what it made of a stage after, written to the study's ``predictions.yml`` and ``reflections.yml``.

Every callback is a plain method (``submit()``, ``save()``, ...), so it is tested without a browser.
"""
from __future__ import annotations

import re
from typing import Callable

import pandas as pd

from ..errors import CaptureError, StudylibError
from ..read.captured import outside_period
from .store import CaptureStore
from ..read.codebooks import DemandCodebook, add_pattern, load_demand_codebook
from ..text import escape, long_date
from .when import read_when

__all__ = ["CaptureForm", "ReviewQueue", "second_rater_sample", "store_agreement", "LiveCounts", "contacts_words",
           "read_when"]

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


#: The columns of "Last captured", in words.
_RECENT = {"received_at": "when", "channel": "channel", "verbatim": "what the customer said",
           "demand_type": "type", "value_or_failure": "value or failure"}
#: Labels wide enough to read whole ("What matters", "Failure kind").
_LABEL = {"description_width": "8em"}
#: Text boxes wide enough for their placeholders.
_WIDE = {"width": "95%", "max_width": "46em"}      # the longest type name whole (about 40 characters)


def _when(stamp, timezone: str) -> str:
    """A stored time as a person reads it, in the study's timezone: 3 March 2025, 14:05."""
    stamp = pd.Timestamp(stamp)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    local = stamp.tz_convert(timezone)
    return f"{long_date(local)}, {local:%H:%M}"


def _recent_html(frame: pd.DataFrame, timezone: str = "UTC") -> str:
    if frame.empty:
        return "<p><em>Nothing captured yet.</em></p>"
    cols = [c for c in _RECENT if c in frame]
    head = "".join(f"<th>{escape(_RECENT[c])}</th>" for c in cols)
    shown = frame[cols].copy()
    if "received_at" in shown:
        shown["received_at"] = [("" if pd.isna(t) else _when(t, timezone)) for t in shown["received_at"]]
    body = "".join("<tr>" + "".join(f"<td>{escape('' if pd.isna(v) else v)}</td>" for v in row) + "</tr>"
                   for row in shown.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def contacts_words(n: int) -> str:
    """1 contact, 2 contacts."""
    return f"{n:,} contact" + ("" if n == 1 else "s")


def period_words(period) -> str:
    start, end = period
    return f"{long_date(start)} to {long_date(end)}"


class CaptureForm:
    """A form for one contact at a time; see the module docstring.

    Parameters
    ----------
    store : CaptureStore
    codebook : DemandCodebook, optional
        Demand types offered (a new type can be typed in).
    services : list of str
        Services offered.
    clock : callable, optional
        Returns the time of a contact submitted with *When* left empty. Default: the current time
        in the store's timezone (capture happens live). A time typed in *When* (a paper sheet
        entered later, or practice on the sample) is used instead.
    period : (Timestamp, Timestamp), optional
        The study's period: a contact saved outside it is named at once, with the fix, since the
        check leaves it out.
    captured_by : str, optional
        Who is capturing (stored with each record).
    recent : int
        How many of the last captured rows to show.
    """

    def __init__(self, store: CaptureStore, *, codebook: DemandCodebook | None = None, services=(),
                 clock: Callable[[], pd.Timestamp] | None = None, captured_by: str | None = None, recent: int = 5,
                 period=None):
        import ipywidgets as w

        self.store = store
        self.period = period if period and all(p is not None for p in period) else None
        self._pending: str | None = None     # the id of a save whose answer was lost: a retry reuses it
        self.codebook = codebook
        self.clock = clock or (lambda: pd.Timestamp.now(tz=store.timezone))
        self.captured_by = captured_by
        self.n_recent = recent
        types = sorted(codebook.types["demand_type"]) if codebook is not None and len(codebook.types) else []
        subtypes = [str(x).lower() for x in (codebook.failure_subtypes if codebook is not None else store.failure_subtypes)]
        channels = sorted(set(store._channels.values()))
        self.fields = {
            "when": w.Text(description="When", placeholder="now; or 2025-03-14 10:30 for a paper sheet", style=_LABEL,
                           layout=w.Layout(**_WIDE)),
            "channel": w.Dropdown(options=channels, value="phone" if "phone" in channels else channels[0],
                                  style=_LABEL, description="Channel"),
            "service": w.Combobox(options=list(services), value=list(services)[0] if len(services) == 1 else "",
                                  style=_LABEL, description="Service", ensure_option=False,
                                  placeholder="the service this contact was for", layout=w.Layout(**_WIDE)),
            "verbatim": w.Textarea(style=_LABEL, description="Verbatim", placeholder="What the customer said, in their words",
                                   layout=w.Layout(width="95%", height="6em")),
            "value_or_failure": w.ToggleButtons(options=[("not sure", ""), ("value", "value"), ("failure", "failure")],
                                                value="", style=_LABEL, description="Demand"),
            "demand_type": w.Combobox(options=types, style=_LABEL, description="Type", ensure_option=False,
                                      placeholder="from the codebook, or a new one", layout=w.Layout(**_WIDE)),
            "failure_subtype": w.Dropdown(options=[""] + list(subtypes), value="", style=_LABEL, description="Failure kind"),
            "resolved_first_contact": w.ToggleButtons(options=[("not known", ""), ("yes", "yes"), ("no", "no")],
                                                      value="", style=_LABEL, description="Resolved?"),
            "what_matters": w.Text(style=_LABEL, description="What matters", placeholder="to the customer, in their words", layout=w.Layout(**_WIDE)),
            "problem_ref": w.Text(style=_LABEL, description="Problem ref", placeholder="a case or job number, if given", layout=w.Layout(**_WIDE)),
            "location": w.Text(style=_LABEL, description="Location", placeholder="52.41, -1.51  or an address", layout=w.Layout(**_WIDE)),
        }
        self.fields["demand_type"].observe(self._type_chosen, names="value")
        self.submit_button = w.Button(description="Save contact", button_style="primary", icon="check")
        self.submit_button.on_click(lambda _: self.submit())
        self.message = w.HTML()
        self.recent = w.HTML(_recent_html(store.recent(recent), store.timezone))
        self.widget = w.VBox(list(self.fields.values()) + [self.submit_button, self.message,
                                                          w.HTML("<h4>Last captured</h4>"), self.recent])

    def _type_chosen(self, change) -> None:
        """A type from the codebook brings its value/failure and sub-type (which can be changed)."""
        if self.codebook is None or not len(self.codebook.types):
            return
        known = self.codebook.types.set_index("demand_type")
        if change["new"] in known.index:
            entry = known.loc[change["new"]]
            vof, sub = entry["value_or_failure"], entry["failure_subtype"]
            self.fields["value_or_failure"].value = "" if pd.isna(vof) else str(vof)
            options = {str(o).lower(): o for o in self.fields["failure_subtype"].options}
            self.fields["failure_subtype"].value = "" if pd.isna(sub) else options.get(str(sub).lower(), "")

    def record(self) -> dict:
        """The record the form would store now."""
        f = {k: v.value for k, v in self.fields.items()}
        when = read_when(f.pop("when"), self.store.timezone)
        location = (f.pop("location") or "").strip()
        record = {k: v for k, v in f.items() if v not in ("", None)}
        match = _LATLON.match(location)
        if match:
            record["latitude"], record["longitude"] = float(match.group(1)), float(match.group(2))
        elif location:
            record["address"] = location
        record["received_at"] = self.clock() if when is None else when
        if self.captured_by:
            record["captured_by"] = self.captured_by
        return record

    def submit(self) -> str | None:
        """Store the contact; clear the form only once it is committed. Returns its id, or None."""
        try:
            self._last = self.record()
            if self._pending is not None:       # the same contact again, after an answer that was lost
                self._last["contact_id"] = self._pending
            contact_id = self.store.add(self._last)
        except CaptureError as exc:
            self._pending = exc.contact_id or self._pending
            self.message.value = f"<p style='color:#a00'>Not saved: {escape(exc)}</p>"
            return None
        self._pending = None
        record = self._last
        # When too: the next contact takes the time of its own Save, never this one's. Service stays
        # (a desk takes one service's calls), and is shown in the message.
        for name in ("verbatim", "demand_type", "what_matters", "problem_ref", "location", "when"):
            self.fields[name].value = ""
        self.fields["value_or_failure"].value = ""
        self.fields["failure_subtype"].value = ""
        self.fields["resolved_first_contact"].value = ""
        when = pd.Timestamp(record["received_at"])
        if self.period and outside_period(pd.Series([when.isoformat()]), *self.period).iloc[0]:
            self.message.value = (
                f"<p style='color:#ED8B00'>Saved {escape(contact_id)}, dated {escape(_when(when, self.store.timezone))}: "
                f"outside this study's period ({escape(period_words(self.period))}), so <b>the check will leave it "
                "out</b>. For a contact from a paper sheet, or practice on the sample, type its date and time in "
                "When (e.g. 2025-03-14 10:30) before saving; if the study runs on, widen period: in study.yml.</p>")
        else:
            self.message.value = (f"<p style='color:#2a7f2a'>Saved {escape(contact_id)}, dated "
                                  f"{escape(_when(when, self.store.timezone))}.</p>")
        try:
            self.recent.value = _recent_html(self.store.recent(self.n_recent), self.store.timezone)
        except CaptureError:                # the contact is stored; only the list below is out of date
            self.message.value += ("<p style='color:#ED8B00'>This contact is saved, but the list of last captured "
                                   "could not be refreshed: the capture server cannot be reached just now. The "
                                   "list catches up on the next save.</p>")
        return contact_id


class ReviewQueue:
    """Contacts needing a label, one at a time, least certain first.

    Parameters
    ----------
    contacts : DataFrame
        ``contact_id, verbatim`` (e.g. rows of :func:`studylib.classify_demand` with
        ``needs_review``, or :func:`second_rater_sample`).
    store : CaptureStore
        Where labels are saved (under ``rater``).
    codebook_path : path, optional
        The demand codebook file patterns are added to.
    suggester : DemandSuggester, optional
        Fitted; orders the queue by uncertainty and pre-fills its suggestion.
    rater : str
        "first", or e.g. "second" for a blind second rating.
    blind : bool
        Show no suggestion (for a second rater).
    reviewer : str, optional
        Who is labelling. Another reviewer's label of the same contact is kept as a further
        rating, never overwritten (several people can review at once, at different desks).
    """

    def __init__(self, contacts: pd.DataFrame, store: CaptureStore, *, codebook_path=None, suggester=None,
                 rater: str = "first", blind: bool = False, reviewer: str | None = None):
        import ipywidgets as w

        self.store, self.rater, self.blind, self.reviewer = store, rater, blind, reviewer
        self.codebook_path = codebook_path
        self.contacts = contacts.reset_index(drop=True)
        self.suggestions = None
        if suggester is not None and len(self.contacts):
            self.suggestions = suggester.suggest(self.contacts["verbatim"])
            order = suggester.review_order(self.suggestions)
            self.contacts = self.contacts.loc[order].reset_index(drop=True)
            self.suggestions = self.suggestions.loc[order].reset_index(drop=True)
        self.position = 0
        codebook = load_demand_codebook(codebook_path) if codebook_path else None
        types = sorted(codebook.types["demand_type"]) if codebook is not None else []
        self.header = w.HTML()
        self.verbatim = w.HTML()
        self.hint = w.HTML()
        self.demand_type = w.Combobox(options=types, description="Type", ensure_option=False)
        self.value_or_failure = w.ToggleButtons(options=["value", "failure"], value="value", description="Demand")
        self.failure_subtype = w.Dropdown(options=[""] + list(store.failure_subtypes), value="", description="Failure kind")
        self.pattern = w.Text(description="Pattern", placeholder="words that recognise this type")
        save, skip, add = (w.Button(description="Save label", button_style="primary"), w.Button(description="Skip"),
                           w.Button(description="Add pattern to codebook"))
        save.on_click(lambda _: self.save())
        skip.on_click(lambda _: self.skip())
        add.on_click(lambda _: self.add_pattern())
        self.message = w.HTML()
        self.widget = w.VBox([self.header, self.verbatim, self.hint, self.demand_type, self.value_or_failure,
                              self.failure_subtype, w.HBox([save, skip]), w.HBox([self.pattern, add]), self.message])
        self._show()

    @property
    def current(self) -> pd.Series | None:
        return self.contacts.iloc[self.position] if self.position < len(self.contacts) else None

    def _show(self) -> None:
        row = self.current
        if row is None:
            self.header.value = f"<p><strong>Queue done</strong>: {len(self.contacts):,} contacts.</p>"
            self.verbatim.value = self.hint.value = ""
            return
        self.header.value = f"<p>Contact {self.position + 1:,} of {len(self.contacts):,} ({escape(row['contact_id'])})</p>"
        self.verbatim.value = f"<blockquote>{escape(row['verbatim'])}</blockquote>"
        if self.suggestions is not None and not self.blind:
            s = self.suggestions.iloc[self.position]
            self.hint.value = (f"<p>Suggested: <strong>{escape(s['suggested_type'])}</strong> "
                               f"({s['confidence']:.0%} sure; next: {escape(s['runner_up'])})</p>")
            self.demand_type.value = str(s["suggested_type"])
            if s["value_or_failure"] in ("value", "failure"):
                self.value_or_failure.value = s["value_or_failure"]
        else:
            self.hint.value = ""
            self.demand_type.value = ""
        self.failure_subtype.value = ""

    def save(self) -> bool:
        """Save the label shown for the current contact, then move on. False if refused."""
        row = self.current
        if row is None:
            return False
        try:
            self.store.label(row["contact_id"], self.demand_type.value, self.value_or_failure.value,
                             self.failure_subtype.value or None, rater=self.rater, reviewer=self.reviewer)
        except CaptureError as exc:
            self.message.value = f"<p style='color:#a00'>Not saved: {escape(exc)}</p>"
            return False
        self.message.value = f"<p style='color:#2a7f2a'>Saved {escape(row['contact_id'])}.</p>"
        self.position += 1
        self._show()
        return True

    def skip(self) -> None:
        self.position += 1
        self._show()

    def add_pattern(self) -> bool:
        """Add the pattern typed to the codebook under the type shown; refused patterns say why."""
        if not self.codebook_path:
            self.message.value = "<p style='color:#a00'>No codebook file to add to.</p>"
            return False
        try:
            add_pattern(self.codebook_path, self.demand_type.value.strip(), self.pattern.value)
        except StudylibError as exc:        # a pattern refused, a full disk, a read-only folder
            self.message.value = f"<p style='color:#a00'>Not added: {escape(exc)}</p>"
            return False
        self.message.value = (f"<p style='color:#2a7f2a'>Added {escape(self.pattern.value)!s} to "
                              f"{escape(self.demand_type.value)} (previous codebook kept as .bak).</p>")
        self.pattern.value = ""
        return True


def second_rater_sample(contacts: pd.DataFrame, n: int = 50, *, seed: int = 0) -> pd.DataFrame:
    """A random sample of labelled contacts for a second person to label blind (ids and verbatims only)."""
    labelled = contacts[contacts["demand_type"].notna()]
    return labelled.sample(n=min(n, len(labelled)), random_state=seed)[["contact_id", "verbatim"]].reset_index(drop=True)


def store_agreement(contacts: pd.DataFrame, store: CaptureStore, *, rater: str = "second"):
    """Cohen's kappa between the contacts' labels and a second rater's in the store.

    Returns ``(summary, disagreements)`` as :func:`studylib.measures.demand.rater_agreement`, the
    disagreements with each contact's verbatim.
    """
    from ..measures.demand import rater_agreement
    second = store.labels(rater).set_index("contact_id")["demand_type"]
    first = contacts.set_index("contact_id")["demand_type"]
    both = first.index.intersection(second.index)
    summary, disagreements = rater_agreement(first.loc[both], second.loc[both], ids=both)
    verbatims = contacts.set_index("contact_id")["verbatim"]
    disagreements["verbatim"] = disagreements["id"].map(verbatims)
    return summary, disagreements


class LiveCounts:
    """Contacts so far by type and value or failure, refreshed as other desks add to the store,
    without re-running the notebook (a timer in the kernel; ``refresh()`` does one update).

    Parameters
    ----------
    store : CaptureStore
    every : float
        Seconds between refreshes once :meth:`start` is called.
    """

    def __init__(self, store: CaptureStore, *, every: float = 5.0, period=None):
        import ipywidgets as w
        self.store, self.every = store, every
        self.period = period if period and all(p is not None for p in period) else None
        self.widget = w.HTML()
        self._timer = None
        self.refresh()

    def refresh(self) -> pd.DataFrame:
        """Read the store now and show its counts; returns them."""
        try:
            counts = self.store.counts()
        except CaptureError as exc:          # a server away for a moment: say so, try again next time
            self.widget.value = f"<p style='color:#a00'>{escape(exc)}</p>"
            return pd.DataFrame()
        total = int(counts["contacts"].sum()) if len(counts) else 0
        rows = "".join(f"<tr><td>{escape(r.demand_type)}</td><td>{escape(r.value_or_failure)}</td><td>{r.contacts:,}</td></tr>"
                       for r in counts.itertuples())
        now = pd.Timestamp.now(tz=self.store.timezone)
        outside = ""
        if self.period and total:
            n = int(outside_period(self.store.to_frame()["received_at"], *self.period).sum())
            if n:
                outside = (f"<p style='color:#ED8B00'>{contacts_words(n)} {'is' if n == 1 else 'are'} dated outside "
                           f"the study's period ({escape(period_words(self.period))}): the check leaves "
                           f"{'it' if n == 1 else 'them'} out.</p>")
        self.widget.value = (f"<p><b>{contacts_words(total)}</b> captured so far (at {now:%H:%M:%S})</p>{outside}"
                             "<table><thead><tr><th>type</th><th>value or failure</th><th>contacts</th></tr></thead>"
                             f"<tbody>{rows}</tbody></table>")
        return counts

    def start(self) -> "LiveCounts":
        """Refresh every ``every`` seconds until :meth:`stop` (or the kernel ends)."""
        import threading

        def tick():
            self.refresh()
            if self._timer is not None:
                self._timer = threading.Timer(self.every, tick)
                self._timer.daemon = True
                self._timer.start()
        self._timer = threading.Timer(self.every, tick)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
