"""The prediction core: what is stored, what is refused, one model per run, chunked work, one row
per drawing, "not sure", feedback and artifact integrity."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from canvas import drawing
from images import png
from PIL import Image
from sklearn.dummy import DummyClassifier
from thresholds import set_threshold

from data import audit, db, predictions, registry
from ml.datasets.generated.synthetic import pen_digit_on_paper as font_digit
from ml.datasets.splits import load_embedded
from ml.errors import BlankImageError, ImageError, PolicyError
from ml.models import artifacts
from ml.prediction.predict import (
    NOT_SURE_BELOW,
    Predictor,
    confidence_threshold,
    predict_bytes,
    predict_drawing,
    predict_image,
    predict_many,
    record_feedback,
)
from ml.recognition.conventions import DIGITS_8X8


def _constant_model(digit: int) -> int:
    """A registered model that answers `digit` for everything (tells two models' answers apart)."""
    data = load_embedded()
    model = DummyClassifier(strategy="constant", constant=digit).fit(data.X, data.y)
    name, sha, size = artifacts.save(model, {"family": "dummy"})
    return registry.register(family="dummy", params={}, dataset="digits", split={}, convention=DIGITS_8X8.to_dict(),
                             metrics={}, artifact_path=name, sha256=sha, size_bytes=size, trained_by="test",
                             fit_seconds=0.0)




def test_a_prediction_row_holds_everything(seeded_store):
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[60:220, 130:150, :3] = 255  # a "1"
    result = predict_image(canvas, username="ana", source="draw")
    row = db.one("SELECT username, source, model_id, digit, confidence, probabilities, model_input, image, "
                 "latency_ms, runner_up FROM predictions WHERE id = ?", [result.prediction_id])
    username, source, model_id, digit, confidence, probabilities, model_input, image, latency, runner_up = row
    assert (username, source, model_id, digit) == ("ana", "draw", registry.active_id(), result.digit)
    assert digit == 1
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-6
    assert confidence == pytest.approx(max(probabilities))
    assert runner_up == int(np.argsort(probabilities)[-2]) == result.likeliest[1]
    assert len(model_input) == result.convention.size ** 2
    assert Image.open(io.BytesIO(image)).format == "PNG" and len(image) <= 64_000
    assert latency > 0


def test_blank_input_is_its_own_error_and_stores_nothing(seeded_store):
    predictor = Predictor("ana", source="upload")
    with pytest.raises(BlankImageError, match="(?i)draw a digit first"):
        predictor.prepare(np.zeros((280, 280, 4), dtype=np.uint8))
    with pytest.raises(BlankImageError, match="blank.png.*no digit to read"):
        predict_bytes(png(Image.new("L", (100, 100), 255)), filename="blank.png", username="ana")
    assert predict_drawing(np.zeros((280, 280, 4), dtype=np.uint8), username="ana") is None
    assert db.one("SELECT count(*) FROM predictions")[0] == 0


def test_bad_upload_names_the_file_and_is_not_stored(seeded_store):
    with pytest.raises(ImageError, match="Could not read x.gif") as caught:
        predict_bytes(b"GIF89a garbage", filename="x.gif", username="ana")
    assert not isinstance(caught.value, BlankImageError)
    assert db.one("SELECT count(*) FROM predictions")[0] == 0


def test_a_batch_audits_each_bad_item_and_goes_on(seeded_store):
    items = [("a.png", png(font_digit(4)), None), ("bad.png", b"not an image", None),
             ("gone.png", None, "no such file"), ("b.png", png(font_digit(8)), None)]
    out = list(predict_many(items, username="ana", source="cli"))
    assert [(name, r.digit if r else None) for name, r, _ in out] == [
        ("a.png", 4), ("bad.png", None), ("gone.png", None), ("b.png", 8)]
    errors = audit.page(username="ana", action="predict_cli", outcome="error")
    assert len(errors) == 2  # non-empty first: all() over an empty frame would pass
    assert sorted(d.split(":")[0] for d in errors["detail"]) == ["bad.png", "gone.png"]
    stored = audit.page(username="ana", action="predict_cli", outcome="ok")  # the two read, by reference
    assert len(stored) == 1 and json.loads(stored["details"][0])["count"] == 2


def test_roles_are_enforced_inside_ml(seeded_store):
    with pytest.raises(PolicyError, match="not an active user"):
        predict_image(drawing(1), username="mallory", source="draw")
    result = predict_image(drawing(1), username="vic", source="draw")  # viewers may predict…
    with pytest.raises(PolicyError, match="viewer"):
        record_feedback(result.prediction_id, username="vic", true_digit=1)  # …but not train models
    assert db.one("SELECT count(*) FROM predictions")[0] == 1
    assert db.one("SELECT count(*) FROM feedback")[0] == 0
    denied = audit.page(action="feedback")
    assert len(denied) == 1 and denied["outcome"].tolist() == ["denied"]


def test_feedback_links_to_the_prediction_and_reads_only_its_digit(seeded_store, monkeypatch):
    result = predict_bytes(png(font_digit(5)), filename="5.png", username="ana")
    monkeypatch.setattr(predictions, "get", lambda *a: pytest.fail("feedback read the whole row"))
    assert record_feedback(result.prediction_id, username="ana", true_digit=result.digit) is True
    assert record_feedback(result.prediction_id, username="ana", true_digit=(result.digit + 1) % 10) is False
    # the author's second answer replaces the first (one row per author and prediction); another's adds one
    assert db.rows("SELECT prediction_id, is_correct FROM feedback ORDER BY id") == [(result.prediction_id, False)]
    assert record_feedback(result.prediction_id, username="admin", true_digit=result.digit) is True
    assert db.rows("SELECT username, is_correct FROM feedback ORDER BY id") == [("ana", False), ("admin", True)]


def test_a_batch_stays_on_one_model_when_another_is_activated_mid_run(seeded_store):
    first = registry.active_id()
    sevens = _constant_model(7)
    images = [png(font_digit(d)) for d in (1, 2, 3, 4, 5, 6)]

    def items():
        for i, data in enumerate(images):
            if i == 4:
                registry.set_active(sevens)  # someone activates another model while the batch runs
            yield f"{i}.png", data, None

    out = list(predict_many(items(), username="ana", source="cli", chunk=3))
    assert {r.model_id for _, r, _ in out} == {first}
    assert [r.digit for _, r, _ in out] == [1, 2, 3, 4, 5, 6]
    assert db.rows("SELECT DISTINCT model_id FROM predictions") == [(first,)]
    later = predict_bytes(images[0], filename="1.png", username="ana")  # the next run uses the new model
    assert (later.model_id, later.digit) == (sevens, 7)
    chosen = Predictor("ana", source="cli", model_id=first).predict(images[0], store=False)  # or one named
    assert (chosen.model_id, chosen.digit) == (first, 1)


def test_classify_calls_the_model_once_per_chunk(seeded_store, monkeypatch):
    predictor = Predictor("ana", source="cli", chunk=4)
    # the gated default answers through proba_and_weight (probabilities and the digit gate's weight at once)
    method = "proba_and_weight" if hasattr(predictor.model.estimator, "proba_and_weight") else "predict_proba"
    real = getattr(predictor.model.estimator, method)
    sizes: list[int] = []

    def spy(X):
        sizes.append(len(X))
        return real(X)

    monkeypatch.setattr(predictor.model.estimator, method, spy)
    prepared = [predictor.prepare(png(font_digit(d % 10)), filename=f"{d}.png") for d in range(10)]
    results = predictor.classify(prepared)
    assert sizes == [4, 4, 2]
    assert [r.digit for r in results] == [d % 10 for d in range(10)]
    assert [r.filename for r in results] == [f"{d}.png" for d in range(10)]


def test_recording_many_is_one_append_with_ids_in_order(seeded_store, monkeypatch):
    predictor = Predictor("ana", source="batch")
    results = predictor.classify([predictor.prepare(png(font_digit(d % 10)), filename=f"{d}.png")
                                  for d in range(25)])
    calls = {"append": 0, "insert": 0}
    real_append = predictions.append

    def append(rows):
        calls["append"] += 1
        return real_append(rows)

    monkeypatch.setattr(predictions, "append", append)
    monkeypatch.setattr(predictions, "insert", lambda row: calls.__setitem__("insert", calls["insert"] + 1))
    ids = predictor.record(results)
    assert calls == {"append": 1, "insert": 0}
    assert len(set(ids)) == 25
    stored = dict(db.rows("SELECT id, filename FROM predictions WHERE source = 'batch'"))
    assert [stored[i] for i in ids] == [f"{d}.png" for d in range(25)]
    digits = dict(db.rows("SELECT id, digit FROM predictions"))
    assert [digits[i] for i in ids] == [r.digit for r in results]


def test_one_drawing_keeps_one_row_until_it_is_final(seeded_store):
    first = predict_drawing(drawing(4, 1), username="ana")  # the first stroke of a 4
    whole = predict_drawing(drawing(4), username="ana", drawing_id=first.prediction_id)
    assert whole.prediction_id == first.prediction_id and whole.digit == 4
    row = predictions.get(first.prediction_id)
    assert (row["digit"], row["revisions"]) == (4, 1)
    assert db.one("SELECT count(*) FROM predictions")[0] == 1
    # someone else cannot continue this drawing
    other = predict_drawing(drawing(4), username="admin", drawing_id=first.prediction_id)
    assert other.prediction_id != first.prediction_id
    # feedback makes it final: a further stroke starts a new row and the answered one stays as it was
    record_feedback(whole.prediction_id, username="ana", true_digit=4)
    after = predict_drawing(drawing(1), username="ana", drawing_id=whole.prediction_id)
    assert after.prediction_id not in (first.prediction_id, other.prediction_id)
    assert predictions.get(first.prediction_id)["digit"] == 4
    assert db.one("SELECT count(*) FROM predictions WHERE username = 'ana'")[0] == 2


def test_not_sure_below_the_models_threshold_is_flagged_for_review(seeded_store):
    model_id = registry.active_id()
    set_threshold(model_id, None)
    assert confidence_threshold(model_id) == NOT_SURE_BELOW
    set_threshold(model_id, 0.999999)  # a threshold the model's answers cannot reach
    result = predict_bytes(png(font_digit(3)), filename="3.png", username="ana")
    assert result.not_sure and result.threshold == 0.999999
    assert result.likeliest[0] == result.digit and result.likeliest[1] != result.digit
    assert result.probabilities[result.likeliest[1]] == sorted(result.probabilities)[-2]
    set_threshold(model_id, 0.0)
    sure = predict_bytes(png(font_digit(3)), filename="3.png", username="ana")
    assert not sure.not_sure
    assert db.rows("SELECT id, needs_review FROM predictions ORDER BY id") == [
        (result.prediction_id, True), (sure.prediction_id, False)]
    flagged = predictions.page(username="ana", flagged=True)
    assert flagged["id"].tolist() == [result.prediction_id]
    assert flagged["runner_up"].tolist() == [result.likeliest[1]]


def test_tampered_artifact_is_refused(seeded_store):
    record = registry.get(registry.active_id())
    path = artifacts.artifact_file(record.artifact_path)
    original = path.read_bytes()
    path.unlink()  # the store's files are hard links to the shared template's (tests/browser.py: copy_store)
    path.write_bytes(original + b"tampered")
    artifacts.clear_cache()
    with pytest.raises(artifacts.ArtifactError, match="does not match its recorded sha256"):
        predict_bytes(png(font_digit(5)), filename="5.png", username="ana")
    assert db.one("SELECT count(*) FROM predictions")[0] == 0


def test_predictions_are_audited_by_reference_one_row_per_call(seeded_store):
    """Every stored prediction is in the audit log by reference: the row (or the range of a bulk
    append) and the model; an upload one row, many files one row per chunk."""
    from ml.datasets.generated.synthetic import font_digit
    from ml.prediction.predict import predict_bytes, predict_many
    buf = io.BytesIO()
    font_digit(7).save(buf, format="PNG")
    one = predict_bytes(buf.getvalue(), filename="7.png", username="ana")
    rows = audit.page(username="ana", action="predict_upload")
    assert len(rows) == 1 and rows["outcome"][0] == "ok" and rows["target"][0] == f"prediction:{one.prediction_id}"
    assert json.loads(rows["details"][0]) == {"first": one.prediction_id, "last": one.prediction_id, "count": 1,
                                              "model": one.model_id}
    many = [p for _, p, _ in predict_many([(f"{i}.png", buf.getvalue(), None) for i in range(5)], username="ana",
                                          source="cli", chunk=3)]
    rows = audit.page(username="ana", action="predict_cli")
    ids = sorted(p.prediction_id for p in many)
    assert sorted(rows["target"]) == sorted([f"predictions:{ids[0]}-{ids[2]}", f"predictions:{ids[3]}-{ids[4]}"])


def test_feedback_rows_name_their_prediction_and_the_old_and_new_digit(seeded_store):
    from ml.prediction.predict import record_feedback, withdraw_feedback
    result = predict_image(drawing(1), username="ana", source="draw")
    record_feedback(result.prediction_id, username="ana", true_digit=7)
    record_feedback(result.prediction_id, username="ana", true_digit=1)  # changed
    withdraw_feedback(result.prediction_id, username="ana")
    rows = audit.page(username="ana", text="prediction", limit=10)
    rows = rows[rows["action"].isin(["feedback", "withdraw_feedback"])].iloc[::-1]  # oldest first
    assert rows["target"].tolist() == [f"prediction:{result.prediction_id}"] * 3
    assert [json.loads(d) for d in rows["details"]] == [{"old": None, "new": 7}, {"old": 7, "new": 1},
                                                         {"old": 1, "new": None}]
