"""Batch items and the queries of the Batch page: one row per item of a batch, keyed by (batch, index).

A batch's id is the job id of its first run; a resumed run writes under the same id, and reads
`done_items` to skip what is already stored. An item is a prediction (its id), a whole-number reading
in a batch of numbers (its reading id and the number its label gives), or a refusal (problem, reason).
Results, errors and the jobs table are built here as `Query`s, so the page's table and its export
(data.exports) run the same SQL.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from data import db
from data.exports import Query

if TYPE_CHECKING:
    import pandas as pd

ITEM_COLUMNS = ("batch_id", "item", "name", "label", "prediction_id", "problem", "reason", "reading_id",
                "number_label")
APPEND = f"INSERT INTO batch_items ({', '.join(ITEM_COLUMNS)}) SELECT {', '.join(ITEM_COLUMNS)} FROM items"
DONE = "SELECT item FROM batch_items WHERE batch_id = ?"
SUMMARY = """
SELECT count(*) AS items, count(prediction_id) + count(reading_id) AS predicted,
       count(*) FILTER (WHERE prediction_id IS NULL AND reading_id IS NULL) AS errors
FROM batch_items WHERE batch_id = ?"""
# (true label, predicted digit, how many) of a labelled batch, aggregated in SQL.
CONFUSION = """
SELECT i.label, p.digit, count(*) AS n
FROM batch_items i JOIN predictions p ON p.id = i.prediction_id
WHERE i.batch_id = ? AND i.label IS NOT NULL GROUP BY i.label, p.digit ORDER BY i.label, p.digit"""
COUNT_PREDICTIONS = "SELECT count(*) FROM predictions WHERE job_id = ?"
# Results of one batch; the page adds the thumbnail column, the export leaves the images out.
_RESULTS = """
SELECT i.item, i.name AS file, p.id AS prediction_id, p.digit, round(p.confidence, 4) AS confidence,
       p.needs_review AS not_sure, p.runner_up, i.label{extra}
FROM batch_items i JOIN predictions p ON p.id = i.prediction_id
WHERE i.batch_id = ? AND p.confidence <= ? AND (NOT ? OR p.needs_review)
ORDER BY i.item"""
RESULTS = _RESULTS.format(extra="")
RESULTS_PAGE = _RESULTS.format(extra=", p.image") + " LIMIT ? OFFSET ?"
ERRORS = """
SELECT item, name AS file, problem, reason FROM batch_items
WHERE batch_id = ? AND prediction_id IS NULL AND reading_id IS NULL AND (? IS NULL OR problem = ?)
ORDER BY item"""
PROBLEMS = """
SELECT DISTINCT problem FROM batch_items WHERE batch_id = ? AND prediction_id IS NULL AND reading_id IS NULL
ORDER BY problem"""
# Number mode: an item is a reading; it is right when its digits are the label's (separators are not
# compared: a file name cannot hold "/", and they are kept for display). Digit errors are the edit
# distance between the two digit strings (a digit misread, lost or added), as `make bench` counts them.
_GOT, _TRUTH = "regexp_replace(r.text, '[^0-9]', '', 'g')", "regexp_replace(i.number_label, '[^0-9]', '', 'g')"
_NUMBER_RESULTS = f"""
SELECT i.item, i.name AS file, r.id AS reading_id, r.text AS number, round(r.confidence, 4) AS confidence,
       r.doubtful, i.number_label AS label,
       CASE WHEN i.number_label IS NULL THEN NULL ELSE {_GOT} = {_TRUTH} END AS "right",
       r.alternatives, r.corrected_text{{extra}}
FROM batch_items i JOIN readings r ON r.id = i.reading_id
WHERE i.batch_id = ? AND r.confidence <= ? AND (NOT ? OR r.doubtful)
  AND (NOT ? OR (i.number_label IS NOT NULL AND {_GOT} <> {_TRUTH}))
ORDER BY i.item"""
NUMBER_RESULTS = _NUMBER_RESULTS.format(extra="")
NUMBER_RESULTS_PAGE = _NUMBER_RESULTS.format(extra=", r.image") + " LIMIT ? OFFSET ?"
NUMBER_SCORES = f"""
WITH scored AS (
    SELECT {_GOT} AS got, {_TRUTH} AS truth, r.doubtful
    FROM batch_items i JOIN readings r ON r.id = i.reading_id
    WHERE i.batch_id = ? AND i.number_label IS NOT NULL)
SELECT length(truth) AS length, count(*) AS labelled, count(*) FILTER (WHERE got = truth) AS "right",
       sum(levenshtein(got, truth)) AS digit_errors, sum(length(truth)) AS digits,
       count(*) FILTER (WHERE NOT doubtful) AS answered, count(*) FILTER (WHERE NOT doubtful AND got = truth) AS right_answered
FROM scored GROUP BY length ORDER BY length"""
NUMBER_WORST = f"""
SELECT i.number_label AS label, r.text AS number, count(*) AS n
FROM batch_items i JOIN readings r ON r.id = i.reading_id
WHERE i.batch_id = ? AND i.number_label IS NOT NULL AND {_GOT} <> {_TRUTH}
GROUP BY ALL ORDER BY n DESC, label LIMIT ?"""

# The jobs table: one row per batch job with the counts of its batch (a resumed run shares its batch).
JOBS = """
SELECT j.id AS job, coalesce(CAST(json_extract(j.params, '$.resume_of') AS BIGINT), 0) AS resume_of,
       j.created_by AS owner, CAST(json_extract(j.params, '$.model_id') AS BIGINT) AS model,
       coalesce(CAST(json_extract(j.params, '$.numbers') AS BOOLEAN), false) AS numbers, j.status,
       j.message, greatest(coalesce(s.items, 0), coalesce(j.total, 0)) AS items, coalesce(s.predicted, 0) AS predicted,
       coalesce(s.errors, 0) AS errors, CAST(json_extract(j.result, '$.accuracy') AS DOUBLE) AS accuracy,
       j.started_at AS started, j.finished_at AS finished,
       round(date_diff('millisecond', j.started_at, coalesce(j.finished_at, current_timestamp)) / 1000.0, 1)
           AS duration_s
