"""The model registry: every trained model version, and which one is active."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from data import db, settings

if TYPE_CHECKING:
    import pandas as pd

INSERT = """
INSERT INTO models (family, params, dataset, split, convention, metrics, artifact_path, sha256,
                    size_bytes, trained_by, fit_seconds, notes, dataset_id, dataset_sha256)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
COLUMNS = """id, created_at, family, params, dataset, split, convention, metrics, artifact_path, sha256,
size_bytes, trained_by, fit_seconds, status, notes, dataset_id, dataset_sha256, compact_sha256"""
SELECT_ONE = f"SELECT {COLUMNS} FROM models WHERE id = ?"
SELECT_ALL = f"SELECT {COLUMNS} FROM models ORDER BY id DESC"
ACTIVE_KEY = "active_model_id"
# DuckDB lets one process hold the file, so this process is the only writer of the active id:
# caching it saves a query on every prediction. Keyed by the database path (tests switch files).
_active_cache: dict[str, int | None] = {}


@dataclass(frozen=True)
class ModelRecord:
    id: int
    created_at: datetime
    family: str
    params: dict[str, Any]
    dataset: str
    split: dict[str, Any]
    convention: dict[str, Any]
    metrics: dict[str, Any]
    artifact_path: str
    sha256: str
    size_bytes: int
    trained_by: str
    fit_seconds: float
    status: str
    notes: str
    dataset_id: int | None = None        # the dataset record it was trained on (None: trained before 00005)
    dataset_sha256: str | None = None    # that data's content hash at training time
    compact_sha256: str | None = None    # its compact form's (ml.models.compact), None when it has none


def _record(row: tuple) -> ModelRecord:
    values = list(row)
    for i in (3, 5, 6, 7):  # JSON columns
        values[i] = json.loads(values[i]) if isinstance(values[i], str) else values[i]
    return ModelRecord(*values)


def register(*, family: str, params: dict, dataset: str, split: dict, convention: dict, metrics: dict,
             artifact_path: str, sha256: str, size_bytes: int, trained_by: str, fit_seconds: float,
             notes: str = "", dataset_id: int | None = None, dataset_sha256: str | None = None) -> int:
    row = db.one(INSERT, [
        family, json.dumps(params), dataset, json.dumps(split), json.dumps(convention), json.dumps(metrics),
        artifact_path, sha256, size_bytes, trained_by, fit_seconds, notes, dataset_id, dataset_sha256])
    return int(row[0])


def set_compact_sha256(model_id: int, sha256: str | None) -> None:
    db.execute("UPDATE models SET compact_sha256 = ? WHERE id = ?", [sha256, model_id])


def get(model_id: int) -> ModelRecord | None:
    row = db.one(SELECT_ONE, [model_id])
    return _record(row) if row else None


def all_models() -> list[ModelRecord]:
    return [_record(r) for r in db.rows(SELECT_ALL)]


def active_id() -> int | None:
    key = str(db.db_path())
    if key not in _active_cache:
        value = settings.get(ACTIVE_KEY)
        _active_cache[key] = int(value) if value is not None else None
    return _active_cache[key]


def set_active(model_id: int) -> None:
    settings.put(ACTIVE_KEY, str(model_id))
    _active_cache[str(db.db_path())] = model_id


TABLE = """
SELECT id, created_at, family, dataset, metrics->>'$.accuracy' AS accuracy, size_bytes,
       trained_by, fit_seconds, status, notes,
       (id = (SELECT TRY_CAST(value AS INTEGER) FROM settings WHERE key = 'active_model_id')) AS active
FROM models ORDER BY id DESC"""
SET_STATUS = "UPDATE models SET status = ? WHERE id = ?"
SET_NOTES = "UPDATE models SET notes = ? WHERE id = ?"
DELETE = "DELETE FROM models WHERE id = ?"
STATUSES = ("ready", "archived")
MAX_NOTES = 2000


def table() -> pd.DataFrame:
    """The versions as a frame for the registry table (a handful of rows, not a heavy read)."""
    return db.frame(TABLE)


def set_status(model_id: int, status: str) -> None:
    if status not in STATUSES:
        raise ValueError("status must be ready or archived")
    db.execute(SET_STATUS, [status, model_id])


def set_notes(model_id: int, notes: str) -> None:
    db.execute(SET_NOTES, [notes[:MAX_NOTES], model_id])


def delete(model_id: int) -> None:
    """Remove the row (ml.lab.lifecycle checks who may, refuses the active model and removes the file)."""
    if model_id == active_id():
        raise ValueError("The active model cannot be deleted: activate another one first.")
    db.execute(DELETE, [model_id])
