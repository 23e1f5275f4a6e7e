"""One prediction end to end: decode, preprocess into the model's convention, classify, record.

Pages, the CLI and the benchmark all call these functions, so what is measured and
tested is what users run.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from data import audit, predictions, registry
from ml import artifacts
from ml.conventions import ImageConvention
from ml.images import ImageError, image_to_png_thumbnail, load_image
from ml.preprocess import preprocess

log = logging.getLogger(__name__)


class NoActiveModelError(RuntimeError):
    """No model is active yet."""


@dataclass(frozen=True)
class Prediction:
    prediction_id: int | None
    model_id: int
    digit: int
    confidence: float
    probabilities: list[float]
    model_input: np.ndarray
    convention: ImageConvention
    latency_ms: float


def resolve_model(model_id: int | None) -> artifacts.LoadedModel:
    chosen = model_id if model_id is not None else registry.active_id()
    if chosen is None:
        raise NoActiveModelError("No model is active yet: train one or run `make run` to create the default.")
    return artifacts.load(chosen)


def _ten_probabilities(estimator, proba_row: np.ndarray) -> np.ndarray:
    """Probabilities for digits 0..9 even when a model was trained on fewer classes."""
    full = np.zeros(10)
    full[np.asarray(estimator.classes_, dtype=int)] = proba_row
    return full


def predict_image(image: Image.Image | np.ndarray, *, username: str, source: str, model_id: int | None = None,
                  filename: str | None = None, original_png: bytes | None = None,
                  store: bool = True) -> Prediction:
    """Classify one image (canvas array or decoded upload) and record it; raises ImageError on blank input."""
    model = resolve_model(model_id)
    convention = ImageConvention.from_dict(model.convention)
    started = time.perf_counter()
    vector = preprocess(image, convention)
    proba = _ten_probabilities(model.estimator, model.estimator.predict_proba(vector.reshape(1, -1))[0])
    latency_ms = (time.perf_counter() - started) * 1000
    digit = int(np.argmax(proba))
    prediction_id = None
    if store:
        if original_png is None:
            original_png = image_to_png_thumbnail(image if isinstance(image, Image.Image) else Image.fromarray(image))
        prediction_id = predictions.insert(predictions.PredictionRow(
            username=username, source=source, model_id=model.id, digit=digit, confidence=float(proba[digit]),
            probabilities=proba.tolist(), model_input=vector.tolist(), image=original_png,
            latency_ms=latency_ms, filename=filename))
    return Prediction(prediction_id, model.id, digit, float(proba[digit]), proba.tolist(),
                      vector.reshape(convention.size, convention.size), convention, latency_ms)


def predict_bytes(data: bytes, *, filename: str, username: str, source: str = "upload",
                  model_id: int | None = None) -> Prediction:
    """Decode an untrusted file and classify it; a bad file is audited and raised as ImageError."""
    try:
        image = load_image(data)
        return predict_image(image, username=username, source=source, model_id=model_id, filename=filename,
                             original_png=image_to_png_thumbnail(image))
    except ImageError as exc:
        audit.record(username, f"predict_{source}", "error", f"{filename}: {exc}")
        raise


def record_feedback(prediction_id: int, *, username: str, true_digit: int) -> bool:
    """Store what the digit really was; returns whether the model had it right."""
    row = predictions.get(prediction_id)
    if row is None:
        raise ValueError(f"Prediction {prediction_id} does not exist.")
    correct = int(row["digit"]) == int(true_digit)
    predictions.add_feedback(prediction_id, username, int(true_digit), correct)
    audit.record(username, "feedback", "ok",
                 f"prediction {prediction_id}: {'correct' if correct else f'was {true_digit}'}")
    return correct
