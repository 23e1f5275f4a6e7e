"""Background jobs: kind, lane, parameters, status, structured progress, result.

State machine: queued -> running -> succeeded / failed / cancelled / interrupted. Workers claim the
oldest queued row of their lane in one UPDATE, so a row is never run twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from data import audit, db
from data.exports import Query

if TYPE_CHECKING:
    import pandas as pd

FINAL = ("succeeded", "failed", "cancelled", "interrupted")
STATUSES = ("queued", "running", *FINAL)

INSERT = "INSERT INTO jobs (kind, lane, title, params, created_by) VALUES (?, ?, ?, ?, ?) RETURNING id"
COLUMNS = ("id, kind, params, status, stage, progress, message, result, created_by, created_at, started_at, "
           "finished_at, cancel_requested, lane, title, done, total, rate, detail, worker")
SELECT_ONE = f"SELECT {COLUMNS} FROM jobs WHERE id = ?"
# One query for a job list: everything a row shows (title included), no second read per row.
PAGE = """
SELECT id, kind, lane, title, status, stage, progress, message, done, total, rate, detail, created_by,
       created_at, started_at, finished_at, cancel_requested,
       date_diff('millisecond', started_at, coalesce(finished_at, current_timestamp)) / 1000.0 AS elapsed_s
FROM jobs
WHERE ($created_by IS NULL OR created_by = $created_by) AND ($kind IS NULL OR kind = $kind)
ORDER BY id DESC LIMIT $limit OFFSET $offset"""
CLAIM = f"""
UPDATE jobs SET status = 'running', started_at = current_timestamp, seen_at = current_timestamp,
       stage = 'starting', worker = ?
WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND lane = ? ORDER BY id LIMIT 1) AND status = 'queued'
RETURNING {COLUMNS}"""
START = """UPDATE jobs SET status = 'running', started_at = current_timestamp, seen_at = current_timestamp,
       stage = 'starting', worker = ? WHERE id = ?"""
PROGRESS = """
UPDATE jobs SET stage = ?, progress = ?, message = ?, done = ?, total = ?, rate = ?, detail = ?,
       seen_at = current_timestamp
WHERE id = ? AND status = 'running'"""
FINISH = """
UPDATE jobs SET status = ?, message = ?, result = ?, finished_at = current_timestamp,
       progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END
WHERE id = ?"""
CANCEL = "UPDATE jobs SET cancel_requested = TRUE WHERE id = ? AND status IN ('queued', 'running')"
CANCEL_REQUESTED = "SELECT cancel_requested FROM jobs WHERE id = ?"
INTERRUPT = """
UPDATE jobs SET status = 'interrupted',
       finished_at = CASE WHEN status = 'running' THEN coalesce(seen_at, started_at) ELSE current_timestamp END,
       message = 'The process running this job stopped (shut down or killed) before it finished; start it again.'
WHERE status IN ('queued', 'running') RETURNING id, kind, created_by, status"""
# The admin's Jobs page: every job of every user, filtered and paged in SQL (newest first), its total
# counted by the same WHERE. Duration: start to finish, or to now while it runs; none if it never started.
ADMIN_WHERE = """
WHERE ($kind IS NULL OR kind = $kind) AND ($status IS NULL OR status = $status)
  AND ($owner IS NULL OR created_by = $owner)"""
# The same filter with positional placeholders, for an export `Query` (kind, kind, status, status, owner, owner).
EXPORT_WHERE = """
WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR status = ?) AND (? IS NULL OR created_by = ?)"""
ADMIN_SELECT = """
SELECT id, kind, title, status, created_by AS owner, progress, done, total, rate, stage, message,
       created_at, started_at, finished_at,
       date_diff('millisecond', started_at, coalesce(finished_at, current_timestamp)) / 1000.0 AS duration_s,
       cancel_requested
