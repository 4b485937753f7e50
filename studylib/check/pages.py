"""What a stage notebook shows around its figures: the stage opened from the check's results, what
to bear in mind, the team's predictions and reflections, and the summary's stage headings.
"""
from __future__ import annotations

from ..prose.show import four_parts, say, table
from ..text import and_list, configure_privacy, escape, private, redact
from ..teaching.predictions import prediction_table, read_skips, reflections_table
from .results import NEEDS, STAGES

__all__ = ["open_stage", "caveats", "flow_gaps", "every_service", "demand_gaps", "how_counted", "left_out", "predictions_beside", "team_reflections", "stage_heading",
           "say", "table", "four_parts", "private"]


def caveats(results, stage: str):
    """What a reader should bear in mind for a stage, in words (the study's warnings), or nothing."""
    from IPython.display import HTML
    notes = results.stage_caveats(stage)
    if not notes:
        return HTML("")
    items = "".join(f"<li>{escape(redact(n))}</li>" for n in notes)
    return HTML(f"<h3>Bear in mind</h3><ul class=\"caveats\">{items}</ul>")


def predictions_beside(results, stage: str | None = None, *, level: int = 3):
    """What the team predicted beside what the data says ("The team expected 20% failure demand; it
    is 49%."), from the study's predictions.yml as it is now; nothing when it holds none for the stage.

    With no ``stage`` (the summary), every prediction the check read, as a table.
    """
    from IPython.display import HTML
    skipped = read_skips(results.study.path) if results.study.path else []
    if stage is None:
        t = prediction_table(results, results.predictions)
        looked = (f" The team looked at the results of {and_list(skipped)} before writing its predictions for "
                  f"{'it' if len(skipped) == 1 else 'them'}." if skipped else "")
        if t.empty:
            return say("The team wrote down no predictions before looking at the figures: "
                       "next time, write what you expect first, and see by how much the data differs." + looked)
        shown = table(t[["measure", "you_expected", "it_is"]], max_rows=None)
        return HTML(shown.data + say(looked.strip()).data) if looked else shown
    t = prediction_table(results, stage=stage, who="The team")
    looked = ("<p>The team chose to see these results before writing its predictions.</p>"
              if stage in skipped else "")
    if t.empty:
        return HTML(looked and f"<h{level}>What the team expected</h{level}>{looked}")
    items = "".join(f"<li>{escape(redact(text))}</li>" for text in t["sentence"])
    return HTML(f"<h{level}>What the team expected</h{level}><ul>{items}</ul>{looked}")


def team_reflections(results):
    """What the team wrote after each stage (reflections.yml), quoted, escaped and redacted."""
    t = reflections_table(results.reflections)
    if t.empty:
        return say("The team has not written its reflections yet.")
    return table(t, max_rows=None)


def open_stage(results, notebook: str):
    """Set up a stage notebook from the check's results: privacy from the settings, and a sentence
    saying why the stage has nothing to show when its data is missing. Returns whether it has."""
    from IPython.display import display
    configure_privacy(redact=results.settings.get("redact", True), never_show=results.study.config.get("never_show"))
    rec = results.stages[results.stages["notebook"] == notebook]
    if len(rec) and rec["status"].iloc[0] == "skipped":
        need = next(n for stem, _, n in STAGES if stem == notebook)
        reason, text, lines = NEEDS[need]
        display(say(f"This stage was skipped: {reason}. {text} Add to study.yml:"))
        from IPython.display import HTML
        display(HTML(f"<pre>{escape(lines)}</pre>"))
        return False
    return True


def stage_heading(results, notebook: str, title: str):
    """A stage's heading in the summary, linking to its report, with "skipped: why" when it has no data."""
    from IPython.display import HTML
    rec = results.stages[results.stages["notebook"] == notebook]
    skipped = f" <em>(skipped: {escape(rec['reason'].iloc[0])})</em>" if len(rec) and rec["status"].iloc[0] == "skipped" else ""
    return HTML(f'<h2>{escape(title)}</h2><p><a href="{escape(notebook)}.html">The {escape(title.lower())} report</a>'
                f"{skipped}</p>")


def flow_gaps(results) -> dict[str, str]:
    """What the flow data cannot show: measure -> why, in words (empty when it can show it all).

    The flow stage's ``lacks`` (:func:`studylib.measures.flow.data_lacks`: ``steps``, ``people``,
    ``solved``, ``finished``, ``open_only``), and ``target`` where study.yml sets no end-to-end target.
    """
    flow = results.flow or {}
    if flow.get("times") is None or not len(flow["times"]):
        return {"finished": "there are no cases", "steps": "there are no cases"}
    gaps = dict(flow.get("lacks") or {})
    if not any(t is not None for t in (flow.get("targets") or {}).values()):
        gaps["target"] = "the study sets no end-to-end target"
    return gaps


def every_service(results):
    """Every service of the study in one table, largest first, folded under its heading (the front
    page, the summary, and the stages that chart only the largest); None for a study of one service."""
    from ..prose.show import folded, table
    services = results.services
    if len(services) < 2:
        return None
    shown = services.dropna(axis=1, how="all")
    words = say(f"Each service's contacts and failure demand, its cases (open ones too) and the mean days of its "
                f"finished cases on the customer's clock, for the system as it is now, and its capability verdict. "
                f"The largest {min(len(results.charted), len(services)):,} are charted and described one by one.").data
    return folded(f"Every service ({len(services):,}), largest first",
                  words + table(shown, formats={"failure_share": "{:.0%}", "end_to_end_mean": "{:.1f}"},
                                max_rows=None).data)


def left_out(reason: str):
    """A section the data cannot support: in JupyterLab, a sentence that says so and why; in a
    report, a mark that leaves the whole section out, its heading too (one sentence at the top of
    the report names every section left out and why)."""
    from IPython.display import HTML
    return HTML(f'<p class="left-out" data-reason="{escape(redact(reason))}">This section is left out: '
                f"{escape(redact(reason))}.</p>")


def demand_gaps(results) -> dict[str, str]:
    """What the demand data cannot show: measure -> why, in words (empty when it can show it all).

    ``labels``: no contact is labelled value or failure; ``customers``: no customer reference;
    ``weeks``: too few whole weeks to judge whether demand is predictable; ``costs``: study.yml
    gives no unit costs.
    """
    d = results.demand or {}
    gaps = {}
    overall = d.get("overall")
    if overall is None or not len(overall) or not int(overall["labelled"].iloc[0]):
        gaps["labels"] = "no contact is labelled value or failure yet"
    if d.get("customers") is None:
        gaps["customers"] = "the demand data carries no customer reference"
    if d.get("predictability") is None:
        gaps["weeks"] = "there are too few whole weeks of data to judge"
    if d.get("costs") is None:
        gaps["costs"] = "the study gives no unit cost for its channels"
    return gaps


def how_counted(settings: dict | None = None):
    """How each figure is counted (:func:`studylib.prose.counted.counted`), as a definition list
    with the id the reports link to; escaped."""
    from IPython.display import HTML
    from ..prose.counted import COUNTED_ID, counted
    items = "".join(f"<dt>{escape(redact(name))}</dt><dd>{escape(redact(text))}</dd>"
                    for name, text in counted(settings))
    return HTML(f'<dl class="counted" id="{COUNTED_ID}">{items}</dl>')
