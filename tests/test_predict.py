"""The prediction service: what is stored, what is refused, and artifact integrity."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from data import audit, db, registry
from ml import artifacts
from ml.images import ImageError
from ml.predict import predict_bytes, predict_image, record_feedback
from ml.synthetic import pen_digit_on_paper as font_digit


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_a_prediction_row_holds_everything(seeded_store):
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[60:220, 130:150, :3] = 255  # a "1"
    result = predict_image(canvas, username="ana", source="draw")
    row = db.one("SELECT username, source, model_id, digit, confidence, probabilities, model_input, image, "
                 "latency_ms FROM predictions WHERE id = ?", [result.prediction_id])
    username, source, model_id, digit, confidence, probabilities, model_input, image, latency = row
    assert (username, source, model_id, digit) == ("ana", "draw", registry.active_id(), result.digit)
    assert digit == 1
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-6
    assert confidence == pytest.approx(max(probabilities))
    assert len(model_input) == result.convention.size ** 2
    assert Image.open(io.BytesIO(image)).format == "PNG" and len(image) <= 64_000
    assert latency > 0


def test_blank_canvas_stores_nothing(seeded_store):
    with pytest.raises(ImageError, match="(?i)draw a digit first"):
        predict_image(np.zeros((280, 280, 4), dtype=np.uint8), username="ana", source="draw")
    assert db.one("SELECT count(*) FROM predictions")[0] == 0


def test_bad_upload_is_audited_and_not_stored(seeded_store):
    with pytest.raises(ImageError):
        predict_bytes(b"GIF89a garbage", filename="x.gif", username="ana")
    assert db.one("SELECT count(*) FROM predictions")[0] == 0
    assert audit.page(username="ana")["detail"].str.startswith("x.gif").all()


def test_feedback_links_to_the_prediction(seeded_store):
    result = predict_bytes(_png(font_digit(5)), filename="5.png", username="ana")
    assert record_feedback(result.prediction_id, username="ana", true_digit=result.digit) is True
    assert record_feedback(result.prediction_id, username="ana", true_digit=(result.digit + 1) % 10) is False
    assert db.rows("SELECT prediction_id, is_correct FROM feedback ORDER BY id") == [
        (result.prediction_id, True), (result.prediction_id, False)]


def test_tampered_artifact_is_refused(seeded_store):
    record = registry.get(registry.active_id())
    path = artifacts.artifact_file(record.artifact_path)
    path.write_bytes(path.read_bytes() + b"tampered")
    artifacts.clear_cache()
    with pytest.raises(artifacts.ArtifactError, match="does not match its recorded sha256"):
        predict_bytes(_png(font_digit(5)), filename="5.png", username="ana")
