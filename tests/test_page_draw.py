"""Draw page (AppTest). The canvas itself is a custom component AppTest cannot drive:
drawing is covered by the browser test (tests/test_browser.py)."""
from conftest import texts
from data import db


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
