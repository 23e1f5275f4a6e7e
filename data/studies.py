"""Tuning studies and their trials (see migrations/00006-studies.sql).

A trial row is written when the trial starts (state RUNNING) and replaced by its whole final row when
it ends, so the table never holds half a trial: a restart turns the RUNNING rows into FAIL rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from data import db

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("id, name, family, dataset, objective, direction, space, settings, status, planned, job_id, message, "
           "created_by, created_at, started_at, finished_at")
INSERT = """
INSERT INTO studies (name, family, dataset, objective, direction, space, settings, created_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
SELECT_ONE = f"SELECT {COLUMNS} FROM studies WHERE id = ?"
SELECT_BY_NAME = f"SELECT {COLUMNS} FROM studies WHERE name = ?"
SELECT_BY_JOB = f"SELECT {COLUMNS} FROM studies WHERE job_id = ? ORDER BY id DESC LIMIT 1"
# `planned` counts the trials the study holds plus those this run asks for; at the end of a run it is
# set to what the study holds, so a run stopped or timed out early does not leave "4 / 63" behind.
_HELD = "(SELECT count(*) FROM study_trials t WHERE t.study_id = studies.id)"
START = f"""
UPDATE studies SET status = 'running', job_id = ?, planned = {_HELD} + ?, message = '',
       started_at = current_timestamp, finished_at = NULL
WHERE id = ?"""
FINISH = f"UPDATE studies SET status = ?, message = ?, finished_at = current_timestamp, planned = {_HELD} WHERE id = ?"
INTERRUPT_STUDIES = f"""
UPDATE studies SET status = 'interrupted', finished_at = current_timestamp, planned = {_HELD},
       message = 'The server stopped while this study was running; resume it to add trials.'
WHERE status = 'running' RETURNING id"""
INTERRUPT_TRIALS = """
UPDATE study_trials SET state = 'FAIL', finished_at = current_timestamp,
       duration_s = date_diff('millisecond', started_at, current_timestamp) / 1000.0,
       message = 'The server stopped while this trial was running.'
WHERE state = 'RUNNING' RETURNING study_id, number"""
_FINAL_JOB = "SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled', 'interrupted')"
ORPHAN_TRIALS = f"""
UPDATE study_trials SET state = 'FAIL', finished_at = current_timestamp,
       duration_s = date_diff('millisecond', started_at, current_timestamp) / 1000.0,
       message = 'The server stopped while this trial was running.'
WHERE state = 'RUNNING' AND study_id IN (SELECT id FROM studies WHERE status = 'running' AND job_id IN ({_FINAL_JOB}))"""
ORPHAN_STUDIES = f"""
UPDATE studies SET status = 'interrupted', finished_at = current_timestamp, planned = {_HELD},
       message = 'The server stopped while this study was running; resume it to add trials.'
WHERE status = 'running' AND job_id IN ({_FINAL_JOB}) RETURNING id"""
# A study list: one query with its trial counts and best value.
LIST = """
SELECT s.id, s.name, s.family, s.dataset, s.objective, s.direction, s.status, s.planned, s.created_by,
       s.created_at, s.job_id, coalesce(t.complete, 0) AS complete, coalesce(t.pruned, 0) AS pruned,
       coalesce(t.failed, 0) AS failed, coalesce(t.running, 0) AS running,
       CASE WHEN s.direction = 'maximize' THEN t.best_max ELSE t.best_min END AS best
FROM studies s LEFT JOIN (
    SELECT study_id, count(*) FILTER (WHERE state = 'COMPLETE') AS complete,
           count(*) FILTER (WHERE state = 'PRUNED') AS pruned, count(*) FILTER (WHERE state = 'FAIL') AS failed,
           count(*) FILTER (WHERE state = 'RUNNING') AS running,
           max(value) FILTER (WHERE state = 'COMPLETE') AS best_max, min(value) FILTER (WHERE state = 'COMPLETE') AS best_min
    FROM study_trials GROUP BY study_id) t ON t.study_id = s.id
ORDER BY s.id DESC LIMIT ?"""
TRIAL_COLUMNS = ("study_id", "number", "state", "params", "value", "intermediate", "last_step", "started_at",
                 "finished_at", "duration_s", "worker", "message")
# Many trial rows in one statement (a row replaces the one of the same study and number): a study of
# quick trials writes in batches instead of paying a statement per trial start and end.
WRITE_TRIALS = (f"INSERT OR REPLACE INTO study_trials ({', '.join(TRIAL_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(TRIAL_COLUMNS))})")
TRIALS = """
SELECT number, state, params, value, intermediate, last_step, started_at, finished_at, duration_s, worker, message
FROM study_trials WHERE study_id = ? ORDER BY number"""
# Live progress: counts, mean trial duration (for the ETA) and the latest run's elapsed time in one query.
SUMMARY = """
SELECT count(*) FILTER (WHERE t.state <> 'RUNNING') AS done,
       count(*) FILTER (WHERE t.state = 'RUNNING') AS running,
       count(*) FILTER (WHERE t.state = 'PRUNED') AS pruned,
       avg(t.duration_s) FILTER (WHERE t.state <> 'RUNNING') AS mean_s,
       any_value(date_diff('millisecond', s.started_at, coalesce(s.finished_at, current_timestamp)) / 1000.0) AS span_s
FROM studies s LEFT JOIN study_trials t ON t.study_id = s.id WHERE s.id = ?"""
BEST = """
SELECT number, value, params FROM study_trials WHERE study_id = ? AND state = 'COMPLETE'
ORDER BY CASE WHEN ? = 'maximize' THEN -value ELSE value END, number LIMIT 1"""
# The Tuning page's one read of a study (see `snapshot`): every trial's number, state and value (the
# history chart, the trials to train), one filtered page of the trials table and how many rows match.
HISTORY = "SELECT number, state, value FROM study_trials WHERE study_id = ? ORDER BY number"
_MATCHING = """
FROM study_trials WHERE study_id = $study AND list_contains($states, state)
  AND ($path IS NULL OR TRY_CAST(json_extract_string(params, $path) AS DOUBLE) BETWEEN $low AND $high)"""
TRIAL_ORDERS = {"number": "number",
                "best first": "state <> 'COMPLETE', CASE WHEN $maximize THEN -value ELSE value END, number"}
PAGE = """
SELECT number, state, params, value, last_step, started_at, finished_at, duration_s, worker, message
{matching} ORDER BY {order} LIMIT $limit OFFSET $offset"""
PAGE_COUNT = "SELECT count(*) {matching}"
DELETE_TRIALS = "DELETE FROM study_trials WHERE study_id = ?"
SET_SPACE = "UPDATE studies SET space = ?, settings = ?, planned = ?, status = ?, finished_at = current_timestamp WHERE id = ?"
LINK_MODEL = "INSERT INTO study_models (model_id, study_id, trial_number, promoted_by) VALUES (?, ?, ?, ?)"
MODEL_LINK = "SELECT study_id, trial_number FROM study_models WHERE model_id = ?"
MODELS_OF = "SELECT model_id, trial_number, promoted_by, promoted_at FROM study_models WHERE study_id = ? ORDER BY model_id"


@dataclass(frozen=True)
class StudyRecord:
    id: int
    name: str
    family: str
    dataset: str
    objective: str
    direction: str
    space: list[dict[str, Any]]
    settings: dict[str, Any]
    status: str
    planned: int
    job_id: int | None
    message: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class TrialRow:
    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    intermediate: dict[int, float]
    last_step: int | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    worker: str | None
    message: str


@dataclass(frozen=True)
class TrialFilter:
    """Which trials the table shows: states, one numeric parameter's range, an order, a page."""
    states: tuple[str, ...] = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")
    param: str | None = None
    low: float = 0.0
    high: float = 0.0
    order: str = "number"
    page: int = 1               # from 1
    page_size: int = 100


@dataclass(frozen=True)
class StudySnapshot:
    """A study as of one moment: its row, counts, best trial, every trial's state and value, one page of
    its trials table and (for small studies) every trial whole. Read in one transaction, so the header,
    the charts, the table and the trial offered for training never disagree."""
    record: StudyRecord
    summary: dict[str, Any]
    best: tuple[int, float, dict] | None
    history: pd.DataFrame        # number, state, value of every trial
    page: pd.DataFrame           # the filtered, ordered page of the trials table
    matching: int                # how many trials the filter matches (all pages)
    trials: list[TrialRow] | None  # every trial whole, when the study has at most `whole_up_to`


def _study(row: tuple | None) -> StudyRecord | None:
    if row is None:
        return None
    values = list(row)
    values[6], values[7] = json.loads(values[6]), json.loads(values[7])
    return StudyRecord(*values)


def create(*, name: str, family: str, dataset: str, objective: str, direction: str, space: list[dict],
           settings: dict, created_by: str) -> int:
    return int(db.one(INSERT, [name, family, dataset, objective, direction, json.dumps(space),
                               json.dumps(settings), created_by])[0])


def get(study_id: int) -> StudyRecord | None:
    return _study(db.one(SELECT_ONE, [study_id]))


def by_name(name: str) -> StudyRecord | None:
    return _study(db.one(SELECT_BY_NAME, [name]))


def of_job(job_id: int) -> StudyRecord | None:
    """The study a tuning job runs (None until the job has started it)."""
    return _study(db.one(SELECT_BY_JOB, [job_id]))


def start(study_id: int, job_id: int | None, more_trials: int) -> None:
    db.execute(START, [job_id, more_trials, study_id])


def finish(study_id: int, status: str, message: str = "") -> None:
    db.execute(FINISH, [status, message, study_id])


def mark_interrupted_all() -> tuple[int, int]:
    """At start-up: running studies become interrupted and their running trials failed (studies, trials)."""
    return len(db.rows(INTERRUPT_STUDIES)), len(db.rows(INTERRUPT_TRIALS))


def mark_orphans_interrupted() -> int:
    """Running studies whose job is over (a restart marked it interrupted): their running trial failed,
    the study interrupted. Returns how many studies."""
    db.execute(ORPHAN_TRIALS)
    return len(db.rows(ORPHAN_STUDIES))


def listing(limit: int = 50) -> pd.DataFrame:
    return db.frame(LIST, [limit])


def replace_trials(study_id: int, rows: list[tuple], *, space: list[dict], settings: dict, status: str) -> None:
    """An imported study's trials, all replaced in one transaction (a refresh never shows half of them)."""
    cur = db.cursor()
    cur.execute("BEGIN TRANSACTION").fetchall()
    try:
        cur.execute(DELETE_TRIALS, [study_id]).fetchall()
        for i in range(0, len(rows), 500):
            _write(cur, rows[i:i + 500])
        cur.execute(SET_SPACE, [json.dumps(space), json.dumps(settings), len(rows), status, study_id]).fetchall()
        cur.execute("COMMIT").fetchall()
    except Exception:
        cur.execute("ROLLBACK")
        raise


def _write(cur, rows: list[tuple]) -> None:
    head, _, one = WRITE_TRIALS.partition("VALUES ")
    cur.execute(head + "VALUES " + ", ".join([one] * len(rows)),
                [json.dumps(v) if isinstance(v, dict) else v for row in rows for v in row]).fetchall()


def write_trials(rows: list[tuple]) -> None:
    """Write (or replace) trial rows, each a tuple in TRIAL_COLUMNS order, in one statement."""
    if rows:
        _write(db.cursor(), rows)


def snapshot(study_id: int, shown: TrialFilter = TrialFilter(), *, whole_up_to: int = 0) -> StudySnapshot | None:
    """The study and everything the Tuning page shows of it, from one transaction (see StudySnapshot)."""
    if shown.order not in TRIAL_ORDERS:
        raise ValueError(f"unknown trial order {shown.order!r}")
    matching = _MATCHING
    named = {"study": study_id, "states": list(shown.states), "low": shown.low, "high": shown.high,
             "path": None if shown.param is None else "$." + json.dumps(shown.param)}
    with db.transaction():
        record = get(study_id)
        if record is None:
            return None
        facts, top = summary(study_id), best(study_id, record.direction)
        history = db.frame(HISTORY, [study_id])
        order = TRIAL_ORDERS[shown.order]
        page = db.frame(PAGE.format(matching=matching, order=order),
                        {**named, **({"maximize": record.direction == "maximize"} if "$maximize" in order else {}),
                         "limit": shown.page_size, "offset": (max(1, shown.page) - 1) * shown.page_size})
        count = int(db.one(PAGE_COUNT.format(matching=matching), named)[0])
        whole = trials(study_id) if len(history) <= whole_up_to else None
    return StudySnapshot(record, facts, top, history, page, count, whole)


def trials(study_id: int) -> list[TrialRow]:
    out = []
    for row in db.rows(TRIALS, [study_id]):
        values = list(row)
        values[2] = json.loads(values[2])
        values[4] = {int(k): float(v) for k, v in json.loads(values[4] or "{}").items()}
        out.append(TrialRow(*values))
    return out


def trials_frame(study_id: int) -> pd.DataFrame:
    return db.frame(TRIALS, [study_id])


def summary(study_id: int) -> dict[str, Any]:
    done, running, pruned, mean_s, span_s = db.one(SUMMARY, [study_id])
    return {"done": int(done or 0), "running": int(running or 0), "pruned": int(pruned or 0),
            "mean_s": float(mean_s) if mean_s is not None else None,
            "elapsed_s": float(span_s) if span_s is not None else 0.0}


def best(study_id: int, direction: str) -> tuple[int, float, dict] | None:
    row = db.one(BEST, [study_id, direction])
    return (int(row[0]), float(row[1]), json.loads(row[2])) if row else None


def link_model(model_id: int, study_id: int, trial_number: int, by: str) -> None:
    db.execute(LINK_MODEL, [model_id, study_id, trial_number, by])


def model_link(model_id: int) -> tuple[int, int] | None:
    row = db.one(MODEL_LINK, [model_id])
    return (int(row[0]), int(row[1])) if row else None


def models_of(study_id: int) -> pd.DataFrame:
    return db.frame(MODELS_OF, [study_id])
