"""A digit-or-not gate around a digit classifier in the canonical form.

A ten-class model cannot say "none of these": measured on the development sets, the default model
answered about one scribble or letter in six with a confident digit. The gate is a second, two-class
SVC on HOG features that has seen generated non-digits (`ml.datasets.nondigits`) against the training digits.
Where it says "not a digit", the answer is pulled towards "every digit equally likely", so it falls
under the "not sure" threshold; where it says "digit", the classifier's answer is left as it is, so
its calibration and threshold still hold. One more SVC fit on at most 5,500 images (a few seconds).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from ml.datasets.nondigits import nondigit_inks
from ml.errors import BlankImageError
from ml.models import svm_fast
from ml.models.gate_mix import gate_weight, towards_uniform
from ml.models.hog import HOGFeatures
from ml.recognition.canonical import canonical

CANON_BOX_SHARE = 20 / 28  # the canonical form's box within its side (ml.recognition.conventions.CANON_28)


class DigitGate(ClassifierMixin, BaseEstimator):
    """`estimator` (fitted on canonical pixels) with its answers weighted towards uniform where a
    digit-or-not SVC's decision value is below `margin` (0 at -margin or less, untouched at 0 or more)."""

    def __init__(self, estimator=None, negatives: int = 1500, positives: int = 4000, margin: float = 1.0,
                 random_state: int = 0):
        self.estimator = estimator
        self.negatives = negatives
        self.positives = positives
        self.margin = margin
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        rng = np.random.default_rng(self.random_state)
        side = int(round(np.sqrt(X.shape[1])))
        # small training sets (feedback, tests) get proportionally fewer negatives: the gate stays cheap
        n_neg = int(min(self.negatives, max(20, len(X) // 3)))
        scale = float(X.max()) or 1.0
        negatives = []
        for ink in nondigit_inks(n_neg, seed=self.random_state):
            try:
                negatives.append(canonical(ink, side=side, box=round(side * CANON_BOX_SHARE)).ravel() * scale)
            except BlankImageError:
                continue
        pos = X[rng.permutation(len(X))[:self.positives]]
        Xg = np.vstack([pos, np.asarray(negatives).reshape(-1, X.shape[1])])
        yg = np.r_[np.ones(len(pos)), np.zeros(len(negatives))]
        self.gate_ = Pipeline([("hog", HOGFeatures()), ("svc", SVC(C=10.0, gamma=0.05, kernel="rbf",
                                                                      class_weight="balanced"))]).fit(Xg, yg)
        return self

    @property
    def confidence_threshold_(self) -> float | None:
        inner = self.estimator_.steps[-1][1] if isinstance(self.estimator_, Pipeline) else self.estimator_
        return getattr(inner, "confidence_threshold_", None)

    def _weight(self, features: np.ndarray) -> np.ndarray:
        return gate_weight(svm_fast.decision_function(self.gate_.steps[-1][1], features), self.margin)

    def digit_weight(self, X) -> np.ndarray:
        """1 where the gate reads a digit, falling to 0 at `margin` on the "not a digit" side."""
        check_is_fitted(self)
        return self._weight(self.gate_[:-1].transform(np.asarray(X, dtype=np.float64)))

    def _shares_features(self) -> bool:
        """Whether the classifier starts with the gate's own HOG step: then one transform serves both."""
        inner = self.estimator_
        if not (isinstance(inner, Pipeline) and len(inner.steps) > 1 and isinstance(inner[0], HOGFeatures)):
            return False
        mine, theirs = self.gate_[0], inner[0]  # same parameters and the same fitted side and scale
        return (mine.get_params() == theirs.get_params()
                and (mine.side_, mine.scale_) == (theirs.side_, theirs.scale_))

    def proba_and_weight(self, X) -> tuple[np.ndarray, np.ndarray]:
        """`predict_proba` and the gate's digit weight behind it (below 1: the gate doubts it is a digit)."""
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float64)
        if self._shares_features():  # the HOG features once per image, not once per model
            features = self.estimator_[0].transform(X)
            proba, weight = self.estimator_[1:].predict_proba(features), self._weight(features)
        else:
            proba, weight = self.estimator_.predict_proba(X), self.digit_weight(X)
        return towards_uniform(proba, weight), weight

    def predict_proba(self, X) -> np.ndarray:
        return self.proba_and_weight(X)[0]

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.estimator_.predict_proba(X), axis=1)]
