"""End to end in real Chromium: sign in with one submit, survive a reload, draw with the mouse,
see the prediction, send feedback, find the rows in DuckDB, sign out. Saves the README screenshot."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser import (
    CLIPPED,
    ROOT,
    copy_store,
    fill_sign_in,
    served_app,
    sign_in,
    store_at,
    stroke_a_one,
    wait_for_cookie,
    wait_idle,
)
from conftest import ANALYST_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "build" / "screenshots" / "draw.png"  # copied to docs/ by hand when the page changes


@pytest.fixture(scope="module")
def store_copy(template_store, tmp_path_factory):
    """A private copy of the store and its sign-in cookie's name, read before the server holds it."""
    from ml.governance import accounts
    folder = copy_store(template_store, tmp_path_factory.mktemp("browser"))
    with store_at(folder):
        return folder, accounts.cookie_name()


@pytest.fixture(scope="module")
def app_url(store_copy):
    folder, _ = store_copy
    with served_app(folder) as url:
        yield url, folder


@pytest.fixture(scope="module")
def cookie_name(store_copy):
    return store_copy[1]


def _draw_one(page) -> None:
    """A vertical stroke with a small flag: a handwritten 1, drawn with real mouse events."""
    stroke_a_one(page)
    page.mouse.up()


def test_sign_in_draw_predict_feedback_sign_out(page, app_url):
    from playwright.sync_api import expect
    url, folder = app_url
    sign_in(page, url, "ana", ANALYST_PASSWORD)  # one submit
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)

    wait_for_cookie(page)
    page.reload()  # the cookie keeps us signed in
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)

    page.get_by_role("link", name="Draw").first.click()
    expect(page.get_by_text("Draw a digit first")).to_be_visible(timeout=30_000)
    _draw_one(page)
    predicted = page.get_by_test_id("stMetric").filter(has_text="Predicted digit")
    expect(predicted).to_be_visible(timeout=30_000)
    expect(predicted.get_by_test_id("stMetricValue")).to_have_text("1")
    page.get_by_role("button", name="Correct", exact=True).click()
    expect(page.get_by_text("You confirmed the answer was right.")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)  # let charts finish their transition before the picture
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    page.reload()  # signed out stays signed out
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    _assert_rows_in_duckdb(folder)


def test_a_stroke_from_the_top_right_corner_draws_ink(page, app_url):
    """The whole square takes ink: nothing of the canvas's own (its toolbar) lies over its top right."""
    from playwright.sync_api import expect
    url, _ = app_url
    sign_in(page, url, "ana", ANALYST_PASSWORD, "draw")
    expect(page.get_by_text("Draw a digit first")).to_be_visible(timeout=30_000)
    canvas = page.locator("canvas.upper-canvas")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 262, box["y"] + 6)  # the corner the toolbar covered
    page.mouse.down()
    page.mouse.move(box["x"] + 262, box["y"] + 270, steps=25)
    page.mouse.up()
    predicted = page.get_by_test_id("stMetric").filter(has_text="Predicted digit")
    expect(predicted).to_be_visible(timeout=30_000)
    expect(predicted.get_by_test_id("stMetricValue")).to_have_text("1")
    # at 1280 px the feedback buttons show their whole labels ("Save correc…" was cut)
    for name in ("Correct", "Save correction"):
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_visible()
        assert not button.evaluate(CLIPPED), name


def _assert_rows_in_duckdb(folder: Path) -> None:
    """Read the server's rows through a copy of its file (DuckDB allows one process per file)."""
    import shutil

    import duckdb
    snapshot = folder / "snapshot.duckdb"
    shutil.copy(folder / "digitlab.duckdb", snapshot)
    wal = folder / "digitlab.duckdb.wal"
    if wal.exists():
        shutil.copy(wal, folder / "snapshot.duckdb.wal")
    con = duckdb.connect(str(snapshot), read_only=False)
    try:
        rows = con.execute("SELECT p.id, p.username, p.source, p.digit, p.image IS NOT NULL, f.true_digit, f.is_correct "
                           "FROM predictions p JOIN feedback f ON f.prediction_id = p.id").fetchall()
        assert rows and rows[0][1:] == ("ana", "draw", 1, True, 1, True)
        actions = {r[0] for r in con.execute("SELECT action FROM audit_log WHERE username = 'ana'").fetchall()}
        assert {"sign_in", "feedback", "sign_out"} <= actions
    finally:
        con.close()


def test_train_a_model_and_open_its_confusion_matrix_and_roc(page, app_url):
    """An analyst trains k-NN in the background, then inspects it on the Models page."""
    from playwright.sync_api import expect
    url, folder = app_url
    sign_in(page, url, "ana", ANALYST_PASSWORD)
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Train").first.click()
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=30_000)
    page.get_by_test_id("stSelectbox").filter(has_text="Model family").click()
    page.get_by_role("option", name="k-nearest neighbours").click()
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("trained:").first).to_be_visible(timeout=90_000)
    page.get_by_role("link", name="Models").first.click()
    expect(page.get_by_text("Model #")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Confusion matrix").click()
    expect(page.get_by_text("Confusion matrix (counts)")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="ROC curves").click()
    expect(page.get_by_text("ROC curves, one digit against the rest")).to_be_visible(timeout=30_000)


def test_a_deep_link_signs_in_then_opens_the_page_asked_for(page, app_url):
    from playwright.sync_api import expect
    url, _ = app_url
    page.goto(f"{url}/train")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    fill_sign_in(page, "ana", ANALYST_PASSWORD)
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=30_000)


