"""The batch job's lifecycle: labelled accuracy, structured progress, cancel, and resume after a
simulated restart without predicting any image twice."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from data import batches, db, predictions
from data import jobs as job_rows
from ml.batch import job as batch
from ml.batch import uploads
from ml.batch.request import BatchRequest
from ml.errors import RequestError
from ml.governance import quotas
from ml.governance.batch_limits import current
from ml.jobs import engine as jobs
from tests.batch_files import labelled_zip, plain_zip


def _job_predictions(batch_id: int) -> list[tuple[str, int]]:
    return [(r[0], int(r[1])) for r in db.rows(
        "SELECT filename, digit FROM predictions WHERE job_id = ? AND source = 'batch' ORDER BY id", [batch_id])]


def _upload(paths) -> tuple[str, list[dict]]:
    return uploads.copy_in(paths, current())


def test_a_labelled_zip_reports_accuracy_confusion_and_worst_confusions(seeded_store, tmp_path):
    labels = labelled_zip(tmp_path / "labelled.zip", per_digit=2)
    record = batch.run_cli([tmp_path / "labelled.zip"], user="ana", labelled=True)
    assert record.status == "succeeded", record.message
    result = record.result
    rows = _job_predictions(result["batch_id"])
    assert len(rows) == len(labels) == result["predicted"] == result["items"] and result["errors"] == 0
    # hand count from the stored rows: label from the member's folder, digit as predicted
    truth = {f"labelled.zip/{name}": label for name, label in labels.items()}
    right = sum(truth[name] == digit for name, digit in rows)
    assert result["accuracy"] == pytest.approx(right / len(rows))
    matrix = result["confusion"]
    assert sum(map(sum, matrix)) == len(rows)
    for name, digit in rows:
        matrix[truth[name]][digit] -= 1
    assert all(cell == 0 for line in matrix for cell in line)
    wrong = len(rows) - right
    assert sum(w["count"] for w in result["worst"]) <= wrong and all(w["true"] != w["predicted"] for w in result["worst"])
    assert f"accuracy {right / len(rows):.1%}" in record.message
    assert not any(uploads.root().iterdir())  # the upload folder is gone once the job ended


def test_progress_is_structured_and_ends_at_the_total(seeded_store, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK", 8)
    plain_zip(tmp_path / "a.zip", 30)
    seen: list[tuple] = []
    real = job_rows.update_progress

    def spy(job_id, stage, progress, message="", **kw):
        seen.append((kw.get("done"), kw.get("total"), progress, message))
        real(job_id, stage, progress, message, **kw)

    monkeypatch.setattr(job_rows, "update_progress", spy)
    monkeypatch.setattr("ml.jobs.engine.JobContext.min_interval", 0.0)
    record = batch.run_cli([tmp_path / "a.zip"], user="ana")
    assert record.status == "succeeded"
    done = [d for d, _, _, _ in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == 30
    assert {t for _, t, _, _ in seen} == {30}
    assert seen[-1][2] == 1.0 and seen[-1][3] == "30 of 30 images"
    assert (record.done, record.total) == (30, 30) and record.message.startswith("Completed: 30 of 30")


@pytest.fixture
def fresh_runner(seeded_store):
    """A job runner of this test's store only (a restart in miniature), stopped afterwards."""
    jobs.reset_runner()
    yield jobs.runner()
    jobs.reset_runner()


