"""Sessions in real Chromium: a password change keeps the tab it was made in signed in across reloads,
and a copied cookie dies with "Sign out everywhere" whatever the sign-in lifetime was set to since."""
from __future__ import annotations

import pytest
from browser import copy_store, served_app, sign_in, store_at
from conftest import ADMIN_PASSWORD, ANALYST_PASSWORD, VIEWER_PASSWORD

from data import users
from ml.governance import accounts

pytestmark = pytest.mark.browser

ONE_TIME = "one-time-pw-2026"


@pytest.fixture(scope="module")
def app(template_store, tmp_path_factory):
    folder = copy_store(template_store, tmp_path_factory.mktemp("sessions"))
    with store_at(folder):
        users.set_password("admin", accounts.hash_password(ONE_TIME), must_change=True)  # a first sign-in
        cookie = accounts.cookie_name()
    with served_app(folder) as url:
        yield url, cookie


def _cookie(page, name: str) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == name), None)


def _wait_for_new_cookie(page, name: str, old: str | None) -> None:
    page.wait_for_function("([name, old]) => document.cookie.split('; ').some(c => c.startsWith(name + '=') "
                           "&& c !== name + '=' + old)", arg=[name, old or ""], timeout=30_000)


def _change_password(page, current: str, new: str) -> None:
    page.get_by_role("textbox", name="Current password", exact=True).fill(current)
    page.get_by_role("textbox", name="New password", exact=True).fill(new)
    page.get_by_role("textbox", name="Repeat the new password").fill(new)
    page.get_by_role("button", name="Change password").click()


def test_a_password_change_on_account_keeps_this_tab_signed_in(page, app):
    from playwright.sync_api import expect
    url, cookie = app
    sign_in(page, url, "ana", ANALYST_PASSWORD, "account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible(timeout=30_000)
    _wait_for_new_cookie(page, cookie, None)
    before = _cookie(page, cookie)
    written = next(c for c in page.context.cookies() if c["name"] == cookie)
    assert written["sameSite"] == "Strict" and not written["secure"]  # Secure only when served over HTTPS
    _change_password(page, ANALYST_PASSWORD, "ana-changed-pw-77")
    expect(page.get_by_text("Password changed. Your other sessions are signed out.")).to_be_visible(timeout=30_000)
    _wait_for_new_cookie(page, cookie, before)  # the old cookie was ended with the other sessions
    page.reload()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)


def test_the_forced_change_after_a_one_time_password_keeps_this_tab_signed_in(page, app):
    from playwright.sync_api import expect
    url, cookie = app
    sign_in(page, url, "admin", ONE_TIME)
    expect(page.get_by_text("You signed in with a one-time password")).to_be_visible(timeout=30_000)
    _wait_for_new_cookie(page, cookie, None)
    before = _cookie(page, cookie)
    _change_password(page, ONE_TIME, ADMIN_PASSWORD)
    expect(page.get_by_text("Welcome, Administrator")).to_be_visible(timeout=30_000)
    _wait_for_new_cookie(page, cookie, before)
    page.reload()
    expect(page.get_by_text("Welcome, Administrator")).to_be_visible(timeout=30_000)


def test_a_copied_cookie_dies_with_sign_out_everywhere_after_the_lifetime_is_lowered(page, app):
    from playwright.sync_api import expect
    url, cookie = app
    sign_in(page, url, "vic", VIEWER_PASSWORD)
    expect(page.get_by_text("Welcome, Vic Viewer")).to_be_visible(timeout=30_000)
    _wait_for_new_cookie(page, cookie, None)
    copied = _cookie(page, cookie)

    admin = page.context.browser.new_page()  # another browser profile
    sign_in(admin, url, "admin", ADMIN_PASSWORD, "settings")
    lifetime = admin.get_by_role("spinbutton", name="Days a sign-in lasts")
    expect(lifetime).to_be_visible(timeout=30_000)
    lifetime.fill("0.5")
    admin.get_by_role("button", name="Save sign-in settings").click()
    expect(admin.get_by_text("Saved: session.cookie_days.")).to_be_visible(timeout=30_000)
    admin.context.close()

    page.goto(f"{url}/account")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)

    thief = page.context.browser.new_context()
    thief.add_cookies([{"name": cookie, "value": copied, "url": url}])
    stolen = thief.new_page()
    for address in ("history", "upload"):
        stolen.goto(f"{url}/{address}")
        expect(stolen.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
        expect(stolen.get_by_text("Vic Viewer")).to_have_count(0)
    thief.close()
