"""Sign-in hardening (issue 9): atomic lockout under parallel guesses, one password rule everywhere,
no user-name probing by timing, sessions that end when they must, concurrent settings writes."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from conftest import ANALYST_PASSWORD, texts

from data import audit, settings, users
from ml.errors import RequestError
from ml.governance import accounts, passwords


def test_twenty_parallel_guesses_check_at_most_five_passwords(seeded_store):
    checked = []
    lock = threading.Lock()
    guesses = [f"wrong-guess-{i:02d}" for i in range(20)]
    guesses[17] = ANALYST_PASSWORD  # the right one, late in the burst
    results = {}

    def guess(i: int, password: str) -> None:
        def check() -> bool:
            with lock:
                checked.append(password)
            return accounts.verify_password(password, users.get("ana").password_hash)
        results[i] = accounts.sign_in("ana", password, check)

    threads = [threading.Thread(target=guess, args=(i, p)) for i, p in enumerate(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [i for i, r in results.items() if r.ok]
    assert len(checked) <= 5
    assert ok == ([17] if ANALYST_PASSWORD in checked else [])
    rows = audit.page(username="ana", action="sign_in", limit=50).iloc[::-1]  # oldest first
    outcomes = rows["outcome"].tolist()
    if "ok" in outcomes:  # a success can only come before the lock, never after it
        assert not any("lock" in d for d in rows["detail"].tolist()[:outcomes.index("ok")])
    assert sum("locked" in d for d in rows["detail"]) >= 15  # the rest were refused unchecked


def test_a_success_never_lifts_a_lock_in_force(seeded_store):
    start = datetime.now() - timedelta(minutes=1)
    for i in range(5):
        accounts.record_sign_in("ana", False, start + timedelta(seconds=i))
    result = accounts.sign_in("ana", ANALYST_PASSWORD, lambda: pytest.fail("password checked during a lock"))
    assert not result.ok and result.locked_until is not None
    assert "locked until" in result.message


def test_unknown_names_spend_a_real_password_check(seeded_store, monkeypatch):
    burned = []
    monkeypatch.setattr(passwords, "burn", lambda password: burned.append(password))
    result = accounts.sign_in("nobody", "some-guess-1", lambda: pytest.fail("no account to check"))
    assert not result.ok and result.message == "Wrong username or password."
    assert burned == ["some-guess-1"]


@pytest.mark.parametrize("password, reason", [
    (" padded-pass-1", "space"), ("padded-pass-1 ", "space"), ("short-1", "at least 10"),
    ("é" * 37, "72 bytes"), ("password123", "common"), ("qwertyuiop", "common"),
    ("anaanaanaana", "user name"), ("onlyletterslong", "Mix letters"),
])
def test_one_password_rule_at_creation_change_and_start(seeded_store, monkeypatch, password, reason):
    with pytest.raises(RequestError, match=reason):
        accounts.create_user("ana2" if reason != "user name" else "ana", "Ana", "analyst", password, by="admin")
    if reason != "user name":
        with pytest.raises(RequestError, match=reason):
            accounts.change_password("ana", ANALYST_PASSWORD, password)


def test_a_weak_admin_password_from_the_environment_refuses_to_start(empty_store, monkeypatch):
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", "a")
    with pytest.raises(RequestError, match="DIGITLAB_ADMIN_PASSWORD is not acceptable: Use at least 10"):
        accounts.ensure_admin()
    assert users.count() == 0


def test_a_deactivated_user_with_an_open_session_is_signed_out_without_a_loop(open_app):
    at = open_app("ana", "home")
    assert "Welcome, Ana Analyst" in texts(at)
    users.set_active("ana", False)
    at.run()
    assert not at.exception
    assert {t.label for t in at.text_input} == {"Username", "Password"}


def test_a_password_change_elsewhere_ends_this_session(open_app):
    at = open_app("ana", "home")
    at.session_state["_signed_in_at"] = datetime.now() - timedelta(minutes=5)
    at.run()
    assert "Welcome, Ana Analyst" in texts(at)
    accounts.change_password("ana", ANALYST_PASSWORD, "a-brand-new-pw-9")
    at.run()
    assert {t.label for t in at.text_input} == {"Username", "Password"}
    assert audit.page(action="end_sessions")["detail"].tolist() == ["ana: password changed"]


def test_an_open_tab_is_signed_out_once_its_session_expires(open_app):
    at = open_app("ana", "home")
    at.session_state["_signed_in_at"] = datetime.now() - timedelta(hours=23)
    at.run()
    assert "Welcome, Ana Analyst" in texts(at)  # within the default day
    settings.put("session.cookie_days", "0.5")  # the admin shortens the expiry to 12 hours
    at.run()
    assert not at.exception
    assert {t.label for t in at.text_input} == {"Username", "Password"}
    assert [i.value for i in at.info] == ["Your session expired. Please sign in again."]
    row = audit.page(action="session_expired")
    assert row["username"].tolist() == ["ana"] and row["target"].tolist() == ["ana"]
    assert "expiry 0.5 days" in row["detail"][0]


def test_session_expiry_is_measured_from_the_sign_in(seeded_store):
    signed_in = datetime(2026, 1, 1, 9, 0)
    assert not accounts.session_expired(signed_in, now=signed_in + timedelta(hours=23, minutes=59))
    assert accounts.session_expired(signed_in, now=signed_in + timedelta(days=1, seconds=1))


def test_sign_out_everywhere_from_the_account_page(open_app):
    at = open_app("ana", "account")
    next(b for b in at.button if b.label == "Sign out everywhere").click()
    at.run()
    assert {t.label for t in at.text_input} == {"Username", "Password"}
    assert accounts.cookie_revoked("ana", datetime.now() - timedelta(seconds=5))


def test_concurrent_writes_of_one_setting_all_land(seeded_store):
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(50):
                settings.put("contended", f"{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert settings.get("contended").endswith("-49")
