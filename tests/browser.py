"""Helpers for browser tests: serve the app on a free port and drive Debian's Chromium."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.server import CHROMIUM, CHROMIUM_ARGS, SCRIPT_IDLE, stroke_a_one  # noqa: F401 - re-exported for the browser tests
from ml.serving import SERVER, start_streamlit, stop, wait_health

ROOT = Path(__file__).resolve().parent.parent

@contextmanager
def served_app(folder: Path, env_extra: dict[str, str] | None = None, timeout: float = 90) -> Iterator[str]:
    """Start `streamlit run` on a copy of the store in `folder`; yields the base URL; stops it by PID."""
    env = {**os.environ, "DIGITLAB_DB": str(folder / "digitlab.duckdb"), "DIGITLAB_MODELS": str(folder / "models"),
           "DIGITLAB_SECRETS": str(folder / "secrets.toml"), **(env_extra or {})}
    with open(folder / "server.log", "w") as log:
        proc, url, started = start_streamlit(SERVER, env, log)
        try:
            try:
                wait_health(url, proc, started + timeout)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}: {(folder / 'server.log').read_text()[-2000:]}") from None
            yield url
        finally:
            stop(proc)


def _link_or_copy(source: str, target: str) -> str:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def copy_store(template: Path, folder: Path) -> Path:
    """A private copy of a store: the database copied, the model files (a 21 MB artifact, the 35 MB
    training-data cache) hard-linked. The app never writes into them (a new file is written whole and
    renamed over, a deleted one unlinked); a test that tampers with one unlinks it first. Copying them
    for each of ~270 tests wrote 16 GB a run."""
    shutil.copy(template / "digitlab.duckdb", folder / "digitlab.duckdb")
    shutil.copytree(template / "models", folder / "models", copy_function=_link_or_copy)
    return folder


def title_of(path: Path) -> str | None:
    """The literal start of a page's `st.title(...)` ("Welcome, " for an f-string), None if it has none."""
    found = re.search(r"st\.title\(f?[\"']([^\"'{]*)", path.read_text(encoding="utf-8"))
    return found.group(1) if found else None


TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b")
# Tables are drawn on a canvas (glide-data-grid): their cell text is not in the DOM, so every string
# drawn on a canvas is recorded, and "None" among them is an empty cell shown as "None".
RECORD_CANVAS_TEXT = """(() => {
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  window.__drawn = new Set();
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    window.__drawn.add(String(text));
    return fillText.call(this, text, ...rest);
  };
})()"""


# Spinners and skeletons animate while a script runs; on a loaded 2-core machine the longer runs made
# Chromium repaint them for longer, which slowed the server further. Tests see the same page still.
NO_ANIMATION = """(() => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
  document.addEventListener('DOMContentLoaded', () => document.head.appendChild(style));
})()"""


def settle(page) -> None:
    """Wait until the script run is over (as Streamlit's own e2e tests do), the tables have their
    cells and the charts their axes."""
    page.wait_for_timeout(200)
    page.locator(SCRIPT_IDLE).wait_for(timeout=60_000)
    for table in page.get_by_test_id("stDataFrame").all():
        if table.is_visible():
            table.locator("[role='gridcell']").first.wait_for(state="attached", timeout=15_000)
    for chart in page.get_by_test_id("stPlotlyChart").all():
        if chart.is_visible():
            chart.locator(".main-svg").first.wait_for(state="attached", timeout=15_000)
    page.wait_for_timeout(200)


def problems_on(page, where: str) -> list[str]:
    """What a user should never see: an exception box, "None" in a table cell, a time of day on an axis
    (the page needs RECORD_CANVAS_TEXT as an init script for the table cells)."""
    found = []
    for box in page.get_by_test_id("stException").all():
        found.append(f"{where}: exception box: {box.inner_text()[:200]}")
    drawn = page.evaluate("Array.from(window.__drawn || [])")
    found += [f"{where}: a table cell shows None" for text in drawn if text.strip() == "None"]
    cells = page.locator("[data-testid='stTable'] td").all_text_contents()
    found += [f"{where}: a table cell shows None" for text in cells if text.strip() == "None"]
    ticks = page.locator(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text").all_text_contents()
    found += [f"{where}: axis tick {t!r} is a time of day" for t in ticks if TIME_OF_DAY.search(t)]
    return found
