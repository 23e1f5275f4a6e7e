"""The audit log: who did what, when, and whether it worked."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from data import db

if TYPE_CHECKING:
    import pandas as pd

OUTCOMES = ("ok", "denied", "error")

INSERT = "INSERT INTO audit_log (username, action, outcome, detail) VALUES (?, ?, ?, ?)"
PAGE = """
SELECT id, ts, username, action, outcome, detail FROM audit_log
WHERE ($username IS NULL OR username = $username)
  AND ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts < $until)
  AND ($action IS NULL OR action = $action)
ORDER BY ts DESC, id DESC LIMIT $limit OFFSET $offset"""


def record(username: str | None, action: str, outcome: str = "ok", detail: str = "") -> None:
    """One audit row. Cheap enough (~1 ms) to call on every user-facing event."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    db.execute(INSERT, [username, action, outcome, detail[:2000]])


def page(*, username: str | None = None, since: datetime | None = None, until: datetime | None = None,
         action: str | None = None, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """Newest-first page of the log, filtered in SQL."""
    params = {"username": username, "since": since, "until": until, "action": action,
              "limit": limit, "offset": offset}
    return db.frame(PAGE, params)
