"""The one browser helper layer: serve the app on a free port and drive Debian's Chromium (launch, sign in,
wait for a still page, draw a stroke). The browser tests and the bench's browser figures both use it."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ml.ops.serving import SERVER, start_streamlit, stop, wait_health

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# Streamlit's own e2e tests wait on this: the app is still, no script run in progress.
SCRIPT_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


@contextmanager
def served_app(folder: Path, env_extra: dict[str, str] | None = None, timeout: float = 90) -> Iterator[str]:
    """Start `streamlit run` on a copy of the store in `folder`; yields the base URL; stops it by PID."""
    env = {**os.environ, "DIGITLAB_DB": str(folder / "digitlab.duckdb"), "DIGITLAB_MODELS": str(folder / "models"),
           **(env_extra or {})}
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


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium driven by Playwright (never a downloaded browser), closed on exit."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is not installed: run `make test` as root, or `apt-get install chromium`.")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, url: str, username: str, password: str, address: str = "") -> None:
    """Open `address` signed out and submit the sign-in form once; the caller waits for what it expects."""
    page.goto(f"{url}/{address}")
    fill_sign_in(page, username, password)


def fill_sign_in(page, username: str, password: str) -> None:
    """Submit the sign-in form already on the page."""
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def stroke_a_one(page) -> None:
    """A handwritten 1 (a stroke with a small flag) drawn on the canvas with real mouse events, up to
    (not including) the mouse-up that sends it to Python."""
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 115, box["y"] + 85)
    page.mouse.down()
    page.mouse.move(box["x"] + 145, box["y"] + 50, steps=8)
    page.mouse.move(box["x"] + 145, box["y"] + 240, steps=25)


def wait_for_cookie(page) -> None:
    """The sign-in cookie is written by a component in the browser just after the page shows."""
    page.wait_for_function("document.cookie.includes('digitlab_auth=')", timeout=30_000)


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script run is over (after a moment, so that a run just asked for has begun)."""
    page.wait_for_timeout(200)
    page.locator(SCRIPT_IDLE).wait_for(timeout=timeout)


@contextmanager
def store_at(folder: Path) -> Iterator[None]:
    """This process opens the copy in `folder` (before a server does): to set it up or read from it."""
    from data import db
    saved = os.environ.get("DIGITLAB_DB")
    os.environ["DIGITLAB_DB"] = str(folder / "digitlab.duckdb")
    db.close()
    try:
        yield
    finally:
        db.close()
        if saved is None:
            os.environ.pop("DIGITLAB_DB", None)
        else:
            os.environ["DIGITLAB_DB"] = saved


# Some element of a button (or the button itself) has text wider than its box: an ellipsis shows.
CLIPPED = "el => [el, ...el.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)"


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
    wait_idle(page)
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


# Clipped text (issue 28): a label, button, metric or tab whose text is wider than its box, and a table
# header or short cell value (drawn on a canvas) that runs past its column. Canvas text is judged by the
# last time each string was drawn on each canvas, so a table drawn once narrow and then at its width is fine.
WATCH_CANVAS_CLIPS = """(() => {
  const P = CanvasRenderingContext2D.prototype;
  const state = new WeakMap();   // context -> {clip: [left, right] | null, stack: [], path: null}
  window.__canvasText = new WeakMap();  // canvas -> Map(text -> clipped?)
  const of = (ctx) => {
    let s = state.get(ctx);
    if (!s) { s = {clip: null, stack: [], path: null}; state.set(ctx, s); }
    return s;
  };
  const x0 = (ctx, x) => { const m = ctx.getTransform(); return m.a * x + m.e; };
  const save = P.save, restore = P.restore, rect = P.rect, clip = P.clip, begin = P.beginPath, fill = P.fillText;
  P.save = function () { const s = of(this); s.stack.push(s.clip); return save.call(this); };
  P.restore = function () { const s = of(this); s.clip = s.stack.length ? s.stack.pop() : null; return restore.call(this); };
  P.beginPath = function () { of(this).path = null; return begin.call(this); };
  P.rect = function (x, y, w, h) {
    const s = of(this), l = x0(this, x), r = x0(this, x + w);
    s.path = s.path ? [Math.min(s.path[0], l), Math.max(s.path[1], r)] : [l, r];
    return rect.call(this, x, y, w, h);
  };
  P.clip = function (...args) {
    const s = of(this);
    if (s.path) s.clip = s.clip ? [Math.max(s.clip[0], s.path[0]), Math.min(s.clip[1], s.path[1])] : s.path;
    return clip.apply(this, args);
  };
  P.fillText = function (text, x, ...rest) {
    const t = String(text).trim();
    if (t && this.canvas) {
      const s = of(this), w = this.measureText(String(text)).width * this.getTransform().a;
      let left = x0(this, x);
      if (this.textAlign === 'right' || this.textAlign === 'end') left -= w;
      else if (this.textAlign === 'center') left -= w / 2;
      const m = this.getTransform(), top = m.d * (rest[0] || 0) + m.f;
      // a header (the grid's first 35 px) or a short value ("denied", "archived", "one.png") cut by its
      // column; long free text (an audit detail, notes) is cut by design and shown whole on request
      const judged = top < 35 || t.length <= 16;
      const clipped = judged && !!s.clip && (left + w > s.clip[1] + 1.5 || left < s.clip[0] - 1.5);
      let seen = window.__canvasText.get(this.canvas);
      if (!seen) { seen = new Map(); window.__canvasText.set(this.canvas, seen); }
      seen.set(t, clipped);
    }
    return fill.call(this, text, x, ...rest);
  };
})()"""

CLIPPED_NOW = """async () => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // the last draw is done
  const out = [];
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const boxes = main.querySelectorAll(
    '[data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p, [data-testid="stMetricValue"] div, ' +
    'button p, button [data-testid="stMarkdownContainer"], [role="tab"] p, [data-testid="stTable"] th');
  for (const el of boxes) {
    if (!el.offsetParent || !el.textContent.trim() || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(`"${el.textContent.trim().slice(0, 60)}" (${el.scrollWidth} px in ${el.clientWidth})`);
  }
  for (const canvas of main.querySelectorAll('canvas')) {
    if (!canvas.offsetParent) continue;
    const seen = (window.__canvasText && window.__canvasText.get(canvas)) || new Map();
    for (const [text, clipped] of seen) if (clipped) out.push(`table text "${text.slice(0, 60)}" cut by its column`);
  }
  return out;
}"""


def clipped_on(page, where: str) -> list[str]:
    """Text cut short at the page's width (the page needs WATCH_CANVAS_CLIPS as an init script)."""
    return [f"{where}: clipped: {found}" for found in page.evaluate(CLIPPED_NOW)]
