"""Background jobs: typed requests checked at submit, lanes that do not block each other, progress
visible while running, cancel stops them, a restart marks them interrupted."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import ClassVar

import pytest

from data import audit
from data import jobs as job_rows
from ml.errors import PolicyError, RequestError
from ml.jobs import engine as jobs
from ml.jobs.kinds import JobKind
from ml.jobs.requests import JobRequest
from ml.lab.requests import TrainRequest

HANDLERS: dict[str, object] = {}


@dataclass(frozen=True)
class Work(JobRequest):
    """A test request: `step` names the handler the test installed."""
    step: str
    by: str = "ana"
    n: int = 0

    kind: ClassVar[str] = "work"

    @property
    def user(self) -> str:
        return self.by

    def validated(self) -> Work:
        if self.n < 0:
            raise RequestError(f"n must be 0 or more; got {self.n}.")
        return self


@dataclass(frozen=True)
class Study(Work):
    kind: ClassVar[str] = "study"


def _run(request, ctx):
    return HANDLERS[request.step](request, ctx)


KINDS = {"work": JobKind("work", "train", Work, _run, "train"),
         "study": JobKind("study", "tune", Study, _run, "train")}


@pytest.fixture
def runner(seeded_store):
    jobs.reset_runner()
    job_rows.mark_interrupted_all()
    made = jobs.JobRunner(KINDS)
    yield made
    made.shutdown()
    HANDLERS.clear()


def test_progress_is_stored_while_running_and_the_result_at_the_end(runner):
    reached, release = threading.Event(), threading.Event()

    def handler(request, ctx):
        ctx.progress("loading", 0.1)
        ctx.progress("fitting", 0.5, "fitting: 150 of 300 trees", done=150, total=300, detail="150 of 300 trees")
        reached.set()
        release.wait(10)
        ctx.progress("saving", 1.0)
        return {"message": f"made {request.n}", "n": request.n}

    HANDLERS["progress"] = handler
    job_id = runner.submit(Work("progress", n=3))
    assert reached.wait(10)
    running = job_rows.get(job_id)
    assert (running.status, running.stage, running.progress) == ("running", "fitting", 0.5)
    assert (running.done, running.total, running.detail) == (150, 300, "150 of 300 trees")
    assert running.lane == "train" and running.worker == "job-train"
    release.set()
    done = runner.wait(job_id)
    assert (done.status, done.progress, done.message) == ("succeeded", 1.0, "made 3")
    assert done.result == {"message": "made 3", "n": 3}
    rows = audit.page(username="ana", action="job_work")
    assert rows["outcome"].tolist() == ["ok", "ok"] and rows["target"].tolist() == [f"job:{job_id}"] * 2  # queued, done


def test_a_failure_is_a_clear_message_and_an_audit_row(runner):
    def handler(request, ctx):
        raise ValueError("The dataset has only one class (3).")

    HANDLERS["fail"] = handler
    done = runner.wait(runner.submit(Work("fail")))
    assert (done.status, done.message) == ("failed", "The dataset has only one class (3).")
    assert "error" in set(audit.page(username="ana", action="job_work")["outcome"])


def test_an_invalid_request_or_a_viewer_is_refused_at_submit_and_nothing_is_queued(runner):
    with pytest.raises(RequestError, match="n must be 0 or more; got -1."):
        runner.submit(Work("never", n=-1))
    with pytest.raises(PolicyError):
        runner.submit(Work("never", by="vic"))
    assert job_rows.page().empty
    assert "denied" in set(audit.page(username="vic", action="job_work")["outcome"])


def test_cancel_stops_a_running_job(runner):
    started, stop_seen = threading.Event(), threading.Event()

    def handler(request, ctx):
        started.set()
        for i in range(1000):
            try:
                ctx.progress("working", i / 1000)
            except jobs.JobCancelled:
                stop_seen.set()
                raise
            threading.Event().wait(0.01)
        return {}

    HANDLERS["cancel"] = handler
    job_id = runner.submit(Work("cancel"))
    assert started.wait(10)
    with pytest.raises(PolicyError):  # someone else's job: only an admin may cancel it
        runner.cancel(job_id, by="vic")
    runner.cancel(job_id, by="ana")
    done = runner.wait(job_id)
    assert done.status == "cancelled" and stop_seen.is_set() and done.progress < 1.0


def test_one_lane_runs_its_jobs_one_after_the_other(runner):
    order, gate = [], threading.Event()

    def handler(request, ctx):
        order.append(("start", request.n))
        gate.wait(10)
        order.append(("end", request.n))
        return {}

    HANDLERS["queue"] = handler
    first = runner.submit(Work("queue", n=1))
    second = runner.submit(Work("queue", n=2))
    assert job_rows.get(second).status == "queued"
    assert runner.status()["lanes"]["train"]["queued"] >= 1
    gate.set()
    runner.wait(first), runner.wait(second)
    assert order == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_a_long_study_does_not_block_a_training_job(runner):
    study_running, release = threading.Event(), threading.Event()

    def long_study(request, ctx):
        study_running.set()
        release.wait(30)
        return {"message": "study done"}

    HANDLERS["study"] = long_study
    HANDLERS["quick"] = lambda request, ctx: {"message": "trained"}
    study = runner.submit(Study("study"))
    assert study_running.wait(10)
    quick = runner.wait(runner.submit(Work("quick")), timeout=10)  # finishes while the study still runs
    assert quick.status == "succeeded" and job_rows.get(study).status == "running"
    lanes = runner.status()["lanes"]
    assert lanes["tune"]["running"] == 1 and lanes["train"]["running"] == 0
    assert all(lane["worker_alive"] for lane in lanes.values())
    release.set()
    assert runner.wait(study).status == "succeeded"


def test_two_workers_on_one_lane_run_each_job_exactly_once(runner):
    runs: list[int] = []
    HANDLERS["count"] = lambda request, ctx: runs.append(request.n) or {}
    second = jobs.JobRunner(KINDS, lanes=("train",))  # e.g. a second worker added to the lane
    try:
        ids = [(runner if i % 2 else second).submit(Work("count", n=i)) for i in range(12)]
        finished = [runner.wait(job_id, timeout=30) for job_id in ids]
    finally:
        second.shutdown()
    assert sorted(runs) == list(range(12)) and {job.status for job in finished} == {"succeeded"}


def test_the_command_line_obeys_the_role_table_too(seeded_store):
    with pytest.raises(PolicyError, match=r"Your role \(viewer\) may not do this \(train\)"):
        jobs.run_inline(TrainRequest("knn", "digits", "vic"))
    with pytest.raises(RequestError, match="knn parameter n_neighbors must be between 1 and 30"):
        jobs.run_inline(TrainRequest("knn", "digits", "ana", params={"n_neighbors": 99}))
    assert job_rows.page().empty
    assert set(audit.page(action="job_train")["outcome"]) == {"denied", "error"}


def test_a_restart_marks_running_jobs_interrupted(seeded_store):
    jobs.reset_runner()
    job_id = job_rows.create("train", {"family": "svc"}, "ana")
    job_rows.mark_running(job_id)
    jobs.runner()        # the server starts again
    after = job_rows.get(job_id)
    assert after.status == "interrupted" and "start it again" in after.message
    jobs.reset_runner()


def test_throttled_progress_still_records_the_final_state(runner):
    def handler(request, ctx):
        for i in range(200):
            ctx.progress("fitting", i / 200)
        ctx.progress("fitting", 1.0)
        return {}

    HANDLERS["throttle"] = handler
    done = runner.wait(runner.submit(Work("throttle")))
    assert done.status == "succeeded" and done.progress == 1.0


@pytest.mark.parametrize("request_, sentence", [
    (TrainRequest("forest", "digits", "ana"), "Unknown model family 'forest'; choose one of svc"),
    (TrainRequest("knn", "digits", "ana", params={"n_neighbors": 0}),
     "knn parameter n_neighbors must be between 1 and 30; got 0."),
    (TrainRequest("knn", "digits", "ana", params={"k": 3}), "knn has no parameter 'k'"),
    (TrainRequest("knn", "digits", "ana", test_size=0.9), "The test share must be between 0.05 and 0.5"),
    (TrainRequest("knn", "zip:nowhere.zip", "ana"), "nowhere.zip is not a zip file."),
    (TrainRequest("knn", "mnist", "ana"), "Unknown dataset 'mnist'"),
])
def test_train_requests_are_checked_when_submitted(seeded_store, request_, sentence):
    jobs.reset_runner()
    with pytest.raises(RequestError) as refused:
        jobs.submit(request_)
    assert sentence in str(refused.value)
    assert job_rows.page().empty
    jobs.reset_runner()


def test_feedback_with_too_few_digits_is_refused_at_submit(seeded_store):
    from data import predictions
    from ml.datasets.splits import load_embedded
    digits = load_embedded()

    def confirm(index: int) -> None:
        pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, int(digits.y[index]), 0.9, [0.1] * 10,
                                                           digits.X[index].tolist(), None, 1.0))
        predictions.add_feedback(pid, "ana", int(digits.y[index]), True)

    threes, sevens = (list(map(int, (digits.y == d).nonzero()[0][:3])) for d in (3, 7))
    for i in threes + sevens[:1]:
        confirm(i)
    jobs.reset_runner()
    with pytest.raises(RequestError) as refused:
        jobs.submit(TrainRequest("knn", "feedback:digits8", "ana"))
    assert str(refused.value).startswith("feedback:digits8 has 2 or more examples of only 1 digit (3); at least 2 "
                                         "examples of each of 2 digits are needed.")
    assert job_rows.page().empty
    confirm(sevens[1])  # a second 7: two digits with two examples each
    job = jobs.runner().wait(jobs.submit(TrainRequest("knn", "feedback:digits8", "ana", params={"n_neighbors": 1})),
                             timeout=60)
    assert job.status == "succeeded", job.message
    jobs.reset_runner()


def test_a_folder_or_zip_of_one_digit_is_refused_before_any_image_is_decoded(seeded_store, tmp_path):
    import zipfile
    folder = tmp_path / "fours"
    (folder / "4").mkdir(parents=True)
    for i in range(3):
        (folder / "4" / f"{i}.png").write_bytes(b"not even an image: never decoded at submit")
    with pytest.raises(RequestError, match=r"folder:fours has only one class \(digit 4\)"):
        TrainRequest("knn", f"folder:{folder}", "ana").validated()
    archive = tmp_path / "pair.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("a_1.png", "b_1.png", "c_2.png"):
            zf.writestr(name, b"png")
    with pytest.raises(RequestError, match=r"only 1 digit \(1\); at least 2 examples of each of 2 digits"):
        TrainRequest("knn", f"zip:{archive}", "ana").validated()
