"""Temperature calibration on a held-back share: one fit of the classifier, not five.

scikit-learn's CalibratedClassifierCV(ensemble=False) refits the classifier once per fold and once
more on everything; for an SVC on ~15,000 images that is most of the training time. Holding back
a share instead costs a little data and fits once. The share also yields the "not sure" threshold.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from ml.evaluation.confidence import not_sure_threshold
from ml.models import svm_fast
from ml.models.svm_fast import ovo_min_margin


class HoldoutTemperature(ClassifierMixin, BaseEstimator):
    """Fit `estimator` on all but `holdout` of the data, then one temperature on the rest so that
    softmax(decision_function / T) matches how often it is right."""

    def __init__(self, estimator=None, holdout: float = 0.1, target_accuracy: float = 0.9, random_state: int = 0):
        self.estimator = estimator
        self.holdout = holdout
        self.target_accuracy = target_accuracy
        self.random_state = random_state

    def fit(self, X, y):
        X, y = validate_data(self, X, y, reset=True)
        counts = np.unique(y, return_counts=True)[1]
        # feedback sets can be tiny or lack a digit: stratify only when every class can be split
        stratify = y if counts.min() >= 2 and self.holdout * len(y) >= len(counts) else None
        fit_idx, cal_idx = train_test_split(np.arange(len(y)), test_size=self.holdout,
                                            random_state=self.random_state, stratify=stratify)
        if len(np.unique(y[fit_idx])) < 2:  # too few images to hold any back: calibrate on the training images
            fit_idx = cal_idx = np.arange(len(y))
        self.estimator_ = clone(self.estimator).fit(X[fit_idx], y[fit_idx])
        self.classes_ = self.estimator_.classes_
        scores = self._scores(X[cal_idx])
        target = np.searchsorted(self.classes_, y[cal_idx])

        def nll(log_t: float) -> float:
            return float(-log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(target)), target].mean())

        self.temperature_ = float(np.exp(minimize_scalar(nll, bounds=(-6.0, 4.0), method="bounded").x))
        proba = softmax(scores / self.temperature_, axis=1)
        self.confidence_threshold_ = not_sure_threshold(y[cal_idx], proba, self.target_accuracy, method="logistic")
        return self

    def _scores(self, X) -> np.ndarray:
        if getattr(self.estimator_, "decision_function_shape", None) == "ovo":
            return ovo_min_margin(svm_fast.decision_function(self.estimator_, X), len(self.classes_))
        if hasattr(self.estimator_, "decision_function"):
            return svm_fast.decision_function(self.estimator_, X)
        return np.log(np.clip(self.estimator_.predict_proba(X), 1e-12, 1.0))

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return softmax(self._scores(X) / self.temperature_, axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
