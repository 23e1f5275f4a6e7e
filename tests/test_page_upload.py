"""Upload page (AppTest): a good image gets a prediction and feedback; bad files get a message."""
import pytest
from conftest import texts
from images import bomb_png, png
from PIL import Image
from thresholds import set_threshold

from data import audit, db, predictions, registry
from ml.datasets.generated.synthetic import pen_digit_on_paper as font_digit
from ml.models import artifacts


def _upload(at, name: str, data: bytes, mime: str = "image/png"):
    at.file_uploader(key="upload_file").set_value((name, data, mime))
    return at.run()


def test_upload_predicts_and_records_feedback(open_app):
    at = _upload(open_app("ana", "upload"), "seven.png", png(font_digit(7)))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Predicted digit"] == "7"
    pid, digit, source, name = db.one("SELECT id, digit, source, filename FROM predictions")
    assert (digit, source, name) == (7, "upload", "seven.png")
    at.selectbox(key=f"fb_digit_{pid}").set_value(1).run()
    at.button(key=f"fb_fix_{pid}").click().run()
    assert any("You said it is a 1" in s.value for s in at.success)
    assert db.one("SELECT prediction_id, true_digit, is_correct FROM feedback") == (pid, 1, False)


def test_rerun_does_not_predict_twice(open_app):
    at = _upload(open_app("ana", "upload"), "seven.png", png(font_digit(7)))
    at.run()
    assert db.one("SELECT count(*) FROM predictions")[0] == 1


def test_viewer_gets_a_prediction_but_no_feedback_buttons(open_app):
    at = _upload(open_app("vic", "upload"), "three.png", png(font_digit(3)))
    assert not at.exception
    assert "Viewers cannot send feedback" in texts(at)
    assert not [b for b in at.button if (b.key or "").startswith("fb_")]


def test_bad_files_get_a_message_an_audit_row_and_no_prediction(open_app):
    at = open_app("ana", "upload")
    for name, data in [("notes.png", b"this is not an image"), ("empty.png", b""),
                       ("cut.png", png(font_digit(2))[:200]), ("bomb.png", bomb_png())]:
        at = _upload(at, name, data)
        assert not at.exception
        assert any(name in e.value.replace("\\", "") for e in at.error), name  # shown escaped, as text
    assert db.one("SELECT count(*) FROM predictions")[0] == 0
    errors = audit.page(action="predict_upload")
    assert len(errors) == 4 and set(errors["outcome"]) == {"error"}


def test_a_big_photo_is_decoded_and_thumbnailed_once(open_app, monkeypatch):
    from ml.prediction import predictor
    calls = {"decode": 0, "thumbnail": 0}
    decode, thumbnail = predictor.load_image, predictor.image_to_png_thumbnail

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(predictor, "load_image", counted("decode", decode))
    monkeypatch.setattr(predictor, "image_to_png_thumbnail", counted("thumbnail", thumbnail))
    big = font_digit(6, size=1500, width=60).convert("RGB")
    at = _upload(open_app("ana", "upload"), "six.jpg", _jpeg(big), "image/jpeg")
    assert not at.exception and calls == {"decode": 1, "thumbnail": 1}
    assert {m.label: m.value for m in at.metric}["Predicted digit"] == "6"
    (stored,) = db.one("SELECT image FROM predictions")
    assert [i.proto.imgs[0].caption for i in at.get("image")] == ["six.jpg"]  # the preview: the stored thumbnail
    assert len(stored) <= 64_000


def _jpeg(image: Image.Image) -> bytes:
    import io
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_not_sure_upload_is_flagged_and_asks(open_app):
    set_threshold(registry.active_id(), 1.0)  # "never sure": every answer asks
    at = _upload(open_app("ana", "upload"), "five.png", png(font_digit(5)))
    assert not at.exception
    best, second, flagged = db.one("SELECT digit, runner_up, needs_review FROM predictions")
    assert flagged and f"Not sure — {best} or {second}?" in texts(at)
    assert {b.label for b in at.button} >= {f"It is {best}", f"It is {second}"}


def test_a_tampered_model_gives_a_sentence_and_an_audit_row(open_app):
    record = registry.get(registry.active_id())
    path = artifacts.artifact_file(record.artifact_path)
    original = path.read_bytes()
    path.unlink()  # the store's files are hard links to the shared template's (tests/browser.py: copy_store)
    path.write_bytes(original + b"tampered")
    artifacts.clear_cache()
    at = _upload(open_app("ana", "upload"), "seven.png", png(font_digit(7)))
    assert not at.exception
    assert any("does not match its recorded sha256" in e.value for e in at.error)
    rows = audit.page(username="ana", action="predict_upload")
    assert len(rows) == 1 and rows["outcome"].tolist() == ["error"] and "artifact" in rows["detail"][0]
    assert db.one("SELECT count(*) FROM predictions")[0] == 0


