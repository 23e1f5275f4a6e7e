"""Held-out metrics of a classifier, computed with sklearn.metrics."""
from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> dict:
    """Scalar metrics, the per-class table and the confusion matrix, JSON-ready for the registry."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    labels = list(np.asarray(classes).tolist())
    p, r, f, support = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "n_test": int(len(y_true)),
        "log_loss": float(skm.log_loss(y_true, np.clip(proba, 1e-15, 1.0), labels=labels)),
        "confusion": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "labels": labels,
        "per_class": [
            {"digit": int(d), "precision": float(pp), "recall": float(rr), "f1": float(ff), "support": int(s)}
            for d, pp, rr, ff, s in zip(labels, p, r, f, support)
        ],
    }
    for avg in ("macro", "weighted"):
        ap, ar, af, _ = skm.precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=0)
        out.update({f"{avg}_precision": float(ap), f"{avg}_recall": float(ar), f"{avg}_f1": float(af)})
    return out


def roc_curves(y_true: np.ndarray, proba: np.ndarray) -> dict[str, dict]:
    """One-vs-rest ROC per digit plus micro and macro averages: {name: {fpr, tpr, auc}}."""
    labels = np.arange(proba.shape[1])
    onehot = (np.asarray(y_true)[:, None] == labels[None, :]).astype(int)
    curves: dict[str, dict] = {}
    grid = np.linspace(0, 1, 201)
    interpolated = []
    for d in labels:
        if onehot[:, d].min() == onehot[:, d].max():  # digit absent (or alone): no curve
            continue
        fpr, tpr, _ = skm.roc_curve(onehot[:, d], proba[:, d])
        curves[str(d)] = {"fpr": fpr, "tpr": tpr, "auc": float(skm.auc(fpr, tpr))}
        interpolated.append(np.interp(grid, fpr, tpr))
    fpr, tpr, _ = skm.roc_curve(onehot.ravel(), proba.ravel())
    curves["micro"] = {"fpr": fpr, "tpr": tpr, "auc": float(skm.auc(fpr, tpr))}
    if interpolated:
        macro = np.mean(interpolated, axis=0)
        curves["macro"] = {"fpr": grid, "tpr": macro, "auc": float(skm.auc(grid, macro))}
    return curves


def pr_curves(y_true: np.ndarray, proba: np.ndarray) -> dict[str, dict]:
    """Precision-recall per digit and micro-averaged, with average precision."""
    labels = np.arange(proba.shape[1])
    onehot = (np.asarray(y_true)[:, None] == labels[None, :]).astype(int)
    curves: dict[str, dict] = {}
    for d in labels:
        if onehot[:, d].sum() == 0:
            continue
        precision, recall, _ = skm.precision_recall_curve(onehot[:, d], proba[:, d])
        curves[str(d)] = {"precision": precision, "recall": recall,
                          "ap": float(skm.average_precision_score(onehot[:, d], proba[:, d]))}
    precision, recall, _ = skm.precision_recall_curve(onehot.ravel(), proba.ravel())
    curves["micro"] = {"precision": precision, "recall": recall,
                       "ap": float(skm.average_precision_score(onehot.ravel(), proba.ravel()))}
    return curves


def reliability(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict:
    """Calibration of the top-class confidence: per bin, mean confidence against accuracy."""
    from sklearn.calibration import calibration_curve
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == np.asarray(y_true)).astype(int)
    if correct.min() == correct.max():  # all right (or all wrong): one point per occupied bin
        edges = np.linspace(0, 1, bins + 1)
        idx = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
        occupied = np.unique(idx)
        return {"confidence": [float(confidence[idx == b].mean()) for b in occupied],
                "accuracy": [float(correct[idx == b].mean()) for b in occupied],
                "counts": [int((idx == b).sum()) for b in occupied]}
    accuracy, mean_conf = calibration_curve(correct, confidence, n_bins=bins, strategy="uniform")
    edges = np.linspace(0, 1, bins + 1)
    counts = np.histogram(confidence, bins=edges)[0]
    return {"confidence": mean_conf.tolist(), "accuracy": accuracy.tolist(), "counts": [int(c) for c in counts if c]}


def cell_examples(y_true: np.ndarray, proba: np.ndarray, true_digit: int, predicted: int, limit: int = 12) -> list[int]:
    """Indices of test images of `true_digit` that the model read as `predicted` (a confusion-matrix cell)."""
    hits = np.flatnonzero((np.asarray(y_true) == true_digit) & (proba.argmax(axis=1) == predicted))
    return hits[:limit].tolist()


def disagreements(probas: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """Each model's answers (models x images) and the images on which they do not all agree."""
    answers = np.stack([p.argmax(axis=1) for p in probas])
    return answers, np.flatnonzero((answers != answers[0]).any(axis=0)).tolist()
