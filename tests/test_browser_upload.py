"""Upload in real Chromium: files given one after another, faster than the page answers, never break
the connection, and the last one is answered."""
from __future__ import annotations

import io

import pytest
from browser import CLIPPED, copy_store, served_app, sign_in, store_at, wait_idle
from conftest import ANALYST_PASSWORD

pytestmark = pytest.mark.browser


def _files(folder) -> list:
    from ml.datasets.generated.synthetic import pen_digit_on_paper
    paths = []
    for digit in (1, 4, 7):
        buffer = io.BytesIO()
        pen_digit_on_paper(digit).save(buffer, format="PNG")
        path = folder / f"digit{digit}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def test_uploads_faster_than_the_answers_keep_the_connection_and_answer_every_one(page, template_store, tmp_path):
    """The same three files again and again, each given before the last one's run has finished drawing:
    the connection holds (each answer's charts are the same as three runs before, which Streamlit would
    send as a reference to its browser cache while a run that evicts them finishes: "Cached ForwardMsg
    MISS", then a dead tab), the last file's answer is shown, and every prediction stored is on the page."""
    import re

    from playwright.sync_api import expect
    (tmp_path / "store").mkdir()
    folder = copy_store(template_store, tmp_path / "store")
    files = _files(tmp_path)
    with served_app(folder) as url:
        sign_in(page, url, "ana", ANALYST_PASSWORD, "upload")
        expect(page.get_by_role("heading", name="Upload an image")).to_be_visible(timeout=30_000)
        uploader = page.locator(".st-key-upload_file input[type=file]")
        for _ in range(3):  # nine answers: all of them fit the page's list of this tab's answers
            for path in files:
                uploader.set_input_files(str(path))  # no wait for the answer: the next file interrupts the run
            expect(page.get_by_text("Model ").filter(has_text="prediction #").first).to_be_visible(timeout=60_000)
        wait_idle(page)
        expect(page.get_by_text("prediction #").first).to_be_visible(timeout=60_000)
        held = page.locator(".st-key-upload_file").inner_text()
        answered = page.get_by_test_id("stImageCaption").first.inner_text()
        assert answered.strip() in held  # the answer shown is the one for the file the uploader holds
        body = page.locator("body").inner_text()
        assert "Connection error" not in body and "ForwardMsg" not in body
        for name in ("Correct", "Save correction"):  # whole labels at 1280 px ("Save correc…" was cut)
            assert not page.get_by_role("button", name=name, exact=True).evaluate(CLIPPED), name
    with store_at(folder):
        from data import db
        stored = {row[0] for row in db.cursor().execute(
            "SELECT id FROM predictions WHERE username = 'ana' AND source = 'upload'").fetchall()}
    shown = {int(n) for n in re.findall(r"prediction #(\d+)", body)}
    assert stored and stored <= shown, f"stored but never shown: {sorted(stored - shown)}"


def test_no_message_is_sent_as_a_reference_to_the_browsers_cache():
    """Streamlit sends a big element the browser reported having as a reference to its cache; a run
    that finishes meanwhile can evict it ("Cached ForwardMsg MISS", and the tab is dead). The app
    sends every element whole: nothing it draws reaches the size that makes a message cacheable."""
    import tomllib
    from pathlib import Path
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["global"]["minCachedMessageSize"] >= 1e9  # above server.maxMessageSize (200 MB)
