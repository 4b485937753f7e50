"""What the team expects before a figure, and what it makes of it after (ipywidgets): predictions
and reflections written to the study folder.
"""
from __future__ import annotations

from ..errors import StudylibError
from ..text import escape
from .numbers import read_number, said
from .predictions import (PREDICTIONS, REFLECTION_PROMPTS, REFLECTION_STAGES, read_judgements, read_predictions,
                          read_reflections, read_skips, record_skip, save_judgement, save_prediction, save_reflection)

__all__ = ["PredictFirst", "PredictionForm", "ReflectionForm", "JudgementForm", "always_open"]

#: Said after a save that could not be written: nothing typed is lost.
_KEPT = "What you typed is still in the boxes: save again when the folder can be written."


def always_open(later=None):
    """What a results cell folds with where nothing is folded (a report, predictions already in):
    ``with fold():`` runs as written, and ``fold(later)`` shows ``later()`` at once."""
    from contextlib import nullcontext

    from IPython.display import display
    if later is not None:
        display(later())
        return None
    return nullcontext()


class PredictionForm:
    """Ask for predictions before the data answers; each is saved to ``predictions.yml`` on *Save*.

    Parameters
    ----------
    study : str or Path
        The study folder.
    keys : list of str
        Keys of :data:`studylib.teaching.PREDICTIONS` to ask (a stage asks its own).
    """

    def __init__(self, study, keys, *, on_saved=None):
        import ipywidgets as w
        self.study, self.on_saved = study, on_saved
        known, _ = read_predictions(study)
        self.fields = {}
        rows = []
        for key in keys:
            p = PREDICTIONS[key]
            value = known.get(key)
            shown = "" if value is None else (f"{value:.0%}" if p.kind == "share" else f"{value:g}")
            self.fields[key] = w.Text(value=shown, placeholder="20%" if p.kind == "share" else "a number",
                                      layout=w.Layout(width="8em"))
            rows.append(w.HBox([w.HTML(f"<p>{escape(p.question)}</p>", layout=w.Layout(width="70%")), self.fields[key]]))
        self.save_button = w.Button(description="Save predictions", button_style="primary", icon="check")
        self.save_button.on_click(lambda _: self.save())
        self.message = w.HTML()
        self.widget = w.VBox(rows + [self.save_button, self.message])

    def save(self) -> bool:
        """Save every prediction filled in; say which could not be read. Returns whether all were saved."""
        problems = []
        filled = {key: field.value for key, field in self.fields.items() if field.value.strip()}
        if not filled:
            self.message.value = ("<p style='color:#a00'>Nothing saved: write what you expect in "
                                  + ("the box" if len(self.fields) == 1 else "each box") + " first.</p>")
            return False
        saved = []
        for key, value in filled.items():
            try:
                save_prediction(self.study, key, value)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            except StudylibError as exc:        # a full disk, a read-only folder: no key can be saved
                problems.append(f"{exc} {_KEPT}")
                break
            number, _, note = read_number(value, PREDICTIONS[key].kind)
            saved.append(PREDICTIONS[key].words.format(said(number, PREDICTIONS[key].kind))
                         + (f" ({note})" if note else ""))
        missing = [k for k in self.fields if k not in filled]
        whole = len(saved) == len(self.fields)
        kept = (f"Saved {'' if whole else f'{len(saved)} of {len(self.fields)} '}to predictions.yml: "
                + "; ".join(saved) + ". ") if saved else ""
        if problems:
            self.message.value = (f"<p style='color:#a00'>{escape(kept)}Not saved: " + escape("; ".join(problems))
                                  + "</p>")
        elif missing:
            self.message.value = f"<p style='color:#ED8B00'>{escape(kept)}Fill in the rest too.</p>"
        else:
            self.message.value = f"<p style='color:#2a7f2a'>{escape(kept)}The results below are open now.</p>"
        done = not problems and not missing
        if done and self.on_saved:
            self.on_saved()
        return done


class ReflectionForm:
    """The reflection prompts of one stage; *Save* writes the answers to ``reflections.yml``."""

    def __init__(self, study, stage: str):
        import ipywidgets as w
        if stage not in REFLECTION_STAGES:
            raise ValueError(f"{stage!r} is not one of {list(REFLECTION_STAGES)}")
        self.study, self.stage = study, stage
        known, _ = read_reflections(study)
        self.fields = {key: w.Textarea(value=known.get(stage, {}).get(key, ""), description="",
                                       placeholder=prompt, layout=w.Layout(width="95%", height="4em"))
                       for key, prompt in REFLECTION_PROMPTS.items()}
        rows = [w.VBox([w.HTML(f"<b>{escape(REFLECTION_PROMPTS[key])}</b>"), field]) for key, field in self.fields.items()]
        self.save_button = w.Button(description="Save reflections", button_style="primary", icon="check")
        self.save_button.on_click(lambda _: self.save())
        self.message = w.HTML()
        self.widget = w.VBox(rows + [self.save_button, self.message])

    def save(self) -> bool:
        try:
            save_reflection(self.study, self.stage, {k: f.value for k, f in self.fields.items()})
        except ValueError as exc:
            self.message.value = f"<p style='color:#a00'>Not saved: {escape(exc)}</p>"
            return False
        except StudylibError as exc:
            self.message.value = f"<p style='color:#a00'>Not saved: {escape(f'{exc} {_KEPT}')}</p>"
            return False
        self.message.value = "<p style='color:#2a7f2a'>Saved to reflections.yml: the summary report quotes it.</p>"
        return True


