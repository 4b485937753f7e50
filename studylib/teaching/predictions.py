"""Learning the check by doing it: predictions before the data answers, reflections after.

A team writes what it expects before it looks at a figure (``predictions.yml`` in the study
folder), and what it made of each stage afterwards (``reflections.yml``). Both are the team's own
files: written by hand or by the small forms in :mod:`studylib.capture.widgets` and :mod:`studylib.teaching.widgets`, read here, checked key by
key, and set beside the results. A value that cannot be read is not a reason to stop a check: it
is left out, and the problem is said in words (a caveat of the summary).

``predictions.yml``::

    failure_share: 0.2       # or 20%: the share of contacts that are failure demand
    end_to_end_days: 10      # average days from first contact to problem solved, system as it is now
    clean_share: 0.6         # the share of cases that arrive clean (no dirty step)
    handoffs_per_case: 2     # hand-offs in an average case
    longest_wait_days: 30    # the most a customer should expect to wait (the upper limit)

``reflections.yml``::

    demand:
      surprised: How much of the phone traffic is chasing.
      manager: The chasing calls, in the customers' words.
      next: Follow ten chased repairs end to end.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

from ..writing import atomic_text
from ..measures.purpose import PURPOSE_WORD_LIMIT, targets_purpose, word_count
from ..text import did_you_mean
from .flow_answers import weighted_mean
from .numbers import read_number, said

__all__ = ["PREDICTIONS", "SKIPPED", "CHANGED", "read_skips", "record_skip", "REFLECTION_PROMPTS", "REFLECTION_STAGES", "read_predictions", "save_prediction",
           "read_judgements", "save_judgement",
           "prediction_table", "prediction_sentence", "read_reflections", "save_reflection",
           "reflections_table", "purpose_check"]


# -- predictions --------------------------------------------------------------------------------

def _current(figures: pd.DataFrame) -> pd.DataFrame:
    return figures[figures["current"].astype(bool)] if "current" in figures else figures


def _failure_share(results) -> float | None:
    overall = results.demand.get("overall") if results.demand else None
    share = math.nan if overall is None or overall.empty else float(overall["failure_share"].iloc[0])
    return None if math.isnan(share) else share


def _flow_figure(column: str, weight: str):
    def get(results):
        if not results.flow:
            return None
        return weighted_mean(_current(results.flow["figures"]), column, weight)
    return get


def _longest_wait(results) -> float | None:
    """The upper limit of the current system, only where a range can be promised (predictable)."""
    uppers = []
    for limits in (results.capability.get("limits") or {}).values() if results.capability else ():
        if limits.empty:
            continue
        now = limits.iloc[-1]
        if now["status"] != "predictable":
            return None
        uppers.append(float(now["upper"]))
    return max(uppers) if uppers else None


@dataclass(frozen=True)
class Prediction:
    """One figure a team predicts: the question asked, how to read the answer, the result."""

    question: str
    kind: str                                   # "share", "days" or "number"
    stage: str                                  # the stage whose notebook asks it
    words: str                                  # "{} failure demand": how a value is said
    result: Callable[[object], float | None]
    label: str = ""                             # the measure, as a report's table names it
    unknown: str = "cannot tell yet"            # what the data says when it cannot give the figure


PREDICTIONS: dict[str, Prediction] = {
    "failure_share": Prediction(
        "What share of all contacts do you expect to be failure demand (caused by a failure to do "
        "something, or do it right, for the customer)?", "share", "Demand", "{} failure demand", _failure_share,
        "failure demand, share of contacts"),
    "end_to_end_days": Prediction(
        "How many days, on average, do you expect a customer to wait from first contact to the problem "
        "solved, in the system as it is now (the customer's clock)?", "days", "Capability",   # 03 charts it first
        "an average wait of {} from first contact to the problem solved", _flow_figure("end_to_end_mean", "finished"),
        "customer's wait, first contact to solved, mean days (system as it is now)"),
    "clean_share": Prediction(
        "What share of cases do you expect to arrive clean: with what the work needs, so that nobody has to go back to the customer for more?", "share", "Flow",
        "{} of cases to arrive clean", _flow_figure("clean_share", "cases"),
        "cases arriving clean (system as it is now)"),
    "handoffs_per_case": Prediction(
        "How many hand-offs do you expect an average case to go through?", "number", "Flow",
        "{} hand-offs per case", _flow_figure("handoffs_mean", "cases"),
        "hand-offs per case (system as it is now)"),
    "longest_wait_days": Prediction(
        "What is the longest a customer should expect to wait in the system as it is now (days)?", "days",
        "Capability", "the longest wait to be {}", _longest_wait,
        "longest wait the system will deliver, days", "no range: the system is not predictable or has too few cases"),
}


def _read_value(key: str, value) -> tuple[float | None, str | None]:
    """A prediction as a number, or the problem with it in words (a share read as every other
    typed share is: 0.2, 20% and 20 alike)."""
    number, problem, _ = read_number(value, PREDICTIONS[key].kind)
    if problem:
        return None, f"{key}: {problem}"
    if number is not None and number < 0:
        return None, f"{key}: {str(value).strip()} is below 0"
    return number, None


def _yaml_mapping(path: Path, what: str) -> tuple[dict, list[str]]:
    if not path.exists():
        return {}, []
    from ..errors import ConfigError
    from ..read.yamlfile import load_yaml
    try:
        text = path.read_text(encoding="utf-8")
        data = load_yaml(text)
    except ConfigError as err:          # too large, or unfolding without end through its aliases
        return {}, [f"{path.name} could not be read: {str(err).replace('the YAML file ', 'it ', 1)}; it should "
                    f"hold {what}"]
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return {}, [f"{path.name} could not be read{where}; it should hold {what}"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{path.name} should hold {what}, not a {type(data).__name__}"]
    return data, []


def read_predictions(study: str | Path) -> tuple[dict[str, float], list[str]]:
    """The team's predictions in ``predictions.yml`` (none when the file is missing).

    Returns
    -------
    (predictions, problems): the values that could be read, by key; and each problem in words
    (an unknown key names the nearest known one). Values written as ``20%`` are shares.
    """
    data, problems = _yaml_mapping(Path(study) / "predictions.yml", "a prediction for each key: failure_share: 0.2")
    out = {}
    for key, value in data.items():
        if key in (SKIPPED, CHANGED):
            continue
        if key not in PREDICTIONS:
            problems.append(f"predictions.yml: '{key}' is not a prediction studylib knows{did_you_mean(key, PREDICTIONS)} "
                            f"(known: {', '.join(PREDICTIONS)})")
            continue
        number, problem = _read_value(key, value)
        if problem:
            problems.append(f"predictions.yml: {problem}")
        elif number is not None:
            out[key] = number
    return out, problems


def _atomic_yaml(path: Path, header: str, data: dict) -> Path:
    """Written whole through a file beside it; a full disk or a read-only folder is said in words."""
    return atomic_text(path, header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


_PREDICTIONS_HEADER = ("# What the team expected, written before looking at the figures (studylib reads it).\n"
                       "# Shares as 0.2 or 20%; days as a number. Keys: " + ", ".join(PREDICTIONS) + "\n")


def save_prediction(study: str | Path, key: str, value) -> Path:
    """Write one prediction into the study's ``predictions.yml`` (atomically; other keys kept).

    Raises ``ValueError`` with the problem in words when the key or value cannot be used.
    """
    if key not in PREDICTIONS:
        raise ValueError(f"'{key}' is not a prediction studylib knows{did_you_mean(key, PREDICTIONS)}")
    number, problem = _read_value(key, value)
    if problem:
        raise ValueError(problem)
    path = Path(study) / "predictions.yml"
    data, problems = _yaml_mapping(path, "a mapping")
    if problems:
        raise ValueError(problems[0] + "; fix it by hand first")
    if key in data and data[key] != number:     # changed: the first guess is kept, with when it changed
        data[CHANGED] = [*(data.get(CHANGED) or []), {"key": key, "was": data[key], "now": number,
                                                     "at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")}]
    data[key] = number
    return _atomic_yaml(path, _PREDICTIONS_HEADER, data)


#: The key of predictions.yml that lists the stages whose results the team chose to see unpredicted.
SKIPPED = "shown_without_predicting"
#: The key of predictions.yml that keeps each prediction changed after it was made: key, was, now, at.
CHANGED = "changed"


def read_skips(study: str | Path) -> list[str]:
    """The stages (titles) whose results the team looked at before predicting, as recorded."""
    data, _ = _yaml_mapping(Path(study) / "predictions.yml", "a mapping")
    stages = data.get(SKIPPED) or []
    return [str(s) for s in stages] if isinstance(stages, list) else []


def record_skip(study: str | Path, stage: str) -> Path:
    """Record in ``predictions.yml`` that the team chose to see ``stage``'s results without predicting."""
    path = Path(study) / "predictions.yml"
    data, problems = _yaml_mapping(path, "a mapping")
    if problems:
        raise ValueError(problems[0] + "; fix it by hand first")
    keys = [k for k, p in PREDICTIONS.items() if p.stage == stage]
    if keys and all(k in data for k in keys):
        raise ValueError(f"{stage}'s predictions are saved already: the team predicted before it looked, and that "
                         "is what the summary says")
    stages = read_skips(study)
    if stage not in stages:
        data[SKIPPED] = stages + [stage]
    return _atomic_yaml(path, _PREDICTIONS_HEADER, data)


