"""Totals for the Prometheus scrape (`/metrics`), each one aggregate query over its table."""
from __future__ import annotations

from data import db

PREDICTIONS = "SELECT source, needs_review, count(*) FROM predictions GROUP BY ALL"
# ml.governance.quotas writes each refusal's facts as JSON into the audit row's detail: {"quota": "day"|"minute"|"jobs", ...}
REFUSALS = """
SELECT regexp_extract(detail, '"quota": "(\\w+)"', 1) AS quota, count(*) FROM audit_log
WHERE outcome = 'denied' AND (action LIKE 'predict_%' OR action LIKE 'job_%') AND detail LIKE '{"quota": %'
GROUP BY quota"""
QUEUES = """
SELECT lane, count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'running')
FROM jobs GROUP BY lane"""


def predictions() -> list[tuple[str, bool, int]]:
    return [(source, bool(review), int(n)) for source, review, n in db.rows(PREDICTIONS)]


def refusals() -> dict[str, int]:
    return {quota: int(n) for quota, n in db.rows(REFUSALS) if quota}


def queues() -> dict[str, tuple[int, int]]:
    """lane -> (queued, running)."""
    return {lane: (int(q), int(r)) for lane, q, r in db.rows(QUEUES)}
