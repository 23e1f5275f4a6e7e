"""Concurrent single-image predictions served together (adaptive micro-batching, as BentoML and Triton do).

Each call runs the Upload page's checks in its own thread, in the same order: the role (a `Predictor`),
then the caller's quota and rate limit (`ml.governance.quotas.consume`, one request each, so users' quotas never
mix), then decoding within the size limit. The decoded input then joins a queue that one worker drains:
whatever is waiting is classified together, one `predict_proba` call per model (requests for different
models are never mixed), and all their rows are stored in one append. A lone request (nobody waiting,
decoding or being served) is decoded, classified and stored on its own thread with no hand-over to the
worker, and charged to the quota in the transaction that writes its row, as an upload is;
under load, the requests that arrive while the model is busy form the next batch. The worker waits a
moment longer only while other calls are still decoding, so a burst is not split in two.

Each caller gets its own `Prediction` and writes its own audit row, as an upload does. A caller that has
just read the user's role, quota standing and size limit (the API does, with the key) passes them in
(`serve`), so a call reads the store once before its write; `serve` also returns the standing its charge left
(the API's rate-limit headers).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from data import predictions
from ml.errors import ImageError
from ml.governance import batch_limits, quotas
from ml.prediction.predictor import Prediction, Predictor, Prepared, with_ids

log = logging.getLogger(__name__)

MAX_BATCH = 64
GATHER_S = 0.002  # the longest the worker waits for calls still decoding before it classifies


@dataclass
class _Waiting:
    predictor: Predictor
    prepared: Prepared
    future: Future = field(default_factory=Future)


class MicroBatcher:
    """One per process (see `default()`); `predict_bytes` is safe to call from many threads."""

    inline = True  # a call that finds nobody waiting, decoding or being served is served on its own thread

    def __init__(self, max_batch: int = MAX_BATCH, gather_s: float = GATHER_S) -> None:
        self.max_batch, self.gather_s = max_batch, gather_s
        self._queue: deque[_Waiting] = deque()
        self._ready = threading.Condition()
        self._decoding = 0  # calls past their checks and still decoding: they will join the queue soon
        self._serving = 0   # lone calls being served on their own threads
        self._worker: threading.Thread | None = None
        self.batches = 0     # how many classify-and-store rounds ran (tests and the bench read them)
        self.largest = 0

    def predict_bytes(self, data: bytes, *, filename: str, username: str, source: str = "upload",
                      model_id: int | None = None) -> Prediction:
        """As `ml.prediction.predict.predict_bytes`: the same checks, sentences and stored row, served in a batch."""
        return self.serve(data, filename=filename, username=username, source=source, model_id=model_id)[0]

    def serve(self, data: bytes, *, filename: str, username: str, source: str = "upload", model_id: int | None = None,
              role: str | None = None, standing: quotas.Status | None = None,
              max_bytes: int | None = None) -> tuple[Prediction, quotas.Status | None]:
        """`predict_bytes` for a caller that has just read the user's `role`, quota `standing` and the
        `max_bytes` per image (each read here when not given); also returns the standing the charge left."""
        predictor = Predictor(username, source=source, model_id=model_id, role=role)
        max_bytes = max_bytes if max_bytes is not None else batch_limits.image_bytes()
        with self._ready:
            alone = self.inline and not (self._queue or self._decoding or self._serving)
            if alone:
                self._serving += 1  # calls arriving meanwhile queue for the worker and batch there
        if alone:
            try:
                return self._serve_alone(predictor, data, filename, standing, max_bytes)
            finally:
                with self._ready:
                    self._serving -= 1
                    self._ready.notify_all()
        left = quotas.consume(username, 1, source, limits=standing.limits if standing else None)
        with self._ready:
            self._decoding += 1
        try:
            prepared = _prepare(predictor, data, filename, max_bytes)
        finally:
            with self._ready:
                self._decoding -= 1
                self._ready.notify_all()
        waiting = _Waiting(predictor, prepared)
        with self._ready:
            self._queue.append(waiting)
            self._start()
            self._ready.notify_all()
        result = waiting.future.result()
        predictor.audit_stored([result.prediction_id])  # one audit row per call, written by the caller's thread
        return result, left

    def _serve_alone(self, predictor: Predictor, data: bytes, filename: str, standing: quotas.Status | None,
                     max_bytes: int) -> tuple[Prediction, quotas.Status | None]:
        """A lone call on its own thread, as the Upload page serves one: the quota checked before any work,
        then decoded and classified, charged in the transaction that writes its row, audited (`Predictor.store`)."""
        standing = quotas.check(predictor.username, 1, predictor.source, standing=standing)
        result = predictor.classify([_prepare(predictor, data, filename, max_bytes)])[0]
        ids, left = predictor.store([result], limits=standing.limits if standing else None)
        self.batches += 1
        self.largest = max(self.largest, 1)
        return with_ids([result], ids)[0], left

    def _start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="digitlab-microbatch", daemon=True)
            self._worker.start()

    def _take(self) -> list[_Waiting]:
        with self._ready:
            while not self._queue:
                self._ready.wait()
            deadline = time.monotonic() + self.gather_s
            while self._decoding and len(self._queue) < self.max_batch and time.monotonic() < deadline:
                self._ready.wait(max(0.0, deadline - time.monotonic()))
            return [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                self._serve(batch)
            except BaseException as exc:  # noqa: BLE001 - every caller learns of it in its own thread
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(exc)

    def _serve(self, batch: list[_Waiting]) -> None:
        """Classify per model (one call each), store every row in one write, answer each caller."""
        by_model: dict[int, list[_Waiting]] = {}
        for waiting in batch:
            by_model.setdefault(waiting.predictor.model.id, []).append(waiting)
        answered: list[tuple[_Waiting, Prediction]] = []
        for group in by_model.values():
            results = group[0].predictor.classify([w.prepared for w in group])
            answered += zip(group, results)
        rows = [w.predictor.row(result) for w, result in answered]
        ids = [predictions.insert(rows[0])] if len(rows) == 1 else predictions.append(rows)
        self.batches += 1
        self.largest = max(self.largest, len(rows))
        for (waiting, result), prediction_id in zip(answered, ids):
            waiting.future.set_result(with_ids([result], [prediction_id])[0])


def _prepare(predictor: Predictor, data: bytes, filename: str, max_bytes: int) -> Prepared:
    try:
        return predictor.prepare(data, filename=filename, max_bytes=max_bytes)
    except ImageError as exc:
        raise type(exc)(f"Could not read {filename}: {exc}") from None


_default: MicroBatcher | None = None
_lock = threading.Lock()


def default() -> MicroBatcher:
    global _default
    with _lock:
        if _default is None:
            _default = MicroBatcher()
        return _default


def predict_bytes(data: bytes, *, filename: str, username: str, source: str = "upload",
                  model_id: int | None = None) -> Prediction:
    return default().predict_bytes(data, filename=filename, username=username, source=source, model_id=model_id)


def serve(data: bytes, *, filename: str, username: str, source: str = "upload", model_id: int | None = None,
          role: str | None = None, standing: quotas.Status | None = None,
          max_bytes: int | None = None) -> tuple[Prediction, quotas.Status | None]:
    return default().serve(data, filename=filename, username=username, source=source, model_id=model_id, role=role,
                           standing=standing, max_bytes=max_bytes)