def prediction_sentence(key: str, predicted: float, result: float | None, *, who: str = "You") -> str:
    """"You expected 20% failure demand; it is 49%." (``who``: "The team" in a report)."""
    p = PREDICTIONS[key]
    expected = p.words.format(said(predicted, p.kind))
    if result is None:
        if key == "longest_wait_days":
            return (f"{who} expected {expected}. The system as it is now is not predictable or has too few "
                    "cases, so no longest wait can be promised yet: that is the finding.")
        return f"{who} expected {expected}; the data cannot tell yet."
    return f"{who} expected {expected}; it is {said(result, p.kind)}."


def prediction_table(results, predictions: dict | None = None, *, stage: str | None = None,
                     who: str = "You") -> pd.DataFrame:
    """Each prediction beside its result: ``measure, you_expected, it_is, sentence``.

    ``predictions`` defaults to the study's ``predictions.yml``, read now (a team writes it in the
    notebook just before it looks); ``stage`` keeps the predictions one stage asks.
    """
    if predictions is None:
        predictions, _ = read_predictions(results.study.path)
    rows = []
    for key, predicted in predictions.items():
        p = PREDICTIONS[key]
        if stage is not None and p.stage != stage:
            continue
        result = p.result(results)
        rows.append({"measure": p.label, "you_expected": said(predicted, p.kind),
                     "it_is": p.unknown if result is None else said(result, p.kind),
                     "sentence": prediction_sentence(key, predicted, result, who=who)})
    return pd.DataFrame(rows, columns=["measure", "you_expected", "it_is", "sentence"])


