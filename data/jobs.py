"""Background jobs: kind, parameters, status, stage and progress, result."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TYPE_CHECKING


from data import db

if TYPE_CHECKING:
    import pandas as pd

FINAL = ("succeeded", "failed", "cancelled", "interrupted")

INSERT = "INSERT INTO jobs (kind, params, created_by) VALUES (?, ?, ?) RETURNING id"
COLUMNS = ("id, kind, params, status, stage, progress, message, result, created_by, created_at, started_at, "
           "finished_at, cancel_requested")
SELECT_ONE = f"SELECT {COLUMNS} FROM jobs WHERE id = ?"
PAGE = f"""
SELECT {COLUMNS} FROM jobs
WHERE ($created_by IS NULL OR created_by = $created_by) AND ($kind IS NULL OR kind = $kind)
ORDER BY id DESC LIMIT $limit OFFSET $offset"""
START = "UPDATE jobs SET status = 'running', started_at = current_timestamp, stage = 'starting' WHERE id = ?"
PROGRESS = "UPDATE jobs SET stage = ?, progress = ?, message = ? WHERE id = ? AND status = 'running'"
FINISH = """
UPDATE jobs SET status = ?, message = ?, result = ?, finished_at = current_timestamp,
       progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END
WHERE id = ?"""
CANCEL = "UPDATE jobs SET cancel_requested = TRUE WHERE id = ? AND status IN ('queued', 'running')"
CANCEL_REQUESTED = "SELECT cancel_requested FROM jobs WHERE id = ?"
INTERRUPT = """
UPDATE jobs SET status = 'interrupted', finished_at = current_timestamp,
       message = 'The server stopped while this job was running; start it again.'
WHERE status IN ('queued', 'running') RETURNING id"""


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

    @property
    def done(self) -> bool:
        return self.status in FINAL


def create(kind: str, params: dict, created_by: str) -> int:
    return int(db.one(INSERT, [kind, json.dumps(params), created_by])[0])


def get(job_id: int) -> JobRecord | None:
    row = db.one(SELECT_ONE, [job_id])
    if row is None:
        return None
    values = list(row)
    values[2] = json.loads(values[2])
    values[7] = json.loads(values[7]) if values[7] else None
    return JobRecord(*values)


def page(*, created_by: str | None = None, kind: str | None = None, limit: int = 20, offset: int = 0) -> pd.DataFrame:
    return db.frame(PAGE, {"created_by": created_by, "kind": kind, "limit": limit, "offset": offset})


def mark_running(job_id: int) -> None:
    db.execute(START, [job_id])


def update_progress(job_id: int, stage: str, progress: float, message: str = "") -> None:
    db.execute(PROGRESS, [stage, max(0.0, min(1.0, progress)), message, job_id])


def finish(job_id: int, status: str, message: str = "", result: dict | None = None) -> None:
    db.execute(FINISH, [status, message, json.dumps(result) if result is not None else None, status, job_id])


def request_cancel(job_id: int) -> None:
    db.execute(CANCEL, [job_id])


def cancel_requested(job_id: int) -> bool:
    row = db.one(CANCEL_REQUESTED, [job_id])
    return bool(row and row[0])


def mark_interrupted_all() -> int:
    """At start-up: jobs a previous server left queued or running are marked interrupted."""
    return len(db.rows(INTERRUPT))
