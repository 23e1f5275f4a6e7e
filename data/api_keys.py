"""API keys: one row per key, its secret kept only as a SHA-256 hash (ml.governance.api_keys makes and checks them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data import db

INSERT = """
INSERT INTO api_keys (username, name, prefix, secret_sha256, read_only, created_by, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"""
_FIELDS = "id, username, name, prefix, secret_sha256, read_only, created_at, created_by, expires_at, last_used_at, " \
          "revoked_at, revoked_by"
BY_PREFIX = f"SELECT {_FIELDS} FROM api_keys WHERE prefix = ?"
# A call's candidate keys, each with its user's role and active flag (NULL: no such user), in one read.
FOR_CALL = (f"SELECT {', '.join('k.' + f for f in _FIELDS.split(', '))}, u.role, u.active "
            "FROM api_keys k LEFT JOIN users u ON u.username = k.username WHERE k.prefix = ?")
BY_ID = f"SELECT {_FIELDS} FROM api_keys WHERE id = ?"
OF_USER = f"SELECT {_FIELDS} FROM api_keys WHERE username = ? ORDER BY id DESC"
EVERYONE = f"SELECT {_FIELDS} FROM api_keys ORDER BY username, id DESC"
TOUCH = "UPDATE api_keys SET last_used_at = ? WHERE id = ?"
REVOKE = "UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING id"


@dataclass(frozen=True)
class KeyRecord:
    id: int
    username: str
    name: str
    prefix: str
    secret_sha256: str
    read_only: bool
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


def create(username: str, name: str, prefix: str, secret_sha256: str, read_only: bool, created_by: str,
           expires_at: datetime | None) -> int:
    return int(db.one(INSERT, [username, name, prefix, secret_sha256, read_only, created_by, expires_at])[0])


def by_prefix(prefix: str) -> list[KeyRecord]:
    return [KeyRecord(*row) for row in db.rows(BY_PREFIX, [prefix])]


def for_call(prefix: str) -> list[tuple[KeyRecord, str | None, bool]]:
    """The keys with this prefix, each with its user's role and whether the user is active."""
    return [(KeyRecord(*row[:-2]), row[-2], bool(row[-1])) for row in db.rows(FOR_CALL, [prefix])]


def get(key_id: int) -> KeyRecord | None:
    row = db.one(BY_ID, [key_id])
    return KeyRecord(*row) if row else None


def of_user(username: str) -> list[KeyRecord]:
    return [KeyRecord(*row) for row in db.rows(OF_USER, [username])]


def everyone() -> list[KeyRecord]:
    return [KeyRecord(*row) for row in db.rows(EVERYONE)]


def touch(key_id: int, when: datetime) -> None:
    db.execute(TOUCH, [when, key_id])


def revoke(key_id: int, when: datetime, by: str) -> bool:
    """Whether this call revoked it (False: it was revoked already)."""
    return db.one(REVOKE, [when, by, key_id]) is not None