class JudgementForm:
    """A stage's judgement question (:data:`studylib.teaching.judgements.JUDGEMENTS`): the learner
    writes an answer, and only then reads the model answer made from this study's figures. The
    answer is kept in ``judgements.yml`` as it was written, before the model answer was read; once
    it is saved the box is locked (what you would change goes in the reflections below).

    Parameters
    ----------
    study : str or Path
    stage : str
        A key of :data:`studylib.teaching.REFLECTION_STAGES`, e.g. "capability".
    results : CheckResults
        The check's results: the model answer is made from them.
    """

    #: Fewer words than this is not yet an answer to compare.
    MIN_WORDS = 8

    def __init__(self, study, stage: str, results):
        import ipywidgets as w
        from .judgements import JUDGEMENTS
        if stage not in JUDGEMENTS:
            raise ValueError(f"{stage!r} has no judgement question; stages: {list(JUDGEMENTS)}")
        self.study, self.stage, self.results = study, stage, results
        known, _ = read_judgements(study)
        written = known.get(stage, {}).get("answer", "")
        self.box = w.Textarea(value=written, placeholder="Your answer, in a few sentences", layout=w.Layout(width="95%", height="6em"))
        self.button = w.Button(description="Compare with a model answer", icon="balance-scale",
                               layout=w.Layout(width="auto"), disabled=True)
        self.button.on_click(lambda _: self.compare())
        self.message = w.HTML()
        self.model = w.HTML()
        self.box.observe(lambda _: self._ready(), names="value")
        self.widget = w.VBox([w.HTML(f"<p><b>{escape(JUDGEMENTS[stage].question)}</b></p>"), self.box, self.button,
                              self.message, self.model])
        if written:
            self._show()
        else:
            self._ready()

    def _ready(self) -> None:
        words = len(self.box.value.split())
        self.button.disabled = words < self.MIN_WORDS
        self.message.value = ("" if words >= self.MIN_WORDS else
                              f"<p style='color:#425563'>Write your answer first ({self.MIN_WORDS} words at least): the "
                              "model answer opens once it is saved.</p>")

    def compare(self) -> bool:
        """Save the answer as written, then show the model answer. Returns whether it was saved."""
        if len(self.box.value.split()) < self.MIN_WORDS:
            self._ready()
            return False
        try:
            save_judgement(self.study, self.stage, self.box.value)
        except ValueError as exc:
            self.message.value = f"<p style='color:#a00'>Not saved: {escape(exc)}</p>"
            return False
        except StudylibError as exc:       # the folder cannot be written: the answer stays in the box
            self.message.value = f"<p style='color:#a00'>Not saved: {escape(f'{exc} {_KEPT}')}</p>"
            return False
        self._show()
        self.message.value = "<p style='color:#2a7f2a'>Saved to judgements.yml, as you wrote it.</p>"
        return True

    def _show(self) -> None:
        from ..text import redact
        from .judgements import model_answer
        self.box.disabled = True
        self.button.disabled = True
        self.button.layout.display = "none"
        model = model_answer(self.stage, self.results)
        self.model.value = ("<div style='border-left:4px solid #005EB8;padding:.3em .8em'><p><b>A model answer, from "
                            f"this study's figures.</b> {escape(redact(model))}</p><p>Where yours differs, is it the "
                            "data or the thinking? Put what you would change in the reflections below.</p></div>"
                            if model else "<p>This study's data cannot make a model answer to this question yet: "
                                          "compare yours with the sample study's (studylib sample).</p>")


