"""Adaptive micro-batching: concurrent predictions classified together, per model, stored in one write,
each caller's quota counted on its own, every request stored exactly once."""
from __future__ import annotations

import threading
import time

import pytest
from test_api import png

from data import db, registry
from ml.errors import ImageError, QuotaError
from ml.governance import quotas
from ml.prediction import microbatch
from ml.prediction.predict import predict_bytes


class Held(microbatch.MicroBatcher):
    """A batcher whose worker starts only when the test says: the queue fills first, deterministically (no
    call is served on its own thread)."""

    inline = False

    def __init__(self) -> None:
        super().__init__()
        self.go = False

    def _start(self) -> None:
        if self.go:
            super()._start()

    def release(self) -> None:
        with self._ready:
            self.go = True
            self._start()
            self._ready.notify_all()


def _wait_for(check) -> None:
    deadline = time.monotonic() + 120
    while not check():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def _second_model() -> int:
    from ml.jobs import engine as jobs
    from ml.lab.requests import TrainRequest
    return jobs.run_inline(TrainRequest("knn", "digits", "ana")).result["model_id"]


def test_waiting_calls_are_classified_per_model_and_stored_in_one_write(seeded_store):
    other = _second_model()
    active = registry.active_id()
    batcher = Held()
    calls = [("ana", None), ("vic", None), ("ana", other), ("vic", other), ("ana", None), ("vic", None)]
    answers: dict[int, object] = {}

    def call(i: int, user: str, model: int | None) -> None:
        answers[i] = batcher.predict_bytes(png(), filename=f"{i}.png", username=user, model_id=model)

    before = db.one("SELECT count(*) FROM predictions")[0]
    threads = [threading.Thread(target=call, args=(i, u, m)) for i, (u, m) in enumerate(calls)]
    for t in threads:
        t.start()
    _wait_for(lambda: len(batcher._queue) == len(calls))
    batcher.release()
    for t in threads:
        t.join()
    assert batcher.batches == 1 and batcher.largest == len(calls)
    assert db.one("SELECT count(*) FROM predictions")[0] == before + len(calls)
    for i, (user, model) in enumerate(calls):
        result = answers[i]
        row = db.one("SELECT username, model_id, filename, digit FROM predictions WHERE id = ?", [result.prediction_id])
        assert row == (user, model or active, f"{i}.png", result.digit) and result.model_id == (model or active)
    assert len({a.prediction_id for a in answers.values()}) == len(calls)
    for user in ("ana", "vic"):
        assert quotas.status(user).used_today == 3  # each call counted against its own user
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'predict_upload' AND outcome = 'ok'")[0] == len(calls)


def test_same_answers_and_refusals_as_the_upload_page(seeded_store):
    lone = microbatch.MicroBatcher()
    batched = lone.predict_bytes(png(), filename="a.png", username="ana")
    direct = predict_bytes(png(), filename="a.png", username="ana")
    assert batched.digit == direct.digit and batched.probabilities == pytest.approx(direct.probabilities)
    assert batched.not_sure == direct.not_sure and batched.runner_up == direct.runner_up
    with pytest.raises(ImageError) as bad:
        lone.predict_bytes(b"nope", filename="x.png", username="ana")
    with pytest.raises(ImageError) as same:
        predict_bytes(b"nope", filename="x.png", username="ana")
    assert str(bad.value) == str(same.value)
    quotas.set_limits("vic", daily=1, per_minute=None, by="admin")
    lone.predict_bytes(png(), filename="b.png", username="vic")
    with pytest.raises(QuotaError):
        lone.predict_bytes(png(), filename="c.png", username="vic")
    assert db.one("SELECT count(*) FROM predictions WHERE username = 'vic'")[0] == 1


def test_a_failed_write_fails_every_caller_of_the_batch_and_stores_nothing(seeded_store, monkeypatch):
    batcher = Held()
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            batcher.predict_bytes(png(), filename=f"{i}.png", username="ana")
        except RuntimeError as exc:
            errors.append(exc)

    def broken(rows):
        raise RuntimeError("disk gone")
    monkeypatch.setattr(microbatch.predictions, "append", broken)
    before = db.one("SELECT count(*) FROM predictions")[0]
    threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    _wait_for(lambda: len(batcher._queue) == 3)
    batcher.release()
    for t in threads:
        t.join()
    assert len(errors) == 3 and db.one("SELECT count(*) FROM predictions")[0] == before


def test_a_lone_call_is_served_on_its_own_thread(seeded_store):
    """Nobody else waiting: no hand-over to the worker thread (the lone-request latency), same stored row."""
    batcher = microbatch.MicroBatcher()
    result = batcher.predict_bytes(png(), filename="lone.png", username="ana")
    assert batcher._worker is None and batcher.batches == 1 and batcher.largest == 1
    row = db.one("SELECT username, filename, digit FROM predictions WHERE id = ?", [result.prediction_id])
    assert row == ("ana", "lone.png", result.digit)
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'predict_upload' AND outcome = 'ok'")[0] == 1
    standing = quotas.status("ana")
    assert standing.used_today == 1 and standing.used_this_minute == 1  # charged once, with its row
