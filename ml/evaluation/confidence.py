"""Does the confidence mean something? Calibration error, ranking, risk-coverage and the "not sure" line.

A model that says 96% for right and wrong answers alike gives the user nothing: these measure,
on held-out data, whether the top probability matches how often the model is right (ECE), whether
right answers rank above wrong ones (AUROC), how accuracy grows as the least confident answers are
withheld (risk-coverage), and below which confidence answers are too often wrong to state plainly.
"""
from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score


def _top(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=float)
    return proba.max(axis=1), (proba.argmax(axis=1) == np.asarray(y)).astype(float)


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = 15) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their share of answers."""
    confidence, correct = _top(y, proba)
    if confidence.size == 0:
        return 0.0
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    error = 0.0
    for b in np.unique(which):
        inside = which == b
        error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def confidence_auroc(y: np.ndarray, proba: np.ndarray) -> float:
    """Probability that a right answer carries a higher confidence than a wrong one (NaN if all right or all wrong)."""
    confidence, correct = _top(y, proba)
    if correct.min(initial=1.0) == correct.max(initial=0.0):
        return float("nan")
    return float(roc_auc_score(correct, confidence))


def risk_coverage(y: np.ndarray, proba: np.ndarray) -> list[dict]:
    """Answering only the most confident inputs: per threshold, the share answered and their accuracy."""
    confidence, correct = _top(y, proba)
    order = np.argsort(-confidence, kind="stable")
    conf, right = confidence[order], correct[order]
    answered = np.arange(1, len(conf) + 1)
    accuracy = np.cumsum(right) / answered
    last = np.r_[conf[1:] != conf[:-1], True]  # ties are answered together
    return [{"threshold": float(c), "coverage": float(n / len(conf)), "accuracy": float(a)}
            for c, n, a in zip(conf[last], answered[last], accuracy[last])]


def not_sure_threshold(y: np.ndarray, proba: np.ndarray, target_accuracy: float = 0.9,
                       method: str = "isotonic") -> float:
    """The confidence below which the model is right less than `target_accuracy` of the time: where a
    monotone fit of rightness against confidence first reaches the target (1.0 if it never does,
    the lowest confidence seen if every level reaches it). `method="logistic"` fits rightness by a
    logistic curve in logit(confidence) instead: two parameters, so a validation share with only a
    few dozen wrong answers gives a steady threshold (the isotonic step moves with every one of them)."""
    confidence, correct = _top(y, proba)
    if confidence.size == 0:
        return 1.0
    if method == "logistic" and 0 < correct.sum() < correct.size:
        from sklearn.linear_model import LogisticRegression
        logit = np.log(np.clip(confidence, 1e-6, 1 - 1e-6) / np.clip(1 - confidence, 1e-6, 1.0))[:, None]
        fit = LogisticRegression(C=100.0).fit(logit, correct.astype(int))
        slope, bias = float(fit.coef_[0, 0]), float(fit.intercept_[0])
        if slope > 0:
            at = (np.log(target_accuracy / (1 - target_accuracy)) - bias) / slope
            return float(np.clip(1 / (1 + np.exp(-at)), confidence.min(), 1.0))
    order = np.argsort(confidence, kind="stable")
    conf, right = confidence[order], correct[order]
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True).fit_transform(conf, right)
    reached = np.flatnonzero(fitted >= target_accuracy)
    return float(conf[reached[0]]) if reached.size else 1.0


def coverage_at(proba: np.ndarray, threshold: float) -> float:
    """Share of inputs the model answers plainly (confidence at or above the threshold)."""
    proba = np.asarray(proba, dtype=float)
    return float((proba.max(axis=1) >= threshold).mean()) if len(proba) else 0.0
