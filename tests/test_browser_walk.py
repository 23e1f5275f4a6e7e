"""Every page, for every role, in real Chromium at 1280×720: no exception box, no "None" in a table
cell, no time of day on a chart axis (one day of predictions and feedback is seeded, the case that
used to show "23:59:59.999"), no clipped text (a label, button, metric, tab, table cell or header
wider than its box), on Upload the feedback buttons within the first screen, and after an action the
values beside it are the new ones (Users' add form, Settings' quota metrics).

Set DIGITLAB_WALK_SHOTS=DIR to keep a screenshot of every page (how the pages were looked at).
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from browser import (
    NO_ANIMATION,
    RECORD_CANVAS_TEXT,
    WATCH_CANVAS_CLIPS,
    clipped_on,
    copy_store,
    problems_on,
    served_app,
    settle,
    sign_in,
    stroke_a_one,
    title_of,
    wait_for_cookie,
    wait_idle,
)
from conftest import ADMIN_PASSWORD, ANALYST_PASSWORD, VIEWER_PASSWORD

from dashboard.navigation import allowed
from data import db
from ml.models import artifacts

pytestmark = pytest.mark.browser

ROLES = {"admin": ("admin", ADMIN_PASSWORD), "ana": ("analyst", ANALYST_PASSWORD), "vic": ("viewer", VIEWER_PASSWORD)}
SHOTS = os.environ.get("DIGITLAB_WALK_SHOTS")
INJECTED = "![t](http://example.invalid/x.png)"  # a SPEC as an analyst could type it (issue 9)
def _seed(folder: Path) -> None:
    """One day of predictions with feedback (live accuracy, predictions per day) in the copied store."""
    from data import jobs as job_rows
    from data import predictions
    from ml.datasets.splits import load_embedded
    saved = os.environ.get("DIGITLAB_DB")
    os.environ["DIGITLAB_DB"] = str(folder / "digitlab.duckdb")
    db.close()
    try:
        digits = load_embedded()
        for i in range(9):  # each user's History has rows, some without a file name or feedback (blank cells)
            user = ("admin", "ana", "vic")[i % 3]
            pid = predictions.insert(predictions.PredictionRow(user, "upload", 1, int(digits.y[i]), 0.9, [0.1] * 10,
                                                               digits.X[i].tolist(), None, 1.0,
                                                               filename=None if i % 2 else f"{i}.png"))
            if user != "vic":
                right = i % 4 > 0
                predictions.add_feedback(pid, user, int(digits.y[i]) if right else (int(digits.y[i]) + 1) % 10, right)
        _seed_clippable()
        job_id = job_rows.create("train", {"family": "knn", "dataset": INJECTED}, "ana", title=f"k-NN on {INJECTED}")
        job_rows.finish(job_id, "failed", f"Unknown dataset {INJECTED!r}.")
        _seed_study()
    finally:
        db.close()
        artifacts.clear_cache()
        if saved is None:
            os.environ.pop("DIGITLAB_DB", None)
        else:
            os.environ["DIGITLAB_DB"] = saved


def _seed_clippable() -> None:
    """Values that used to be cut at 1280 px: an audit "denied" outcome, an archived model with notes
    (the registry's last columns), a long file name in History."""
    from data import audit, predictions, registry
    from ml.datasets.splits import load_embedded
    audit.record("vic", "open_page:users", "denied", "viewer may not open Users")
    record = registry.get(1)
    registry.set_notes(1, "The default model: canonical form, retrained each release.")
    digits = load_embedded()
    predictions.insert(predictions.PredictionRow("admin", "upload", record.id, int(digits.y[0]), 0.9, [0.1] * 10,
                                                 digits.X[0].tolist(), None, 1.0,
                                                 filename="scan-2026-03-14-invoice-batch-07-page-3.png"))


def _seed_study() -> None:
    """A study with a complete, a pruned and a running trial: cells with no value, finish or duration."""
    from datetime import datetime, timedelta

    from data import studies
    space = [{"name": "n_neighbors", "kind": "int", "low": 1, "high": 30, "log": False, "choices": []}]
    settings = {"sampler": "tpe", "pruner": "median", "val_size": 0.2, "cv_folds": 0, "test_size": 0.2, "seed": 0}
    study_id = studies.create(name="walked", family="knn", dataset="digits", objective="accuracy",
                              direction="maximize", space=space, settings=settings, created_by="ana")
    start = datetime.now() - timedelta(minutes=5)
    studies.write_trials([
        (study_id, 0, "COMPLETE", {"n_neighbors": 3}, 0.97, {}, None, start, start + timedelta(seconds=2), 2.0, "w", ""),
        (study_id, 1, "PRUNED", {"n_neighbors": 9}, None, {0: 0.5}, 0, start, start + timedelta(seconds=1), 1.0, "w",
         "pruned at step 0"),
        (study_id, 2, "RUNNING", {"n_neighbors": 20}, None, {}, None, start, None, None, "w", "")])
    studies.finish(study_id, "finished")


@pytest.fixture(scope="module")
def walk_url(template_store, tmp_path_factory):
    folder = copy_store(template_store, tmp_path_factory.mktemp("walk"))
    _seed(folder)
    with served_app(folder) as url:
        yield url


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 2000})  # the app scrolls inside its own container
        page.wait_for_timeout(500)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))
        page.set_viewport_size({"width": 1280, "height": 720})


def _upload_one(page) -> None:
    from PIL import Image, ImageDraw
    image = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(image).line([(60, 15), (60, 105)], fill=0, width=12)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "one.png", "mimeType": "image/png", "buffer": buffer.getvalue()}])
    page.get_by_test_id("stMetric").first.wait_for(timeout=30_000)
    settle(page)