# -- reflections --------------------------------------------------------------------------------

#: What each stage's last cells ask the team.
REFLECTION_PROMPTS = {
    "surprised": "What surprised you?",
    "manager": "What does the manager need to see?",
    "next": "What should you study next?",
}
#: The stages a team reflects on, as keys of reflections.yml, with their titles.
REFLECTION_STAGES = {"purpose": "Purpose", "demand": "Demand", "capability": "Capability", "flow": "Flow",
                     "system_conditions": "System conditions"}


def read_reflections(study: str | Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """What the team wrote after each stage (``reflections.yml``), and the problems reading it."""
    data, problems = _yaml_mapping(Path(study) / "reflections.yml",
                                   "each stage's answers: demand: {surprised: ..., manager: ..., next: ...}")
    out: dict[str, dict[str, str]] = {}
    for stage, answers in data.items():
        if stage not in REFLECTION_STAGES:
            problems.append(f"reflections.yml: '{stage}' is not a stage{did_you_mean(stage, REFLECTION_STAGES)} "
                            f"(stages: {', '.join(REFLECTION_STAGES)})")
            continue
        if answers is None:
            continue
        if not isinstance(answers, dict):
            problems.append(f"reflections.yml: {stage}: should hold surprised:, manager: and next:, not a "
                            f"{type(answers).__name__}")
            continue
        kept = {}
        for prompt, text in answers.items():
            if prompt not in REFLECTION_PROMPTS:
                problems.append(f"reflections.yml: {stage}: '{prompt}' is not a prompt{did_you_mean(prompt, REFLECTION_PROMPTS)} "
                                f"(prompts: {', '.join(REFLECTION_PROMPTS)})")
            elif text is not None and str(text).strip():
                kept[prompt] = re.sub(r"\s+", " ", str(text)).strip()
        if kept:
            out[stage] = kept
    return out, problems


def save_reflection(study: str | Path, stage: str, answers: dict[str, str]) -> Path:
    """Write one stage's answers into ``reflections.yml`` (atomically; other stages kept)."""
    if stage not in REFLECTION_STAGES:
        raise ValueError(f"'{stage}' is not a stage{did_you_mean(stage, REFLECTION_STAGES)}")
    unknown = set(answers) - set(REFLECTION_PROMPTS)
    if unknown:
        raise ValueError(f"unknown prompt(s) {sorted(unknown)}; the prompts are {list(REFLECTION_PROMPTS)}")
    path = Path(study) / "reflections.yml"
    data, problems = _yaml_mapping(path, "a mapping")
    if problems:
        raise ValueError(problems[0] + "; fix it by hand first")
    data[stage] = {k: str(v).strip() for k, v in answers.items() if v is not None and str(v).strip()}
    header = "# What the team made of each stage, in its own words (quoted in the summary report).\n"
    return _atomic_yaml(path, header, data)


def read_judgements(study: str | Path) -> tuple[dict[str, dict], list[str]]:
    """Each stage's answer to its judgement question (``judgements.yml``), as the team wrote it
    before it read the model answer: ``{stage: {"answer": text, "at": when}}``, and the problems."""
    data, problems = _yaml_mapping(Path(study) / "judgements.yml", "each stage's answer: capability: {answer: ...}")
    out = {}
    for stage, entry in data.items():
        if stage not in REFLECTION_STAGES:
            problems.append(f"judgements.yml: '{stage}' is not a stage{did_you_mean(stage, REFLECTION_STAGES)}")
        elif isinstance(entry, dict) and str(entry.get("answer") or "").strip():
            out[stage] = {"answer": str(entry["answer"]).strip(), "at": str(entry.get("at") or "")}
    return out, problems


def save_judgement(study: str | Path, stage: str, answer: str) -> Path:
    """Write one stage's answer to its judgement question into ``judgements.yml`` (atomically; other
    stages kept; the first answer stays, as it was written before the model answer was read)."""
    if stage not in REFLECTION_STAGES:
        raise ValueError(f"'{stage}' is not a stage{did_you_mean(stage, REFLECTION_STAGES)}")
    if not str(answer).strip():
        raise ValueError("write your answer first")
    path = Path(study) / "judgements.yml"
    data, problems = _yaml_mapping(path, "a mapping")
    if problems:
        raise ValueError(problems[0] + "; fix it by hand first")
    if isinstance(data.get(stage), dict) and data[stage].get("answer"):
        raise ValueError(f"{stage}'s answer is saved already, from before the model answer was read")
    data[stage] = {"answer": str(answer).strip(), "at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")}
    header = ("# The team's answer to each stage's judgement question, written before it read the model answer.\n")
    return _atomic_yaml(path, header, data)


