import re, os
from test_browser_walk import _settle, chromium, walk_url, ADMIN_PASSWORD  # noqa

def test_debug(chromium, walk_url):
    from playwright.sync_api import expect
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(walk_url)
    page.get_by_role("textbox", name="Username").fill("admin")
    page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible(timeout=30_000)
    page.wait_for_function("document.cookie.includes('digitlab_auth=')", timeout=30_000)
    for path in os.environ["DBG_PAGES"].split(","):
        page.goto(f"{walk_url}/{path}")
        expect(page.get_by_role("heading").first).to_be_visible(timeout=30_000)
        _settle(page)
        if path == "models":
            page.get_by_role("tab", name="Confusion matrix").click(); _settle(page)
            page.screenshot(path=f"/tmp/walk/dbg-{path}-cm.png", full_page=True)
            page.set_viewport_size({"width": 1280, "height": 2000}); page.wait_for_timeout(1500)
            page.screenshot(path=f"/tmp/walk/dbg-{path}-cm2.png")
            page.locator(".js-plotly-plot:visible .scatterlayer .point").nth(8 * 10 + 1).click(force=True)
            _settle(page); page.wait_for_timeout(1500)
            page.screenshot(path=f"/tmp/walk/dbg-{path}-cm3.png")
            page.get_by_role("button", name="Relabel").first.click(); page.wait_for_timeout(800)
            page.screenshot(path=f"/tmp/walk/dbg-{path}-cm4.png")
            page.set_viewport_size({"width": 1280, "height": 720})
        cells = page.locator("[data-testid='stDataFrame'] [role='gridcell']")
        print(path, "cells", cells.count(), cells.all_text_contents()[:40])
        print(path, "ticks", page.locator(".js-plotly-plot .xtick text").all_text_contents()[:10])
        page.screenshot(path=f"/tmp/walk/dbg-{path}.png", full_page=True)
    context.close()
