"""One prediction path for one image and for thousands: prepare, classify, record.

A `Predictor` is pinned to one model version for its whole run: it loads the model once when it is
built, so activating another model while a batch runs cannot mix two models in one batch (the next
run picks the new one up). The role check happens here too, so the pages, the CLI and background
batches obey the same policy (`ml.governance.policy`).

- `prepare` decodes (bytes) and maps the image into the model's convention once; blank input raises
  `BlankImageError`, an unreadable file `ImageError`.
- `classify` runs one `predict_proba` call per chunk of prepared inputs (the model's per-call
  overhead dominates a single image; a chunk of 500 costs about as much as a few singles).
- `record` stores results as `PredictionRow`s (one INSERT for one, a DataFrame append for many) and
  charges them to the user's quota and writes their audit row in the same transaction
  (`ml.governance.quotas.charged`).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from data import audit, predictions, registry
from ml.errors import BlankImageError, NoActiveModelError, TooSmallError
from ml.governance import policy, quotas
from ml.inputs.images import MAX_UPLOAD_BYTES, image_to_png_thumbnail, load_image
from ml.models import artifacts
from ml.recognition.conventions import ImageConvention
from ml.recognition.preprocess import preprocess

NOT_SURE_BELOW = 0.6  # used when a model records no calibrated "confidence_threshold" of its own
# A "not sure" answer whose digit gate (ml.models.gate) took more than half of its weight away is "not a digit".
NOT_A_DIGIT_BELOW = 0.5
CHUNK = 500


@dataclass(frozen=True)
class Prepared:
    """An input in the model's convention, with what is stored beside it."""

    model_input: np.ndarray  # flat, conv.size ** 2 values
    image: bytes | None       # size-capped PNG of the original (stored with the row, shown as preview)
    filename: str | None
    prepare_ms: float


@dataclass(frozen=True)
class Prediction:
    prediction_id: int | None
    model_id: int
    digit: int
    confidence: float
    probabilities: list[float]
    model_input: np.ndarray  # (size, size), what the model saw
    convention: ImageConvention
    latency_ms: float
    not_sure: bool = False              # confidence below the model's threshold: ask, do not assert
    likeliest: tuple[int, int] = (0, 0)  # the two likeliest digits, best first ("3 or 5?")
    threshold: float = NOT_SURE_BELOW
    image: bytes | None = None
    filename: str | None = None
    not_digit: bool = False             # the digit gate reads something else (a letter, a scribble)

    @property
    def runner_up(self) -> int:
        return self.likeliest[1]


def resolve_model(model_id: int | None) -> artifacts.LoadedModel:
    """The given model, or the active one; ArtifactError/NoActiveModelError with a sentence otherwise."""
    chosen = model_id if model_id is not None else registry.active_id()
    if chosen is None:
        raise NoActiveModelError("No model is active yet: train one or run `make run` to create the default.")
    return artifacts.load_for_prediction(chosen)


def threshold_in(metrics: dict | None) -> float:
    """Below this confidence a model's answer is "not sure": the calibrated threshold its record
    holds (metrics["confidence_threshold"]), else NOT_SURE_BELOW."""
    value = (metrics or {}).get("confidence_threshold")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0:
        return float(value)
    return NOT_SURE_BELOW


def confidence_threshold(model_id: int) -> float:
    """The threshold of a model as its registry record says now (pages that show it)."""
    record = registry.get(model_id)
    return threshold_in(record.metrics if record is not None else None)


def ten_probabilities(estimator, X) -> np.ndarray:
    """(n, 10) probabilities for digits 0..9, zero for digits the model never saw in training
    (a model trained on feedback may lack some)."""
    return gated_probabilities(estimator, X)[0]


def gated_probabilities(estimator, X) -> tuple[np.ndarray, np.ndarray | None]:
    """`ten_probabilities` and, for a model with a digit gate (ml.models.gate, ml.models.compact), the gate's
    weight of each answer (1: a digit; towards 0: not a digit); None for a model without one."""
    steps = getattr(estimator, "steps", None)  # a one-step Pipeline around the gate (no sklearn import here)
    inner = steps[-1][1] if steps is not None and len(steps) == 1 else estimator
    weight = None
    if hasattr(inner, "proba_and_weight"):
        raw, weight = inner.proba_and_weight(X)
    else:
        raw = estimator.predict_proba(X)
    proba = np.zeros((len(X), 10))
    proba[:, np.asarray(estimator.classes_, dtype=int)] = raw
    return proba, weight


