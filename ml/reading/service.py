"""The reading entry point for the pages, the API, the command line and batches: policy, model, storage, feedback.

One call reads an image with the model a `Predictor` is pinned to (so the role check, the model and its
"not sure" threshold are those of single digits) and stores the reading with one prediction row per
digit, charged to the user's quota in the same transaction. A batch in number mode reads with the same
pieces (`read_with`, `digit_rows`, `link`) inside its own chunk's transaction. Correcting a reading
records feedback on each digit's prediction row: the crop joins the `feedback` dataset under the same
review and provenance rules as any other feedback (`ml.prediction.predict.record_feedback`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from data import audit, predictions, readings
from ml.errors import NotFoundError, RequestError
from ml.governance import policy, quotas
from ml.inputs.images import MAX_UPLOAD_BYTES, image_to_png_thumbnail, load_image
from ml.prediction.predict import record_feedback
from ml.prediction.predictor import Predictor
from ml.reading.reader import Reading, read_image

SEPARATORS = ".,-/ "


@dataclass(frozen=True)
class Stored:
    reading: Reading
    reading_id: int | None
    prediction_ids: tuple[int, ...]
    model_id: int
    image: Image.Image | np.ndarray   # what was read (the boxes are in its pixels)


@dataclass(frozen=True)
class Correction:
    reading_id: int
    text: str
    digits: int         # in the correction
    cut: int            # digits the reading cut
    wrong: int          # digits the reading had wrong (when trained)
    trained: bool       # False: another count of digits than the reading cut, so no crop was used

    @property
    def sentence(self) -> str:
        if not self.trained:
            return (f"Saved “{self.text}”, but it has {self.digits} digits where the reading cut {self.cut}: "
                    "no digit was used for training.")
        if not self.wrong:
            return "You confirmed the reading: its digits are training data now (the `feedback` dataset)."
        return (f"Saved: {self.wrong} digit(s) corrected; their crops are training data now "
                "(the `feedback` dataset).")


def _picture(item) -> Image.Image:
    return item if isinstance(item, Image.Image) else Image.fromarray(np.asarray(item))


def _crop_png(picture: Image.Image, box: tuple[int, int, int, int]) -> bytes:
    left, top, width, height = box
    pad = max(2, height // 10)
    return image_to_png_thumbnail(picture.crop((max(0, left - pad), max(0, top - pad),
                                                left + width + pad, top + height + pad)), max_side=112)


def read_with(predictor: Predictor, image: Image.Image | np.ndarray, length: int | None = None) -> Reading:
    """The reading of a decoded image by the predictor's model, threshold and convention (nothing stored)."""
    return read_image(image, predictor.model.estimator, predictor.convention, predictor.threshold, length)


def digit_rows(predictor: Predictor, reading: Reading, image, *, filename: str | None = None,
               job_id: int | None = None) -> list[predictions.PredictionRow]:
    """One prediction row per digit: its crop as model input and as a small picture."""
    picture = _picture(image)
    per_digit = reading.latency_ms / max(1, len(reading.digits))
    return [predictions.PredictionRow(
        username=predictor.username, source=predictor.source, model_id=predictor.model.id, digit=d.digit,
        confidence=d.confidence, probabilities=d.probabilities, model_input=d.model_input.ravel(),
        image=_crop_png(picture, d.box), latency_ms=per_digit, filename=filename, needs_review=d.not_sure,
        runner_up=d.likeliest[1], job_id=job_id) for d in reading.digits]


def link(predictor: Predictor, reading: Reading, image, ids, *, length: int | None = None,
         filename: str | None = None, thumbnail: tuple[int, int] = (1024, 400_000)) -> int:
    """The reading row and its digits' links to the prediction rows `ids` (already appended); the caller
    holds the transaction that also charged them."""
    picture = _picture(image)
    return readings.insert(readings.ReadingRow(
        predictor.username, predictor.source, predictor.model.id, reading.text, reading.confidence, reading.doubtful,
        reading.alternatives, length, image_to_png_thumbnail(picture, max_side=thumbnail[0], max_bytes=thumbnail[1]),
        reading.latency_ms, filename, *picture.size), [(pid, d.box) for pid, d in zip(ids, reading.digits)])


def read(item: bytes | Image.Image | np.ndarray, *, username: str, source: str, model_id: int | None = None,
         length: int | None = None, filename: str | None = None, store: bool = True,
         max_bytes: int = MAX_UPLOAD_BYTES) -> Stored:
    """Read one image (bytes of an upload, a PIL image, or the canvas's array) and store the reading."""
    predictor = Predictor(username, source=source, model_id=model_id)
    if store:  # work that cannot be paid for is not started (the charge itself comes with the rows)
        quotas.check(username, 1, source)
    image = load_image(item, max_bytes=max_bytes) if isinstance(item, (bytes, bytearray)) else item
    reading = read_with(predictor, image, length)
    if not store:
        return Stored(reading, None, (), predictor.model.id, image)
    rows = digit_rows(predictor, reading, image, filename=filename)
    with quotas.charged(username, len(rows), source):
        ids = predictions.append(rows)
        reading_id = link(predictor, reading, image, ids, length=length, filename=filename)
    predictor.audit_stored(ids)
    audit.record(username, f"read_{source}", "ok", f"reading {reading_id}: {len(ids)} digit(s) by model "
                 f"{predictor.model.id}", target=f"reading:{reading_id}",
                 details={"predictions": [int(i) for i in ids], "doubtful": reading.doubtful})
    return Stored(reading, reading_id, tuple(ids), predictor.model.id, image)


def apply_correction(reading_id: int, *, username: str, text: str) -> Correction:
    """What the number really was, kept on the reading. When it has as many digits as the reading cut,
    each digit gets feedback on its prediction row (so its crop becomes training data); otherwise the
    crops cannot be matched to it and nothing trains (`trained` False)."""
    policy.require(username, "feedback", action="correct_reading")
    stored = readings.get(reading_id)
    if stored is None:
        raise NotFoundError(f"Reading {reading_id} does not exist, so there is nothing to correct.")
    text = (text or "").strip()
    wanted = [ch for ch in text if ch.isdigit()]
    if not wanted or any(not (ch.isdigit() or ch in SEPARATORS) for ch in text):
        raise RequestError("Write the number with digits and, where it has them, the separators . , - / or a space.")
    digits = readings.digits(reading_id)
    readings.correct(reading_id, username, text)
    if len(wanted) != len(digits):
        audit.record(username, "correct_reading", "ok", f"reading {reading_id}: {stored['text']} → {text} "
                     "(digit count differs: no digit feedback)", target=f"reading:{reading_id}")
        return Correction(reading_id, text, len(wanted), len(digits), 0, False)
    wrong = 0
    for pid, predicted, true in zip(digits["prediction_id"], digits["digit"], wanted):
        wrong += int(predicted) != int(true)
        record_feedback(int(pid), username=username, true_digit=int(true))
    audit.record(username, "correct_reading", "ok", f"reading {reading_id}: {stored['text']} → {text}",
                 target=f"reading:{reading_id}", details={"wrong_digits": wrong})
    return Correction(reading_id, text, len(wanted), len(digits), wrong, True)


def correct(reading_id: int, *, username: str, text: str) -> int:
    """As `apply_correction`, for the pages: how many digits were wrong, or (another count of digits) a
    sentence saying the correction was kept but trains nothing."""
    done = apply_correction(reading_id, username=username, text=text)
    if not done.trained:
        raise RequestError(done.sentence, audited=True)
    return done.wrong
