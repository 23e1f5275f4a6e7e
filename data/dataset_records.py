"""Registered datasets (name/SPEC, source, counts, convention, content hash).

A model keeps the id of the record it was trained on and the content hash of that data at the
time, so a later rebuild of its test split can tell whether the data has changed since.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data import db

if TYPE_CHECKING:
    import pandas as pd

UPSERT = """
INSERT INTO datasets (spec, source, n_samples, class_counts, convention, content_sha256, registered_by)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (spec) DO UPDATE SET source = excluded.source, n_samples = excluded.n_samples,
    class_counts = excluded.class_counts, convention = excluded.convention,
    content_sha256 = excluded.content_sha256, registered_by = excluded.registered_by,
    registered_at = excluded.registered_at
RETURNING id"""
ALL = """SELECT id, spec, source, n_samples, class_counts, convention->>'$.name' AS convention, content_sha256,
       registered_by, registered_at FROM datasets ORDER BY id"""
ONE = "SELECT id, spec, n_samples, content_sha256 FROM datasets WHERE id = ?"
# Digits users confirmed or corrected (the latest word per prediction), counted without loading images:
# a training request on `feedback` is checked against this when it is submitted.
FEEDBACK_CLASS_COUNTS = """
SELECT f.true_digit, count(*) FROM predictions p
JOIN (SELECT prediction_id, arg_max(true_digit, ts) AS true_digit FROM feedback GROUP BY prediction_id) f
  ON f.prediction_id = p.id
LEFT JOIN models m ON m.id = p.model_id
WHERE len(p.model_input) = $size AND ($name = 'digits8' OR json_extract_string(m.convention, '$.name') = $name)
GROUP BY f.true_digit"""


@dataclass(frozen=True)
class DatasetRecord:
    id: int
    spec: str
    n_samples: int
    content_sha256: str


def upsert(*, spec: str, source: str, n_samples: int, class_counts: list[int], convention: dict,
           content_sha256: str, registered_by: str) -> int:
    row = db.one(UPSERT, [spec, source, n_samples, json.dumps(class_counts), json.dumps(convention),
                          content_sha256, registered_by])
    return int(row[0])


def get(dataset_id: int) -> DatasetRecord | None:
    row = db.one(ONE, [dataset_id])
    return DatasetRecord(*row) if row else None


def all_datasets() -> pd.DataFrame:
    return db.frame(ALL)


def feedback_class_counts(input_size: int, convention: str) -> list[int]:
    """Examples per digit (0..9) in the feedback dataset of one image convention."""
    counts = [0] * 10
    for digit, n in db.rows(FEEDBACK_CLASS_COUNTS, {"size": input_size, "name": convention}):
        counts[int(digit)] = int(n)
    return counts
