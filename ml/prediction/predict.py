"""Prediction entry points for pages, the CLI and the bench, on top of `ml.prediction.predictor.Predictor`.

Each call builds one Predictor (role checked, model pinned) and runs the one path, so what is
measured and tested is what users run. Image errors of a single image are raised, not audited:
the dashboard's failure boundary shows and audits them. `predict_many` swallows per-item errors
(the rest of a batch goes on), so it audits each one itself.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
from PIL import Image

from data import audit, predictions
from ml.errors import BlankImageError, ImageError, RequestError, TooSmallError
from ml.governance import batch_limits, policy, quotas
from ml.prediction.predictor import (
    NOT_SURE_BELOW,
    Prediction,
    Predictor,
    Prepared,
    confidence_threshold,
    resolve_model,
    ten_probabilities,
    with_ids,
)

log = logging.getLogger(__name__)

__all__ = ["NOT_SURE_BELOW", "Prediction", "Predictor", "confidence_threshold", "predict_bytes", "predict_drawing",
           "predict_image", "predict_many", "record_feedback", "resolve_model", "ten_probabilities",
           "withdraw_feedback"]


def predict_image(image: Image.Image | np.ndarray, *, username: str, source: str, model_id: int | None = None,
                  filename: str | None = None, original_png: bytes | None = None,
                  store: bool = True) -> Prediction:
    """Classify one image (canvas array or decoded upload) and record it; BlankImageError on blank input."""
    predictor = Predictor(username, source=source, model_id=model_id)
    quotas.check(username, 1 if store else 0, source)  # charged when stored (Predictor.record)
    return predictor.predict(image, filename=filename, original_png=original_png, store=store)


def predict_bytes(data: bytes, *, filename: str, username: str, source: str = "upload",
                  model_id: int | None = None) -> Prediction:
    """Decode an untrusted file once and classify it; the result carries the PNG thumbnail that is
    stored with the row, for the page to show. A bad file raises ImageError naming the file. Its
    size limit is the admin's "Bytes per image" setting, the one the Batch page applies too."""
    predictor = Predictor(username, source=source, model_id=model_id)
    quotas.check(username, 1, source)  # a file refused below costs nothing: only a stored row is charged
    try:
        return predictor.predict(data, filename=filename, max_bytes=batch_limits.image_bytes())
    except ImageError as exc:
        raise type(exc)(f"Could not read {filename}: {exc}") from None


def predict_drawing(canvas: np.ndarray, *, username: str, drawing_id: int | None = None,
                    original_png: bytes | None = None, predictor: Predictor | None = None) -> Prediction | None:
    """The canvas after a stroke: one row per drawing, revised while it changes (see Predictor.draw).
    None for a blank canvas: before the first stroke and after the bin it is a state, not an error,
    and whatever row the last drawing had is final."""
    predictor = predictor or Predictor(username, source="draw")
    try:
        prepared = predictor.prepare(canvas, original_png=original_png)
    except TooSmallError:
        raise  # a dot is not nothing: the person is told it is too small to read (nothing stored or counted)
    except BlankImageError:
        return None  # a blank canvas (the bin, a cleared drawing) predicts nothing and costs no quota
    if drawing_id is None:  # a drawing counts once, charged with its row; later strokes revise it
        quotas.check(username, 1, "draw")
    else:  # ... but each later stroke is model work: bounded by the per-minute rate limit
        quotas.count_request(username, "draw")
    return predictor.draw(prepared, drawing_id=drawing_id)


def _prepared(predictor: Predictor, items: Iterable[tuple[str, bytes | None, str | None]], *, username: str,
              source: str) -> Iterator[tuple[str, Prepared | None, str | None]]:
    """Each item decoded as it arrives, so only one file's raw bytes are held at a time (a chunk of
    500 raw 5 MB files would be 2.5 GB); bad items are audited here."""
    for name, payload, error in items:
        if error is None and payload is not None:
            try:
                yield name, predictor.prepare(payload, filename=name), None
                continue
            except ImageError as exc:
                error = str(exc)
        audit.record(username, f"predict_{source}", "error", f"{name}: {error}")
        yield name, None, error or "no data"


def predict_many(items: Iterable[tuple[str, bytes | None, str | None]], *, username: str, source: str,
                 model_id: int | None = None, chunk: int = 500) -> Iterator[tuple[str, Prediction | None, str | None]]:
    """Classify many files with one model version. Items are (name, bytes or None, reason it is
    unusable or None); yields (name, prediction or None, error or None) in input order, a chunk at a
    time: each chunk is one predict_proba call and one append, stored before any of it is yielded,
    so a crash loses at most one chunk, never half a row, and nothing yielded is unsaved. Bad items
    are audited and the rest go on."""
    predictor = Predictor(username, source=source, model_id=model_id, chunk=chunk)
    entries = _prepared(predictor, items, username=username, source=source)
    first = True
    while part := list(islice(entries, predictor.chunk)):
        ready = [prepared for _, prepared, _ in part if prepared is not None]
        # each stored image counts (a bad one costs nothing), the whole call is one request; over the
        # quota this chunk is not run
        quotas.check(username, len(ready), source, request=first)
        results = predictor.classify(ready)
        answers = iter(with_ids(results, predictor.record(results, request=first)))
        first = first and not results
        for name, prepared, error in part:
            yield name, (next(answers) if prepared is not None else None), error


def record_feedback(prediction_id: int, *, username: str, true_digit: int) -> bool:
    """Store what the digit really was; returns whether the model had it right. Reads only the
    predicted digit, not the row (which holds an image and two vectors). Feedback makes a drawing's
    row final: later strokes start a new row. Sending it again changes the author's earlier answer
    (one row per author and prediction, so the `feedback` dataset holds the latest)."""
    policy.require(username, "feedback")
    if not 0 <= int(true_digit) <= 9:
        raise RequestError(f"The real digit must be between 0 and 9, not {true_digit}.")
    predicted = predictions.digit_of(prediction_id)
    if predicted is None:
        raise RequestError(f"Prediction {prediction_id} does not exist, so there is nothing to give feedback on.")
    correct = predicted == int(true_digit)
    earlier = predictions.withdraw_feedback(prediction_id, username)
    predictions.add_feedback(prediction_id, username, int(true_digit), correct)
    verdict = "correct" if correct else f"was {true_digit}"
    audit.record(username, "feedback", "ok", f"prediction {prediction_id}: {verdict}"
                 + (f" (changed from {earlier})" if earlier is not None else ""), target=f"prediction:{prediction_id}",
                 details={"old": earlier, "new": int(true_digit)})
    return correct


def withdraw_feedback(prediction_id: int, *, username: str) -> int:
    """Take back `username`'s feedback on a prediction: it leaves the `feedback` dataset (others'
    feedback on the same prediction stays). Returns the digit they had given; audited."""
    policy.require(username, "feedback")
    earlier = predictions.withdraw_feedback(prediction_id, username)
    if earlier is None:
        raise RequestError(f"You gave no feedback on prediction {prediction_id}, so there is nothing to withdraw.")
    audit.record(username, "withdraw_feedback", "ok", f"prediction {prediction_id}: had said {earlier}",
                 target=f"prediction:{prediction_id}", details={"old": earlier, "new": None})
    return earlier
