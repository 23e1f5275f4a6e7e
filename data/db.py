"""The process-wide DuckDB connection.

DuckDB lets one process hold a database file, so the app and the CLI each open one
connection and hand every thread its own cursor. A second process gets a
`StoreLockedError` that says in one sentence which file is busy and what to do; a full disk or a
read-only file is a `StoreError` naming the file and what to do (the CLI prints it, the dashboard's
failure boundary shows it), never a traceback. DuckDB commits a statement or nothing, so a failed
write leaves no half-written rows.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from data.files import PRIVATE_UMASK, make_private

log = logging.getLogger(__name__)

DEFAULT_DB = Path(__file__).resolve().parent / "digitlab.duckdb"

_lock = threading.Lock()
_conn: duckdb.DuckDBPyConnection | None = None
_conn_path: Path | None = None
_generation = 0
_local = threading.local()

# No row-group merging at checkpoints. The predictions table is appended to and almost never deleted
# from, and each of its rows carries a 784-value model input: merging the small row groups that a
# checkpoint leaves at its end re-read and re-wrote up to a full row group of them, every
# checkpoint, in time and memory (docs/architecture.md). Row groups stay the size of what
# each checkpoint wrote (a few thousand rows), which scans as fast; deleted rows stay as tombstones.
_SETTINGS = {"max_vacuum_tasks": 0}


class StoreError(RuntimeError):
    """The database file cannot be opened or written (full disk, read-only file): one sentence."""

    kind = "store"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreLockedError(StoreError):
    """Another process holds the database file."""


_NO_SPACE = ("no space left", "disk full", "file too large", "disk quota")
_READ_ONLY = ("read-only", "read only", "permission denied", "readonly")


def explain(exc: BaseException, path: Path | None = None) -> StoreError | None:
    """The sentence for a storage failure of `path` (full disk, read-only); None for anything else."""
    text = str(exc).lower()
    path = path or db_path()
    if any(word in text for word in _NO_SPACE):
        return StoreError(f"The disk holding the database file {path} is full, so this was not saved: free space "
                          "on that disk (or set DIGITLAB_DB to a file on another disk), then try again.")
    if any(word in text for word in _READ_ONLY):
        return StoreError(f"The database file {path} cannot be written (the file or its folder is read-only): "
                          "make both writable for this user, or set DIGITLAB_DB to a writable file, then try again.")
    return None


class _Cursor:
    """A thread's DuckDB cursor whose storage failures arrive as `StoreError` sentences; every
    other error (constraint, conflict) passes through unchanged for its caller to handle."""

    __slots__ = ("_cur",)

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur

    def __getattr__(self, name: str):
        attr = getattr(self._cur, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                result = attr(*args, **kwargs)
            except (duckdb.IOException, duckdb.TransactionException, duckdb.FatalException,
                    duckdb.PermissionException) as exc:
                readable = explain(exc)
                if readable is None:
                    raise
                log.error("store write failed: %s", exc)
                raise readable from None
            return self if result is self._cur else result
        return call


def db_path() -> Path:
    """The database file: `DIGITLAB_DB` when set, else data/digitlab.duckdb."""
    return _resolve(os.environ.get("DIGITLAB_DB") or str(DEFAULT_DB))


@functools.lru_cache(maxsize=16)
def _resolve(raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    os.umask(PRIVATE_UMASK)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for part in (path, path.with_name(path.name + ".wal")):
            make_private(part)
        return duckdb.connect(str(path), config=_SETTINGS)
    except OSError as exc:
        raise (explain(exc, path) or StoreError(
            f"The folder of the database file {path} cannot be created ({exc.strerror}): "
            "set DIGITLAB_DB to a file in a writable folder.")) from None
    except duckdb.IOException as exc:
        text = str(exc)
        if "not a valid duckdb database" in text.lower():
            raise StoreError(f"The file {path} is not a Digit Lab database (DuckDB cannot read it): set DIGITLAB_DB "
                             "to the database file, or move this file away so that a new database is made.") from None
        if "lock" not in text.lower():
            readable = explain(exc, path)
            if readable is not None:
                raise readable from None
            raise
        pid = re.search(r"PID (\d+)", text)
        holder = f" (process {pid.group(1)})" if pid else ""
        raise StoreLockedError(
            f"The database file {path} is in use by another Digit Lab process{holder}: "
            "stop that app or CLI run, or set DIGITLAB_DB to another file, then try again."
        ) from None


def second_connection() -> duckdb.DuckDBPyConnection:
    """Another connection to this process's store file, with the same settings (DuckDB refuses
    different ones): for the bench's bare queries beside the app's own connection."""
    return duckdb.connect(str(db_path()), config=_SETTINGS)


def connection() -> duckdb.DuckDBPyConnection:
    """The one connection of this process, opened on first use (re-opened if DIGITLAB_DB changed)."""
    global _conn, _conn_path, _generation
    path = db_path()
    with _lock:
        if _conn is None or _conn_path != path:
            if _conn is not None:
                _conn.close()
            _conn = _open(path)
            _conn_path = path
            _generation += 1
            log.info("opened store %s", path)
        return _conn


def cursor() -> duckdb.DuckDBPyConnection:
    """This thread's cursor on the process connection; DuckDB cursors must not be shared across threads."""
    conn = connection()
    if getattr(_local, "generation", None) != _generation:
        _local.cur = _Cursor(conn.cursor())
        _local.generation = _generation
    return _local.cur


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Several writes of this thread as one: all are committed, or none (a failure or a kill rolls back)."""
    cur = cursor()
    cur.execute("BEGIN TRANSACTION").fetchall()
    try:
        yield
    except BaseException:
        cur.execute("ROLLBACK").fetchall()
        raise
    cur.execute("COMMIT").fetchall()


def close() -> None:
    """Close the process connection (tests and shutdown); the next use opens it again."""
    global _conn, _conn_path, _generation
    with _lock:
        if _conn is not None:
            _conn.close()
        _conn, _conn_path = None, None
        _generation += 1


def one(sql: str, params=None) -> tuple | None:
    """First row of a query, with the result fully consumed (DuckDB 2 refuses new work on a
    cursor that still holds an unfinished result)."""
    found = cursor().execute(sql, params or []).fetchall()
    return found[0] if found else None


def rows(sql: str, params=None) -> list[tuple]:
    return cursor().execute(sql, params or []).fetchall()


def execute(sql: str, params=None) -> None:
    cursor().execute(sql, params or []).fetchall()


def frame(sql: str, params=None):
    """A query result as a pandas DataFrame (for small, already aggregated or paged results)."""
    return cursor().execute(sql, params or []).df()
