"""Small key/value settings (the active model, sign-out times)."""
from __future__ import annotations

import threading
import time

import duckdb

from data import db

RETRIES = 20  # two writers of one key collide in DuckDB's optimistic concurrency; the loser retries
_WRITE = threading.Lock()  # one process per file: writers of this process take turns, so conflicts stay rare

GET = "SELECT value FROM settings WHERE key = ?"
MANY = "SELECT key, value FROM settings WHERE list_contains(?, key)"
SET = """
INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value"""


def get(key: str) -> str | None:
    row = db.one(GET, [key])
    return row[0] if row else None


def many(keys: list[str]) -> dict[str, str]:
    """The stored values of several keys in one read (a key never set is absent)."""
    return dict(db.rows(MANY, [list(keys)]))


def put(key: str, value: str) -> None:
    """Upsert; a write-write conflict with another thread ("Conflict on update!") is retried."""
    for attempt in range(RETRIES):
        try:
            with _WRITE:
                db.execute(SET, [key, value])
            return
        except (duckdb.TransactionException, duckdb.ConstraintException):  # first inserts of one key race too
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.001 * (attempt + 1))