class Predictor:
    """Predictions by one user from one source with one model version (see the module docstring)."""

    def __init__(self, username: str, *, source: str, model_id: int | None = None, chunk: int = CHUNK,
                 role: str | None = None) -> None:
        """`role`: the user's current role when the caller has just read it (an API key's, at the call);
        else it is read here. Either way the policy decides."""
        if source not in predictions.SOURCES:
            raise ValueError(f"source must be one of {predictions.SOURCES}")
        action = f"predict_{source}"
        self.role = (policy.require_role(username, role, "predict", action=action) if role is not None
                     else policy.require(username, "predict", action=action))  # kept for its audit rows
        self.username, self.source, self.chunk = username, source, max(1, int(chunk))
        self.model = resolve_model(model_id)
        self.convention = ImageConvention.from_dict(self.model.convention)
        # Read with the model (its registry record, loaded and checked once per process): one query
        # less on every stroke. A threshold written into an existing record later is picked up
        # when the model is next loaded (artifacts.clear_cache()).
        self.threshold = threshold_in(self.model.metrics)

    def prepare(self, item: bytes | Image.Image | np.ndarray, *, filename: str | None = None,
                original_png: bytes | None = None, keep_image: bool = True,
                max_bytes: int = MAX_UPLOAD_BYTES) -> Prepared:
        """Decode (bytes, at most `max_bytes`) and map into the model's input once. The PNG kept with
        the row is `original_png` when the caller has one (the canvas sends its own), else a thumbnail."""
        started = time.perf_counter()
        image = load_image(item, max_bytes=max_bytes) if isinstance(item, (bytes, bytearray)) else item
        try:
            vector = preprocess(image, self.convention)
        except BlankImageError as exc:
            if isinstance(item, np.ndarray):
                raise
            if isinstance(exc, TooSmallError):
                raise TooSmallError("the ink in it is too small to read (a dot or a speck, not a digit).") from None
            raise BlankImageError("The image is blank: there is no digit to read in it.") from None
        if original_png is None and keep_image:
            original_png = image_to_png_thumbnail(image if isinstance(image, Image.Image) else Image.fromarray(image))
        return Prepared(vector, original_png, filename, (time.perf_counter() - started) * 1000)

    def classify(self, prepared: Sequence[Prepared]) -> list[Prediction]:
        """Answers in input order, one predict_proba call per chunk of `self.chunk` inputs."""
        results: list[Prediction] = []
        side = self.convention.size
        for start in range(0, len(prepared), self.chunk):
            part = prepared[start:start + self.chunk]
            began = time.perf_counter()
            proba, weight = gated_probabilities(self.model.estimator, np.vstack([p.model_input for p in part]))
            model_ms = (time.perf_counter() - began) * 1000 / len(part)
            top_two = np.argsort(-proba, axis=1, kind="stable")[:, :2]
            gate = np.ones(len(part)) if weight is None else weight
            for p, row, (best, second), digitness in zip(part, proba, top_two, gate):
                confidence = float(row[best])
                not_sure = confidence < self.threshold
                results.append(Prediction(
                    None, self.model.id, int(best), confidence, row.tolist(), p.model_input.reshape(side, side),
                    self.convention, p.prepare_ms + model_ms, not_sure,
                    (int(best), int(second)), self.threshold, p.image, p.filename,
                    not_sure and float(digitness) < NOT_A_DIGIT_BELOW))
        return results

    def row(self, result: Prediction) -> predictions.PredictionRow:
        return predictions.PredictionRow(
            username=self.username, source=self.source, model_id=result.model_id, digit=result.digit,
            confidence=result.confidence, probabilities=result.probabilities,
            model_input=result.model_input.ravel(), image=result.image, latency_ms=result.latency_ms,
            filename=result.filename, needs_review=result.not_sure, runner_up=result.runner_up)

    def record(self, results: Sequence[Prediction], *, request: bool = True) -> list[int]:
        """Store results (one INSERT for one, one DataFrame append for many), charged to the user's
        quota in the same transaction (`request`: also one request this minute); their ids in order."""
        return self.store(results, request=request)[0]

    def store(self, results: Sequence[Prediction], *, request: bool = True,
              limits: quotas.Limits | None = None) -> tuple[list[int], quotas.Status | None]:
        """As `record`, with the user's limits when the caller has just read them, and the quota standing
        the charge left (None when nothing was counted)."""
        rows = [self.row(r) for r in results]
        if not rows:
            return [], None
        with quotas.charged(self.username, len(rows), self.source, request=request, limits=limits,
                            audited=True) as left:
            ids = [predictions.insert(rows[0])] if len(rows) == 1 else predictions.append(rows)
            self.audit_stored(ids)  # committed with the rows it names
        return ids, left

    def audit_stored(self, ids: Sequence[int]) -> None:
        """Predictions are audited by reference: one row per call (a batch: per chunk) naming the
        prediction rows and the model, not one per image. Inside a transaction only if it holds the chain
        (`quotas.charged(..., audited=True)`, see `data.audit.record`)."""
        if not ids:
            return
        first, last = int(min(ids)), int(max(ids))
        target = f"prediction:{first}" if len(ids) == 1 else f"predictions:{first}-{last}"
        audit.record(self.username, f"predict_{self.source}", "ok", f"{len(ids):,} prediction(s) by model {self.model.id}",
                     target=target, details={"first": first, "last": last, "count": len(ids), "model": self.model.id},
                     role=self.role)

    def predict(self, item: bytes | Image.Image | np.ndarray, *, filename: str | None = None,
                original_png: bytes | None = None, store: bool = True,
                max_bytes: int = MAX_UPLOAD_BYTES) -> Prediction:
        """One input end to end: prepare, classify, and (unless `store=False`) record."""
        result = self.classify([self.prepare(item, filename=filename, original_png=original_png,
                                             keep_image=store, max_bytes=max_bytes)])[0]
        return with_ids([result], self.record([result]))[0] if store else result

    def draw(self, prepared: Prepared, *, drawing_id: int | None = None) -> Prediction:
        """A canvas after a stroke (prepared by the caller, who learns there whether it is blank): the
        same row as the drawing's earlier strokes while the drawing is in progress (`drawing_id`), a
        new row when it is final (feedback given) or new."""
        result = self.classify([prepared])[0]
        row = self.row(result)
        if drawing_id is not None and predictions.revise(drawing_id, row):
            return replace(result, prediction_id=drawing_id)  # the same drawing: charged and audited once
        with quotas.charged(self.username, 1, "draw"):
            prediction_id = predictions.insert(row)
        self.audit_stored([prediction_id])
        return replace(result, prediction_id=prediction_id)


def with_ids(results: Sequence[Prediction], ids: Sequence[int]) -> list[Prediction]:
    return [replace(r, prediction_id=i) for r, i in zip(results, ids)]
