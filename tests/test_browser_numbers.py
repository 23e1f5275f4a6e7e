"""Number mode of Draw in real Chromium: write "307" with the mouse on the wide canvas, press Read, see "307"."""
from __future__ import annotations

import pytest
from browser import SCRIPT_IDLE, copy_store, served_app, sign_in, wait_idle
from conftest import ANALYST_PASSWORD

from ml.datasets.generated.synthetic import PEN_PATHS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(template_store, tmp_path_factory):
    folder = copy_store(template_store, tmp_path_factory.mktemp("browser_numbers"))
    with served_app(folder) as url:
        yield url, folder


def _write(page, text: str) -> None:
    """Each digit's pen strokes (ml.datasets.generated.synthetic.PEN_PATHS) with real mouse events, one cell per digit; each
    mouse-up sends the drawing to Python, so the next stroke waits for that run to end."""
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    for _ in range(600):  # the square canvas of One digit is replaced by the wide one: wait until it is
        if box and box["width"] > 2 * box["height"]:
            break
        page.wait_for_timeout(100)
        box = canvas.bounding_box()
    assert box and box["width"] > 2 * box["height"], f"the number canvas never became wide: {box}"
    cell, size, top = 170, 170, 25
    for k, ch in enumerate(text):
        for stroke in PEN_PATHS[int(ch)]:
            points = [(box["x"] + 60 + k * cell + x * size * 0.9, box["y"] + top + y * size * 0.95) for x, y in stroke]
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y, steps=6)
            page.mouse.up()
            page.wait_for_timeout(150)
            page.locator(SCRIPT_IDLE).wait_for(timeout=60_000)


def test_write_307_in_number_mode_and_read_it(page, app_url):
    from playwright.sync_api import expect
    url, folder = app_url
    sign_in(page, url, "ana", ANALYST_PASSWORD)
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Draw").first.click()
    expect(page.get_by_text("Draw a digit first")).to_be_visible(timeout=30_000)
    page.get_by_text("A number", exact=True).click()
    expect(page.get_by_text("then press Read")).to_be_visible(timeout=30_000)
    wait_idle(page)
    _write(page, "307")
    strokes = sum(len(PEN_PATHS[int(ch)]) for ch in "307")
    expect(page.get_by_text(f"{strokes} strokes drawn")).to_be_visible(timeout=30_000)  # the server has them all
    page.get_by_role("button", name="Read").click()
    reading = page.get_by_test_id("stMetric").filter(has_text="Reading")
    expect(reading.get_by_test_id("stMetricValue")).to_have_text("307", timeout=30_000)
    expect(page.get_by_text("Digits found")).to_be_visible()
