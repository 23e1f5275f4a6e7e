"""API keys: made for a user, shown once, kept only as a SHA-256 hash, checked in constant time.

A key acts for its user with the user's role *at the moment of each call* (`authenticate` reads it
with the key, in one query, every time), so deactivating or demoting someone takes effect on their
next call. Unknown, revoked and expired keys are refused with one sentence, so a caller cannot tell
which; each refusal is audited with the key's id (when the prefix names one), never with the secret.

Secrets look like `dl_<prefix>_<random>`: the 8-character prefix finds the row and is shown in lists;
the whole secret is 256 random bits.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from data import api_keys, audit, db
from ml.errors import AuthError, NotFoundError, PolicyError, RequestError
from ml.governance import accounts, policy

log = logging.getLogger(__name__)

SCHEME = "dl"
_SECRET = re.compile(r"dl_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{20,100}")
NAME_MAX = 80
MAX_EXPIRY_DAYS = 3650
TOUCH_EVERY = timedelta(seconds=60)  # "last used" is a day-to-day fact: one write a minute per key is plenty
REFUSED = "This API key is not valid: it is unknown, revoked or expired. Create a new one on the Account page."
MISSING = ("This call needs an API key: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
           "(create one on the Account page).")
_ALPHANUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Caller:
    """Who a key speaks for, as of this call."""

    key_id: int
    username: str
    role: str
    read_only: bool


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> datetime:
    """The clock (naive local time, as the store's timestamps); tests move it to expire keys."""
    return datetime.now()


def _owner_check(username: str, by: str, action: str) -> None:
    """A user manages their own keys; an admin (or the CLI) anyone's."""
    if by == username and policy.role_of(by) is not None:
        return
    accounts.require_manager(by, action)
    if policy.role_of(username) is None:
        raise RequestError(f"'{username}' is not an active user, so no API key can be made for them.")


def create(username: str, *, by: str, name: str = "", expires_days: int | None = None,
           read_only: bool = False) -> tuple[api_keys.KeyRecord, str]:
    """A new key for `username`: (its record, the secret). The secret is returned once and never stored."""
    _owner_check(username, by, "create_api_key")
    name = (name or "").strip() or "API key"
    if len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
        raise RequestError(f"A key's name is at most {NAME_MAX} printable characters.")
    expires_at = None
    if expires_days is not None:
        if not isinstance(expires_days, int) or isinstance(expires_days, bool) or not 1 <= expires_days <= MAX_EXPIRY_DAYS:
            raise RequestError(f"A key expires after 1 to {MAX_EXPIRY_DAYS:,} days, or never.")
        expires_at = now() + timedelta(days=expires_days)
    prefix = "".join(secrets.choice(_ALPHANUM) for _ in range(8))
    secret = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    key_id = api_keys.create(username, name, prefix, digest(secret), bool(read_only), by, expires_at)
    audit.record(by, "create_api_key", "ok", f"key {key_id} ({prefix}) for {username}", target=f"api_key:{key_id}",
                 details={"user": username, "name": name, "read_only": bool(read_only),
                          "expires_at": expires_at.isoformat(timespec="seconds") if expires_at else None})
    return api_keys.get(key_id), secret


def listed(username: str | None, *, by: str) -> list[api_keys.KeyRecord]:
    """`username`'s keys (their own, or any user's for an admin); None: everyone's (admins)."""
    if username is None:
        accounts.require_manager(by, "list_api_keys")
        return api_keys.everyone()
    if by != username:
        accounts.require_manager(by, "list_api_keys")
    return api_keys.of_user(username)


def state(key: api_keys.KeyRecord, at: datetime | None = None) -> str:
    """"active", "revoked" or "expired", for lists."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= (at or now()):
        return "expired"
    return "active"


def revoke(key_id: int, *, by: str) -> api_keys.KeyRecord:
    """Revoke a key at once (its owner or an admin); audited. Revoking a revoked key changes nothing."""
    key = api_keys.get(int(key_id))
    if key is None:
        raise NotFoundError(f"API key {key_id} does not exist.")
    if key.username != by:
        try:
            accounts.require_manager(by, "revoke_api_key")
        except PolicyError:
            raise NotFoundError(f"API key {key_id} does not exist.") from None  # others' keys are not revealed
    if api_keys.revoke(key.id, now(), by):
        audit.record(by, "revoke_api_key", "ok", f"key {key.id} ({key.prefix}) of {key.username}",
                     target=f"api_key:{key.id}", details={"user": key.username})
    return api_keys.get(key.id)


def authenticate(secret: str | None, *, action: str = "api") -> Caller:
    """The caller a secret speaks for now, or AuthError (audited with the key id, never the secret)."""
    if not secret:
        audit.record(None, action, "denied", "no API key")
        raise AuthError(MISSING, audited=True)
    found = _SECRET.fullmatch(secret.strip())
    if found is None:
        audit.record(None, action, "denied", "malformed API key")
        raise AuthError(REFUSED, audited=True)
    wanted = digest(secret.strip())
    key, user_role, active = next(((k, r, a) for k, r, a in api_keys.for_call(found.group(1))
                                   if hmac.compare_digest(k.secret_sha256, wanted)), (None, None, False))
    if key is None:
        audit.record(None, action, "denied", f"unknown API key (prefix {found.group(1)})")
        raise AuthError(REFUSED, audited=True)
    at = now()
    problem = state(key, at)
    role = policy.role_in(key.username, user_role, active) if problem == "active" else None
    if problem == "active" and role is None:
        problem = "user inactive"
    if problem != "active":
        audit.record(key.username, action, "denied", f"API key {key.id}: {problem}", target=f"api_key:{key.id}")
        raise AuthError(REFUSED, audited=True)
    _touch(key, at)
    return Caller(key.id, key.username, role, key.read_only)


_touch_lock = threading.Lock()
_touched: dict[tuple[str, int], datetime] = {}  # (database, key id): ids repeat across stores


def _touch(key: api_keys.KeyRecord, at: datetime) -> None:
    """Record "last used" at most once a minute per key, one writer at a time: concurrent calls with one
    key would otherwise update its row together, which DuckDB refuses as a write conflict."""
    with _touch_lock:
        seen = (str(db.db_path()), key.id)
        last = max(filter(None, (key.last_used_at, _touched.get(seen))), default=None)
        if last is not None and at - last < TOUCH_EVERY:
            return
        _touched[seen] = at
        api_keys.touch(key.id, at)
