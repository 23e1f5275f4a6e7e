"""Quota counters (per user and UTC day, per user and minute), per-user limits, and job counts.

The consuming statements are conditional upserts: each adds to a counter only while the sum stays
within the limit given, and says (RETURNING) whether it did. `ml.quotas` runs both in one
transaction under a process lock, so two sessions of one user can never pass the limit together.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from data import db

# Adds `n` to today's counter only while used - refilled + n stays within the limit (a new row is
# checked by the caller: ON CONFLICT's WHERE applies only to an existing row).
CONSUME_DAY = """
INSERT INTO quota_days (username, day, used) VALUES ($user, $day, $n)
ON CONFLICT (username, day) DO UPDATE SET used = quota_days.used + excluded.used
WHERE quota_days.used - quota_days.refilled + excluded.used <= $limit
RETURNING used - refilled"""
# One row per user: a new minute starts the count again.
CONSUME_MINUTE = """
INSERT INTO quota_minutes (username, minute, used) VALUES ($user, $minute, $n)
ON CONFLICT (username) DO UPDATE SET
    used = CASE WHEN quota_minutes.minute = excluded.minute THEN quota_minutes.used + excluded.used
                ELSE excluded.used END,
    minute = excluded.minute
WHERE (CASE WHEN quota_minutes.minute = excluded.minute THEN quota_minutes.used ELSE 0 END) + excluded.used <= $limit
RETURNING used"""
DAY_USED = "SELECT coalesce(sum(used - refilled), 0), coalesce(sum(used), 0) FROM quota_days WHERE username = ? AND day = ?"
MINUTE_USED = "SELECT used FROM quota_minutes WHERE username = ? AND minute = ?"
# A refill gives the whole day's quota back: what was used so far no longer counts against it.
REFILL = """
INSERT INTO quota_days (username, day, used, refilled) VALUES (?, ?, 0, 0)
ON CONFLICT (username, day) DO UPDATE SET refilled = quota_days.used
RETURNING used"""
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


def consume_day(username: str, day: date, n: int, limit: int) -> int | None:
    """Today's count after adding `n`, or None when that would pass `limit` (nothing added)."""
    row = db.one(CONSUME_DAY, {"user": username, "day": day, "n": n, "limit": limit})
    return None if row is None else int(row[0])


def consume_minute(username: str, minute: datetime, n: int, limit: int) -> int | None:
    """This minute's count after adding `n`, or None when that would pass `limit` (nothing added)."""
    row = db.one(CONSUME_MINUTE, {"user": username, "minute": minute, "n": n, "limit": limit})
    return None if row is None else int(row[0])


def day_used(username: str, day: date) -> tuple[int, int]:
    """(counted against the quota, used in all) for one user and day."""
    counted, used = db.one(DAY_USED, [username, day])
    return int(counted), int(used)


def minute_used(username: str, minute: datetime) -> int:
    row = db.one(MINUTE_USED, [username, minute])
    return 0 if row is None else int(row[0])


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
