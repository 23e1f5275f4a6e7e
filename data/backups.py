"""Backups of the database: DuckDB's `EXPORT DATABASE` into a folder, a checked load of its Parquet
files into a new file, and the `backups` table that records each one.

Why EXPORT rather than copying the file: the app holds the only connection to its file (one process
per file), and other threads keep writing while a backup runs. `EXPORT DATABASE` is one statement
on that same connection, so it reads one transaction's snapshot of every table and sequence: a
consistent copy without stopping anyone. A copied file could catch a checkpoint half-way. The folder
holds one Parquet file per table, plus the `schema.sql` and `load.sql` that DuckDB writes beside them.

Why a restore never runs those two files (as `IMPORT DATABASE` would): anyone who can edit the folder
can edit them, and the manifest's SHA-256s with them, so they could hold any SQL (`ATTACH` another
file, `COPY ... TO` over it). A restore rebuilds the schema from the app's own migrations, then reads
each known table's `<table>.parquet` by name, only after its columns' names and types were checked.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from data import catalog, db, migrate

EXPORT = "EXPORT DATABASE '{path}' (FORMAT parquet, COMPRESSION zstd)"
PARQUET_COLUMNS = "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))"
TABLE_COLUMNS = """
SELECT column_name, data_type FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index"""
MIGRATIONS = "SELECT version, name, sha256 FROM read_parquet(?) ORDER BY version"
LOAD = 'INSERT INTO {table} ({columns}) SELECT {columns} FROM read_parquet(?)'
# Sequences have no "restart at": each is advanced to the value it had by drawing that many numbers.
ADVANCE = "SELECT max(nextval('{sequence}')) FROM range(?)"
SEQUENCE_MAX = 2**31  # ids this app hands out stay far below it; advancing beyond it would take minutes
_GLOB = set("*?[]{}")  # read_parquet expands these: a folder named with them is refused, never globbed
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


class RefusedBackup(ValueError):
    """A backup folder whose contents are not what this app writes: `reason` says what, in a clause."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind in con.execute(PARQUET_COLUMNS, [str(path)]).fetchall()]


def _same_type(table_type: str, parquet_type: str) -> bool:
    """Parquet keeps every column type but fixed-size arrays, which come back as lists (DOUBLE[10] → DOUBLE[])."""
    if table_type == parquet_type:
        return True
    head, _, size = table_type.rpartition("[")
    return bool(head) and size.rstrip("]").isdigit() and parquet_type == f"{head}[]"


def _migrations(folder: Path) -> set[int]:
    """The versions of the migrations the backed-up database had applied, read from its
    `schema_migrations.parquet`; each must be this app's own file, byte for byte (its SHA-256)."""
    path = _parquet(folder, "schema_migrations")
    con = duckdb.connect()
    try:
        names = [name for name, _ in _parquet_columns(con, path)]
        if not {"version", "name", "sha256"} <= set(names):
            raise RefusedBackup("its schema_migrations.parquet does not hold the migrations table")
        applied = con.execute(MIGRATIONS, [str(path)]).fetchall()
    finally:
        con.close()
    ours = {version: (name, hashlib.sha256(sql.encode("utf-8")).hexdigest())
            for version, name, sql in migrate.migration_files()}
    for version, name, sha in applied:
        if ours.get(version) != (name, sha):
            raise RefusedBackup(f"its database had a migration this version of Digit Lab does not have ({name})")
    return {int(version) for version, _, _ in applied}


def _parquet(folder: Path, table: str) -> Path:
    if _GLOB & set(str(folder)):
        raise RefusedBackup(f"its path has one of the characters {' '.join(sorted(_GLOB))}; move or rename it")
    path = folder / f"{table}.parquet"
    if path.is_symlink() or not path.is_file():
        raise RefusedBackup(f"it has no file {table}.parquet")
    return path


def load_into(folder: Path, target: Path, tables: set[str], sequences: dict[str, int]) -> duckdb.DuckDBPyConnection:
    """A new database file `target`: the app's own migrations that the backed-up database had applied
    (never SQL from the folder; later ones run when the app opens the file), then every table loaded
    from `<table>.parquet` once its column names and types match the table's, and every sequence
    advanced to its recorded value. `tables` and `sequences` are the manifest's: they must be the
    schema's own. Returns the open connection (the caller
    checks it, then closes it); raises `RefusedBackup` for a folder that does not fit."""
    wanted = _migrations(folder)
    if any(not 0 <= value <= SEQUENCE_MAX for value in sequences.values()):
        raise RefusedBackup("its manifest gives a sequence a value this app never reaches")
    con = duckdb.connect(str(target))
    try:
        con.execute(migrate.CREATE_TABLE)
        for version, _, sql in migrate.migration_files():
            if version in wanted:
                con.execute(sql)
        known = catalog.tables(con)
        if tables != set(known):
            odd = sorted(tables ^ set(known))[0]
            raise RefusedBackup(f"its tables are not those of its Digit Lab version ({odd} differs)")
        if set(sequences) != set(catalog.sequences(con)):
            raise RefusedBackup("its sequences are not those of its Digit Lab version")
        for table in known:
            path = _parquet(folder, table)
            want = con.execute(TABLE_COLUMNS, [table]).fetchall()
            got = _parquet_columns(con, path)
            if [n for n, _ in want] != [n for n, _ in got] or not all(
                    _same_type(w, g) for (_, w), (_, g) in zip(want, got)):
                raise RefusedBackup(f"the columns of its {table}.parquet are not those of the {table} table")
            columns = ", ".join(_quoted(name) for name, _ in want)
            con.execute(LOAD.format(table=_quoted(table), columns=columns), [str(path)])
        for name, value in sequences.items():
            start = catalog.sequences(con)[name]
            if value > start:
                con.execute(ADVANCE.format(sequence=name.replace("'", "''")), [value - start])
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
