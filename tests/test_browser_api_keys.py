"""The Account page's API key flow in real Chromium, against the real server: create a key, see its secret
once (with a copy button), call the API with it, find the OpenAPI page from the link, revoke the key."""
from __future__ import annotations

import httpx
import pytest
from browser import copy_store, served_app, settle, sign_in
from conftest import ANALYST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(template_store, tmp_path_factory):
    folder = copy_store(template_store, tmp_path_factory.mktemp("browser_keys"))
    with served_app(folder) as url:
        yield url


def test_create_a_key_use_it_and_revoke_it(page, app_url):
    from playwright.sync_api import expect
    sign_in(page, app_url, "ana", ANALYST_PASSWORD)
    expect(page.get_by_text("Welcome, Ana Analyst")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Account").first.click()
    expect(page.get_by_text("You have no API keys yet.")).to_be_visible(timeout=30_000)

    page.get_by_role("textbox", name="Name").fill("my notebook")
    page.get_by_role("button", name="Create key").click()
    code = page.get_by_test_id("stCode")
    expect(code).to_be_visible(timeout=30_000)
    secret = code.inner_text().strip()
    assert secret.startswith("dl_")
    code.hover()
    expect(code.get_by_role("button")).to_be_visible()  # st.code's copy button
    settle(page)
    expect(page.get_by_text("shown only this once")).to_be_visible()

    with httpx.Client(base_url=app_url, timeout=60) as client:
        listed = client.get("/api/v1/keys", headers={"Authorization": f"Bearer {secret}"})
        assert listed.status_code == 200 and listed.json()[0]["name"] == "my notebook"
        docs_link = page.get_by_role("link", name="Open the API documentation")
        assert docs_link.get_attribute("href") == "/api/docs"

        page.reload()
        expect(page.get_by_text("Your usage today")).to_be_visible(timeout=30_000)
        settle(page)
        assert page.get_by_test_id("stCode").count() == 0  # the secret is gone after it was shown

        picker = page.get_by_test_id("stSelectbox").filter(has_text="Revoke a key")
        picker.scroll_into_view_if_needed()
        picker.locator("input").focus()
        page.keyboard.press("ArrowDown")  # opens the list, as a keyboard user would
        option = page.get_by_role("option", name="my notebook")
        expect(option).to_be_visible(timeout=30_000)
        option.click()
        expect(page.get_by_role("button", name="Revoke")).to_be_enabled(timeout=30_000)
        page.get_by_role("button", name="Revoke").click()
        settle(page)
        expect(page.get_by_test_id("stSelectbox").filter(has_text="Revoke a key")).to_have_count(0, timeout=30_000)
        refused = client.get("/api/v1/keys", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401

    page.goto(f"{app_url}/api/docs")
    expect(page.get_by_text("Digit Lab API")).to_be_visible(timeout=30_000)
