"""Accounts: the first admin, password rules, sign-in lockout."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from data import audit, users
from ml.governance import accounts, passwords


def test_first_start_uses_the_given_admin_password(empty_store, monkeypatch):
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", "from-env-123")
    assert accounts.ensure_admin() is None
    admin = users.get("admin")
    assert admin.role == "admin" and not admin.must_change_password
    assert accounts.verify_password("from-env-123", admin.password_hash)
    assert accounts.ensure_admin() is None  # second start: nothing new
    assert users.count() == 1


def test_first_start_without_password_generates_a_one_time_one(empty_store):
    one_time = accounts.ensure_admin()
    assert one_time and len(one_time) >= 16
    admin = users.get("admin")
    assert admin.must_change_password
    assert one_time not in admin.password_hash and accounts.verify_password(one_time, admin.password_hash)
    accounts.change_password("admin", one_time, "my-own-pw-2026")
    assert not users.get("admin").must_change_password


def test_new_hashes_cost_12_unless_the_test_suite_lowers_it(monkeypatch):
    monkeypatch.delenv(passwords.ROUNDS_ENV, raising=False)
    real = accounts.hash_password("my-own-pw-2026")
    assert real.startswith("$2b$12$") and accounts.verify_password("my-own-pw-2026", real)
    monkeypatch.setenv(passwords.ROUNDS_ENV, "4")
    quick = accounts.hash_password("my-own-pw-2026")
    assert quick.startswith("$2b$04$") and accounts.verify_password("my-own-pw-2026", quick)
    assert not accounts.verify_password("my-own-pw-2027", quick)
    for unusable in ("3", "32", "four", ""):  # below bcrypt's least, above its most, not a number: the default
        monkeypatch.setenv(passwords.ROUNDS_ENV, unusable)
        assert passwords.rounds() == 12, unusable


def test_password_rules_and_wrong_current_password(empty_store):
    accounts.ensure_admin()
    accounts.create_user("ana", "Ana", "analyst", "first-pw-123", by="admin")
    with pytest.raises(ValueError, match="current password is wrong"):
        accounts.change_password("ana", "nope", "second-pw-123")
    with pytest.raises(ValueError, match="at least"):
        accounts.change_password("ana", "first-pw-123", "short1")
    with pytest.raises(ValueError, match="taken"):
        accounts.create_user("ana", "Ana", "analyst", "first-pw-123", by="admin")
    with pytest.raises(ValueError, match="Unknown role"):
        accounts.create_user("bob", "Bob", "root", "first-pw-123", by="admin")
    denied = audit.page(username="ana", action="change_password")
    assert set(denied["outcome"]) == {"denied"}


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes(empty_store):
    start = datetime(2026, 1, 1, 12, 0)
    for i in range(4):
        assert accounts.record_sign_in("ana", False, start + timedelta(minutes=i)) is None
    assert accounts.locked_until("ana", start + timedelta(minutes=4)) is None
    until = accounts.record_sign_in("ana", False, start + timedelta(minutes=4))
    assert until == start + timedelta(minutes=19)
    assert accounts.locked_until("ana", start + timedelta(minutes=18)) == until
    assert accounts.locked_until("ana", start + timedelta(minutes=20)) is None
    log = audit.page(username="ana", action="sign_in")
    assert (log["outcome"] == "denied").sum() == 5 and log["detail"].str.contains("locked until").any()


def test_failures_spread_over_more_than_the_window_do_not_lock(empty_store):
    start = datetime(2026, 1, 1, 12, 0)
    for i in range(5):
        accounts.record_sign_in("ana", False, start + timedelta(minutes=5 * i))
    assert accounts.locked_until("ana", start + timedelta(minutes=20)) is None


def test_a_success_resets_the_count(empty_store):
    start = datetime(2026, 1, 1, 12, 0)
    for i in range(4):
        accounts.record_sign_in("ana", False, start + timedelta(minutes=i))
    accounts.record_sign_in("ana", True, start + timedelta(minutes=5))
    accounts.record_sign_in("ana", False, start + timedelta(minutes=6))
    assert accounts.locked_until("ana", start + timedelta(minutes=6)) is None


def test_only_an_active_admin_may_create_users_and_refusals_are_audited(empty_store):
    from ml.errors import PolicyError
    accounts.ensure_admin()
    accounts.create_user("ana", "Ana", "analyst", "first-pw-123", by="admin", must_change_password=False)
    with pytest.raises(PolicyError, match="analyst"):
        accounts.create_user("eve", "Eve", "admin", "first-pw-123", by="ana")
    with pytest.raises(PolicyError, match="not an active user"):
        accounts.create_user("eve", "Eve", "admin", "first-pw-123", by="mallory")
    assert users.get("eve") is None
    rows = audit.page(action="create_user")
    assert list(rows["outcome"]) == ["denied", "denied", "ok"]  # newest first


def test_the_lockout_message_promises_only_what_exists():
    from datetime import datetime

    from ml.governance.accounts import SignIn
    message = SignIn(ok=False, locked_until=datetime(2030, 1, 1, 14, 5)).message
    assert "locked until 14:05" in message and "Try again then" in message
    assert "ask an admin to unlock it" in message  # admins can (ml.governance.users.unlock)


def test_user_names_are_plain(empty_store):
    import pytest

    from ml.errors import RequestError
    from ml.governance import accounts
    accounts.ensure_admin()
    for bad in ("bad user!", "Ana", "ana/x", "a" * 65, "émile", ".", "..", "-ana"):
        with pytest.raises(RequestError, match="not allowed"):
            accounts.create_user(bad, "Someone", "viewer", "a-long-enough-pw-1", by="admin")
    accounts.create_user("ana.lopez_2-b", "Ana", "viewer", "a-long-enough-pw-1", by="admin")


def test_a_deactivated_account_with_its_password_is_told_so_and_not_counted(empty_store):
    accounts.ensure_admin()
    accounts.create_user("ana", "Ana", "analyst", "first-pw-123", by="admin", must_change_password=False)
    users.set_active("ana", False)
    checked = lambda: pytest.fail("the sign-in library knows only active accounts")  # noqa: E731
    for _ in range(6):
        result = accounts.sign_in("ana", "first-pw-123", checked)
        assert not result.ok and result.message == "This account is deactivated: ask an admin to reactivate it."
    assert accounts.locked_until("ana") is None
    assert users.failures_between("ana", datetime.now() - timedelta(hours=1), datetime.now()) == []
    wrong = accounts.sign_in("ana", "not-her-pw-1", checked)  # without the password nothing is revealed
    assert wrong.message == "Wrong username or password."
    assert len(users.failures_between("ana", datetime.now() - timedelta(hours=1), datetime.now())) == 1
    details = audit.page(username="ana", action="sign_in", limit=10)["detail"].tolist()
    assert details.count("account deactivated") == 6


def test_a_store_whose_first_account_came_from_the_command_line_gets_an_admin(empty_store):
    accounts.create_user("ana", "Ana", "analyst", "first-pw-123", by="os:ana", must_change_password=False)
    one_time = accounts.ensure_admin()
    admin = users.get("admin")
    assert one_time and admin.role == "admin" and admin.must_change_password
    assert accounts.pending_one_time_account() == ("admin", one_time)
    assert "no active admin" in audit.page(action="create_admin")["detail"][0]
    assert accounts.ensure_admin() is None  # one active admin is enough


def test_the_new_admin_takes_a_free_name_when_admin_is_taken(empty_store):
    accounts.create_user("admin", "Old", "viewer", "first-pw-123", by="os:ana", must_change_password=False)
    one_time = accounts.ensure_admin()
    assert users.get("admin").role == "viewer"  # a person's account is never changed behind their back
    assert users.get("admin-2").role == "admin"
    assert accounts.pending_one_time_account() == ("admin-2", one_time)
    accounts.change_password("admin-2", one_time, "my-own-pw-2026")
    assert accounts.pending_one_time_account() is None


def test_each_store_has_its_own_cookie_key_and_name(tmp_path, monkeypatch):
    from data import db, store
    seen = []
    for name in ("one", "two"):
        monkeypatch.setenv("DIGITLAB_DB", str(tmp_path / f"{name}.duckdb"))
        db.close()
        store.init_db()
        key, cookie = accounts.cookie_key(), accounts.cookie_name()
        assert (accounts.cookie_key(), accounts.cookie_name()) == (key, cookie)  # kept, not made anew
        assert len(key) == 64 and cookie.endswith("_digitlab_auth")
        seen.append((key, cookie))
    db.close()
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]
