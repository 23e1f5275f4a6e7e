"""The background job runner: long work runs off the page's script thread, its state in DuckDB.

A page submits a job and polls its row; the job keeps running across page changes and browser
refreshes because it belongs to the server process, not to a session. On start-up, jobs that a
previous process left running are marked "interrupted" rather than lost silently.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from data import audit, jobs

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a handler when the user pressed cancel."""


@dataclass
class JobContext:
    job_id: int
    min_interval: float = 0.25  # at most ~4 progress writes a second, plus every stage change
    _last_write: float = field(default=0.0, repr=False)
    _last_stage: str = field(default="", repr=False)

    def progress(self, stage: str, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if stage != self._last_stage or fraction >= 1.0 or now - self._last_write >= self.min_interval:
            jobs.update_progress(self.job_id, stage, fraction, message)
            self._last_write, self._last_stage = now, stage
            self.check_cancelled()

    def check_cancelled(self) -> None:
        if jobs.cancel_requested(self.job_id):
            raise JobCancelled()


Handler = Callable[[dict, JobContext], dict]
_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _HANDLERS[kind] = handler


def _execute(job_id: int) -> None:
    record = jobs.get(job_id)
    if record is None or record.done:
        return
    handler = _HANDLERS.get(record.kind)
    user = record.created_by
    if handler is None:
        jobs.finish(job_id, "failed", f"Unknown job kind {record.kind!r}.")
        return
    if record.cancel_requested:
        jobs.finish(job_id, "cancelled", "Cancelled before it started.")
        audit.record(user, f"job_{record.kind}", "ok", f"job {job_id} cancelled before start")
        return
    jobs.mark_running(job_id)
    try:
        result = handler(record.params, JobContext(job_id))
    except JobCancelled:
        jobs.finish(job_id, "cancelled", "Cancelled.")
        audit.record(user, f"job_{record.kind}", "ok", f"job {job_id} cancelled")
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message on the job
        if isinstance(exc, ValueError):  # bad input the user can fix: the message says it all
            log.info("job %s (%s) refused: %s", job_id, record.kind, exc)
        else:
            log.exception("job %s (%s) failed", job_id, record.kind)
        message = str(exc) if isinstance(exc, (ValueError, RuntimeError, OSError)) and str(exc) else \
            f"{type(exc).__name__}: {exc}"
        jobs.finish(job_id, "failed", message)
        audit.record(user, f"job_{record.kind}", "error", f"job {job_id}: {message}")
    else:
        jobs.finish(job_id, "succeeded", (result or {}).get("message", "Done."), result or {})
        audit.record(user, f"job_{record.kind}", "ok", f"job {job_id} succeeded")


class JobRunner:
    """A fixed pool of daemon worker threads fed from a queue (2 cores: one worker by default)."""

    def __init__(self, workers: int = 1) -> None:
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                _execute(job_id)
            except Exception:  # noqa: BLE001 - keep the worker alive whatever happens
                log.exception("worker failed on job %s", job_id)

    def submit(self, kind: str, params: dict, *, created_by: str) -> int:
        if kind not in _HANDLERS:
            raise ValueError(f"Unknown job kind {kind!r}.")
        job_id = jobs.create(kind, params, created_by)
        audit.record(created_by, f"job_{kind}", "ok", f"job {job_id} queued")
        self._queue.put(job_id)
        return job_id

    def cancel(self, job_id: int, *, by: str) -> None:
        jobs.request_cancel(job_id)
        audit.record(by, "cancel_job", "ok", f"job {job_id}")

    def wait(self, job_id: int, timeout: float = 60.0) -> jobs.JobRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = jobs.get(job_id)
            if record is not None and record.done:
                return record
            time.sleep(0.05)
        raise TimeoutError(f"Job {job_id} did not finish within {timeout:.0f} s.")

    def shutdown(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=5)


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def runner() -> JobRunner:
    """The process's runner; creating it marks jobs a previous process left running as interrupted."""
    global _runner
    with _runner_lock:
        if _runner is None:
            found = jobs.mark_interrupted_all()
            if found:
                log.warning("marked %d job(s) from a previous run as interrupted", found)
            _runner = JobRunner()
        return _runner


def reset_runner() -> None:
    """Forget the runner (tests simulating a restart)."""
    global _runner
    with _runner_lock:
        if _runner is not None:
            _runner.shutdown()
        _runner = None


def run_inline(kind: str, params: dict, *, created_by: str) -> jobs.JobRecord:
    """The same code path synchronously (the CLI)."""
    job_id = jobs.create(kind, params, created_by)
    _execute(job_id)
    return jobs.get(job_id)
