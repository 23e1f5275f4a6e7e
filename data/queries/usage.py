"""Usage reports: per user, per day, per action, aggregated in DuckDB over predictions and the audit log.

Actions: draw, upload, cli, batch and api (the REST API) are predictions (one row per image; `latency_ms` is the
processing time); train, tune and export are read from the audit log (a job counts when queued, an
export when written: a table's CSV/Excel/JSON/Parquet file or a PDF report). Errors are audit rows
with outcome "error"; refusals by a quota are "denied" rows whose detail names the quota (`ml.governance.quotas`).
Relabelled test images are stored as batch rows but are not traffic, so they are left out. Days are
the stored timestamps' days (the server runs in UTC).

Parameters are numbered ($1 since, $2 until, $3 user or NULL), so one `Query` can be exported as is.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from data import db
from data.exports import Query

if TYPE_CHECKING:
    import pandas as pd

ACTIONS = ("draw", "upload", "cli", "batch", "api", "train", "tune", "export")
PREDICTION_ACTIONS = ("draw", "upload", "cli", "batch", "api")
_AUDIT_ACTION = """CASE action WHEN 'predict_draw' THEN 'draw' WHEN 'predict_upload' THEN 'upload'
    WHEN 'predict_cli' THEN 'cli' WHEN 'predict_api' THEN 'api' WHEN 'predict_batch' THEN 'batch' WHEN 'job_batch' THEN 'batch'
    WHEN 'job_train' THEN 'train' WHEN 'job_promote' THEN 'train' WHEN 'job_tune' THEN 'tune'
    WHEN 'export' THEN 'export' WHEN 'report' THEN 'export' END"""
_AUDIT_NAMES = ("predict_draw", "predict_upload", "predict_cli", "predict_api", "predict_batch", "job_batch", "job_train",
                "job_promote", "job_tune", "export", "report")
DAILY = f"""
WITH p AS (
    SELECT CAST(ts AS DATE) AS day, username, source AS action, count(*) AS images,
           quantile_cont(latency_ms, 0.5) AS p50_ms, quantile_cont(latency_ms, 0.95) AS p95_ms
    FROM predictions
    WHERE ts >= $1 AND ts < $2 AND ($3 IS NULL OR username = $3)
      AND NOT (source = 'batch' AND coalesce(filename, '') LIKE 'relabelled test image%')
    GROUP BY ALL),
a AS (
    SELECT CAST(ts AS DATE) AS day, username, {_AUDIT_ACTION} AS action,
           count(*) FILTER (WHERE outcome = 'ok' AND (action IN ('export', 'report') OR detail LIKE 'job % queued%')) AS runs,
           count(*) FILTER (WHERE outcome = 'error') AS errors,
           count(*) FILTER (WHERE outcome = 'denied' AND detail LIKE '{{"quota"%') AS refused
    FROM audit_log
    WHERE ts >= $1 AND ts < $2 AND ($3 IS NULL OR username = $3)
      AND action IN ({', '.join(f"'{name}'" for name in _AUDIT_NAMES)})
    GROUP BY ALL)
SELECT day, username, action,
       CASE WHEN action IN ('draw', 'upload', 'cli', 'api') THEN coalesce(p.images, 0)
            ELSE coalesce(a.runs, 0) END AS count,
       coalesce(p.images, 0) AS images, round(p.p50_ms, 2) AS p50_ms, round(p.p95_ms, 2) AS p95_ms,
       coalesce(a.errors, 0) AS errors, coalesce(a.refused, 0) AS quota_refusals
FROM p FULL OUTER JOIN a USING (day, username, action)
ORDER BY day, username, action"""
# Quota consumption: images counted against each user's daily quota (refills do not erase `used`;
# `counted` is what still counts against the quota after the day's refills).
QUOTA = """
SELECT day, username, used, refilled, used - refilled AS counted FROM quota_days
WHERE day >= CAST($1 AS DATE) AND day < CAST($2 AS DATE) AND ($3 IS NULL OR username = $3)
ORDER BY day, username"""
USERS = "SELECT DISTINCT username FROM quota_days UNION SELECT username FROM users ORDER BY 1"


def _params(first: date, last: date, username: str | None) -> list:
    """The range as [first day 00:00, day after the last day 00:00) and the user (None: everyone)."""
    return [datetime.combine(first, time.min), datetime.combine(last + timedelta(days=1), time.min), username]


def daily_query(first: date, last: date, username: str | None = None) -> Query:
    """The per user, day and action table as a `Query`, for the page and its export."""
    return Query(DAILY, _params(first, last, username))


def daily(first: date, last: date, username: str | None = None) -> pd.DataFrame:
    return db.frame(DAILY, _params(first, last, username))


def top_of(frame: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The busiest users (most images, then most actions) of a `daily` frame: the page and the PDF
    have it loaded already, so the day table is not aggregated a second time."""
    columns = ["count", "images", "errors", "quota_refusals"]
    top = frame.groupby("username", as_index=False)[columns].sum()
    top = top.sort_values(["images", "count", "username"], ascending=[False, False, True]).head(limit)
    return top.reset_index(drop=True)


def quota_used(first: date, last: date, username: str | None = None) -> pd.DataFrame:
    return db.frame(QUOTA, _params(first, last, username))


def quota_query(first: date, last: date, username: str | None = None) -> Query:
    """The quota consumption table (per user and day) as a `Query`, for the page's export."""
    return Query(QUOTA, _params(first, last, username))


def usernames() -> list[str]:
    """Everyone the filter can pick: users, and names that used a quota (a deleted user's history)."""
    return [row[0] for row in db.rows(USERS)]
