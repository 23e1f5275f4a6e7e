"""Accounts: the first admin, users, sign-in with an atomic lockout, and ending sessions.

Pure Python (bcrypt, no Streamlit) so the CLI, the tests and the app share one policy.
The hash format is the one streamlit-authenticator's Hasher checks. Password rules live in
`ml.governance.passwords`.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from data import audit, db, settings, users
from ml import config
from ml.errors import RequestError
from ml.governance import passwords, policy
from ml.governance import settings as settings_catalog

log = logging.getLogger(__name__)

# Defaults only: the values in force are the admin's settings (ml.governance.settings, "accounts.*").
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
hash_password = passwords.hash_password
verify_password = passwords.verify


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is not acceptable, or None (see `ml.governance.passwords`)."""
    return passwords.problem(password, username)


def ensure_admin() -> str | None:
    """Create an admin when the store has no active one (a fresh store, or one whose first accounts were
    added with `ml users add`); returns a generated one-time password to show once, else None. The account
    is `admin`, or `admin-2`, `admin-3`, ... when that name is taken by an account that is not an active admin."""
    if users.active_admins() > 0:
        return None
    username = _free_admin_name()
    why = "no user yet" if users.count() == 0 else "no active admin"
    given = config.get(config.ADMIN_PASSWORD)
    if given:
        problem = password_problem(given, username)
        if problem:
            raise RequestError(f"DIGITLAB_ADMIN_PASSWORD is not acceptable: {problem} "
                               f"Set another one ({passwords.RULES}), or unset it to get a one-time password.")
        users.create(username, "Administrator", "admin", hash_password(given))
        audit.record(username, "create_admin", "ok", f"{why}; from DIGITLAB_ADMIN_PASSWORD", target=username,
                     role="admin")
        return None
    one_time = secrets.token_urlsafe(12)
    users.create(username, "Administrator", "admin", hash_password(one_time), must_change_password=True)
    _write_one_time_file(one_time, username)
    audit.record(username, "create_admin", "ok", f"{why}; generated one-time password; change forced at first "
                 "sign-in", target=username, role="admin")
    return one_time


def _free_admin_name() -> str:
    name, n = "admin", 1
    while users.get(name) is not None:
        n += 1
        name = f"admin-{n}"
    return name


def one_time_password_file() -> Path:
    """Where a generated admin password waits until it is changed: beside the database, mode 600."""
    return db.db_path().parent / "admin-one-time-password.txt"


def _write_one_time_file(password: str, username: str = "admin") -> None:
    """The password on the first line; the account's name on the second when it is not `admin`."""
    path = one_time_password_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n" + (f"{username}\n" if username != "admin" else ""))
    os.chmod(path, 0o600)  # also when the file existed with wider rights


def pending_one_time_account() -> tuple[str, str] | None:
    """(user name, generated admin password) while that password has not been changed yet (the file goes
    when it is), else None. Reads only the file, never the database: `ml serve` must not hold the store
    its server needs."""
    path = one_time_password_file()
    lines = path.read_text().split() if path.exists() else []
    return ((lines[1] if len(lines) > 1 else "admin"), lines[0]) if lines else None


def pending_one_time_password() -> str | None:
    """The generated admin password while it has not been changed yet, else None."""
    pending = pending_one_time_account()
    return pending[1] if pending else None


CLI_ACTOR_PREFIX = "os:"  # `python -m ml users ...`: the operating-system user who holds the database file


def require_manager(by: str, action: str) -> str:
    """The actor's role when they may manage users. The CLI acts as `os:<login>`: whoever can open the
    database file already holds everything in it, so the command line is the recovery path when no
    admin can sign in. Web user names cannot contain ':' (USERNAME), so no account can pose as one."""
    if by.startswith(CLI_ACTOR_PREFIX):
        return "admin"
    return policy.require(by, "manage_users", action=action)


USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
USERNAME_RULE = "Lowercase letters, digits, '.', '_' and '-' only, starting with a letter or digit (at most 64), e.g. ana.lopez"


def create_user(username: str, name: str, role: str, password: str, *, by: str,
                must_change_password: bool = True) -> None:
    """Add an account; `by` must hold `manage_users`. Refusals raise RequestError (audited by the caller's boundary).
    User names are plain (they show in tables, audit rows and URLs of nothing): no spaces, no capitals."""
    role_of_actor = require_manager(by, "create_user")
    if not username or not name:
        raise RequestError("Give a username and a name.")
    if not USERNAME.fullmatch(username):
        raise RequestError(f"The username {username!r} is not allowed: use {USERNAME_RULE[0].lower()}"
                           f"{USERNAME_RULE[1:]}.")
    if role not in policy.ROLES:
        raise RequestError(f"Unknown role {role!r}; choose one of {', '.join(policy.ROLES)}.")
    problem = password_problem(password, username)
    if problem:
        raise RequestError(problem)
    if users.get(username) is not None:
        raise RequestError(f"The username {username!r} is taken.")
    users.create(username, name, role, hash_password(password), must_change_password=must_change_password)
    audit.record(by, "create_user", "ok", f"{username} as {role}", target=username, role=role_of_actor,
                 details={"new": {"name": name, "role": role, "must_change_password": must_change_password}})


def change_password(username: str, current: str, new: str) -> None:
    """Raises ValueError with a user-facing reason; audits both outcomes."""
    user = users.get(username)
    if user is None or not verify_password(current, user.password_hash):
        audit.record(username, "change_password", "denied", "current password wrong")
        raise RequestError("The current password is wrong.", audited=True)
    problem = password_problem(new, username) or (
        "Choose a password different from the current one." if new == current else None)
    if problem:
        audit.record(username, "change_password", "denied", problem)
        raise RequestError(problem, audited=True)
    users.set_password(username, hash_password(new), must_change=False)
    audit.record(username, "change_password", "ok")
    pending = pending_one_time_account()
    if pending and pending[0] == username and user.must_change_password:
        one_time_password_file().unlink(missing_ok=True)
    end_sessions(username, by=username, reason="password changed")


