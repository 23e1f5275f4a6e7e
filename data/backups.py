"""Backups of the database: DuckDB's `EXPORT DATABASE` into a folder, `IMPORT DATABASE` into a new file,
and the `backups` table that records each one.

Why EXPORT rather than copying the file: the app holds the only connection to its file (one process
per file), and other threads keep writing while a backup runs. `EXPORT DATABASE` is one statement
on that same connection, so it reads one transaction's snapshot of every table and sequence: a
consistent copy without stopping anyone. A copied file could catch a checkpoint half-way. The folder
holds Parquet files, `schema.sql` (sequences start where the live ones were) and `load.sql`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from data import db

EXPORT = "EXPORT DATABASE '{path}' (FORMAT parquet, COMPRESSION zstd)"
IMPORT = "IMPORT DATABASE '{path}'"
INSERT = """
INSERT INTO backups (actor, path, bytes, tables, table_rows, seconds, sha256, ok, message)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
COLUMNS = "id, created_at, actor, path, bytes, tables, table_rows, seconds, sha256, ok, message"
LAST = f"SELECT {COLUMNS} FROM backups ORDER BY id DESC LIMIT 1"
LAST_OK = f"SELECT {COLUMNS} FROM backups WHERE ok ORDER BY id DESC LIMIT 1"
RECENT = f"SELECT {COLUMNS} FROM backups ORDER BY id DESC LIMIT ?"


@dataclass(frozen=True)
class BackupRecord:
    id: int
    created_at: datetime
    actor: str
    path: str
    bytes: int
    tables: int
    table_rows: int
    seconds: float | None
    sha256: str | None
    ok: bool
    message: str


def _literal(path: Path) -> str:
    return str(Path(path).resolve()).replace("'", "''")


def export_to(folder: Path) -> None:
    """Write the whole database, as one snapshot, into `folder` (which must not hold a backup yet)."""
    db.execute(EXPORT.format(path=_literal(folder)))


def import_into(folder: Path, target: Path) -> duckdb.DuckDBPyConnection:
    """A new database file `target` built from a backup folder; returns its open connection (the
    caller checks it, then closes it). Never the process's own store: a separate file and connection."""
    con = duckdb.connect(str(target))
    try:
        con.execute(IMPORT.format(path=_literal(folder)))
    except BaseException:
        con.close()
        raise
    return con


def record(*, actor: str, path: str, bytes_: int, tables: int, table_rows: int, seconds: float | None,
           sha256: str | None, ok: bool, message: str = "") -> int:
    return int(db.one(INSERT, [actor, path, bytes_, tables, table_rows, seconds, sha256, ok, message[:2000]])[0])


def last(*, ok_only: bool = False) -> BackupRecord | None:
    row = db.one(LAST_OK if ok_only else LAST)
    return BackupRecord(*row) if row else None


def recent(limit: int = 10) -> list[BackupRecord]:
    return [BackupRecord(*row) for row in db.rows(RECENT, [limit])]