class PredictFirst:
    """A stage's predictions first: its results stay folded until they are saved.

    The stage notebook shows :attr:`widget` (the prediction form and a "Show without predicting"
    button) and runs each results cell inside ``with fold():``. While folded, a cell's output is
    captured in the kernel and a one-line note stands in its place; saving every prediction, or
    choosing to see the results without predicting (recorded in ``predictions.yml`` under
    ``shown_without_predicting``), opens them all at once. Already-saved predictions, or
    ``active=False`` (a report run by the check), leave the results open from the start.

    Parameters
    ----------
    study : str or Path
    keys : list of str
        The stage's predictions (keys of :data:`studylib.teaching.PREDICTIONS`).
    stage : str
        The stage's title, e.g. "Capability".
    active : bool
        False where nobody is there to predict: the check's report runs.
    """

    def __init__(self, study, keys, stage: str, *, active: bool = True):
        import ipywidgets as w
        self.study, self.keys, self.stage = study, list(keys), stage
        known, _ = read_predictions(study)
        self.opened = (not active or all(k in known for k in self.keys)
                       or stage in read_skips(study))
        self.folded: list = []
        self.form = PredictionForm(study, self.keys, on_saved=lambda: self.open())
        self.skip_button = w.Button(description="Show without predicting", icon="eye",
                                    layout=w.Layout(width="auto"))
        self.skip_button.on_click(lambda _: self.show_without_predicting())
        self.note = w.HTML("" if self.opened else
                           "<p>The results below stay folded until you save your predictions. To look first, "
                           "choose <b>Show without predicting</b>: the summary report will say so.</p>")
        self.widget = w.VBox([self.form.widget, self.note, self.skip_button])
        self.active = active
        if self.opened and active:
            self._lock()

    def _lock(self) -> None:
        """Once the results are open, a prediction stays as it was made (a guess changed after seeing
        the answer is no prediction), and looking first can no longer be chosen."""
        for field in self.form.fields.values():
            field.disabled = True
        self.form.save_button.disabled = True
        self.skip_button.disabled = True
        self.skip_button.layout.display = "none"

    def fold(self, later=None):
        """A context for one results cell: its output, folded until the predictions are in.

        ``later`` (a function returning something to display) is for output that depends on the
        predictions themselves, such as the predictions set beside the results: it is called when
        the results open, not before.
        """
        if self.opened:
            return always_open(later)
        if later is not None:
            from IPython.display import HTML, display
            self.folded.append((display(HTML(_FOLDED), display_id=True), later))
            return None
        return _Fold(self)

    def open(self) -> None:
        """Unfold every results cell: each folded placeholder is replaced by the cell's output."""
        from IPython.display import HTML
        self.opened = True
        for handle, html in self.folded:
            if callable(html):
                html = _as_html_of(html)
            if handle is not None:
                handle.update(HTML(html))
        self.note.value = ""
        if self.active:
            self._lock()
            self.form.message.value += ("<p style='color:#425563'>Locked: the results are open, so these predictions "
                                        "stay as you made them.</p>")

    def show_without_predicting(self) -> None:
        """Open the results without predictions, and record that choice in predictions.yml (not once
        they are open: the team predicted first, or has already chosen to look)."""
        if self.opened:
            return
        try:
            record_skip(self.study, self.stage)
        except (ValueError, StudylibError) as exc:     # the choice must be recorded before the results open
            self.note.value = (f"<p style='color:#a00'>Still folded: seeing the results without predicting is "
                               f"recorded in predictions.yml first, and it could not be: {escape(exc)}</p>")
            return
        self.open()
        self.note.value = ("<p>Shown without predicting: predictions.yml records it, and the summary report "
                           "says so.</p>")


_FOLDED = ("<p style='color:#425563'><i>Folded until this stage's predictions are saved (the form above), "
           "or you choose Show without predicting.</i></p>")


class _Fold:
    """Capture one cell's output in the kernel (IPython's ``capture_output``: no widget, nothing sent
    to the page) and show a note under a display id that :meth:`PredictFirst.open` replaces."""

    def __init__(self, gate: PredictFirst):
        self.gate = gate

    def __enter__(self):
        from IPython.utils.capture import capture_output
        self._capture = capture_output()
        self._io = self._capture.__enter__()
        return self

    def __exit__(self, *exc):
        from IPython.display import HTML, display
        self._capture.__exit__(*exc)
        if exc[0] is not None:           # the error is shown as it is, with what the cell had said
            self._io.show()
            return False
        handle = display(HTML(_FOLDED), display_id=True)
        self.gate.folded.append((handle, _as_html(self._io)))
        return False


def _as_html_of(later) -> str:
    from IPython.display import display
    from IPython.utils.capture import capture_output
    with capture_output() as captured:
        display(later())
    return _as_html(captured)


def _as_html(captured) -> str:
    """What a cell displayed, as one piece of HTML: its rich outputs in order, then what it printed."""
    import html
    parts = []
    for output in captured.outputs:
        data = output.data
        if "text/html" in data:
            parts.append(data["text/html"])
        elif "image/png" in data:
            parts.append(f'<img src="data:image/png;base64,{data["image/png"]}" alt="">')
        elif "text/plain" in data:
            parts.append(f"<pre>{html.escape(data['text/plain'])}</pre>")
    if captured.stdout:
        parts.append(f"<pre>{html.escape(captured.stdout)}</pre>")
    return "".join(parts)