def reflections_table(reflections: dict[str, dict[str, str]]) -> pd.DataFrame:
    """``stage, question, answer``, in the order of the check."""
    rows = [{"stage": title, "question": REFLECTION_PROMPTS[prompt], "answer": reflections[key][prompt]}
            for key, title in REFLECTION_STAGES.items() if key in reflections
            for prompt in REFLECTION_PROMPTS if prompt in reflections[key]]
    return pd.DataFrame(rows, columns=["stage", "question", "answer"])


# -- purpose ------------------------------------------------------------------------------------


def purpose_check(offer, results) -> str:
    """The service offer in the customer's terms, its length, and the purpose the targets imply.

    ``offer`` is what the learner wrote (``None`` or ``...``: the purpose in findings.yml).
    """
    findings = results.study.findings or {}
    written = offer if isinstance(offer, str) and offer.strip() else None
    text = written or findings.get("purpose")
    if not text:
        return ("Write the service offer in the customer's terms in the cell above (what would a customer say the "
                "service is for?), then run it.")
    words = word_count(text)
    out = [f"Your purpose has {words:,} words" + (
        f": more than {PURPOSE_WORD_LIMIT}. A purpose a team can hold in its head is shorter; cut it to what a "
        "customer would say." if words > PURPOSE_WORD_LIMIT else f", within the {PURPOSE_WORD_LIMIT} it may take.")]
    implied = targets_purpose(results.study.config)
    de_facto = findings.get("de_facto_purpose")
    if implied:
        out.append(f"Beside it, the purpose the targets in study.yml imply: {implied}")
    if de_facto:
        out.append(f"The team's reading of the de facto purpose: {str(de_facto).strip()}")
    if not implied and not de_facto:
        out.append("No targets are recorded in study.yml and no de facto purpose in findings.yml: ask what the "
                   "organisation measures, and write what that rewards.")
    if written and written.strip() != str(findings.get("purpose") or "").strip():
        out.append("When the team agrees it, write it in findings.yml under purpose: so every report shows it.")
    return " ".join(out)