def _draw_one(page) -> None:
    """A vertical stroke with a small flag (as in test_browser): a handwritten 1."""
    stroke_a_one(page)
    page.mouse.up()
    page.get_by_test_id("stMetric").first.wait_for(timeout=30_000)
    settle(page)


def _feedback_fits(page, where: str) -> list[str]:
    """The result's feedback buttons are on the first screen of a 1280×720 laptop."""
    box = page.get_by_role("button", name="Correct", exact=True).bounding_box()
    return [] if box is not None and box["y"] + box["height"] <= 720 else [f"{where}: Correct button at {box}"]


# Clipping other engineers are fixing in their own branches (issue 28): reported by them, not here.
def _add_user_twice(page) -> list[str]:
    """Add a user: the form is empty afterwards (the browser used to keep every field, so a second Add
    said the name was taken)."""
    from playwright.sync_api import expect
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Add user"))
    form.get_by_role("textbox", name="Username").fill("walker")
    form.get_by_role("textbox", name="Full name").fill("Wal Ker")
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("Added walker (Wal Ker)")).to_be_visible(timeout=30_000)
    wait_idle(page)
    left = {name: form.get_by_role("textbox", name=name).input_value() for name in ("Username", "Full name")}
    return [f"admin/Users: after adding, the form still holds {left}"] if any(left.values()) else []


def _quota_metrics_follow(page) -> list[str]:
    """Set the picked user's daily limit: the metrics beside the button show it at once, not after a reload."""
    from playwright.sync_api import expect
    main = page.get_by_test_id("stMain")
    button = main.get_by_role("button", name=re.compile(r"^Set .+'s limits$"))
    who = re.match(r"Set (.+)'s limits", button.inner_text().strip()).group(1)
    main.get_by_role("spinbutton", name=re.compile("Predictions per user per UTC day")).last.fill("777")
    button.click()
    expect(page.get_by_text(f"{who} may now make 777 predictions a day")).to_be_visible(timeout=30_000)
    wait_idle(page)
    left = main.get_by_test_id("stMetric").filter(has_text="Left today").get_by_test_id("stMetricValue").inner_text()
    used = main.get_by_test_id("stMetric").filter(has_text="Used today").get_by_test_id("stMetricValue").inner_text()
    expected = f"{777 - int(used.replace(',', '')):,}"
    return [] if left == expected else [f"admin/Settings: Left today shows {left} after setting 777 (used {used})"]


# The analyst's pages are a subset of the admin's (tests/test_role_matrix.py opens each of them as the
# analyst in Chromium too): walking admin and viewer covers every page and both feedback cases.
@pytest.mark.parametrize("username", ["admin", "vic"])
def test_every_page_of_every_role_is_clean(browser, walk_url, username):
    from playwright.sync_api import expect
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(NO_ANIMATION)
    context.add_init_script(RECORD_CANVAS_TEXT)
    context.add_init_script(WATCH_CANVAS_CLIPS)
    page = context.new_page()
    try:
        sign_in(page, walk_url, username, ROLES[username][1])
        expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible(timeout=30_000)
        problems: list[str] = []
        wait_for_cookie(page)
        for n, spec in enumerate(allowed(ROLES[username][0])):
            title = spec.title
            if n == 0:  # typed, signed in by the cookie (test_role_matrix types every address for every role)
                page.goto(f"{walk_url}/{spec.url_path}")
            else:  # the way a user goes: the sidebar's link (no reload of the whole app per page)
                page.get_by_test_id("stSidebar").get_by_role("link", name=spec.title, exact=True).click()
            main = page.get_by_test_id("stMain")  # the page itself, not a refusal (test_role_matrix types every address)
            expect(main.get_by_role("heading", level=1).first).to_contain_text((title_of(spec.path) or "").rstrip(),
                                                                                timeout=30_000)
            expect(main.get_by_text("may not open")).to_have_count(0)
            settle(page)
            if title in ("Upload", "Draw"):
                (_upload_one if title == "Upload" else _draw_one)(page)
                if username != "vic":  # viewers give no feedback
                    problems += _feedback_fits(page, f"{username}/{title}")
            if title == "Train":  # the job list shows a typed SPEC as text: no image, no link
                expect(page.get_by_text("k-NN on ![t](http:").first).to_be_visible(timeout=15_000)  # then a joiner
                assert page.locator("img[src*='example.invalid'], a[href*='example.invalid']").count() == 0
            if title == "History":  # every column fits: no horizontal scrolling in the table
                widths = page.locator("[data-testid='stDataFrame'] .dvn-scroller").first.evaluate(
                    "e => [e.scrollWidth, e.clientWidth]")
                if widths[0] > widths[1] + 1:
                    problems.append(f"{username}/History: the table is {widths[0]} px wide in {widths[1]} px")
            problems += problems_on(page, f"{username}/{title}")
            problems += clipped_on(page, f"{username}/{title}")
            _shot(page, f"{username}-{title}")
            if title == "Users" and username == "admin":
                problems += _add_user_twice(page)
            if title == "Settings" and username == "admin":
                problems += _quota_metrics_follow(page)
            if title == "Models" and username == "admin":  # the analyst sees the same tabs
                for tab in page.get_by_role("tab").all():
                    tab.click()
                    settle(page)
                    problems += problems_on(page, f"{username}/Models/{tab.inner_text()}")
                    problems += clipped_on(page, f"{username}/Models/{tab.inner_text()}")
                    _shot(page, f"{username}-Models-{tab.inner_text()}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
