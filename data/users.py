"""Users and sign-in attempts. Users are never deleted from the table: `deleted_at` marks a soft
delete (inactive, hidden from the list, the name never reused), so audit rows keep naming someone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data import db

COUNT_USERS = "SELECT count(*) FROM users"
INSERT_USER = """
INSERT INTO users (username, name, email, role, password_hash, must_change_password)
VALUES (?, ?, ?, ?, ?, ?)"""
_FIELDS = "username, name, email, role, password_hash, must_change_password, active, created_at, deleted_at"
SELECT_USER = f"SELECT {_FIELDS} FROM users WHERE username = ?"
SELECT_ACTIVE_USERS = f"SELECT {_FIELDS} FROM users WHERE active AND deleted_at IS NULL ORDER BY username"
SELECT_LISTED = f"SELECT {_FIELDS} FROM users WHERE $deleted OR deleted_at IS NULL ORDER BY username"
COUNT_ACTIVE_ADMINS = "SELECT count(*) FROM users WHERE role = 'admin' AND active AND deleted_at IS NULL"
UPDATE_ACTIVE = "UPDATE users SET active = ? WHERE username = ?"
UPDATE_ROLE = "UPDATE users SET role = ? WHERE username = ?"
SOFT_DELETE = "UPDATE users SET active = FALSE, deleted_at = ? WHERE username = ?"
# Unlocking forgets the failures that count towards a lock; the audit log keeps their story.
CLEAR_FAILURES = "DELETE FROM login_attempts WHERE username = ? AND NOT success"
UPDATE_PASSWORD = "UPDATE users SET password_hash = ?, must_change_password = ? WHERE username = ?"
INSERT_ATTEMPT = "INSERT INTO login_attempts (ts, username, success) VALUES (?, ?, ?)"
# Failures after the last success, in a time range: a success resets the count.
FAILURES_SINCE = """
SELECT ts FROM login_attempts
WHERE username = ? AND NOT success AND ts >= ? AND ts <= ?
  AND ts > coalesce((SELECT max(ts) FROM login_attempts WHERE username = ? AND success), TIMESTAMP '1970-01-01')
ORDER BY ts"""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    email: str | None
    role: str
    password_hash: str
    must_change_password: bool
    active: bool
    created_at: datetime
    deleted_at: datetime | None = None

    @property
    def status(self) -> str:
        return "deleted" if self.deleted_at else "active" if self.active else "deactivated"


def count() -> int:
    return db.one(COUNT_USERS)[0]


def create(username: str, name: str, role: str, password_hash: str, *,
           email: str | None = None, must_change_password: bool = False) -> None:
    db.execute(INSERT_USER, [username, name, email, role, password_hash, must_change_password])


def get(username: str) -> User | None:
    row = db.one(SELECT_USER, [username])
    return User(*row) if row else None


def active_users() -> list[User]:
    return [User(*row) for row in db.rows(SELECT_ACTIVE_USERS)]


def listed(*, deleted: bool = False) -> list[User]:
    """Every user for the admin table (deactivated ones too; deleted ones only when asked)."""
    return [User(*row) for row in db.rows(SELECT_LISTED, {"deleted": deleted})]


def active_admins() -> int:
    return int(db.one(COUNT_ACTIVE_ADMINS)[0])


def set_role(username: str, role: str) -> None:
    db.execute(UPDATE_ROLE, [role, username])


def soft_delete(username: str, at: datetime | None = None) -> None:
    db.execute(SOFT_DELETE, [at or datetime.now(), username])


def clear_failures(username: str) -> None:
    db.execute(CLEAR_FAILURES, [username])


def set_password(username: str, password_hash: str, *, must_change: bool = False) -> None:
    db.execute(UPDATE_PASSWORD, [password_hash, must_change, username])


def set_active(username: str, active: bool) -> None:
    db.execute(UPDATE_ACTIVE, [active, username])


def record_attempt(username: str, success: bool, at: datetime | None = None) -> None:
    db.execute(INSERT_ATTEMPT, [at or datetime.now(), username, success])


def failures_between(username: str, since: datetime, until: datetime) -> list[datetime]:
    """Times of failed sign-ins after the last success (a handful of rows at most)."""
    return [r[0] for r in db.rows(FAILURES_SINCE, [username, since, until, username])]
