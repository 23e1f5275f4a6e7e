"""Numbers on Draw and Upload (AppTest): the reading with its doubtful digits, the correction, bad input."""
import io
import sys
import types

import numpy as np
import pytest
from conftest import texts
from PIL import Image

from data import db
from ml.reading.devset import pen_number


class WideCanvas:
    """Stands in for the drawable canvas: hands the page a drawn number (tests/canvas.py does digits)."""

    def __init__(self) -> None:
        self.canvas = None

    def __call__(self, **kwargs):
        png = None
        if self.canvas is not None:
            buffer = io.BytesIO()
            Image.fromarray(self.canvas).save(buffer, format="PNG")
            png = buffer.getvalue()
        return types.SimpleNamespace(image_data=self.canvas, image_bytes=png,
                                     json_data={"objects": []} if self.canvas is not None else None)


@pytest.fixture
def wide(monkeypatch):
    fake = WideCanvas()
    module = types.ModuleType("streamlit_drawable_canvas")
    module.st_canvas = fake
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)
    return fake


def _png(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload_number(at, name: str, data: bytes):
    at.segmented_control(key="upload_kind").set_value("A number").run()
    at.file_uploader(key="upload_file").set_value((name, data, "image/png"))
    return at.run()


def test_upload_a_number_reads_it_stores_it_and_takes_a_correction(open_app):
    at = _upload_number(open_app("ana", "upload"), "meter.png", _png(255 - pen_number("1450", gap=0.3)[..., 0]))
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Reading"] == "1450"
    assert db.rows("SELECT text, source, filename FROM readings") == [("1450", "upload", "meter.png")]
    at.run()  # a rerun does not read again
    assert db.one("SELECT count(*) FROM readings")[0] == 1
    at.text_input(key="upload_number_text").set_value("1459")
    at.button[[b.label for b in at.button].index("Save the correct number")].click().run()
    assert not at.exception
    assert any("1 digit(s) corrected" in s.value for s in at.success)
    assert db.one("SELECT count(*) FROM feedback WHERE NOT is_correct")[0] == 1


def test_a_doubtful_digit_is_highlighted_with_its_question(open_app, monkeypatch):
    from ml.prediction import predictor
    monkeypatch.setattr(predictor, "threshold_in", lambda metrics: 2.0)  # no answer reaches it
    at = _upload_number(open_app("ana", "upload"), "code.png", _png(255 - pen_number("307")[..., 0]))
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Reading"] == "???"
    assert ":orange-background[**?**]" in texts(at) and " or " in texts(at)
    assert db.one("SELECT doubtful FROM readings")[0] is True


def test_a_blank_number_upload_is_one_sentence_and_stores_nothing(open_app):
    at = _upload_number(open_app("ana", "upload"), "blank.png", _png(np.full((80, 300), 255, dtype=np.uint8)))
    assert not at.exception
    assert [i.value for i in at.info][-1:] == [r"The image is blank\: there is no number to read in it."]
    assert db.one("SELECT count(*) FROM readings")[0] == 0


def test_draw_a_number_in_number_mode(open_app, wide):
    at = open_app("ana", "draw")
    at.segmented_control(key="draw_mode").set_value("A number").run()
    assert not at.exception
    assert any("press Read" in i.value for i in at.info)
    wide.canvas = pen_number("2-3-9-1")
    at.run()
    at.button(key="read_number").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Reading"] == "2-3-9-1", (at.error, at.info, at.warning)
    assert db.rows("SELECT text, source FROM readings") == [("2-3-9-1", "draw")]


def test_one_giant_blob_is_one_sentence(open_app):
    picture = np.full((200, 800), 255, dtype=np.uint8)
    picture[40:160, 50:750] = 0
    at = _upload_number(open_app("ana", "upload"), "blob.png", _png(picture))
    assert not at.exception
    assert [e.value for e in at.error] == [r"The image holds one blob of ink, not written digits\: write the number "
                                          "with a pen on a plain background."]
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'read_upload' AND outcome = 'error'")[0] == 1


def test_history_shows_readings_and_filters_the_doubtful_ones(open_app):
    from unittest import mock

    from ml.reading.service import read
    at = open_app("ana", "history")
    read(pen_number("307"), username="ana", source="draw")
    read(pen_number("45"), username="vic", source="draw")
    from ml.prediction import predictor
    with mock.patch.object(predictor, "threshold_in", lambda metrics: 2.0):  # every digit of this one is doubtful
        read(pen_number("1450"), username="ana", source="draw")
    at.segmented_control(key="history_kind").set_value("Numbers").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["text"].tolist()) == ["1450", "307"]  # her own
    at.toggle(key="history_doubtful").set_value(True).run()
    assert at.dataframe[0].value["text"].tolist() == ["1450"]
    at.toggle(key="history_all").set_value(True)
    at.toggle(key="history_doubtful").set_value(False).run()
    assert sorted(at.dataframe[0].value["text"].tolist()) == ["1450", "307", "45"]


def test_history_corrects_a_picked_reading_and_its_digits_become_feedback(open_app):
    from ml.reading.service import read
    stored = read(pen_number("307"), username="vic", source="draw")
    at = open_app("ana", "history")
    at.segmented_control(key="history_kind").set_value("Numbers").run()
    at.toggle(key="history_all").set_value(True).run()
    assert not at.text_input  # nothing picked: no correction form yet
    at.session_state["readings_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    key = f"history_reading_{stored.reading_id}_text"
    at.text_input(key=key).set_value("387")
    at.button[[b.label for b in at.button].index("Save the correct number")].click().run()
    assert not at.exception
    assert any("1 digit(s) corrected" in s.value for s in at.success)
    assert db.rows("SELECT prediction_id, username, true_digit, is_correct FROM feedback ORDER BY prediction_id") == \
        [(stored.prediction_ids[0], "ana", 3, True), (stored.prediction_ids[1], "ana", 8, False),
         (stored.prediction_ids[2], "ana", 7, True)]
    assert "Corrected to 387 by ana" in texts(at.run())


def test_history_draws_the_boxes_on_a_reduced_picture_where_the_digits_are():
    """A reading's boxes are in the pixels of the image read; the picture it stores may be smaller."""
    import pandas as pd

    from dashboard.components.readings import SURE, stored_boxed
    stored = io.BytesIO()
    Image.new("L", (100, 50), 255).save(stored, format="PNG")   # the image read was 200 x 100
    digits = pd.DataFrame([{"box_left": 100, "box_top": 20, "box_width": 40, "box_height": 40, "not_sure": False}])
    picture = np.asarray(stored_boxed(stored.getvalue(), digits, (200, 100)))
    drawn = np.argwhere((picture == SURE).all(axis=-1))
    assert drawn[:, 1].min() == 50 and drawn[:, 1].max() == 70 and drawn[:, 0].min() == 10
