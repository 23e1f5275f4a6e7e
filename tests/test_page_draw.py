"""Draw page (AppTest). The canvas is a custom component AppTest cannot drive: `tests/canvas.py`
stands in for it, handing the page what the component sends after each stroke (the browser test
draws with a real mouse)."""
import sys
import types

import pytest
from canvas import FakeCanvas
from conftest import texts
from thresholds import set_threshold

from data import audit, db, registry
from ml.models import artifacts


@pytest.fixture
def canvas(monkeypatch):
    fake = FakeCanvas()
    module = types.ModuleType("streamlit_drawable_canvas")
    module.st_canvas = fake
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)
    return fake


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_draw_page_waits_for_a_drawing_and_stores_nothing(open_app):
    at = open_app("ana", "draw")
    assert not at.exception
    assert "Draw a digit" in texts(at)
    assert at.slider(key="stroke_width").value == 20
    assert any("Draw a digit first" in i.value for i in at.info)
    assert db.one("SELECT count(*) FROM predictions")[0] == 0


def test_clear_keeps_the_page_working(open_app):
    at = open_app("ana", "draw")
    at.button(key="clear_canvas").click().run()
    assert not at.exception
    assert any("Draw a digit first" in i.value for i in at.info)


def test_every_stroke_answers_but_a_drawing_keeps_one_row(open_app, canvas):
    at = open_app("ana", "draw")
    canvas.draw(4, 1)  # the first stroke of a 4
    at.run()
    first = db.one("SELECT id, digit FROM predictions")
    canvas.draw(4)  # the second stroke
    at.run()
    assert not at.exception and _metrics(at)["Predicted digit"] == "4"
    assert db.rows("SELECT id, digit, revisions FROM predictions") == [(first[0], 4, 1)]
    canvas.clear()  # Clear gives a fresh canvas
    at.button(key="clear_canvas").click().run()
    canvas.draw(7)
    at.run()
    assert _metrics(at)["Predicted digit"] == "7"
    assert db.rows("SELECT digit FROM predictions ORDER BY id") == [(4,), (7,)]


def test_a_new_drawing_on_a_fresh_canvas_gets_its_own_row(open_app, canvas):
    at = open_app("ana", "draw")
    canvas.draw(1)
    at.run()
    at.switch_page("../pages/history.py").run()  # away and back: the canvas comes back empty
    canvas.clear()
    at.switch_page("../pages/draw.py").run()
    assert any("Draw a digit first" in i.value for i in at.info)
    canvas.draw(4, 1)  # a different first stroke: a new drawing, not more strokes on the 1
    at.run()
    canvas.draw(4)
    at.run()
    assert db.rows("SELECT digit, revisions FROM predictions ORDER BY id") == [(1, 0), (4, 1)]


def test_the_bin_ends_a_drawing_and_feedback_makes_it_final(open_app, canvas):
    at = open_app("ana", "draw")
    canvas.draw(1)
    at.run()
    canvas.bin()  # the canvas toolbar's bin: a blank canvas
    at.run()
    assert any("Draw a digit first" in i.value for i in at.info)
    canvas.draw(7)
    at.run()
    (pid,) = db.one("SELECT max(id) FROM predictions")
    at.button(key=f"fb_ok_{pid}").click().run()
    assert any("You confirmed the answer was right" in s.value for s in at.success)
    canvas.draw(4)  # drawing on after feedback: a new row, the answered one is kept
    at.run()
    assert db.rows("SELECT digit FROM predictions ORDER BY id") == [(1,), (7,), (4,)]
    assert db.rows("SELECT prediction_id, is_correct FROM feedback") == [(pid, True)]


def test_the_ink_map_is_computed_once_per_stroke_and_not_on_other_reruns(open_app, canvas, monkeypatch):
    from ml.recognition import preprocess
    calls = []
    real = preprocess.ink_map
    monkeypatch.setattr(preprocess, "ink_map", lambda image: calls.append(1) or real(image))
    at = open_app("ana", "draw")
    canvas.draw(3)
    at.run()
    assert len(calls) == 1
    at.slider(key="stroke_width").set_value(30).run()  # a rerun without a new stroke
    assert len(calls) == 1 and db.one("SELECT count(*) FROM predictions")[0] == 1


def test_not_sure_asks_which_of_two_digits(open_app, canvas):
    set_threshold(registry.active_id(), 1.0)  # "never sure": every answer asks
    at = open_app("ana", "draw")
    canvas.draw(3)
    at.run()
    assert not at.exception
    best, second = db.one("SELECT digit, runner_up FROM predictions WHERE needs_review")
    assert f"Not sure — {best} or {second}?" in texts(at)
    assert "Predicted digit" not in _metrics(at)
    (pid,) = db.one("SELECT id FROM predictions")
    at.button(key=f"fb_second_{pid}").click().run()  # "It is <second>"
    assert db.one("SELECT true_digit, is_correct FROM feedback") == (second, False)


def test_a_tampered_model_gives_a_sentence_and_an_audit_row(open_app):
    record = registry.get(registry.active_id())
    path = artifacts.artifact_file(record.artifact_path)
    original = path.read_bytes()
    path.unlink()  # the store's files are hard links to the shared template's (tests/browser.py: copy_store)
    path.write_bytes(original + b"tampered")
    artifacts.clear_cache()
    at = open_app("ana", "draw")
    assert not at.exception
    assert any("does not match its recorded sha256" in e.value for e in at.error)
    rows = audit.page(username="ana", action="predict_draw")
    assert len(rows) == 1 and rows["outcome"].tolist() == ["error"] and "artifact" in rows["detail"][0]


def test_a_dot_is_too_small_to_read_not_a_missing_drawing(open_app, canvas):
    import numpy as np
    at = open_app("ana", "draw")
    dot = np.zeros((280, 280, 4), dtype=np.uint8)
    dot[..., 3] = 255
    dot[135:147, 135:147, :3] = 255  # a tap of the pen
    canvas.canvas, canvas.objects = dot, [{"type": "path", "path": [["M", 140, 140], ["L", 141, 141]]}]
    at.run()
    assert not at.exception
    assert any("too small to read" in i.value.lower() for i in at.info)
    assert not any("Draw a digit first" in i.value for i in at.info)
    assert db.one("SELECT count(*) FROM predictions")[0] == 0
