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
