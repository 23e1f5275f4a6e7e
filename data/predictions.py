"""Predictions and the feedback that corrects them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data import db

if TYPE_CHECKING:
    import pandas as pd

SOURCES = ("draw", "upload", "cli", "batch", "api")  # "api": the REST API (migration 00018)
# How each source is named where sources are listed (History, Usage, Analytics, the PDF reports).
SOURCE_LABELS = {"draw": "draw", "upload": "upload", "cli": "cli", "batch": "batch", "api": "API"}
COLUMNS = ("ts", "username", "source", "model_id", "digit", "confidence", "probabilities",
           "model_input", "image", "latency_ms", "filename", "needs_review", "runner_up", "job_id")
REVISED = ("digit", "confidence", "probabilities", "model_input", "image", "latency_ms", "needs_review",
           "runner_up", "model_id")

INSERT = f"""
INSERT INTO predictions ({', '.join(COLUMNS)})
VALUES ({', '.join('?' for _ in COLUMNS)}) RETURNING id"""
RESERVE_IDS = "SELECT nextval('prediction_seq') FROM range(?)"
APPEND = f"INSERT INTO predictions (id, {', '.join(COLUMNS)}) SELECT id, {', '.join(COLUMNS)} FROM frame"
SELECT_ONE = f"SELECT id, {', '.join(COLUMNS)}, revisions FROM predictions WHERE id = ?"
DIGIT_OF = "SELECT digit FROM predictions WHERE id = ?"
# A drawing's row follows the drawing until it is final: given feedback, or another person's, or
# not a drawing at all, and the caller starts a new row instead.
REVISE = f"""
UPDATE predictions SET {', '.join(f'{c} = ?' for c in REVISED)}, revisions = revisions + 1
WHERE id = ? AND username = ? AND source = 'draw'
  AND NOT EXISTS (SELECT 1 FROM feedback WHERE prediction_id = ?)
RETURNING id"""
_PAGE = """
SELECT p.id, p.ts, p.username, p.source, p.model_id, p.digit, p.confidence, p.needs_review, p.runner_up,
       p.latency_ms, p.filename, f.true_digit, f.is_correct
FROM predictions p
LEFT JOIN (SELECT prediction_id, arg_max(true_digit, ts) AS true_digit, arg_max(is_correct, ts) AS is_correct
           FROM feedback GROUP BY prediction_id) f ON f.prediction_id = p.id
WHERE ($username IS NULL OR p.username = $username){only_flagged}
ORDER BY p.ts DESC, p.id DESC LIMIT $limit OFFSET $offset"""
PAGE = _PAGE.format(only_flagged="")
PAGE_FLAGGED = _PAGE.format(only_flagged=" AND p.needs_review")  # "not sure" answers waiting for a person
COUNT_SINCE = "SELECT count(*) FROM predictions WHERE ts >= ? AND (? IS NULL OR username = ?)"
PER_DAY = """
SELECT CAST(ts AS DATE) AS day, count(*) AS predictions, avg(confidence) AS mean_confidence
FROM predictions WHERE ts >= ? AND (? IS NULL OR username = ?)
GROUP BY day ORDER BY day"""
INSERT_FEEDBACK = """
INSERT INTO feedback (prediction_id, username, true_digit, is_correct) VALUES (?, ?, ?, ?) RETURNING id"""
FEEDBACK_FOR = "SELECT id, ts, prediction_id, username, true_digit, is_correct FROM feedback WHERE prediction_id = ? ORDER BY ts"
# One row per author and prediction: changing feedback replaces the author's row, withdrawing deletes it.
DELETE_FEEDBACK = "DELETE FROM feedback WHERE prediction_id = ? AND username = ? RETURNING true_digit"
FEEDBACK_BY = "SELECT arg_max(true_digit, ts) FROM feedback WHERE prediction_id = ? AND username = ? HAVING count(*) > 0"
# Test images relabelled from a confusion-matrix cell are stored as "batch" predictions named by this
# prefix (the `feedback` dataset reads their model input); they are not live traffic.
RELABEL_PREFIX = "relabelled test image"
FIND_RELABEL = "SELECT id FROM predictions WHERE source = 'batch' AND model_id = ? AND filename = ? ORDER BY id LIMIT 1"
EXPORT = """
COPY (SELECT id, ts, username, source, model_id, digit, confidence, latency_ms, filename, needs_review
      FROM predictions WHERE ($username IS NULL OR username = $username) ORDER BY id)
