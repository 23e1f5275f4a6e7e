"""The reading entry point for the pages, the command line and batches: policy, model, storage, feedback.

One call reads an image with the model a `Predictor` is pinned to (so the role check, the model and its
"not sure" threshold are those of single digits) and stores the reading with one prediction row per
digit, charged to the user's quota in the same transaction. Correcting a reading records feedback on
each digit's prediction row: the crop joins the `feedback` dataset under the same review and
provenance rules as any other feedback (`ml.prediction.predict.record_feedback`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from data import audit, predictions, readings
from ml.errors import RequestError
from ml.governance import policy, quotas
from ml.inputs.images import MAX_UPLOAD_BYTES, image_to_png_thumbnail, load_image
from ml.prediction.predict import record_feedback
from ml.prediction.predictor import Predictor
from ml.reading.reader import Reading, read_image


@dataclass(frozen=True)
class Stored:
    reading: Reading
    reading_id: int | None
    prediction_ids: tuple[int, ...]
    model_id: int
    image: Image.Image | np.ndarray   # what was read (the boxes are in its pixels)


def _picture(item) -> Image.Image:
    return item if isinstance(item, Image.Image) else Image.fromarray(np.asarray(item))


def _crop_png(picture: Image.Image, box: tuple[int, int, int, int]) -> bytes:
    left, top, width, height = box
    pad = max(2, height // 10)
    return image_to_png_thumbnail(picture.crop((max(0, left - pad), max(0, top - pad),
                                                left + width + pad, top + height + pad)), max_side=112)


def read(item: bytes | Image.Image | np.ndarray, *, username: str, source: str, model_id: int | None = None,
         length: int | None = None, filename: str | None = None, store: bool = True,
         max_bytes: int = MAX_UPLOAD_BYTES) -> Stored:
    """Read one image (bytes of an upload, a PIL image, or the canvas's array) and store the reading."""
    predictor = Predictor(username, source=source, model_id=model_id)
    image = load_image(item, max_bytes=max_bytes) if isinstance(item, (bytes, bytearray)) else item
    reading = read_image(image, predictor.model.estimator, predictor.convention, predictor.threshold, length)
    if not store:
        return Stored(reading, None, (), predictor.model.id, image)
    picture = _picture(image)
    per_digit = reading.latency_ms / max(1, len(reading.digits))
    rows = [predictions.PredictionRow(
        username=username, source=source, model_id=predictor.model.id, digit=d.digit, confidence=d.confidence,
        probabilities=d.probabilities, model_input=d.model_input.ravel(), image=_crop_png(picture, d.box),
        latency_ms=per_digit, filename=filename, needs_review=d.not_sure, runner_up=d.likeliest[1])
        for d in reading.digits]
    with quotas.charged(username, len(rows), source):
        ids = predictions.append(rows)
        reading_id = readings.insert(readings.ReadingRow(
            username, source, predictor.model.id, reading.text, reading.confidence, reading.doubtful,
            reading.alternatives, length, image_to_png_thumbnail(picture, max_side=1024, max_bytes=400_000),
            reading.latency_ms, filename), [(pid, d.box) for pid, d in zip(ids, reading.digits)])
    predictor.audit_stored(ids)
    audit.record(username, f"read_{source}", "ok", f"reading {reading_id}: {len(ids)} digit(s) by model "
                 f"{predictor.model.id}", target=f"reading:{reading_id}",
                 details={"predictions": [int(i) for i in ids], "doubtful": reading.doubtful})
    return Stored(reading, reading_id, tuple(ids), predictor.model.id, image)


def correct(reading_id: int, *, username: str, text: str) -> int:
    """What the number really was. Each digit whose crop the reading cut (same count of digits) gets
    feedback on its prediction row, so its crop becomes training data; returns how many digits were
    wrong. A correction with another count of digits is kept on the reading, and its sentence says
    the crops could not be matched to it."""
    policy.require(username, "feedback")
    stored = readings.get(reading_id)
    if stored is None:
        raise RequestError(f"Reading {reading_id} does not exist, so there is nothing to correct.")
    text = (text or "").strip()
    wanted = [ch for ch in text if ch.isdigit()]
    if not wanted or any(not (ch.isdigit() or ch in ".,-/ ") for ch in text):
        raise RequestError("Write the number with digits and, where it has them, the separators . , - / or a space.")
    digits = readings.digits(reading_id)
    readings.correct(reading_id, username, text)
    if len(wanted) != len(digits):
        audit.record(username, "correct_reading", "ok", f"reading {reading_id}: {stored['text']} → {text} "
                     "(digit count differs: no digit feedback)", target=f"reading:{reading_id}")
        raise RequestError(f"Saved “{text}”, but it has {len(wanted)} digits where the reading cut "
                           f"{len(digits)}: no digit was used for training.", audited=True)
    wrong = 0
    for pid, predicted, true in zip(digits["prediction_id"], digits["digit"], wanted):
        wrong += int(predicted) != int(true)
        record_feedback(int(pid), username=username, true_digit=int(true))
    audit.record(username, "correct_reading", "ok", f"reading {reading_id}: {stored['text']} → {text}",
                 target=f"reading:{reading_id}", details={"wrong_digits": wrong})
    return wrong