FROM jobs"""
ADMIN_PAGE = ADMIN_SELECT + ADMIN_WHERE + " ORDER BY id DESC LIMIT $limit OFFSET $offset"
ADMIN_COUNT = "SELECT count(*) FROM jobs" + ADMIN_WHERE
ADMIN_EXPORT = ADMIN_SELECT + EXPORT_WHERE + " ORDER BY id DESC"
OWNERS = "SELECT DISTINCT created_by FROM jobs ORDER BY created_by"
KINDS_SEEN = "SELECT DISTINCT kind FROM jobs ORDER BY kind"
ACTIVE_COUNT = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
LANE_COUNTS = """
SELECT lane, count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'running') AS running
FROM jobs WHERE status IN ('queued', 'running') GROUP BY lane"""


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    params: dict[str, Any]
    status: str
    stage: str
    progress: float
    message: str
    result: dict[str, Any] | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    lane: str = "train"
    title: str = ""
    done: int | None = None
    total: int | None = None
    rate: float | None = None
    detail: str = ""
    worker: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL


def _record(row: tuple) -> JobRecord:
    values = list(row)
    values[2] = json.loads(values[2])
    values[7] = json.loads(values[7]) if values[7] else None
    return JobRecord(*values)


def create(kind: str, params: dict, created_by: str, *, lane: str = "train", title: str = "") -> int:
    return int(db.one(INSERT, [kind, lane, title, json.dumps(params), created_by])[0])


def get(job_id: int) -> JobRecord | None:
    row = db.one(SELECT_ONE, [job_id])
    return _record(row) if row is not None else None


def claim(lane: str, worker: str) -> JobRecord | None:
    """The oldest queued job of `lane`, now marked running by `worker`; None when the lane is empty or
    another worker claimed that row in the same instant (it then runs it, and drains the lane after)."""
    try:
        row = db.one(CLAIM, [worker, lane])
    except duckdb.TransactionException:  # write-write conflict: the other worker won the row
        return None
    return _record(row) if row is not None else None


def page(*, created_by: str | None = None, kind: str | None = None, limit: int = 20, offset: int = 0) -> pd.DataFrame:
    return db.frame(PAGE, {"created_by": created_by, "kind": kind, "limit": limit, "offset": offset})


def _filters(kind: str | None, status: str | None, owner: str | None) -> dict[str, Any]:
    return {"kind": kind or None, "status": status or None, "owner": owner or None}


def admin_page(*, kind: str | None = None, status: str | None = None, owner: str | None = None,
               limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """One page of all users' jobs matching the filters (an empty filter matches all), newest first."""
    return db.frame(ADMIN_PAGE, {**_filters(kind, status, owner), "limit": limit, "offset": offset})


def admin_count(*, kind: str | None = None, status: str | None = None, owner: str | None = None) -> int:
    return int(db.one(ADMIN_COUNT, _filters(kind, status, owner))[0])


def admin_query(*, kind: str | None = None, status: str | None = None, owner: str | None = None) -> Query:
    """Every job matching the filters, for an export (the same WHERE as the page shows)."""
    named = _filters(kind, status, owner)
    return Query(ADMIN_EXPORT, [named[k] for k in ("kind", "kind", "status", "status", "owner", "owner")])


def owners() -> list[str]:
    return [row[0] for row in db.rows(OWNERS)]


def kinds_seen() -> list[str]:
    return [row[0] for row in db.rows(KINDS_SEEN)]


def active_count() -> int:
    """Jobs queued or running (the page refreshes itself while there are any)."""
    return int(db.one(ACTIVE_COUNT)[0])


def mark_running(job_id: int, worker: str | None = None) -> None:
    db.execute(START, [worker, job_id])


def update_progress(job_id: int, stage: str, progress: float, message: str = "", *, done: int | None = None,
                    total: int | None = None, rate: float | None = None, detail: str = "") -> None:
    db.execute(PROGRESS, [stage, max(0.0, min(1.0, progress)), message, done, total, rate, detail, job_id])


def finish(job_id: int, status: str, message: str = "", result: dict | None = None) -> None:
    db.execute(FINISH, [status, message, json.dumps(result) if result is not None else None, status, job_id])


def request_cancel(job_id: int) -> None:
    db.execute(CANCEL, [job_id])


def cancel_requested(job_id: int) -> bool:
    row = db.one(CANCEL_REQUESTED, [job_id])
    return bool(row and row[0])


def lane_counts() -> dict[str, dict[str, int]]:
    """{lane: {"queued": n, "running": n}} for lanes with unfinished jobs."""
    return {lane: {"queued": int(q), "running": int(r)} for lane, q, r in db.rows(LANE_COUNTS)}


def mark_interrupted_all() -> int:
    """Jobs a previous process left queued or running are marked interrupted, each with an audit row
    for its owner; their elapsed time ends at their last progress report, not now."""
    found = db.rows(INTERRUPT)
    for job_id, kind, created_by, _ in found:
        audit.record(created_by, f"job_{kind}", "error",
                     f"job {job_id} interrupted: its process stopped before it finished")
    return len(found)


_recovered: set[str] = set()


def recover_once() -> int:
    """On opening the store, once per process and database file: whatever a killed process (a CLI
    training, a server) left running is marked interrupted by whichever process opens the store
    next. Only once, so a later re-open in the same process never touches its own live jobs."""
    key = str(db.db_path())
    if key in _recovered:
        return 0
    _recovered.add(key)
    return mark_interrupted_all()
