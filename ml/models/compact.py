"""A model's prediction path as plain arrays, for loading without scikit-learn.

A batch (or `ml predict`) in a fresh process spent ~1.7 s loading the default model before its first
answer, mostly importing scikit-learn (~1.2 s) and unpickling the pipeline (~0.6 s), while the
decoder process had the other core. What the default pipeline computes to predict is a HOG transform,
two RBF-SVC kernels, a temperature softmax and the digit gate's mix: numbers only. This module keeps
those numbers in an `.npz` beside the artifact (written when the model is registered, checked by
sha256 from the registry like the artifact itself, see `ml.models.artifacts`) and computes the same
probabilities with the same functions (`ml.models.histograms`, `ml.models.svm_fast`, scipy's softmax) in the same
order: bit for bit the pipeline's in one process (tests/test_compact_model.py), so no answer,
confidence or threshold changes.

Families it does not describe (k-NN, forests, XGBoost...) have no compact form and load as before.
"""
from __future__ import annotations

import io
from typing import Any

import numpy as np
from scipy.special import softmax

from ml.models import svm_fast
from ml.models.gate_mix import gate_weight, towards_uniform
from ml.models.histograms import hog

FORMAT = 1


class _Kernel:
    """An RBF SVC's fitted numbers under the attribute names `ml.models.svm_fast` reads (weak-referenceable,
    so its squared-norm cache works as for an SVC)."""

    def __init__(self, arrays: dict[str, np.ndarray], prefix: str) -> None:
        self.classes_ = arrays[f"{prefix}classes"]
        self.support_vectors_ = arrays[f"{prefix}sv"]
        self.dual_coef_ = arrays[f"{prefix}dual"]
        self.intercept_ = arrays[f"{prefix}intercept"]
        self.n_support_ = arrays[f"{prefix}n_support"]
        self._gamma = float(arrays[f"{prefix}gamma"])


def _svc_arrays(svc: Any, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}classes": svc.classes_, f"{prefix}sv": svc.support_vectors_, f"{prefix}dual": svc.dual_coef_,
            f"{prefix}intercept": svc.intercept_, f"{prefix}n_support": svc.n_support_,
            f"{prefix}gamma": np.asarray(svc._gamma, dtype=np.float64)}


def extract(estimator: Any) -> dict[str, np.ndarray] | None:
    """The arrays of a fitted `hog_svc` pipeline (with or without its digit gate), None for any other
    model. Called where the full estimator is loaded anyway (registering, loading)."""
    from sklearn.pipeline import Pipeline

    from ml.models.calibration import HoldoutTemperature
    from ml.models.gate import DigitGate
    from ml.models.hog import HOGFeatures

    gate = None
    inner = estimator
    if isinstance(inner, Pipeline) and len(inner.steps) == 1 and isinstance(inner[0], DigitGate):
        gate = inner[0]
        if not gate._shares_features():
            return None
        inner = gate.estimator_
    if not (isinstance(inner, Pipeline) and len(inner.steps) == 2 and isinstance(inner[0], HOGFeatures)
            and isinstance(inner[1], HoldoutTemperature)):
        return None
    features, calibrated = inner[0], inner[1]
    svc = calibrated.estimator_
    if not svm_fast.supports(svc) or getattr(svc, "decision_function_shape", None) != "ovo" or len(svc.classes_) < 3:
        return None
    arrays = {"format": np.asarray(FORMAT), "classes": np.asarray(estimator.classes_),
              "hog": np.asarray([features.cells, features.bins, features.side_], dtype=np.int64),
              "hog_scale": np.asarray(features.scale_, dtype=np.float64),
              "temperature": np.asarray(calibrated.temperature_, dtype=np.float64), **_svc_arrays(svc, "svc_")}
    if gate is not None:
        gate_svc = gate.gate_.steps[-1][1]
        if not svm_fast.supports(gate_svc) or len(gate_svc.classes_) != 2:
            return None
        arrays |= {"gate_margin": np.asarray(gate.margin, dtype=np.float64), **_svc_arrays(gate_svc, "gate_")}
    return arrays


def to_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # uncompressed: read back with no inflate, and hashed as it is stored
    return buffer.getvalue()


class CompactModel:
    """`predict_proba` and `classes_` of the pipeline it was extracted from, from its arrays alone."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        if int(arrays["format"]) != FORMAT:
            raise ValueError(f"compact model format {int(arrays['format'])}, expected {FORMAT}")
        self.cells, self.bins, self.side = (int(v) for v in arrays["hog"])
        self.hog_scale = float(arrays["hog_scale"])
        self.temperature = float(arrays["temperature"])
        self.svc = _Kernel(arrays, "svc_")
        self.gate = _Kernel(arrays, "gate_") if "gate_sv" in arrays else None
        self.margin = float(arrays["gate_margin"]) if self.gate is not None else 0.0
        self.classes_ = arrays["classes"]

    def proba_and_weight(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """`predict_proba` and the digit gate's weight behind it (None without a gate)."""
        X = np.asarray(X, dtype=np.float64)
        # HOGFeatures.transform, then HoldoutTemperature.predict_proba on the features
        features = hog(X.reshape(len(X), self.side, self.side) / self.hog_scale, self.cells, self.bins)
        scores = svm_fast.ovo_min_margin(svm_fast.ovo_decision(self.svc, features), len(self.svc.classes_))
        proba = softmax(scores / self.temperature, axis=1)
        if self.gate is None:
            return proba, None
        # DigitGate.predict_proba: pulled towards uniform where the gate reads "not a digit"
        weight = gate_weight(svm_fast.binary_decision(self.gate, features), self.margin)
        return towards_uniform(proba, weight), weight

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.proba_and_weight(X)[0]


def from_bytes(payload: bytes) -> CompactModel:
    """Arrays only (no pickles), so a file that was swapped cannot run code; its sha256 is checked first."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as found:
        return CompactModel({name: found[name] for name in found.files})