def locked_until(username: str, now: datetime | None = None) -> datetime | None:
    """When a username's lock ends: a lock starts at the failure that makes MAX_FAILURES within
    FAILURE_WINDOW and lasts LOCK_DURATION; None when not locked."""
    now = now or datetime.now()
    max_failures = int(settings_catalog.get("accounts.max_failures"))
    window = timedelta(minutes=settings_catalog.get("accounts.failure_window_minutes"))
    lock = timedelta(minutes=settings_catalog.get("accounts.lock_minutes"))
    times = users.failures_between(username, now - window - lock, now)
    for i in range(len(times) - 1, max_failures - 2, -1):
        if times[i] - times[i - max_failures + 1] <= window:
            until = times[i] + lock
            return until if until > now else None
    return None


def record_sign_in(username: str, success: bool, now: datetime | None = None) -> datetime | None:
    """Record an attempt and audit it; returns the lock end when this failure locked the account."""
    users.record_attempt(username, success, now)
    if success:
        audit.record(username, "sign_in", "ok")
        return None
    until = locked_until(username, now)
    if until is not None:
        audit.record(username, "sign_in", "denied", f"wrong password; locked until {until:%H:%M}")
    else:
        audit.record(username, "sign_in", "denied", "wrong username or password")
    return until


def record_sign_out(username: str, now: datetime | None = None) -> None:
    """Sign-out time: cookies issued before it no longer sign anyone in, whatever the browser kept."""
    settings.put(f"signed_out:{username}", (now or datetime.now()).isoformat())
    audit.record(username, "sign_out", "ok")


def cookie_revoked(username: str, issued_at: datetime) -> bool:
    value = settings.get(f"signed_out:{username}")
    return value is not None and issued_at <= datetime.fromisoformat(value)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(username: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(username, threading.Lock())


@dataclass(frozen=True)
class SignIn:
    ok: bool
    locked_until: datetime | None = None
    deactivated: bool = False

    @property
    def message(self) -> str | None:
        if self.locked_until is not None:
            return (f"Too many failed sign-ins: this account is locked until {self.locked_until:%H:%M}. "
                    "Try again then, or ask an admin to unlock it.")
        if self.deactivated:
            return "This account is deactivated: ask an admin to reactivate it."
        return None if self.ok else "Wrong username or password."


def sign_in(username: str, password: str, check: Callable[[], bool]) -> SignIn:
    """One atomic step per user name: lock check, password check (`check`, e.g. the sign-in library's
    own), and recording the attempt. Parallel guesses queue here, so after MAX_FAILURES the rest are
    refused without their password being checked, and a success never lifts a lock in force. Unknown
    names spend the same bcrypt time as a wrong password. A deactivated account's own password is told
    so (only someone holding the password learns the name exists) and is not a failure."""
    with _lock_for(username):
        until = locked_until(username)
        if until is not None:
            audit.record(username, "sign_in", "denied", "account locked")
            return SignIn(False, until)
        user = users.get(username)
        if user is None or user.deleted_at is not None:
            passwords.burn(password)
            ok = False
        elif not user.active:
            if verify_password(password, user.password_hash):
                audit.record(username, "sign_in", "denied", "account deactivated")
                return SignIn(False, deactivated=True)
            ok = False
        else:
            ok = bool(check())
        return SignIn(ok, record_sign_in(username, ok))


def end_sessions(username: str, *, by: str, reason: str, now: datetime | None = None) -> None:
    """End every open session of a user at its next page run (password change, reset, deactivation,
    "sign out everywhere"); their cookies stop signing anyone in too."""
    at = (now or datetime.now()).isoformat()
    settings.put(f"sessions_ended:{username}", at)
    settings.put(f"signed_out:{username}", at)
    audit.record(by, "end_sessions", "ok", f"{username}: {reason}", target=username)


def session_expired(signed_in_at: datetime, now: datetime | None = None) -> bool:
    """Whether a session signed in at `signed_in_at` has outlived the admin's session expiry
    ("session.cookie_days"), which holds for an open tab as it does for the cookie."""
    days = float(settings_catalog.get("session.cookie_days"))
    return (now or datetime.now()) - signed_in_at > timedelta(days=days)


def session_ended(username: str, signed_in_at: datetime) -> bool:
    """Whether a session that signed in at `signed_in_at` has been ended since."""
    value = settings.get(f"sessions_ended:{username}")
    return value is not None and signed_in_at <= datetime.fromisoformat(value)


# The sign-in cookie's signing key and the store's instance id live in the store itself, so two
# databases served from one checkout never accept each other's cookies, and their cookies (which a
# browser keys by host, not port) carry different names.
_COOKIE_KEY = "secret:cookie_key"
_INSTANCE = "instance_id"
_secrets_guard = threading.Lock()


def _store_secret(key: str, make: Callable[[], str]) -> str:
    with _secrets_guard:
        value = settings.get(key)
        if not value:
            value = make()
            settings.put(key, value)
        return value


def cookie_key() -> str:
    """The key that signs this store's sign-in cookies (generated on first use)."""
    return _store_secret(_COOKIE_KEY, lambda: secrets.token_hex(32))


def cookie_name() -> str:
    """The sign-in cookie's name: this store's instance id, then `digitlab_auth`."""
    return f"{_store_secret(_INSTANCE, lambda: secrets.token_hex(4))}_digitlab_auth"
