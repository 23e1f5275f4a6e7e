"""Small key/value settings (the active model, sign-out times)."""
from __future__ import annotations

from data import db

GET = "SELECT value FROM settings WHERE key = ?"
SET = """
INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value"""


def get(key: str) -> str | None:
    row = db.one(GET, [key])
    return row[0] if row else None


def put(key: str, value: str) -> None:
    db.execute(SET, [key, value])
