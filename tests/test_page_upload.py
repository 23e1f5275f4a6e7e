"""Upload page (AppTest): a good image gets a prediction and feedback; bad files get a message."""
from conftest import texts
from test_images import _png, bomb_png as _bomb_png
from data import audit, db
from ml.synthetic import pen_digit_on_paper as font_digit


def _upload(at, name: str, data: bytes, mime: str = "image/png"):
    at.file_uploader(key="upload_file").set_value((name, data, mime))
    return at.run()


def test_upload_predicts_and_records_feedback(open_app):
    at = _upload(open_app("ana", "upload"), "seven.png", _png(font_digit(7)))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Predicted digit"] == "7"
    pid, digit, source, name = db.one("SELECT id, digit, source, filename FROM predictions")
    assert (digit, source, name) == (7, "upload", "seven.png")
    at.selectbox(key=f"fb_digit_{pid}").set_value(1).run()
    at.button(key=f"fb_fix_{pid}").click().run()
    assert any("real digit 1" in s.value for s in at.success)
    assert db.one("SELECT prediction_id, true_digit, is_correct FROM feedback") == (pid, 1, False)


def test_rerun_does_not_predict_twice(open_app):
    at = _upload(open_app("ana", "upload"), "seven.png", _png(font_digit(7)))
    at.run()
    assert db.one("SELECT count(*) FROM predictions")[0] == 1


def test_viewer_gets_a_prediction_but_no_feedback_buttons(open_app):
    at = _upload(open_app("vic", "upload"), "three.png", _png(font_digit(3)))
    assert not at.exception
    assert "Viewers cannot send feedback" in texts(at)
    assert not [b for b in at.button if (b.key or "").startswith("fb_")]


def test_bad_files_get_a_message_an_audit_row_and_no_prediction(open_app):
    at = open_app("ana", "upload")
    for name, data in [("notes.png", b"this is not an image"), ("empty.png", b""),
                       ("cut.png", _png(font_digit(2))[:200]), ("bomb.png", _bomb_png())]:
        at = _upload(at, name, data)
        assert not at.exception
        assert any(name in e.value for e in at.error), name
    assert db.one("SELECT count(*) FROM predictions")[0] == 0
    errors = audit.page(action="predict_upload")
    assert len(errors) == 4 and set(errors["outcome"]) == {"error"}
