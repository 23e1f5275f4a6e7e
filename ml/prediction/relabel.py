"""Relabelling a test image from a confusion-matrix cell, so that it becomes training data.

Test images have no prediction row, and the `feedback` dataset is built from prediction rows with
feedback (their stored model input and the latest real digit). So the first relabel of a test image
stores it once as a "batch" prediction of the model being inspected, named
"relabelled test image K of DATASET (model #N)", and the relabel is ordinary feedback on that row:
it can be changed or withdrawn like any other, is audited, and live accuracy leaves such rows out.
Only images in the 8×8 digits convention enter the `feedback` dataset (it is read at that size).
"""
from __future__ import annotations

import numpy as np

from data import predictions
from data.predictions import RELABEL_PREFIX, PredictionRow
from data.registry import ModelRecord
from ml.datasets.splits import as_picture
from ml.governance import policy
from ml.prediction.predict import record_feedback


def test_image_name(record: ModelRecord, position: int) -> str:
    return f"{RELABEL_PREFIX} {position} of {record.dataset} (model #{record.id})"


def relabel_test_image(record: ModelRecord, position: int, image: np.ndarray, probabilities: np.ndarray,
                       true_digit: int, *, username: str) -> int:
    """Give the real digit of the test image at `position` of the model's test split; returns the
    prediction row that carries it (created on the first relabel, reused after)."""
    policy.require(username, "feedback")
    name = test_image_name(record, position)
    prediction_id = predictions.relabel_row(record.id, name)
    if prediction_id is None:
        digit = int(np.argmax(probabilities))
        prediction_id = predictions.insert(PredictionRow(
            username=username, source="batch", model_id=record.id, digit=digit,
            confidence=float(probabilities[digit]), probabilities=[float(p) for p in probabilities],
            model_input=[float(v) for v in np.ravel(image)], image=None, latency_ms=0.0, filename=name))
    record_feedback(prediction_id, username=username, true_digit=int(true_digit))
    return prediction_id


def picture(vector: np.ndarray, pixels: int = 144) -> np.ndarray:
    """A test image at least `pixels` wide, each source pixel a sharp square (a browser scaling an 8×8
    picture up blurs it into a smudge)."""
    small = as_picture(vector)
    factor = max(1, -(-pixels // small.shape[0]))
    return np.kron(small, np.ones((factor, factor), dtype=np.uint8))
