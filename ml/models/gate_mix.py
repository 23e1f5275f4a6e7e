"""The digit gate's two formulas, shared by `DigitGate` (scikit-learn) and the compact form (arrays only)."""
from __future__ import annotations

import numpy as np


def gate_weight(decision: np.ndarray, margin: float) -> np.ndarray:
    """The digit gate's weight from its SVC's decision values: 1 where it reads a digit, falling to 0
    at `margin` on the "not a digit" side (ml.models.gate.DigitGate uses the same two formulas)."""
    return np.clip(1.0 + decision / margin, 0.0, 1.0)


def towards_uniform(proba: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Probabilities pulled towards "every digit equally likely" where the weight is below 1."""
    return weight[:, None] * proba + (1.0 - weight[:, None]) / proba.shape[1]
