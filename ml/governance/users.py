"""Managing accounts (the Users page and `python -m ml users ...`): create, change role, deactivate,
reactivate, reset password, unlock, soft delete.

Every change is checked here (the actor holds `manage_users`, see `accounts.require_manager`) and
audited with the target and its old and new values, so the page and the CLI obey one rule set. Two
rules keep the team from locking itself out: nobody demotes, deactivates or deletes their own
account, and nobody takes away the last active admin. The check and the write run under one lock
(the app is one process), so two admins demoting each other at once cannot both succeed.
"""
from __future__ import annotations

import getpass
import logging
import secrets
import threading
from datetime import datetime

from data import audit, users
from data.users import User
from ml.errors import RequestError
from ml.governance import accounts, passwords, policy

log = logging.getLogger(__name__)

_lock = threading.Lock()


def cli_actor() -> str:
    """The actor the command line writes in audit rows: `os:<operating-system user>`."""
    return f"{accounts.CLI_ACTOR_PREFIX}{getpass.getuser()}"


def generate_password() -> str:
    """A one-time password that passes the password rules (shown once, changed at first sign-in)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if passwords.problem(candidate) is None:
            return candidate


def listed(*, deleted: bool = False) -> list[dict]:
    """The admin table: one dict per user with its status and lock."""
    now = datetime.now()
    return [{"username": u.username, "name": u.name, "role": u.role, "status": u.status,
             "must change password": u.must_change_password, "locked until": accounts.locked_until(u.username, now),
             "created": u.created_at, "deleted": u.deleted_at} for u in users.listed(deleted=deleted)]


def create(username: str, name: str, role: str, *, by: str, password: str | None = None,
           must_change_password: bool = True) -> str | None:
    """Add an account. Without `password` a one-time one is generated and returned (show it once; the user
    must change it at first sign-in); with one, it must obey the password rules and None is returned."""
    one_time = generate_password() if not password else None
    accounts.create_user(username, name, role, one_time or password, by=by,
                         must_change_password=True if one_time else must_change_password)
    return one_time


def set_role(username: str, role: str, *, by: str) -> None:
    if role not in policy.ROLES:
        raise RequestError(f"Unknown role {role!r}; choose one of {', '.join(policy.ROLES)}.")
    with _lock:
        actor_role, user = _checked(username, "change_role", by)
        if user.role == role:
            raise RequestError(f"{username} already has the role {role}.")
        if role != "admin":
            _protect(user, "change_role", by, actor_role, "demote")
        users.set_role(username, role)
    _audit(by, actor_role, "change_role", username, {"role": user.role}, {"role": role})


def deactivate(username: str, *, by: str) -> None:
    """The user can no longer sign in, and an open session of theirs ends at its next page run."""
    with _lock:
        actor_role, user = _checked(username, "deactivate_user", by)
        if not user.active:
            raise RequestError(f"{username} is already deactivated.")
        _protect(user, "deactivate_user", by, actor_role, "deactivate")
        users.set_active(username, False)
    _audit(by, actor_role, "deactivate_user", username, {"active": True}, {"active": False})
    accounts.end_sessions(username, by=by, reason="deactivated")


def reactivate(username: str, *, by: str) -> None:
    with _lock:
        actor_role, user = _checked(username, "reactivate_user", by)
        if user.active:
            raise RequestError(f"{username} is already active.")
        users.set_active(username, True)
    _audit(by, actor_role, "reactivate_user", username, {"active": False}, {"active": True})


def reset_password(username: str, *, by: str) -> str:
    """A new one-time password (returned, to hand over once); the user must change it at next sign-in,
    and their open sessions end."""
    actor_role, user = _checked(username, "reset_password", by)
    one_time = generate_password()
    users.set_password(username, accounts.hash_password(one_time), must_change=True)
    _audit(by, actor_role, "reset_password", username, {"must_change_password": user.must_change_password},
           {"must_change_password": True})
    accounts.end_sessions(username, by=by, reason="password reset")
    return one_time


def unlock(username: str, *, by: str) -> None:
    """Lift a sign-in lock now (the failed attempts that counted towards it are forgotten)."""
    actor_role, _ = _checked(username, "unlock_user", by)
    until = accounts.locked_until(username)
    if until is None:
        raise RequestError(f"{username} is not locked.")
    users.clear_failures(username)
    _audit(by, actor_role, "unlock_user", username, {"locked_until": until.isoformat(timespec="seconds")},
           {"locked_until": None})


def delete(username: str, *, by: str) -> None:
    """Soft delete: the account can never sign in again and leaves the list; its rows and audit trail stay,
    and the name is not reused."""
    with _lock:
        actor_role, user = _checked(username, "delete_user", by)
        _protect(user, "delete_user", by, actor_role, "delete")
        users.soft_delete(username)
    _audit(by, actor_role, "delete_user", username, {"status": user.status}, {"status": "deleted"})
    accounts.end_sessions(username, by=by, reason="deleted")


def _checked(username: str, action: str, by: str) -> tuple[str, User]:
    actor_role = accounts.require_manager(by, action)
    user = users.get(username)
    if user is None or user.deleted_at is not None:
        raise RequestError(f"There is no user {username!r}.")
    return actor_role, user


def _protect(user: User, action: str, by: str, actor_role: str, verb: str) -> None:
    """Refuse (audited) to take away one's own account or the last active admin."""
    if user.username == by:
        _refuse(by, actor_role, action, user.username,
                f"You cannot {verb} your own account: ask another admin to do it.")
    if user.role == "admin" and user.active and users.active_admins() <= 1:
        _refuse(by, actor_role, action, user.username,
                f"{user.username} is the last active admin, so you cannot {verb} them: make another user an "
                "admin first.")


def _refuse(by: str, actor_role: str, action: str, target: str, sentence: str) -> None:
    audit.record(by, action, "denied", sentence, target=target, role=actor_role)
    raise RequestError(sentence, audited=True)


def _audit(by: str, actor_role: str, action: str, target: str, old: dict, new: dict) -> None:
    changes = ", ".join(f"{k}: {old.get(k)} -> {new.get(k)}" for k in new)
    audit.record(by, action, "ok", f"{target}: {changes}", target=target, role=actor_role,
                 details={"old": old, "new": new})
    log.info("%s by %s on %s", action, by, target)
