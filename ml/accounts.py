"""Accounts: password hashing, the first admin, and sign-in lockout.

Pure Python (bcrypt, no Streamlit) so the CLI, the tests and the app share one policy.
The hash format is the one streamlit-authenticator's Hasher checks.
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime, timedelta

import bcrypt

from data import audit, settings, users
from ml import policy
from ml.errors import RequestError

log = logging.getLogger(__name__)

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.isalpha() or password.isdigit():
        return "Mix letters with digits or symbols."
    return None


def ensure_admin() -> str | None:
    """Create `admin` when there are no users; returns a generated one-time password to show once, else None."""
    if users.count() > 0:
        return None
    given = os.environ.get("DIGITLAB_ADMIN_PASSWORD")
    if given:
        users.create("admin", "Administrator", "admin", hash_password(given))
        audit.record("admin", "create_admin", "ok", "from DIGITLAB_ADMIN_PASSWORD")
        return None
    one_time = secrets.token_urlsafe(12)
    users.create("admin", "Administrator", "admin", hash_password(one_time), must_change_password=True)
    audit.record("admin", "create_admin", "ok", "generated one-time password; change forced at first sign-in")
    return one_time


def create_user(username: str, name: str, role: str, password: str, *, by: str,
                must_change_password: bool = True) -> None:
    """Add an account; `by` must hold `manage_users`. Refusals raise RequestError (audited by the caller's boundary)."""
    policy.require(by, "manage_users", action="create_user")
    if not username or not name:
        raise RequestError("Give a username and a name.")
    if role not in policy.ROLES:
        raise RequestError(f"Unknown role {role!r}; choose one of {', '.join(policy.ROLES)}.")
    problem = password_problem(password)
    if problem:
        raise RequestError(problem)
    if users.get(username) is not None:
        raise RequestError(f"The username {username!r} is taken.")
    users.create(username, name, role, hash_password(password), must_change_password=must_change_password)
    audit.record(by, "create_user", "ok", f"{username} as {role}")


def change_password(username: str, current: str, new: str) -> None:
    """Raises ValueError with a user-facing reason; audits both outcomes."""
    user = users.get(username)
    if user is None or not verify_password(current, user.password_hash):
        audit.record(username, "change_password", "denied", "current password wrong")
        raise ValueError("The current password is wrong.")
    problem = password_problem(new) or ("Choose a password different from the current one." if new == current else None)
    if problem:
        audit.record(username, "change_password", "denied", problem)
        raise ValueError(problem)
    users.set_password(username, hash_password(new), must_change=False)
    audit.record(username, "change_password", "ok")


def locked_until(username: str, now: datetime | None = None) -> datetime | None:
    """When a username's lock ends: a lock starts at the failure that makes MAX_FAILURES within
    FAILURE_WINDOW and lasts LOCK_DURATION; None when not locked."""
    now = now or datetime.now()
    times = users.failures_between(username, now - FAILURE_WINDOW - LOCK_DURATION, now)
    for i in range(len(times) - 1, MAX_FAILURES - 2, -1):
        if times[i] - times[i - MAX_FAILURES + 1] <= FAILURE_WINDOW:
            until = times[i] + LOCK_DURATION
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
