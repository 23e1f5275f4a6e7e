"""Registered datasets (name/SPEC, source, counts, convention, content hash)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import json


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


def upsert(*, spec: str, source: str, n_samples: int, class_counts: list[int], convention: dict,
           content_sha256: str, registered_by: str) -> int:
    row = db.one(UPSERT, [spec, source, n_samples, json.dumps(class_counts), json.dumps(convention),
                          content_sha256, registered_by])
    return int(row[0])


def all_datasets() -> pd.DataFrame:
    return db.frame(ALL)
