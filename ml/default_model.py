"""The default model, in one place: its data, its family and parameters, its "not sure" threshold.

Start-up and `python -m ml init` train `DEFAULT_FAMILY` with `DEFAULT_PARAMS` on `load_handwriting()`
(dataset SPEC `handwriting`, convention canon28): ~35 s to build the data and ~20 s to fit on one
core. While that runs, a server can serve `INTERIM`: the same recipe on the sources without their
distorted copies (SPEC `handwriting:quick`, ~10 s + ~4 s), which reads held-back writers about a
point worse. (The old embedded-digits SVC trains in a second but reads about half of real scans.)
"""
from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from ml.confidence import not_sure_threshold
from ml.conventions import CANON_28
from ml.datasets import Dataset
from ml.families import DEFAULT_FAMILY, DEFAULT_PARAMS, build_model
from ml.handwriting import load_handwriting

SPEC = "handwriting"
CONVENTION = CANON_28
TARGET_ACCURACY = 0.9  # below the threshold the model is right less often than this
# The quick stand-in while the default trains: (dataset SPEC, family, params).
INTERIM = ("handwriting:quick", DEFAULT_FAMILY, DEFAULT_PARAMS)

__all__ = ["DEFAULT_FAMILY", "DEFAULT_PARAMS", "INTERIM", "SPEC", "build_default", "confidence_threshold",
           "fit_default", "load_handwriting"]


def build_default(seed: int = 0) -> Pipeline:
    """A fresh, unfitted default pipeline."""
    return build_model(DEFAULT_FAMILY, {**DEFAULT_PARAMS, "seed": seed})


def fit_default(dataset: Dataset | None = None, seed: int = 0) -> Pipeline:
    """The default model fitted on all of `dataset` (default: load_handwriting(seed)); for the bench and tests."""
    dataset = dataset or load_handwriting(seed)
    return build_default(seed).fit(dataset.X, dataset.y)


def _ten(model, X: np.ndarray) -> np.ndarray:
    proba = np.zeros((len(X), 10))
    proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X)
    return proba


def confidence_threshold(model, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
                         target_accuracy: float = TARGET_ACCURACY) -> float:
    """The confidence below which `model` is right less than `target_accuracy` of the time, for
    metrics["confidence_threshold"]. From (X_val, y_val) when given (a validation split never
    trained on); otherwise the one its calibration step measured on its own held-back share
    (models of the hog_svc family); 0.0 for a model that has neither (never "not sure")."""
    if X_val is not None and y_val is not None and len(y_val):
        return not_sure_threshold(np.asarray(y_val), _ten(model, np.asarray(X_val)), target_accuracy)
    last = model.steps[-1][1] if isinstance(model, Pipeline) else model
    return float(getattr(last, "confidence_threshold_", 0.0))
