"""Suggestions while classifying: the software suggests, the people decide.

:class:`DemandSuggester` learns from the contacts the team has labelled (TF-IDF of words and word
pairs, and a multinomial logistic regression, both from scikit-learn) and suggests a demand type,
with its value/failure and a confidence, for the contacts not yet labelled. The review queue
shows the least certain first: that is where a person's label teaches the most.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["DemandSuggester"]


class DemandSuggester:
    """Suggest demand types for unlabelled contacts from the labelled ones.

    Parameters
    ----------
    ngram_range : tuple
        Word n-grams used (default words and pairs of words).
    C : float
        Inverse regularisation strength of the logistic regression.

    Attributes (after :meth:`fit`)
    ------------------------------
    classes_ : list of str
        The demand types learned.
    n_labels_ : int
        Labelled contacts learned from.
    value_or_failure_ : dict
        Each type's value/failure (the most common label the team gave it).

    Examples
    --------
    >>> s = DemandSuggester().fit(labelled["verbatim"], labelled["demand_type"])   # doctest: +SKIP
    >>> s.suggest(unlabelled["verbatim"]).head()                                  # doctest: +SKIP
    """

    def __init__(self, *, ngram_range: tuple[int, int] = (1, 2), C: float = 10.0):
        self.ngram_range = ngram_range
        self.C = C

    def fit(self, texts, demand_types, value_or_failure=None) -> "DemandSuggester":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        frame = pd.DataFrame({"text": pd.Series(list(texts), dtype=object),
                              "type": pd.Series(list(demand_types), dtype=object)})
        if value_or_failure is not None:
            frame["vof"] = pd.Series(list(value_or_failure), dtype=object)
        frame = frame[frame["text"].notna() & frame["type"].notna()]
        frame = frame[frame["text"].astype(str).str.strip().ne("") & frame["type"].astype(str).str.strip().ne("")]
        if frame["type"].nunique() < 2:
            raise ParameterError("need labelled contacts of at least two demand types to suggest anything")
        self.vectorizer_ = TfidfVectorizer(ngram_range=self.ngram_range, sublinear_tf=True, min_df=1,
                                           strip_accents="unicode", lowercase=True)
        features = self.vectorizer_.fit_transform(frame["text"].astype(str))
        self.model_ = LogisticRegression(C=self.C, max_iter=2000)
        with warnings.catch_warnings():
            # Few labels of many types is how a study starts, not a regression problem.
            warnings.filterwarnings("ignore", message="The number of unique classes")
            self.model_.fit(features, frame["type"].astype(str))
        self.classes_ = list(self.model_.classes_)
        self.n_labels_ = len(frame)
        if "vof" in frame:
            self.value_or_failure_ = (frame.dropna(subset=["vof"]).groupby("type")["vof"]
                                      .agg(lambda s: s.value_counts().index[0]).to_dict())
        else:
            self.value_or_failure_ = {}
        return self

    def suggest(self, texts) -> pd.DataFrame:
        """One row per text: ``suggested_type, value_or_failure, confidence, runner_up, margin``.

        ``confidence`` is the model's probability of the suggested type; ``margin`` its lead over
        the runner-up (small margins are the contacts to review first).
        """
        if not hasattr(self, "model_"):
            raise ParameterError("call fit() first")
        texts = pd.Series(list(texts), dtype=object).fillna("").astype(str)
        proba = self.model_.predict_proba(self.vectorizer_.transform(texts))
        order = np.argsort(-proba, axis=1)
        best, second = order[:, 0], order[:, 1]
        rows = np.arange(len(texts))
        classes = np.array(self.classes_, dtype=object)
        return pd.DataFrame({
            "suggested_type": classes[best],
            "value_or_failure": [self.value_or_failure_.get(c) for c in classes[best]],
            "confidence": proba[rows, best],
            "runner_up": classes[second],
            "margin": proba[rows, best] - proba[rows, second],
        }, index=texts.index)

    def review_order(self, suggestions: pd.DataFrame) -> pd.Index:
        """Index of ``suggestions`` from least to most certain (smallest margin first)."""
        return suggestions.sort_values(["margin", "confidence"], kind="stable").index

    def __repr__(self) -> str:
        if not hasattr(self, "model_"):
            return "<DemandSuggester: not fitted>"
        return f"<DemandSuggester: {self.n_labels_:,} labelled contacts, {len(self.classes_)} demand types>"
