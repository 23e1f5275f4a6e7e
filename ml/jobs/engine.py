"""The background job runner: long work runs off the page's script thread, its state in DuckDB.

A page submits a typed request (validated then, `ml.jobs.requests`); the job row is queued in its kind's
lane (`ml.jobs.kinds`), and that lane's worker claims it from the table. One worker per lane: a long
tuning study never holds up a training job or a batch. Jobs belong to the server process, not to a
session, so they survive page changes and refreshes; on start-up, jobs a previous process left
queued or running are marked "interrupted" rather than lost silently.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import Any

from data import audit
from data import jobs as job_rows
from ml.errors import DigitLabError, RequestError
from ml.governance import policy, quotas
from ml.jobs.context import JobCancelled, JobContext
from ml.jobs.kinds import LANES, JobKind, registered
from ml.jobs.requests import JobRequest
from ml.runtime import threads

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5  # after an unexpected worker failure, before it looks at its lane again


def execute(record: job_rows.JobRecord, kinds: dict[str, JobKind]) -> None:
    """Run one claimed (running) job to its final state; every outcome is on the row and audited. The
    audit row comes first, so whoever sees the final state finds its audit row too."""
    job_id, user, action = record.id, record.created_by, f"job_{record.kind}"
    kind = kinds.get(record.kind)
    if kind is None:
        job_rows.finish(job_id, "failed", f"Unknown job kind {record.kind!r}.")
        return
    if record.cancel_requested:
        audit.record(user, action, "ok", f"job {job_id} cancelled before start", target=f"job:{job_id}")
        job_rows.finish(job_id, "cancelled", "Cancelled before it started.")
        return
    try:
        with threads.job_running():  # fits take one thread while another job runs (ml.runtime.threads)
            result = kind.run(kind.request.from_params(record.params), JobContext(job_id))
    except JobCancelled:
        audit.record(user, action, "ok", f"job {job_id} cancelled", target=f"job:{job_id}")
        job_rows.finish(job_id, "cancelled", "Cancelled.")
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message on the job
        if isinstance(exc, (DigitLabError, ValueError)):  # the person can fix it: the sentence says it all
            log.info("job %s (%s) refused: %s", job_id, record.kind, exc)
            message = str(exc)
        else:
            log.exception("job %s (%s) failed", job_id, record.kind)
            message = f"{type(exc).__name__}: {exc}"
        audit.record(user, action, "error", f"job {job_id}: {message}", target=f"job:{job_id}")
        job_rows.finish(job_id, "failed", message)
    else:
        audit.record(user, action, "ok", f"job {job_id} succeeded", target=f"job:{job_id}")
        job_rows.finish(job_id, "succeeded", (result or {}).get("message", "Done."), result or {})


def _kind_of(request: JobRequest, kinds: dict[str, JobKind]) -> JobKind:
    kind = kinds.get(request.kind)
    if kind is None or not isinstance(request, kind.request):
        raise RequestError(f"There is no job of kind {request.kind!r}; the kinds are {', '.join(kinds)}.")
    return kind


def prepare_request(request: JobRequest, kinds: dict[str, JobKind]) -> tuple[JobKind, JobRequest]:
    """The kind and the validated request; PolicyError (audited by ml.governance.policy) or RequestError."""
    kind = _kind_of(request, kinds)
    policy.require(request.user, kind.capability, action=f"job_{kind.name}")
    return kind, request.validated()


class JobRunner:
    """One daemon worker thread per lane; workers claim queued rows of their lane from the jobs table."""

    def __init__(self, kinds: dict[str, JobKind] | None = None, lanes: tuple[str, ...] = LANES) -> None:
        self.kinds = kinds if kinds is not None else registered()
        self._stop = threading.Event()
        self._wake = {lane: threading.Event() for lane in lanes}
        self._threads = {lane: threading.Thread(target=self._work, args=(lane,), name=f"job-{lane}", daemon=True)
                         for lane in lanes}
        for thread in self._threads.values():
            thread.start()

    def _work(self, lane: str) -> None:
        name, wake = threading.current_thread().name, self._wake[lane]
        # Rows are queued only by `submit` in this process (a restart marks older ones interrupted), so an
        # idle worker sleeps until woken instead of polling the store; once woken it drains its lane.
        while not self._stop.is_set():
            wake.wait()
            wake.clear()
            while not self._stop.is_set():
                try:
                    record = job_rows.claim(lane, name)
                    if record is None:
                        break
                    execute(record, self.kinds)
                except Exception:  # noqa: BLE001 - keep the worker alive whatever happens
                    log.exception("worker of lane %s failed", lane)
                    self._stop.wait(RETRY_SECONDS)

    def submit(self, request: JobRequest) -> int:
        """Queue a request after checking who asks and what they ask; returns the job id."""
        kind, request = prepare_request(request, self.kinds)
        if kind.lane not in self._wake:
            raise RequestError(f"No worker runs the {kind.lane} lane in this process.")
        with quotas.job_slot(request.user, kind.name):  # the concurrent-job limit, checked and taken as one step
            job_id = job_rows.create(kind.name, request.to_params(), request.user, lane=kind.lane, title=request.title)
        audit.record(request.user, f"job_{kind.name}", "ok", f"job {job_id} queued: {request.title}",
                     target=f"job:{job_id}")
        self._wake[kind.lane].set()
        return job_id

    def cancel(self, job_id: int, *, by: str) -> None:
        """Ask a job to stop (its owner, or an admin for anyone's job)."""
        record = job_rows.get(job_id)
        if record is None:
            raise RequestError(f"Job {job_id} does not exist.")
        if record.created_by != by:
            policy.require(by, "cancel_any_job")
        if record.finished:
            raise RequestError(f"Job {job_id} has already ended ({record.status}), so there is nothing to cancel.")
        job_rows.request_cancel(job_id)
        audit.record(by, "cancel_job", "ok", f"job {job_id}", target=f"job:{job_id}")

    def wait(self, job_id: int, timeout: float = 60.0) -> job_rows.JobRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = job_rows.get(job_id)
            if record is not None and record.finished:
                return record
            time.sleep(0.05)
        raise TimeoutError(f"Job {job_id} did not finish within {timeout:.0f} s.")

    def status(self) -> dict[str, Any]:
        """Per lane: queued and running jobs, and whether its worker is alive (for a health page)."""
        counts = job_rows.lane_counts()
        return {"lanes": {lane: {**counts.get(lane, {"queued": 0, "running": 0}),
                                 "worker_alive": self._threads[lane].is_alive()} for lane in self._threads}}

    def shutdown(self) -> None:
        self._stop.set()
        for event in self._wake.values():
            event.set()
        for thread in self._threads.values():
            thread.join(timeout=5)


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def runner() -> JobRunner:
    """The process's runner; creating it marks jobs a previous process left running as interrupted."""
    global _runner
    with _runner_lock:
        if _runner is None:
            found = job_rows.mark_interrupted_all()
            if found:
                log.warning("marked %d job(s) from a previous run as interrupted", found)
            _runner = JobRunner()
            atexit.unregister(reset_runner)
            atexit.register(reset_runner)  # stop the workers before the interpreter (and DuckDB) goes away
        return _runner


def reset_runner() -> None:
    """Forget the runner (tests simulating a restart)."""
    global _runner
    with _runner_lock:
        if _runner is not None:
            _runner.shutdown()
        _runner = None


def submit(request: JobRequest) -> int:
    return runner().submit(request)


def cancel(job_id: int, *, by: str) -> None:
    runner().cancel(job_id, by=by)


def status() -> dict[str, Any]:
    return runner().status()


def recent(*, kind: str | None = None, created_by: str | None = None, limit: int = 8):
    """The latest jobs with everything a job list shows, in one query."""
    return job_rows.page(kind=kind, created_by=created_by, limit=limit)


def run_inline(request: JobRequest, kinds: dict[str, JobKind] | None = None) -> job_rows.JobRecord:
    """The same checks and code path synchronously (the CLI): no worker, the row records the run."""
    try:
        kind, request = prepare_request(request, kinds if kinds is not None else registered())
    except RequestError as exc:  # the dashboard's failure boundary audits the page's refusals
        audit.record(request.user, f"job_{request.kind}", "error", f"refused at submit: {exc}")
        raise
    with quotas.job_slot(request.user, kind.name):
        job_id = job_rows.create(kind.name, request.to_params(), request.user, lane=kind.lane, title=request.title)
    job_rows.mark_running(job_id)
    execute(job_rows.get(job_id), kinds if kinds is not None else registered())
    return job_rows.get(job_id)