def test_cancel_stops_the_batch_keeps_what_was_stored_and_removes_the_uploads(fresh_runner, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK", 10)
    plain_zip(tmp_path / "a.zip", 40)
    token, files = _upload([tmp_path / "a.zip"])
    real = batches.add_items
    calls = []

    def cancel_after_first_chunk(batch_id, rows):
        real(batch_id, rows)
        calls.append(batch_id)
        if len(calls) == 1:
            job_rows.request_cancel(batch_id)  # the user presses Cancel while chunk 2 is prepared

    monkeypatch.setattr(batches, "add_items", cancel_after_first_chunk)
    job_id = jobs.submit(BatchRequest("ana", token, files))
    record = jobs.runner().wait(job_id, timeout=60)
    assert record.status == "cancelled"
    assert len(_job_predictions(job_id)) == 10 and batches.summary(job_id)["items"] == 10 and record.total == 40
    assert not uploads.folder_path(token).exists()


def test_resume_after_a_restart_finishes_without_predicting_any_image_twice(seeded_store, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK", 10)
    plain_zip(tmp_path / "a.zip", 45)
    token, files = _upload([tmp_path / "a.zip"])
    real, calls = batches.add_items, []

    def die_in_third_chunk(batch_id, rows):
        calls.append(batch_id)
        if len(calls) == 3:
            raise KeyboardInterrupt("the server process is killed")  # mid-chunk: its transaction rolls back
        real(batch_id, rows)

    monkeypatch.setattr(batches, "add_items", die_in_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_inline(BatchRequest("ana", token, files))
    first = job_rows.page(kind="batch").iloc[0]
    assert first.status == "running"
    assert len(_job_predictions(int(first.id))) == 20  # two chunks stored, the third rolled back
    assert quotas.status("ana").used_today == 20  # charged with the rows: the rolled-back chunk costs nothing
    kept = {p for p, in db.rows("SELECT id FROM predictions WHERE job_id = ?", [int(first.id)])}

    assert job_rows.mark_interrupted_all() == 1  # what the next server start does
    monkeypatch.setattr(batches, "add_items", real)
    assert uploads.folder_path(token).is_dir()  # a killed process leaves the files for the resume
    record = jobs.run_inline(BatchRequest("ana", resume_of=int(first.id)))
    assert record.status == "succeeded", record.message
    rows = _job_predictions(int(first.id))
    assert len(rows) == 45 == batches.predictions_of(int(first.id)) == len({name for name, _ in rows})
    assert kept <= {p for p, in db.rows("SELECT id FROM predictions WHERE job_id = ?", [int(first.id)])}
    assert record.result["items"] == 45 and record.result["predicted"] == 45
    assert quotas.status("ana").used_today == 45  # each image charged once across both runs
    assert not uploads.folder_path(token).exists()
    with pytest.raises(RequestError, match="only an interrupted batch"):
        jobs.run_inline(BatchRequest("ana", resume_of=record.id))


def test_every_item_is_a_batch_prediction_row_of_bounded_size(seeded_store, tmp_path):
    plain_zip(tmp_path / "a.zip", 5)
    record = batch.run_cli([tmp_path / "a.zip"], user="ana")
    ids = [r[0] for r in db.rows("SELECT id FROM predictions WHERE job_id = ?", [record.result["batch_id"]])]
    assert len(ids) == 5
    for pid in ids:
        row = predictions.get(pid)
        assert row["source"] == "batch" and row["username"] == "ana"
        assert 0 < len(row["image"]) <= 8_000 and len(row["model_input"]) == 28 * 28


def test_a_viewer_may_not_run_a_batch_and_the_refusal_is_audited(seeded_store, tmp_path):
    from ml.errors import PolicyError
    plain_zip(tmp_path / "a.zip", 2)
    with pytest.raises(PolicyError):
        batch.run_cli([tmp_path / "a.zip"], user="vic")
    detail = db.one("SELECT outcome FROM audit_log WHERE username = 'vic' AND action = 'job_batch'")
    assert detail == ("denied",)
    assert not any(uploads.root().iterdir())


def test_the_cli_prints_the_result_and_fails_on_errors(seeded_store, tmp_path, capsys):
    from ml.cli.commands import main
    labelled_zip(tmp_path / "l.zip", per_digit=1)
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    code = main(["batch", str(tmp_path / "l.zip"), str(tmp_path / "junk.png"), "--labelled", "--user", "ana"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["status"] == "succeeded" and out["errors"] == 1 and out["predicted"] == 10
    assert re.match(r"Completed with 1 error: 10 of 11 images predicted; accuracy", out["message"])


def test_decoding_in_a_worker_process_gives_the_same_answers_as_inline(seeded_store, tmp_path, monkeypatch):
    plain_zip(tmp_path / "a.zip", 12)
    (tmp_path / "junk.png").write_bytes(b"not an image")
    answers = []
    for parallel_from, workers in ((10_000, 0), (1, 1)):
        monkeypatch.setattr(batch, "PARALLEL_FROM", parallel_from)
        monkeypatch.setattr(batch, "WORKERS", workers)
        record = batch.run_cli([tmp_path / "a.zip", tmp_path / "junk.png"], user="ana")
        assert record.result["predicted"] == 12 and record.result["errors"] == 1
        answers.append(_job_predictions(record.result["batch_id"]))
    assert answers[0] == answers[1]


def test_a_batch_over_the_daily_quota_fails_whole_with_the_reset_and_stores_nothing(seeded_store, tmp_path,
                                                                                    monkeypatch):
    from ml.governance import quotas
    from ml.governance import settings as settings_catalog
    labels = labelled_zip(tmp_path / "labelled.zip", per_digit=2)  # 20 images
    settings_catalog.put("quota.daily_predictions", len(labels) - 1, by="admin")
    decoded = []
    monkeypatch.setattr(batch, "prepare_chunk", lambda payloads, *a: decoded.append(len(payloads)) or [])
    record = batch.run_cli([tmp_path / "labelled.zip"], user="ana", labelled=True)
    assert record.status == "failed"
    assert decoded == []  # refused before any image was decoded (not after the model loaded)
    assert "daily quota" in record.message and "00:00 UTC" in record.message
    assert db.one("SELECT count(*) FROM predictions WHERE source = 'batch'")[0] == 0
    assert quotas.status("ana").used_today == 0  # nothing counted either
    denied = db.rows("SELECT action FROM audit_log WHERE username = 'ana' AND outcome = 'denied' "
                     "AND detail LIKE '%quota%'")
    assert denied


def test_decoders_start_clean_even_when_main_is_the_app_script(seeded_store, tmp_path, monkeypatch):
    """Inside Streamlit `__main__` is the app script; a decoder process must not run it again."""
    import sys
    import types
    trap = tmp_path / "app_script.py"
    trap.write_text("raise SystemExit('the decoder re-ran the app script')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(trap)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(batch, "WORKERS", 1)
    plain_zip(tmp_path / "a.zip", 6)
    record = batch.run_cli([tmp_path / "a.zip"], user="ana")
    assert record.status == "succeeded", record.message
    assert record.result["predicted"] == 6


def test_images_per_batch_holds_for_the_whole_batch_not_only_each_zip(seeded_store, tmp_path):
    """Two zips of 20 images, each within a limit of 30: together 40, refused before anything is predicted."""
    from ml.governance import settings as settings_catalog
    labelled_zip(tmp_path / "a.zip", per_digit=2)
    labelled_zip(tmp_path / "b.zip", per_digit=2)
    settings_catalog.put("batch.images_per_batch", 30, by="admin")
    record = batch.run_cli([tmp_path / "a.zip", tmp_path / "b.zip"], user="ana", labelled=True)
    assert record.status == "failed"
    assert "This batch holds 40 images; at most 30 are allowed per batch" in record.message
    assert db.one("SELECT count(*) FROM predictions WHERE source = 'batch'")[0] == 0
    assert batch.run_cli([tmp_path / "a.zip"], user="ana", labelled=True).status == "succeeded"


def test_a_decoder_process_decodes_without_loading_the_store():
    """The decoders of a big batch hold the image code only: what the pool starts them with lives in
    ml.batch.prepare, so neither DuckDB nor the model code is loaded in them (26 MB less each)."""
    import psutil

    from ml.batch.prepare import prepare_chunk
    from ml.recognition.conventions import CANON_28
    from tests.batch_files import digit_png
    with batch._decoders(True) as pool:
        data = digit_png(7, np.random.default_rng(0))
        outcome, = pool.submit(prepare_chunk, [data], CANON_28.to_dict(), 10**7, 10**7).result()
        assert outcome[0] is not None and outcome[3] is None  # the image was read
        children = psutil.Process().children(recursive=True)
        mapped = {Path(m.path).name for child in children for m in child.memory_maps()}
    assert any(name.startswith("_imaging") for name in mapped)  # Pillow: the decoder is among them
    assert not any("duckdb" in name or "_svmlib" in name or name.startswith("libsvm") for name in mapped), mapped


def test_when_the_decoder_lags_the_main_process_decodes_and_no_item_is_lost_or_doubled(empty_store, monkeypatch):
    """The decoder's chunks are never ready before they are asked for (a slow or busy decoder): the main
    process decodes every chunk it can itself, and each item still comes out exactly once, with the
    outcome it would have had inline."""
    from concurrent.futures import Future

    from ml.batch.items import Item
    from ml.batch.prepare import prepare_chunk
    from ml.recognition.conventions import CANON_28
    from tests.batch_files import digit_png

    handed = []

    class LaggingPool:
        def submit(self, fn, *args):
            future = Future()  # never done() until result() is called: the decoder is always behind
            future.result = lambda timeout=None: fn(*args)  # type: ignore[method-assign]
            handed.append(len(args[0]))
            return future

    monkeypatch.setattr(batch, "CHUNK", 5)
    rng = np.random.default_rng(5)
    items = [Item(i, f"{i % 10}/img{i}.png", digit_png(i % 10, rng), label=i % 10) for i in range(43)]
    items.insert(7, Item(43, "junk.png", b"not an image"))
    limits = current()
    found = list(batch._outcomes(iter(items), CANON_28, limits, LaggingPool()))
    seen = [item.index for chunk, _ in found for item in chunk]
    assert sorted(seen) == list(range(44))  # every item once
    # a lagging decoder is handed no more than AHEAD chunks: the main process decodes the rest itself
    assert len(handed) <= batch.AHEAD < len(found)
    expected = {item.index: o for item, o in zip(items, prepare_chunk([i.data for i in items], CANON_28,
                                                                      limits.pixels, limits.image_bytes))}
    for chunk, outcomes in found:
        for item, outcome in zip(chunk, outcomes):
            assert (outcome[3], outcome[4]) == (expected[item.index][3], expected[item.index][4])
            if outcome[0] is not None:
                assert np.array_equal(outcome[0], expected[item.index][0])


def test_at_the_end_the_main_process_takes_back_the_chunks_no_decoder_has_started(empty_store, monkeypatch):
    """All chunks handed out and the decoder busy with the first: instead of waiting for the decoder's
    queue one chunk at a time, the main process cancels the newest chunks not yet started and decodes
    them itself; the one being decoded is waited for. Every item comes out once."""
    from concurrent.futures import Future

    from ml.batch.items import Item
    from ml.recognition.conventions import CANON_28
    from tests.batch_files import digit_png

    futures: list[Future] = []

    class BusyPool:
        def submit(self, fn, *args):
            future = Future()
            if not futures:
                future.set_running_or_notify_cancel()  # the decoder's current chunk: it cannot be taken back
            future.result = lambda timeout=None: fn(*args)  # type: ignore[method-assign]
            futures.append(future)
            return future

    monkeypatch.setattr(batch, "CHUNK", 5)
    rng = np.random.default_rng(6)
    items = [Item(i, f"{i % 10}/img{i}.png", digit_png(i % 10, rng), label=i % 10) for i in range(20)]
    found = list(batch._outcomes(iter(items), CANON_28, current(), BusyPool()))
    assert len(futures) == 4  # every chunk handed out at once (AHEAD is more)
    assert [f.cancelled() for f in futures] == [False, True, True, True]
    assert [chunk[0].index for chunk, _ in found] == [15, 10, 5, 0]  # newest taken back first, then the running one
    assert sorted(item.index for chunk, _ in found for item in chunk) == list(range(20))
    assert all(o is not None and o[0] is not None for _, outcomes in found for o in outcomes)


def test_once_the_model_has_loaded_the_main_process_stops_waiting_for_the_decoder(empty_store, monkeypatch):
    """The model loads while the main process waits for the decoder's first chunk: as soon as it has
    loaded, the main process decodes itself instead of waiting on (here: a decoder that never delivers)."""
    from concurrent.futures import Future

    from ml.batch.items import Item
    from ml.recognition.conventions import CANON_28
    from tests.batch_files import digit_png

    class StuckPool:
        def submit(self, fn, *args):
            future = Future()  # queued, never started: it can be taken back
            future.result = lambda timeout=None: pytest.fail("waited on the decoder after the model loaded")
            return future

    asked = []

    def loaded() -> bool:  # still loading the first time it is asked, loaded from then on
        asked.append(1)
        return len(asked) > 1

    monkeypatch.setattr(batch, "CHUNK", 5)
    rng = np.random.default_rng(7)
    items = [Item(i, f"{i % 10}/img{i}.png", digit_png(i % 10, rng), label=i % 10) for i in range(15)]
    found = list(batch._outcomes(iter(items), CANON_28, current(), StuckPool(), loaded))
    assert sorted(item.index for chunk, _ in found for item in chunk) == list(range(15))
    assert all(o is not None and o[0] is not None for _, outcomes in found for o in outcomes)


def test_reading_labels_from_names_loads_no_model_code():
    """A labelled batch reads each member's label while its model loads in another thread: the rule must
    not import scikit-learn (it did, through ml.datasets.sources: the main thread then waited ~1 s on the import
    lock and handed the decoder nothing)."""
    import subprocess
    import sys
    code = ("import sys; from ml.batch.items import label_of; "
            "assert (label_of('3/a.png'), label_of('x_7.png'), label_of('x.png'), label_of('12/b.png')) == (3, 7, None, None); "
            "print(sorted(m for m in ('sklearn', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


_KILLED_MID_BATCH = """
import os, signal, psutil
from ml.batch import job as batch
from ml.batch.prepare import warm_up
batch.WORKERS = 1
with batch._decoders(True) as pool:
    pool.submit(warm_up).result()
    decoders = [c.pid for c in psutil.Process().children() if "spawn_main" in " ".join(c.cmdline())]
    print(*decoders, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the server is killed while its decoder waits for work
"""


def test_a_killed_server_leaves_no_decoder_process_behind(tmp_path):
    import os
    import subprocess
    import sys
    import time

    import psutil
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:  # files, not pipes an orphan would hold open
        parent = subprocess.run([sys.executable, "-c", _KILLED_MID_BATCH], stdout=stdout, stderr=stderr, env=env,
                                cwd=tmp_path, timeout=300)
    assert parent.returncode == -9, err.read_text()
    decoders = [int(p) for p in out.read_text().split()]
    assert decoders

    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 60  # a bound on the wait for the condition, not a measured duration
    while any(map(alive, decoders)) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = [pid for pid in decoders if alive(pid)]
    for pid in orphans:  # do not leave them to the next test
        psutil.Process(pid).kill()
    assert not orphans, "the decoder outlived the server that started it"