def test_typed_home_address_opens_home_signed_out_and_signed_in(page, app_url):
    from playwright.sync_api import expect
    url, _ = app_url
    page.goto(f"{url}/home")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    fill_sign_in(page, "ana", ANALYST_PASSWORD)
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)
    wait_for_cookie(page)
    for address in ("home", ""):  # typed again, signed in by the cookie
        page.goto(f"{url}/{address}")
        expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Page not found")).to_have_count(0)


def test_a_forged_cookie_is_no_cookie(page, app_url, cookie_name):
    """A token with `alg: none` (no signature) must not sign anyone in nor break the page."""
    import base64
    import json

    from playwright.sync_api import expect
    url, _ = app_url
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    forged = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'username': 'admin', 'exp_date': 4102444800})}."
    page.context.add_cookies([{"name": cookie_name, "value": forged, "url": url}])
    page.goto(url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("encountered an error")).to_have_count(0)
    expect(page.get_by_text("Welcome")).to_have_count(0)


def test_an_analyst_starts_a_small_study_and_watches_it_finish(page, app_url):
    """The Tuning page in Chromium: set up a 4-trial k-NN study, start it, see the trials complete."""
    from playwright.sync_api import expect
    url, folder = app_url
    sign_in(page, url, "ana", ANALYST_PASSWORD, "tuning")
    expect(page.get_by_role("heading", name="Tune hyperparameters")).to_be_visible(timeout=30_000)
    family = page.get_by_test_id("stSelectbox").filter(has_text="Model family")
    expect(family).to_be_visible()  # the set-up is open on a first visit
    family.click()
    page.get_by_role("option", name="k-nearest neighbours").click()
    wait_idle(page, 30_000)  # the family's rerun redraws the form: a value typed before it is lost
    trials = page.get_by_role("spinbutton", name="Trials")
    trials.fill("4")
    trials.press("Tab")
    wait_idle(page, 30_000)  # the 4 reached the server (under load a click could beat it: 20 trials ran)
    expect(trials).to_have_value("4")
    page.get_by_role("textbox", name="Study name").fill("browser-knn")
    page.get_by_role("textbox", name="Study name").press("Tab")
    wait_idle(page, 30_000)
    page.get_by_role("button", name="Start study").click()
    expect(page.get_by_text("4 / 4")).to_be_visible(timeout=90_000)  # the live view refreshes by itself
    expect(page.get_by_text("Best parameters:")).to_be_visible()
    expect(page.get_by_role("button", name="Resume study")).to_be_visible(timeout=30_000)  # it has finished
    _everything_agrees(page, "browser-knn", 4)

    # A second study from the same page, without a reload: everything shown is about it, not the first.
    if not page.get_by_role("button", name="Start study").is_visible():
        page.get_by_text("New study", exact=True).click()
    name = page.get_by_role("textbox", name="Study name")
    name.fill("browser-knn-2")
    name.press("Tab")
    wait_idle(page, 30_000)
    trials = page.get_by_role("spinbutton", name="Trials", exact=True)
    trials.fill("3")
    trials.press("Tab")
    wait_idle(page, 30_000)
    page.get_by_role("button", name="Start study").click()
    expect(page.get_by_text("3 / 3")).to_be_visible(timeout=90_000)
    _everything_agrees(page, "browser-knn-2", 3)


def _everything_agrees(page, study: str, trials: int) -> None:
    """Once the study has finished, without a reload: the picker, the trials table and the trial offered
    for training say what the header says (they once stayed at the study's first seconds)."""
    import re

    from playwright.sync_api import expect
    # the picker names the study (a select box keeps the text it showed when picked: nothing there may change)
    expect(page.get_by_role("combobox", name="Study", exact=True)).to_have_value(f"{study} · knn on digits")
    eta = page.get_by_test_id("stMetric").filter(has_text="ETA").get_by_test_id("stMetricValue")
    expect(eta).to_have_text("finished", timeout=30_000)
    expect(page.get_by_text(f"Trials 1–{trials} of {trials} shown by the filter")).to_be_visible()
    delta = page.get_by_test_id("stMetric").filter(has_text="Best accuracy").get_by_test_id("stMetricDelta")
    expect(delta).to_have_text(re.compile(r"trial \d+"))
    best = delta.inner_text().strip()
    # below Optuna's charts, which the finished study's run draws first (seconds on a busy machine)
    expect(page.get_by_role("combobox", name="Trial to train")).to_have_value(f"{best} (best)", timeout=60_000)
    expect(page.get_by_role("button", name=f"Train {best}")).to_be_visible(timeout=30_000)
