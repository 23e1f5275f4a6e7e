"""End to end in real Chromium: an analyst uploads a labelled zip on the Batch page, watches the batch
finish in the background, reloads (nothing is lost), and downloads the results as CSV."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from browser import ROOT, copy_store, served_app, sign_in, wait_idle
from conftest import ANALYST_PASSWORD

from tests.batch_files import labelled_zip

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "build" / "screenshots" / "batch.png"


@pytest.fixture(scope="module")
def served(template_store, tmp_path_factory):
    """One server for the module's batches (each test signs in on its own page)."""
    folder = copy_store(template_store, tmp_path_factory.mktemp("browser_batch"))
    with served_app(folder) as url:
        yield url, folder


def test_upload_a_zip_watch_it_finish_and_download_the_csv(page, served, tmp_path):
    from playwright.sync_api import expect
    labels = labelled_zip(tmp_path / "digits.zip", per_digit=3)
    done_text = page.get_by_text(f"Completed: {len(labels)} of {len(labels)} images predicted")
    url, folder = served
    sign_in(page, url, "ana", ANALYST_PASSWORD)
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Batch").first.click()
    expect(page.get_by_role("heading", name="Batch predictions")).to_be_visible(timeout=30_000)
    page.locator(".st-key-batch_files input[type=file]").set_input_files(str(tmp_path / "digits.zip"))
    expect(page.get_by_text("digits.zip")).to_be_visible(timeout=30_000)
    page.locator(".st-key-batch_labelled").get_by_text("Labelled").click()
    page.get_by_role("button", name="Start batch").click()
    # the live block reruns the page once the background job has ended: its results appear
    expect(done_text.filter(visible=True).first).to_be_visible(
        timeout=60_000)
    expect(page.get_by_text("Accuracy", exact=True)).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 2200})  # the app scrolls inside its own container
    page.wait_for_timeout(800)  # let charts finish their transition before the picture
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()  # the batch lives in the job table, not in the browser session
    expect(done_text.filter(visible=True).first).to_be_visible(
        timeout=30_000)
    assert not list((folder / "uploads").iterdir())  # the upload area is emptied once the job ended
    rows = _downloaded_csv(page)
    assert len(rows) == len(labels)
    assert {r["file"] for r in rows} == {f"digits.zip/{name}" for name in labels}
    assert all(r["label"] == str(labels[r["file"].split("/", 1)[1]]) for r in rows)
    assert all(0 <= int(r["digit"]) <= 9 and 0 < float(r["confidence"]) <= 1 for r in rows)


def test_a_batch_of_numbers_with_a_labels_csv_reports_and_downloads_its_readings(page, served, tmp_path):
    """Number mode as a user drives it: two written numbers and a labels CSV, the report, the CSV download."""
    from playwright.sync_api import expect

    from ml.reading import devset
    found = devset.numbers(2, (4,), "separate", seed=8)
    for k, image in enumerate(found.images):
        image.save(tmp_path / f"scan{k}.png")
    (tmp_path / "labels.csv").write_text("file,label\n" + "".join(f"scan{k}.png,{t}\n" for k, t in enumerate(found.texts)))
    url, _ = served
    sign_in(page, url, "ana", ANALYST_PASSWORD, "batch")
    expect(page.get_by_role("heading", name="Batch predictions")).to_be_visible(timeout=30_000)
    page.locator(".st-key-batch_mode").get_by_text("A number").click()
    expect(page.get_by_text("Labels (optional)")).to_be_visible(timeout=30_000)
    page.locator(".st-key-batch_files input[type=file]").set_input_files(
        [str(tmp_path / "scan0.png"), str(tmp_path / "scan1.png")])
    expect(page.get_by_text("scan1.png")).to_be_visible(timeout=30_000)
    wait_idle(page)  # a person picks the CSV once the images are listed; a file set mid-rerun can be dropped
    page.locator(".st-key-batch_labels_csv input[type=file]").set_input_files(str(tmp_path / "labels.csv"))
    expect(page.get_by_text("labels.csv")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Start batch").click()
    expect(page.get_by_text("Completed: 2 of 2 images read;").filter(visible=True).first).to_be_visible(
        timeout=90_000)
    expect(page.get_by_text("Numbers right", exact=True)).to_be_visible()
    expect(page.get_by_text("Commonest misreadings")).to_be_visible()
    rows = _downloaded_csv(page)
    assert [(r["file"], r["label"]) for r in rows] == [(f"scan{k}.png", t) for k, t in enumerate(found.texts)]
    assert all(r["right"] in ("true", "false", "True", "False") and r["number"] for r in rows)


def _downloaded_csv(page) -> list[dict]:
    """Prepares the results' CSV export, downloads it as a user does and reads its rows."""
    from playwright.sync_api import expect

    page.locator(".st-key-batch_results_export_prepare button").click()
    download_button = page.locator(".st-key-batch_results_export_download button")
    expect(download_button).to_be_visible(timeout=30_000)
    with page.expect_download() as info:
        download_button.click()
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
