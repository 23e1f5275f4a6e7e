"""The Batch page (AppTest): jobs table by role, a batch's report, results, errors and exports, resume.

Uploading through the widget needs a browser (tests/test_browser_batch.py); here batches are made
with the same job code (`ml.batch.job.run_cli`) and the page reads them."""
from __future__ import annotations

import pytest

from data import db
from data import jobs as job_rows
from ml.batch import job as batch
from ml.batch import uploads
from ml.batch.request import BatchRequest
from ml.governance.batch_limits import current
from ml.jobs import engine as jobs
from tests.batch_files import labelled_zip, plain_zip
from tests.conftest import texts


def _frame(at, key: str):
    return next(d for d in at.dataframe if d.proto.id and key in d.proto.id).value


def test_an_analyst_sees_the_report_results_and_errors_of_a_labelled_batch(open_app, tmp_path):
    labelled_zip(tmp_path / "l.zip", per_digit=1)
    (tmp_path / "junk.png").write_bytes(b"this is not a picture")
    record = batch.run_cli([tmp_path / "l.zip", tmp_path / "junk.png"], user="ana", labelled=True)
    at = open_app("ana", "batch")
    assert not at.exception
    shown = texts(at)
    assert f"Batch #{record.id}" in shown and "Completed with 1 error" in shown and "Accuracy" in shown
    assert {m.label: m.value for m in at.metric if m.label in ("Images", "Predicted", "Errors")} == \
        {"Images": "11", "Predicted": "10", "Errors": "1"}
    jobs_table = _frame(at, "batch_jobs")
    assert list(jobs_table["job"]) == [record.id] and int(jobs_table["errors"].iloc[0]) == 1
    assert jobs_table["accuracy"].iloc[0] == f"{record.result['accuracy'] * 100:.2f}%"
    # the long result sentence is not squeezed into a cell at 1280 px: it is shown with the picked batch
    assert "message" not in at.dataframe[0].proto.column_order
    assert "owner" not in at.dataframe[0].proto.column_order  # an analyst sees only their own: no owner column
    assert "numbers" not in at.dataframe[0].proto.column_order  # no batch of numbers: no column for it
    results = _frame(at, "batch_results")
    assert len(results) == 10 and results["thumbnail"].str.startswith("data:image/png;base64,").all()
    errors = next(d.value for d in at.dataframe if "reason" in d.value.columns)  # the errors list
    assert list(errors["file"]) == ["junk.png"] and errors["reason"].iloc[0]
    slider = at.slider(key="batch_max_conf")
    assert (slider.min, slider.max, slider.value) == (0, 100, 100) and "%" in slider.proto.format  # in percent
    at.slider(key="batch_max_conf").set_value(0).run()
    assert not at.exception and "No items match these filters." in texts(at)
    for confidence, rows in ((0, 0), (100, 10)):  # the export holds what the filters show
        at.slider(key="batch_max_conf").set_value(confidence).run()
        at.button(key="batch_results_export_prepare").click().run()
        assert not at.exception
        last = db.one("SELECT action, outcome, detail FROM audit_log ORDER BY id DESC LIMIT 1")
        assert last[:2] == ("export", "ok") and f"batch-{record.id}-results" in last[2]
        assert f'"rows": {rows},' in last[2]


def test_a_batch_refused_for_quota_says_why_instead_of_an_empty_list(open_app, tmp_path):
    from ml.governance import settings as settings_catalog
    plain_zip(tmp_path / "a.zip", 5)
    settings_catalog.put("quota.daily_predictions", 4, by="admin")
    record = batch.run_cli([tmp_path / "a.zip"], user="ana")
    assert record.status == "failed"
    at = open_app("ana", "batch")
    assert not at.exception
    assert any("daily quota of 4 predictions" in e.value for e in at.error)
    assert "No items match these filters." not in texts(at) and not at.tabs


def test_admins_see_every_batch_analysts_only_theirs(open_app, tmp_path):
    plain_zip(tmp_path / "a.zip", 3)
    mine = batch.run_cli([tmp_path / "a.zip"], user="ana")
    theirs = batch.run_cli([tmp_path / "a.zip"], user="admin")
    assert list(_frame(open_app("ana", "batch"), "batch_jobs")["job"]) == [mine.id]
    table = _frame(open_app("admin", "batch"), "batch_jobs")
    assert list(table["job"]) == [theirs.id, mine.id] and list(table["owner"]) == ["admin", "ana"]


