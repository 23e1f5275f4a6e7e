"""Quota counters (per user and UTC day, with the user's current minute on the same row), per-user
limits, and job counts.

The consuming statement is one conditional UPDATE (an INSERT only for the day's first row) that adds
to both counters only while both stay within their limits, and says (RETURNING) whether it did;
`ml.governance.quotas` runs it under a process lock, so two sessions of one user can never pass a limit together.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from data import db

# One statement takes both limits: `n` images for the day and `req` requests (1, or 0 for the later
# chunks of a batch already counted as one request) for the minute, only while both stay within their
# limits. No row back means "over a limit" or "no row yet today" (then `ADD` starts it). A plain
# conditional UPDATE: cheaper than INSERT ... ON CONFLICT.
CONSUME = """
UPDATE quota_days SET used = used + $n,
    minute_used = CASE WHEN minute = $minute THEN minute_used + $req ELSE $req END, minute = $minute
WHERE username = $user AND day = $day AND used - refilled + $n <= $daily
  AND (CASE WHEN minute = $minute THEN minute_used ELSE 0 END) + $req <= $per_minute
RETURNING used - refilled, minute_used"""
ADD = "INSERT INTO quota_days (username, day, used, minute, minute_used) SELECT $user, $day, $n, $minute, $req " \
      "WHERE NOT EXISTS (SELECT 1 FROM quota_days WHERE username = $user AND day = $day) RETURNING used, minute_used"
DAY_USED = "SELECT coalesce(sum(used - refilled), 0), coalesce(sum(used), 0) FROM quota_days WHERE username = ? AND day = ?"
# A refill gives the whole day's quota back: what was used so far no longer counts against it.
REFILL = """
INSERT INTO quota_days (username, day, used, refilled) VALUES (?, ?, 0, 0)
ON CONFLICT (username, day) DO UPDATE SET refilled = quota_days.used
RETURNING used"""
# Today's count and this minute's, in one point read (no row yet: nothing used today).
COUNTED = ("SELECT used - refilled, CASE WHEN minute = ? THEN minute_used ELSE 0 END FROM quota_days "
           "WHERE username = ? AND day = ?")
OVERRIDE = "SELECT daily, per_minute FROM quota_overrides WHERE username = ?"
SET_OVERRIDE = """
INSERT INTO quota_overrides (username, daily, per_minute, updated_by) VALUES (?, ?, ?, ?)
ON CONFLICT (username) DO UPDATE SET daily = excluded.daily, per_minute = excluded.per_minute,
    updated_by = excluded.updated_by, updated_at = excluded.updated_at"""
OVERRIDES = "SELECT username, daily, per_minute, updated_by, updated_at FROM quota_overrides ORDER BY username"
# Jobs of some kinds that one user has waiting or running (the concurrent-job limit).
OPEN_JOBS = "SELECT count(*) FROM jobs WHERE created_by = ? AND kind IN (SELECT unnest(?)) AND status IN ('queued', 'running')"


class Override(NamedTuple):
    daily: int | None
    per_minute: int | None


def consume(username: str, day: date, minute: datetime, n: int, daily: int, per_minute: int,
            requests: int = 1) -> tuple[int, int] | None:
    """(today's count, this minute's requests) after adding `n` images and `requests` requests this
    minute, or None when either would pass its limit (then nothing is added; `minute_used` says which)."""
    params = {"user": username, "day": day, "minute": minute, "n": n, "req": requests}
    row = db.one(CONSUME, {**params, "daily": daily, "per_minute": per_minute})
    if row is None and n <= daily:
        row = db.one(ADD, params)
    return None if row is None else (int(row[0]), int(row[1]))


def counted(username: str, minute: datetime) -> tuple[int, int]:
    """(counted against today's quota, requests this minute) for one user, on the minute's UTC day."""
    row = db.one(COUNTED, [minute, username, minute.date()])
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def day_used(username: str, day: date) -> tuple[int, int]:
    """(counted against the quota, used in all) for one user and day."""
    counted, used = db.one(DAY_USED, [username, day])
    return int(counted), int(used)


def refill(username: str, day: date) -> int:
    """Give the day's quota back; returns how many had been used that day."""
    return int(db.one(REFILL, [username, day])[0])


def override(username: str) -> Override:
    row = db.one(OVERRIDE, [username])
    return Override(*row) if row else Override(None, None)


def set_override(username: str, daily: int | None, per_minute: int | None, by: str) -> None:
    db.execute(SET_OVERRIDE, [username, daily, per_minute, by])


def overrides():
    """Every per-user limit an admin set, as a DataFrame."""
    return db.frame(OVERRIDES)


def open_jobs(username: str, kinds: list[str]) -> int:
    return int(db.one(OPEN_JOBS, [username, kinds])[0])
