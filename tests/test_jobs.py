"""Background jobs: progress is visible while running, cancel stops them, a restart marks them interrupted."""
from __future__ import annotations

import threading

import pytest

from data import audit, db, jobs as store
from ml import jobs


@pytest.fixture
def runner(empty_store):
    jobs.reset_runner()
    yield jobs.runner()
    jobs.reset_runner()


def test_progress_is_stored_while_running_and_the_result_at_the_end(runner):
    reached, release = threading.Event(), threading.Event()

    def handler(params, ctx):
        ctx.progress("loading", 0.1)
        ctx.progress("fitting", 0.5, "half way")
        reached.set()
        release.wait(10)
        ctx.progress("saving", 1.0)
        return {"message": f"made {params['n']}", "n": params["n"]}

    jobs.register("test_progress", handler)
    job_id = runner.submit("test_progress", {"n": 3}, created_by="ana")
    assert reached.wait(10)
    running = store.get(job_id)
    assert (running.status, running.stage, running.progress, running.message) == ("running", "fitting", 0.5, "half way")
    release.set()
    done = runner.wait(job_id)
    assert (done.status, done.progress, done.message, done.result) == ("succeeded", 1.0, "made 3", {"message": "made 3", "n": 3})
    assert audit.page(username="ana", action="job_test_progress")["outcome"].tolist() == ["ok", "ok"]


def test_a_failure_is_a_clear_message_and_an_audit_row(runner):
    def handler(params, ctx):
        raise ValueError("The dataset has only one class (3).")

    jobs.register("test_fail", handler)
    done = runner.wait(runner.submit("test_fail", {}, created_by="ana"))
    assert (done.status, done.message) == ("failed", "The dataset has only one class (3).")
    errors = audit.page(username="ana", action="job_test_fail")
    assert "error" in set(errors["outcome"])


def test_cancel_stops_a_running_job(runner):
    started, stop_seen = threading.Event(), threading.Event()

    def handler(params, ctx):
        started.set()
        for i in range(1000):
            try:
                ctx.progress("working", i / 1000)
            except jobs.JobCancelled:
                stop_seen.set()
                raise
            threading.Event().wait(0.01)
        return {}

    jobs.register("test_cancel", handler)
    job_id = runner.submit("test_cancel", {}, created_by="ana")
    assert started.wait(10)
    runner.cancel(job_id, by="ana")
    done = runner.wait(job_id)
    assert done.status == "cancelled" and stop_seen.is_set() and done.progress < 1.0


def test_one_worker_runs_queued_jobs_one_after_the_other(runner):
    order, gate = [], threading.Event()

    def handler(params, ctx):
        order.append(("start", params["i"]))
        gate.wait(10)
        order.append(("end", params["i"]))
        return {}

    jobs.register("test_queue", handler)
    first = runner.submit("test_queue", {"i": 1}, created_by="ana")
    second = runner.submit("test_queue", {"i": 2}, created_by="ana")
    assert store.get(second).status == "queued"
    gate.set()
    runner.wait(first), runner.wait(second)
    assert order == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_a_restart_marks_running_jobs_interrupted(runner):
    job_id = store.create("train", {"family": "svc"}, "ana")
    store.mark_running(job_id)
    jobs.reset_runner()  # the server stops...
    jobs.runner()        # ...and starts again
    after = store.get(job_id)
    assert after.status == "interrupted" and "start it again" in after.message


def test_throttled_progress_still_records_the_final_state(runner):
    def handler(params, ctx):
        for i in range(200):
            ctx.progress("fitting", i / 200)
        ctx.progress("fitting", 1.0)
        return {}

    jobs.register("test_throttle", handler)
    done = runner.wait(runner.submit("test_throttle", {}, created_by="ana"))
    assert done.status == "succeeded" and done.progress == 1.0
