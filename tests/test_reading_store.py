"""Readings stored and corrected, and `python -m ml read`: CSV rows for good files, a sentence for bad ones."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from data import db, predictions, readings
from ml.errors import RequestError
from ml.reading.devset import pen_number
from ml.reading.service import correct, read


def _paper(text: str, **options) -> Image.Image:
    """The pen number as dark ink on white paper (a scan)."""
    return Image.fromarray(255 - pen_number(text, **options)[..., 0])


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_reading_is_one_row_linked_to_one_prediction_per_digit(seeded_store):
    stored = read(_png(_paper("14.50")), username="ana", source="upload", filename="meter.png")
    assert stored.reading.text == "14.50"
    row = readings.get(stored.reading_id)
    assert row["text"] == "14.50" and row["username"] == "ana" and row["source"] == "upload"
    assert row["image"] and row["filename"] == "meter.png" and row["model_id"] == stored.model_id
    digits = readings.digits(stored.reading_id)
    assert digits["digit"].tolist() == [1, 4, 5, 0]
    assert digits["prediction_id"].tolist() == list(stored.prediction_ids)
    assert (digits["box_width"] > 0).all() and digits["box_left"].is_monotonic_increasing
    one = predictions.get(int(stored.prediction_ids[2]))
    assert len(one["model_input"]) == 28 * 28 and one["image"]  # the crop, as a digit prediction keeps it
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'read_upload'")[0] == 1
    page = readings.page(doubtful=False)
    assert page["id"].tolist() == [stored.reading_id]


def test_a_correction_makes_each_digits_crop_feedback(seeded_store):
    stored = read(pen_number("307"), username="ana", source="draw")
    assert correct(stored.reading_id, username="ana", text="387") == 1
    given = db.rows("SELECT prediction_id, true_digit, is_correct FROM feedback ORDER BY prediction_id")
    assert given == [(stored.prediction_ids[0], 3, True), (stored.prediction_ids[1], 8, False),
                     (stored.prediction_ids[2], 7, True)]
    assert readings.get(stored.reading_id)["corrected_text"] == "387"


def test_the_corrected_crops_are_the_feedback_dataset_s_samples_with_the_real_digits(seeded_store):
    """What the digit model trains on next: each digit's model input, labelled as the correction says."""
    import numpy as np

    from ml.datasets.sources import load_feedback
    stored = read(pen_number("307"), username="ana", source="draw")
    correct(stored.reading_id, username="ana", text="387")
    data = load_feedback()
    assert data.y.tolist() == [3, 8, 7]
    for k, pid in enumerate(stored.prediction_ids):
        assert np.allclose(data.X[k], predictions.get(int(pid))["model_input"])
        assert np.allclose(data.X[k], stored.reading.digits[k].model_input.ravel())


def test_a_correction_with_another_digit_count_is_kept_but_trains_nothing(seeded_store):
    stored = read(pen_number("307"), username="ana", source="draw")
    with pytest.raises(RequestError, match="no digit was used for training"):
        correct(stored.reading_id, username="ana", text="3071")
    assert readings.get(stored.reading_id)["corrected_text"] == "3071"
    assert db.one("SELECT count(*) FROM feedback")[0] == 0
    with pytest.raises(RequestError, match="digits"):
        correct(stored.reading_id, username="ana", text="three")


def _run(*args: str) -> subprocess.CompletedProcess:
    import os
    db.close()  # the CLI is another process: it needs the file
    return subprocess.run([sys.executable, "-m", "ml", *args], capture_output=True, text=True, env={**os.environ},
                          timeout=300)


def test_cli_read_prints_one_csv_row_per_file(seeded_store, tmp_path):
    good = tmp_path / "reading.png"
    _paper("2-3-9-1").save(good)
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((80, 300), 255, dtype=np.uint8)).save(blank)
    result = _run("read", str(good), str(blank))
    assert result.returncode == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["file"], r["number"]) for r in rows] == [(str(good), "2-3-9-1")]
    assert 0 < float(rows[0]["confidence"]) <= 1 and rows[0]["doubtful"] in ("0", "1")
    assert list(rows[0]) == ["file", "number", "confidence", "doubtful", "alternatives"]
    assert f"{blank}: The image is blank" in result.stderr and "Traceback" not in result.stderr
    assert db.one("SELECT count(*) FROM readings")[0] == 1