TO '{path}' (HEADER, DELIMITER ',')"""


@dataclass
class PredictionRow:
    """One prediction as stored, for one image or for thousands (`insert` and `append` take the same)."""

    username: str
    source: str
    model_id: int
    digit: int
    confidence: float
    probabilities: Sequence[float]
    model_input: Sequence[float]  # a list, or the predictor's numpy array (a batch never turns it into Python floats)
    image: bytes | None
    latency_ms: float
    filename: str | None = None
    needs_review: bool = False
    runner_up: int | None = None
    ts: datetime = field(default_factory=datetime.now)
    job_id: int | None = None  # the batch job that made it (source "batch"), None for single predictions

    def values(self) -> list:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        return [self.ts, self.username, self.source, int(self.model_id), int(self.digit), float(self.confidence),
                list(map(float, self.probabilities)), _floats(self.model_input),
                self.image, float(self.latency_ms), self.filename, bool(self.needs_review),
                None if self.runner_up is None else int(self.runner_up),
                None if self.job_id is None else int(self.job_id)]


def _floats(values: Sequence[float]) -> list[float]:
    """A model input (a list or a numpy array, as the predictor hands it over) as Python floats."""
    import numpy as np
    return np.asarray(values, dtype=np.float64).ravel().tolist()


def insert(row: PredictionRow) -> int:
    """One prediction, for interactive use. Bulk work goes through `append`."""
    return int(db.one(INSERT, row.values())[0])


def append(rows: Sequence[PredictionRow]) -> list[int]:
    """Many predictions in one DataFrame append (row-at-a-time inserts run at ~1,000 rows/s); their
    ids in the order of `rows` (reserved first, so each id is known to belong to its row)."""
    if not rows:
        return []
    cur = db.cursor()
    ids = [int(r[0]) for r in cur.execute(RESERVE_IDS, [len(rows)]).fetchall()]
    frame = _arrow_rows(ids, rows)
    cur.register("frame", frame)
    try:
        cur.execute(APPEND).fetchall()
    finally:
        cur.unregister("frame")
    return ids


def _vectors(values: list, dtype) -> Any:
    """A list column from one flat numpy array: no Python float per value (a batch chunk holds
    250 model inputs of 784 values)."""
    import numpy as np
    import pyarrow as pa
    flat = [np.asarray(v, dtype=dtype.to_pandas_dtype()).ravel() for v in values]
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in flat])]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(flat) if flat else [], dtype))


def _arrow_rows(ids: list[int], rows: Sequence[PredictionRow]) -> Any:
    """The rows as one Arrow table in the table's column order and types."""
    import pyarrow as pa
    for r in rows:
        if r.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
    column = lambda name, kind: pa.array([getattr(r, name) for r in rows], kind)  # noqa: E731
    optional_int = lambda name: pa.array([None if getattr(r, name) is None else int(getattr(r, name))  # noqa: E731
                                          for r in rows], pa.int64())
    return pa.table({
        "id": pa.array(ids, pa.int64()), "ts": column("ts", pa.timestamp("us")),
        "username": column("username", pa.string()), "source": column("source", pa.string()),
        "model_id": pa.array([int(r.model_id) for r in rows], pa.int64()),
        "digit": pa.array([int(r.digit) for r in rows], pa.int64()),
        "confidence": pa.array([float(r.confidence) for r in rows], pa.float64()),
        "probabilities": _vectors([r.probabilities for r in rows], pa.float64()),  # DOUBLE[10]
        "model_input": _vectors([r.model_input for r in rows], pa.float32()),
        "image": column("image", pa.binary()), "latency_ms": pa.array([float(r.latency_ms) for r in rows], pa.float64()),
        "filename": column("filename", pa.string()), "needs_review": pa.array([bool(r.needs_review) for r in rows]),
        "runner_up": optional_int("runner_up"), "job_id": optional_int("job_id")})


def revise(prediction_id: int, row: PredictionRow) -> bool:
    """Replace the answer of a drawing still in progress (same id); False when the row is final
    (it has feedback, or is not this user's drawing) and the caller should insert a new one."""
    values = row.values()
    by_name = dict(zip(COLUMNS, values))
    params = [by_name[c] for c in REVISED] + [prediction_id, row.username, prediction_id]
    return db.one(REVISE, params) is not None


def get(prediction_id: int) -> dict | None:
    row = db.one(SELECT_ONE, [prediction_id])
    if row is None:
        return None
    return dict(zip(["id", *COLUMNS, "revisions"], row))


