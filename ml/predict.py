"""One prediction end to end: decode, preprocess into the model's convention, classify, record.

Pages, the CLI and the benchmark all call these functions, so what is measured and
tested is what users run.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
from PIL import Image

from data import audit, predictions, registry
from ml import artifacts
from ml.conventions import ImageConvention
from ml.errors import NoActiveModelError
from ml.images import ImageError, image_to_png_thumbnail, load_image
from ml.preprocess import preprocess

log = logging.getLogger(__name__)




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


def ten_probabilities(estimator, X) -> np.ndarray:
    """(n, 10) probabilities for digits 0..9, zero for digits the model never saw in training
    (a model trained on feedback may lack some)."""
    proba = np.zeros((len(X), 10))
    proba[:, np.asarray(estimator.classes_, dtype=int)] = estimator.predict_proba(X)
    return proba


def predict_image(image: Image.Image | np.ndarray, *, username: str, source: str, model_id: int | None = None,
                  filename: str | None = None, original_png: bytes | None = None,
                  store: bool = True) -> Prediction:
    """Classify one image (canvas array or decoded upload) and record it; raises ImageError on blank input."""
    model = resolve_model(model_id)
    convention = ImageConvention.from_dict(model.convention)
    started = time.perf_counter()
    vector = preprocess(image, convention)
    proba = ten_probabilities(model.estimator, vector.reshape(1, -1))[0]
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


def predict_many(items: Iterable[tuple[str, bytes | None, str | None]], *, username: str, source: str,
                 model_id: int | None = None, chunk: int = 500) -> Iterator[tuple[str, Prediction | None, str | None]]:
    """Classify many files, writing rows in DataFrame appends of `chunk` (row-at-a-time inserts
    run at ~1,000 rows/s). Items are (name, bytes or None, reason it is unusable or None); yields
    (name, prediction or None, error or None) in order. Rows are written when their chunk is full
    and at the end, so a crash loses at most one chunk and never half a row."""
    pending: list[predictions.PredictionRow] = []
    for name, payload, error in items:
        if error is None and payload is not None:
            try:
                image = load_image(payload)
                result = predict_image(image, username=username, source=source, model_id=model_id, store=False)
                pending.append(predictions.PredictionRow(
                    username=username, source=source, model_id=result.model_id, digit=result.digit,
                    confidence=result.confidence, probabilities=result.probabilities,
                    model_input=result.model_input.ravel().tolist(), image=image_to_png_thumbnail(image),
                    latency_ms=result.latency_ms, filename=name))
                if len(pending) >= chunk:
                    predictions.append(pending)
                    pending = []
                yield name, result, None
                continue
            except ImageError as exc:
                error = str(exc)
        audit.record(username, f"predict_{source}", "error", f"{name}: {error}")
        yield name, None, error
    if pending:
        predictions.append(pending)


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
