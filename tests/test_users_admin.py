"""Managing accounts (ml.governance.users): every action, audited with old and new values; nobody takes away
their own account or the last active admin."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from data import audit, users
from ml.errors import PolicyError, RequestError
from ml.governance import accounts, policy
from ml.governance import users as user_admin

ADMIN_PW = "admin-pw-for-tests-1"


@pytest.fixture
def team(empty_store, monkeypatch):
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", ADMIN_PW)
    accounts.ensure_admin()
    return empty_store


def _changes(action: str) -> list[dict]:
    rows = audit.page(action=action)
    return [json.loads(d) for d in rows["details"]]


def test_every_action_changes_the_account_and_is_audited_with_old_and_new_values(team):
    one_time = user_admin.create("ana", "Ana", "analyst", by="admin")
    ana = users.get("ana")
    assert ana.must_change_password and accounts.verify_password(one_time, ana.password_hash)
    assert _changes("create_user")[0]["new"]["role"] == "analyst"

    user_admin.set_role("ana", "viewer", by="admin")
    assert policy.role_of("ana") == "viewer"
    assert _changes("change_role") == [{"old": {"role": "analyst"}, "new": {"role": "viewer"}}]

    user_admin.deactivate("ana", by="admin")
    assert policy.role_of("ana") is None  # a deactivated user cannot act or sign in
    assert accounts.sign_in("ana", one_time, lambda: True).ok is False
    user_admin.reactivate("ana", by="admin")
    assert policy.role_of("ana") == "viewer"
    assert _changes("deactivate_user") == [{"old": {"active": True}, "new": {"active": False}}]
    assert _changes("reactivate_user") == [{"old": {"active": False}, "new": {"active": True}}]

    second = user_admin.reset_password("ana", by="admin")
    assert second != one_time and accounts.verify_password(second, users.get("ana").password_hash)
    assert not accounts.verify_password(one_time, users.get("ana").password_hash)
    assert users.get("ana").must_change_password

    start = datetime.now() - timedelta(minutes=1)
    for i in range(5):
        accounts.record_sign_in("ana", False, start + timedelta(seconds=i))
    assert accounts.locked_until("ana") is not None
    user_admin.unlock("ana", by="admin")
    assert accounts.locked_until("ana") is None
    assert _changes("unlock_user")[0]["new"] == {"locked_until": None}
    with pytest.raises(RequestError, match="not locked"):
        user_admin.unlock("ana", by="admin")

    user_admin.delete("ana", by="admin")
    assert [u["username"] for u in user_admin.listed()] == ["admin"]
    assert {u["username"]: u["status"] for u in user_admin.listed(deleted=True)}["ana"] == "deleted"
    assert policy.role_of("ana") is None
    with pytest.raises(RequestError, match="taken"):  # a deleted name is never reused
        user_admin.create("ana", "Another Ana", "viewer", by="admin")
    with pytest.raises(RequestError, match="no user 'ana'"):
        user_admin.reactivate("ana", by="admin")
    ended = audit.page(action="end_sessions")["detail"].tolist()
    assert ended == ["ana: deleted", "ana: password reset", "ana: deactivated"]
    targets = audit.page(username="admin", outcome="ok")
    assert set(targets.loc[targets["action"] != "create_admin", "target"]) == {"ana"}


def test_nobody_removes_demotes_or_deactivates_themself_or_the_last_admin(team):
    for act in (lambda: user_admin.set_role("admin", "analyst", by="admin"),
                lambda: user_admin.deactivate("admin", by="admin"),
                lambda: user_admin.delete("admin", by="admin")):
        with pytest.raises(RequestError, match="your own account"):
            act()
    user_admin.create("boss", "Boss", "admin", by="admin", password="boss-pw-2026!")
    user_admin.deactivate("admin", by="boss")  # another admin remains: allowed
    for act in (lambda: user_admin.set_role("boss", "viewer", by="os:root"),
                lambda: user_admin.deactivate("boss", by="os:root"),
                lambda: user_admin.delete("boss", by="os:root")):
        with pytest.raises(RequestError, match="last active admin"):
            act()
    assert users.get("boss").role == "admin" and users.get("boss").active
    refused = audit.page(outcome="denied")
    assert len(refused) == 6 and set(refused["target"]) == {"admin", "boss"}
    user_admin.reactivate("admin", by="boss")
    user_admin.set_role("boss", "viewer", by="admin")  # two admins again: one may go
    assert users.get("boss").role == "viewer"


def test_only_admins_manage_users_and_the_refusal_is_audited(team):
    user_admin.create("ana", "Ana", "analyst", by="admin", password="ana-pw-2026!", must_change_password=False)
    with pytest.raises(PolicyError, match="analyst"):
        user_admin.set_role("ana", "admin", by="ana")
    assert users.get("ana").role == "analyst"
    assert audit.page(username="ana", action="change_role")["outcome"].tolist() == ["denied"]


def test_two_admins_demoting_each_other_at_once_leave_one_admin(team):
    user_admin.create("boss", "Boss", "admin", by="admin", password="boss-pw-2026!")
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def demote(target: str, by: str) -> None:
        barrier.wait()
        try:
            user_admin.set_role(target, "analyst", by=by)
        except (RequestError, PolicyError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=demote, args=pair) for pair in (("admin", "boss"), ("boss", "admin"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert users.active_admins() == 1 and len(errors) == 1