FROM jobs j
LEFT JOIN (SELECT batch_id, count(*) AS items, count(prediction_id) + count(reading_id) AS predicted,
                  count(*) FILTER (WHERE prediction_id IS NULL AND reading_id IS NULL) AS errors
           FROM batch_items GROUP BY batch_id) s
  ON s.batch_id = coalesce(nullif(CAST(json_extract(j.params, '$.resume_of') AS BIGINT), 0), j.id)
WHERE j.kind = 'batch' AND (? IS NULL OR j.created_by = ?)
ORDER BY j.id DESC"""

# Upload folders still needed: batches queued, running, or interrupted (which may be resumed).
LIVE_FOLDERS = """
SELECT DISTINCT json_extract_string(params, '$.folder') FROM jobs
WHERE kind = 'batch' AND status IN ('queued', 'running', 'interrupted')"""


def live_folders() -> set[str]:
    return {r[0] for r in db.rows(LIVE_FOLDERS) if r[0]}


def add_items(batch_id: int, rows: Sequence[tuple]) -> None:
    """Rows of (item, name, label, prediction_id, problem, reason[, reading_id, number_label]) in one Arrow append."""
    if not rows:
        return
    import pyarrow as pa  # an Arrow table, not a DataFrame: pandas' nullable casts were most of an append
    kinds = (pa.int64(), pa.int32(), pa.string(), pa.int8(), pa.int64(), pa.string(), pa.string(),  # ITEM_COLUMNS'
             pa.int64(), pa.string())
    width = len(ITEM_COLUMNS) - 1
    columns = zip(*((batch_id, *r, *(None,) * (width - len(r))) for r in rows))
    frame = pa.table({name: pa.array(values, kind) for name, values, kind in zip(ITEM_COLUMNS, columns, kinds)})
    cur = db.cursor()
    cur.register("items", frame)
    try:
        cur.execute(APPEND).fetchall()
    finally:
        cur.unregister("items")


def done_items(batch_id: int) -> set[int]:
    """Indices already stored (predicted or refused): a resumed run skips them."""
    return {int(r[0]) for r in db.rows(DONE, [batch_id])}


def summary(batch_id: int) -> dict[str, int]:
    items, predicted, errors = db.one(SUMMARY, [batch_id])
    return {"items": int(items), "predicted": int(predicted), "errors": int(errors)}


def confusion(batch_id: int) -> list[tuple[int, int, int]]:
    return [(int(a), int(b), int(n)) for a, b, n in db.rows(CONFUSION, [batch_id])]


def predictions_of(batch_id: int) -> int:
    """How many prediction rows carry this batch's id (a resumed batch must not have more than its images)."""
    return int(db.one(COUNT_PREDICTIONS, [batch_id])[0])


def results_query(batch_id: int, *, max_confidence: float = 1.0, only_not_sure: bool = False) -> Query:
    return Query(RESULTS, [batch_id, float(max_confidence), bool(only_not_sure)])


def results_page(query: Query, *, limit: int, offset: int) -> pd.DataFrame:
    """A page of `results_query` rows with their thumbnails (the export has none)."""
    return db.frame(RESULTS_PAGE, [*query.params, limit, offset])


def number_results_query(batch_id: int, *, max_confidence: float = 1.0, only_doubtful: bool = False,
                         only_wrong: bool = False) -> Query:
    """A batch of numbers: one row per reading (the label and right/wrong where labelled)."""
    return Query(NUMBER_RESULTS, [batch_id, float(max_confidence), bool(only_doubtful), bool(only_wrong)])


def number_results_page(query: Query, *, limit: int, offset: int) -> pd.DataFrame:
    """A page of `number_results_query` rows with the pictures read (the export has none)."""
    return db.frame(NUMBER_RESULTS_PAGE, [*query.params, limit, offset])


def number_scores(batch_id: int) -> list[dict]:
    """Per label length: labelled, right, digit errors, digits, answered (not doubtful), right among answered."""
    names = ("length", "labelled", "right", "digit_errors", "digits", "answered", "right_answered")
    return [dict(zip(names, map(int, row))) for row in db.rows(NUMBER_SCORES, [batch_id])]


def number_misreads(batch_id: int, limit: int = 5) -> list[tuple[str, str, int]]:
    """The commonest (label, reading) pairs that differ."""
    return [(str(a), str(b), int(n)) for a, b, n in db.rows(NUMBER_WORST, [batch_id, limit])]


def errors_query(batch_id: int, problem: str | None = None) -> Query:
    return Query(ERRORS, [batch_id, problem, problem])


def problems(batch_id: int) -> list[str]:
    return [r[0] for r in db.rows(PROBLEMS, [batch_id])]


def jobs_query(owner: str | None = None) -> Query:
    """Batch jobs, newest first: everyone's (owner None) or one owner's."""
    return Query(JOBS, [owner, owner])


def frame(query: Query, limit: int = 1000) -> pd.DataFrame:
    return db.frame(f"SELECT * FROM ({query.sql}) AS q LIMIT ?", [*query.params, limit])
