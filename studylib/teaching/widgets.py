"""What the team expects before a figure, and what it makes of it after (ipywidgets): predictions
and reflections written to the study folder.
"""
from __future__ import annotations

from ..text import escape
from .predictions import (PREDICTIONS, REFLECTION_PROMPTS, REFLECTION_STAGES, read_predictions, read_reflections,
                          save_prediction, save_reflection)

__all__ = ["PredictionForm", "ReflectionForm"]


class PredictionForm:
    """Ask for predictions before the data answers; each is saved to ``predictions.yml`` on *Save*.

    Parameters
    ----------
    study : str or Path
        The study folder.
    keys : list of str
        Keys of :data:`studylib.teaching.PREDICTIONS` to ask (a stage asks its own).
    """

    def __init__(self, study, keys):
        import ipywidgets as w
        self.study = study
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
        for key, field in self.fields.items():
            if field.value.strip():
                try:
                    save_prediction(self.study, key, field.value)
                except ValueError as exc:
                    problems.append(str(exc))
        self.message.value = ("<p style='color:#a00'>Not saved: " + escape("; ".join(problems)) + "</p>" if problems
                              else "<p style='color:#2a7f2a'>Saved to predictions.yml. Now run the next cells.</p>")
        return not problems


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
        self.message.value = "<p style='color:#2a7f2a'>Saved to reflections.yml: the summary report quotes it.</p>"
        return True