def test_feedback_can_be_changed_and_withdrawn_by_its_author(open_app):
    at = _upload(open_app("ana", "upload"), "seven.png", png(font_digit(7)))
    (pid,) = db.one("SELECT id FROM predictions")
    at.button(key=f"fb_ok_{pid}").click().run()
    assert any("You confirmed the answer was right" in s.value for s in at.success)
    at.button(key=f"fb_change_{pid}").click().run()  # the form again
    at.selectbox(key=f"fb_digit_{pid}").set_value(1).run()
    at.button(key=f"fb_fix_{pid}").click().run()
    assert any("You said it is a 1" in s.value for s in at.success)
    assert db.rows("SELECT true_digit, is_correct FROM feedback") == [(1, False)]  # changed, not added
    assert predictions.feedback_samples(784, "canon28")[1].tolist() == [1]  # the training data follows
    at.button(key=f"fb_withdraw_{pid}").click().run()
    assert not at.exception
    assert db.one("SELECT count(*) FROM feedback")[0] == 0
    assert at.button(key=f"fb_ok_{pid}")  # the question is asked again
    details = audit.page(username="ana", text="prediction")
    assert {"feedback", "withdraw_feedback"} <= set(details["action"])
    assert any("changed from 7" in d for d in details["detail"])


def test_one_upload_limit_stated_once(open_app):
    import tomllib
    from pathlib import Path

    from ml.inputs.images import MAX_UPLOAD_BYTES
    at = open_app("ana", "upload")
    limit_mb = MAX_UPLOAD_BYTES // (1024 * 1024)
    assert at.file_uploader(key="upload_file").proto.max_upload_size_mb == limit_mb  # the widget says "5MB"
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    # the server cap is the Batch page's ceiling (ml/governance/batch_limits.py); this widget and load_image refuse above 5 MB
    assert config["server"]["maxUploadSize"] >= limit_mb
    assert "MB" not in texts(at)  # and the page does not state it a second time


def test_the_upload_limit_is_the_bytes_per_image_setting(open_app):
    """One limit: an admin who changes "Bytes per image" in Settings changes Upload's too."""
    from data import settings
    from ml.errors import ImageError
    from ml.prediction.predict import predict_bytes
    settings.put("batch.bytes_per_image", str(12 * 1024 * 1024))
    at = open_app("ana", "upload")
    assert at.file_uploader(key="upload_file").proto.max_upload_size_mb == 12
    settings.put("batch.bytes_per_image", "2048")
    with pytest.raises(ImageError, match="limit"):
        predict_bytes(png(font_digit(4)) + bytes(4096), filename="big.png", username="ana")


def _letter_png(letter: str) -> bytes:
    import numpy as np

    from ml.datasets import handwriting
    from ml.datasets.generated.upload_styles import render
    return render(handwriting.font_ink(letter, handwriting.HOLDOUT_FONTS[0]), "ink_png", np.random.default_rng(0))


def test_a_letter_is_not_a_digit_and_any_of_ten_digits_can_be_given(open_app):
    at = _upload(open_app("ana", "upload"), "letter.png", _letter_png("A"))
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Answer"] == "Not a digit"
    assert "does not look like a digit" in texts(at) and "Not sure —" not in texts(at)
    (pid,) = db.one("SELECT id FROM predictions WHERE needs_review")
    assert not [b for b in at.button if (b.key or "").startswith(("fb_first", "fb_second"))]  # no two random digits
    pick = at.selectbox(key=f"fb_digit_{pid}")
    assert pick.options == [str(d) for d in range(10)] and pick.placeholder == "It is a …"
    pick.set_value(4).run()
    at.button(key=f"fb_fix_{pid}").click().run()
    assert db.one("SELECT true_digit FROM feedback") == (4,)


def test_a_dot_is_too_small_to_read_and_a_blank_page_is_blank(open_app):
    from PIL import ImageDraw
    dot = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(dot).ellipse((95, 95, 105, 105), fill=0)
    at = _upload(open_app("ana", "upload"), "dot.png", png(dot))
    assert not at.exception
    assert any("too small to read" in i.value for i in at.info)
    at = _upload(at, "blank.png", png(Image.new("L", (200, 200), 255)))
    assert any("blank" in i.value and "too small" not in i.value for i in at.info)
    assert db.one("SELECT count(*) FROM predictions")[0] == 0