def digit_of(prediction_id: int) -> int | None:
    """Only the predicted digit (feedback needs nothing else; the row holds an image and two vectors)."""
    row = db.one(DIGIT_OF, [prediction_id])
    return None if row is None else int(row[0])


def page(*, username: str | None = None, flagged: bool = False, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """Newest predictions (optionally of one user, optionally only those flagged for review) with
    their latest feedback, paged in SQL."""
    return db.frame(PAGE_FLAGGED if flagged else PAGE, {"username": username, "limit": limit, "offset": offset})


def count_since(since: datetime, username: str | None = None) -> int:
    return int(db.one(COUNT_SINCE, [since, username, username])[0])


def per_day(since: date | datetime, username: str | None = None) -> pd.DataFrame:
    return db.frame(PER_DAY, [since, username, username])


def add_feedback(prediction_id: int, username: str, true_digit: int, is_correct: bool) -> int:
    if not 0 <= int(true_digit) <= 9:
        raise ValueError("The real digit must be between 0 and 9.")
    row = db.one(INSERT_FEEDBACK, [prediction_id, username, int(true_digit), bool(is_correct)])
    return int(row[0])


def feedback_for(prediction_id: int) -> pd.DataFrame:
    return db.frame(FEEDBACK_FOR, [prediction_id])


def feedback_by(prediction_id: int, username: str) -> int | None:
    """The real digit `username` gave for a prediction, None when they gave none."""
    row = db.one(FEEDBACK_BY, [prediction_id, username])
    return None if row is None else int(row[0])


def withdraw_feedback(prediction_id: int, username: str) -> int | None:
    """Delete `username`'s feedback on a prediction (others' stays); the digit they had given, or None."""
    rows = db.rows(DELETE_FEEDBACK, [prediction_id, username])
    return int(rows[0][0]) if rows else None


def relabel_row(model_id: int, filename: str) -> int | None:
    """The stored row of a relabelled test image (see RELABEL_PREFIX), None before its first relabel."""
    row = db.one(FIND_RELABEL, [model_id, filename])
    return None if row is None else int(row[0])


def export_csv(path: Path, username: str | None = None) -> Path:
    """Stream predictions to CSV inside DuckDB: no whole-table frame in Python."""
    safe = str(Path(path).resolve()).replace("'", "''")
    db.execute(EXPORT.format(path=safe), {"username": username})
    return Path(path)


# Feedback in one image convention: stored model inputs of that size made by a model of that convention
# (28x28 inputs exist in two conventions, so the serving model's convention tells them apart; 8x8
# inputs are digits8 whichever model made them, even one deleted since).
FEEDBACK_SAMPLES = """
SELECT p.model_input, f.true_digit
FROM predictions p
JOIN (SELECT prediction_id, arg_max(true_digit, ts) AS true_digit FROM feedback GROUP BY prediction_id) f
  ON f.prediction_id = p.id
LEFT JOIN models m ON m.id = p.model_id
WHERE len(p.model_input) = $size AND ($name = 'digits8' OR json_extract_string(m.convention, '$.name') = $name)
ORDER BY p.id"""


def feedback_samples(input_size: int, convention: str):
    """(model inputs, real digits) of every prediction users corrected or confirmed in one image
    convention, as numpy arrays."""
    import numpy as np
    frame = db.frame(FEEDBACK_SAMPLES, {"size": input_size, "name": convention})
    if frame.empty:
        return np.zeros((0, input_size)), np.zeros(0, dtype=np.int64)
    return np.vstack(frame["model_input"].to_numpy()).astype(np.float64), frame["true_digit"].to_numpy(np.int64)


LIVE_ACCURACY = """
SELECT CAST(p.ts AS DATE) AS day, avg(CASE WHEN f.is_correct THEN 1.0 ELSE 0.0 END) AS accuracy, count(*) AS n
FROM predictions p
JOIN (SELECT prediction_id, arg_max(is_correct, ts) AS is_correct FROM feedback GROUP BY prediction_id) f
  ON f.prediction_id = p.id
WHERE ($model_id IS NULL OR p.model_id = $model_id)
  AND NOT (p.source = 'batch' AND coalesce(p.filename, '') LIKE 'relabelled test image%')
GROUP BY day ORDER BY day"""


def live_accuracy(model_id: int | None = None) -> pd.DataFrame:
    """Per day: share of predictions with feedback that users confirmed as right."""
    return db.frame(LIVE_ACCURACY, {"model_id": model_id})
