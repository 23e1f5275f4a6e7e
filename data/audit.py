"""The audit log: who did what, when, and whether it worked."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from data import db

if TYPE_CHECKING:
    import pandas as pd

OUTCOMES = ("ok", "denied", "error")

INSERT = "INSERT INTO audit_log (username, action, outcome, detail) VALUES (?, ?, ?, ?)"
# Whatever the case: the user by whole name ("ADMIN" finds admin), the text as any part of the detail
# or action ("sign"). Patterns go in as placeholders, LIKE's wildcards escaped ("_" is an underscore).
PAGE = r"""
SELECT id, ts, username, action, outcome, detail FROM audit_log
WHERE ($username IS NULL OR username ILIKE $username ESCAPE '\')
  AND ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts < $until)
  AND ($action IS NULL OR action = $action)
  AND ($text IS NULL OR detail ILIKE $text ESCAPE '\' OR action ILIKE $text ESCAPE '\')
ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset"""
ACTIONS = "SELECT DISTINCT action FROM audit_log ORDER BY action"


def record(username: str | None, action: str, outcome: str = "ok", detail: str = "") -> None:
    """One audit row. Cheap enough (~1 ms) to call on every user-facing event."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    db.execute(INSERT, [username, action, outcome, detail[:2000]])


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(text: str | None) -> str | None:
    return f"%{_literal(text)}%" if text else None


def page(*, username: str | None = None, since: datetime | None = None, until: datetime | None = None,
         action: str | None = None, text: str | None = None, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """Newest-first page of the log, filtered in SQL: `action` exactly (pick it from `actions()`),
    `username` as a whole name and `text` as part of the detail or action, in any case."""
    params = {"username": _literal(username) if username else None, "since": since, "until": until, "action": action,
              "text": _contains(text), "limit": limit, "offset": offset}
    return db.frame(PAGE, params)


def actions() -> list[str]:
    """Every action the log holds, for the page's picker."""
    return [row[0] for row in db.rows(ACTIONS)]