def test_viewers_cannot_open_batch(open_app):
    at = open_app("vic", "batch")
    assert any("may not open Batch" in e.value for e in at.error)


@pytest.fixture
def fresh_runner(seeded_store):
    jobs.reset_runner()
    yield
    jobs.reset_runner()


def test_an_interrupted_batch_is_resumed_from_the_page(fresh_runner, open_app, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK", 5)
    plain_zip(tmp_path / "a.zip", 12)
    token, files = uploads.copy_in([tmp_path / "a.zip"], current())
    from data import batches
    real, calls = batches.add_items, []

    def die_in_second_chunk(batch_id, rows):
        calls.append(batch_id)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        real(batch_id, rows)

    monkeypatch.setattr(batches, "add_items", die_in_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_inline(BatchRequest("ana", token, files))
    monkeypatch.setattr(batches, "add_items", real)
    job_rows.mark_interrupted_all()
    first = int(job_rows.page(kind="batch").iloc[0].id)
    at = open_app("ana", "batch")
    assert "was interrupted" in texts(at)
    at.button(key=f"batch_resume_{first}").click().run()
    assert not at.exception
    resumed = int(job_rows.page(kind="batch").iloc[0].id)
    record = jobs.runner().wait(resumed, timeout=60)
    assert record.status == "succeeded" and record.result["predicted"] == 12
    assert db.one("SELECT count(*) FROM predictions WHERE job_id = ?", [first]) == (12,)
    at.run()
    assert "was interrupted" not in texts(at)  # its files are gone with the finished resume: nothing to resume


def test_a_picked_result_shows_its_probabilities_and_takes_feedback(open_app, tmp_path):
    """The review path: pick an item, see all ten probabilities, say it is right or correct it;
    "Only not sure" narrows the list to the flagged answers."""
    from data import predictions
    labelled_zip(tmp_path / "l.zip", per_digit=1)
    batch.run_cli([tmp_path / "l.zip"], user="ana", labelled=True)
    at = open_app("ana", "batch")
    results = _frame(at, "batch_results")
    at.session_state["batch_results"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    pid = int(results["prediction_id"].iloc[0])
    assert any(f"batch_proba_{pid}" in (c.proto.id or "") for c in at.get("plotly_chart"))  # the ten bars
    at.button(key=f"batch_ok_{pid}").click().run()
    assert not at.exception
    assert db.one("SELECT true_digit, is_correct FROM feedback WHERE prediction_id = ?", [pid]) == (
        int(results["digit"].iloc[0]), True)
    at.session_state["batch_results"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    other = int(results["prediction_id"].iloc[1])
    wrong = (int(results["digit"].iloc[1]) + 1) % 10
    at.selectbox(key=f"batch_digit_{other}").set_value(wrong).run()
    at.button(key=f"batch_fix_{other}").click().run()
    assert db.one("SELECT true_digit, is_correct FROM feedback WHERE prediction_id = ?", [other]) == (wrong, False)
    flagged = db.one("SELECT count(*) FROM predictions WHERE source = 'batch' AND needs_review")[0]
    at.toggle(key="batch_unsure").set_value(True).run()
    shown = [d for d in at.dataframe if d.proto.id and "batch_results" in d.proto.id]
    assert (len(shown[0].value) if shown else 0) == flagged
    assert predictions.get(pid) is not None


def test_a_running_batch_shows_a_blank_finish_not_none(open_app, tmp_path):
    """The jobs table of a batch still running: its start (month, day, time: the table is narrow), its
    finish blank (a datetime column showed "None" there)."""
    plain_zip(tmp_path / "a.zip", 3)
    record = batch.run_cli([tmp_path / "a.zip"], user="ana")
    db.execute("UPDATE jobs SET status = 'running', finished_at = NULL WHERE id = ?", [record.id])
    table = _frame(open_app("ana", "batch"), "batch_jobs")
    started = job_rows.get(record.id).started_at
    assert list(table["finished"]) == [""] and list(table["started"]) == [f"{started:%m-%d %H:%M}"]
    assert "None" not in table.astype(str).to_numpy().ravel().tolist()


def _number_batch(tmp_path, user: str = "ana"):
    """A labelled batch of four numbers by held-back MNIST writers and one blank image, as the job stores it."""
    import io

    from PIL import Image

    from ml.reading import devset
    found = devset.numbers(4, (3, 4), "separate", seed=5)
    for text, image in zip(found.texts, found.images):
        image.save(tmp_path / f"meter_{text}.png")
    blank = io.BytesIO()
    Image.new("L", (120, 60), 255).save(blank, format="PNG")
    (tmp_path / "blank.png").write_bytes(blank.getvalue())
    files = [tmp_path / f"meter_{t}.png" for t in found.texts] + [tmp_path / "blank.png"]
    return batch.run_cli(files, user=user, labelled=True, numbers=True), found.texts


def test_a_number_batch_shows_its_accuracy_readings_and_a_picked_reading_to_correct(open_app, tmp_path):
    record, written = _number_batch(tmp_path)
    assert record.status == "succeeded", record.message
    at = open_app("ana", "batch")
    assert not at.exception
    shown = texts(at)
    assert f"Batch #{record.id} · numbers" in shown and "labelled numbers right" in shown
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Images"], metrics["Read"], metrics["Errors"]) == ("5", "4", "1")
    order = at.dataframe[0].proto.column_order
    assert "numbers" in order and "resume_of" not in order  # the jobs table marks it; no batch resumes another
    assert metrics["Numbers right"] == f"{record.result['accuracy'] * 100:.2f}%"
    assert metrics["Digits right"] == f"{record.result['digit_accuracy'] * 100:.2f}%"
    assert "Right when not doubtful" in metrics
    lengths = next(d.value for d in at.dataframe if "digit_accuracy" in d.value.columns)
    assert lengths["length"].tolist() == [3, 4] and lengths["labelled"].sum() == 4
    results = _frame(at, "batch_results")
    assert results["label"].tolist() == written and set(results["right"]) <= {"yes", "no"}
    assert results["picture"].str.startswith("data:image/png;base64,").all()
    errors = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert list(errors["problem"]) == ["blank"]
    at.toggle(key="batch_wrong").set_value(True).run()
    wrong = (results["right"] == "no").sum()
    assert (len(_frame(at, "batch_results")) if wrong else 0) == wrong
    at.toggle(key="batch_wrong").set_value(False).run()
    at.session_state["batch_results"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    reading_id = int(results["reading_id"].iloc[0])
    digits = next(d.value for d in at.dataframe if "position" in d.value.columns)  # the picked reading's digits
    assert "".join(map(str, digits["digit"])) == "".join(ch for ch in results["number"].iloc[0] if ch.isdigit())
    at.text_input(key=f"history_reading_{reading_id}_text").set_value(written[0])
    at.button[[b.label for b in at.button].index("Save the correct number")].click().run()
    assert not at.exception
    if len(digits) == sum(ch.isdigit() for ch in written[0]):  # the crops match the label's digits: they train
        assert db.one("SELECT count(*) FROM feedback")[0] == len(digits) and at.success
    else:
        assert any("no digit was used for training" in w.value for w in at.warning)
    assert db.one("SELECT corrected_text FROM readings WHERE id = ?", [reading_id])[0] == written[0]
    at.button(key="batch_results_export_prepare").click().run()
    last = db.one("SELECT action, outcome, detail FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1")
    assert last[:2] == ("export", "ok") and '"rows": 4,' in last[2]


def test_the_upload_form_in_number_mode_asks_for_length_and_labels(open_app):
    at = open_app("ana", "batch")
    at.segmented_control(key="batch_mode").set_value("A number").run()
    assert not at.exception
    assert "the real number is the file name" in at.toggle(key="batch_labelled").label
    assert at.number_input(key="batch_length").value == 0
    at.segmented_control(key="batch_mode").set_value("One digit").run()
    assert "the real digit is the folder" in at.toggle(key="batch_labelled").label
