"""Password rules and hashing: the one policy every place that sets or checks a password uses.

Rules (issue 9): at least 10 characters, at most 72 bytes (bcrypt ignores the rest, so we refuse
rather than silently truncate), no leading/trailing spaces (sign-in forms strip them, which would
lock the account out), not the user name or the user name repeated, not among the 10,000 most
common passwords (`common_passwords.txt`: the top of zxcvbn's frequency list, MIT licence), and
not only letters or only digits.
"""
from __future__ import annotations

import functools
from pathlib import Path

import bcrypt

from ml import config

MIN_LENGTH = 10
MAX_BYTES = 72
RULES = (f"At least {MIN_LENGTH} characters, at most {MAX_BYTES} bytes, no spaces at either end, not your user "
         "name, not a common password, and not only letters or only digits.")
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
ROUNDS_ENV = config.BCRYPT_ROUNDS
DEFAULT_ROUNDS = 12


def rounds() -> int:
    """bcrypt's cost for new hashes: 12. Checks take the cost written in the stored hash. Only the test
    suite lowers it (to 4), as Django's own test settings swap in a fast hasher: a slow hash is the point
    in the app and pure cost in a suite. `serve` warns when it is lowered."""
    given = config.get(ROUNDS_ENV, "").strip()
    return int(given) if given.isdigit() and 4 <= int(given) <= 31 else DEFAULT_ROUNDS


@functools.cache
def _dummy_hash() -> bytes:
    """Checked for unknown user names so a wrong name takes as long as a wrong password (no name
    probing). Made on first use, not at import: a bcrypt hash would slow every process start."""
    return bcrypt.hashpw(b"digitlab-no-such-user", bcrypt.gensalt(rounds=rounds()))


@functools.cache
def _common() -> frozenset[str]:
    return frozenset(_COMMON_FILE.read_text(encoding="utf-8").split())


def problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is not acceptable (one sentence), or None."""
    if password != password.strip():
        return "A password cannot start or end with a space: sign-in would not match it."
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password.encode("utf-8")) > MAX_BYTES:
        return f"Use at most {MAX_BYTES} bytes (about {MAX_BYTES} plain letters): longer passwords cannot be stored safely."
    lowered = password.lower()
    if username:
        name = username.lower()
        if lowered == name or (len(lowered) % len(name) == 0 and lowered == name * (len(lowered) // len(name))):
            return "Do not use your user name as your password."
    if lowered in _common():
        return "This password is among the most common ones: choose another."
    if password.isalpha() or password.isdigit():
        return "Mix letters with digits or symbols."
    return None


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds())).decode("ascii")


def verify(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


def burn(password: str) -> None:
    """Spend a real bcrypt check on a name that does not exist, so timing does not reveal it."""
    bcrypt.checkpw(password.encode("utf-8")[:MAX_BYTES], _dummy_hash())
