"""Teaching the check by doing it: predictions written before the figures and set beside them,
exercises checked at once with a hint (never the answer), and the team's reflections.

The forms (:mod:`studylib.teaching.widgets`) need ipywidgets and are imported on their own.
"""
from __future__ import annotations

from .exercises import EXERCISES, check_answer, solution
from .predictions import (PREDICTIONS, REFLECTION_PROMPTS, REFLECTION_STAGES, prediction_sentence, prediction_table,
                          purpose_check, read_predictions, read_reflections, reflections_table, save_prediction,
                          save_reflection)

__all__ = ["check_answer", "solution", "EXERCISES", "PREDICTIONS", "REFLECTION_PROMPTS", "REFLECTION_STAGES",
           "read_predictions", "save_prediction", "prediction_table", "prediction_sentence", "read_reflections",
           "save_reflection", "reflections_table", "purpose_check"]
