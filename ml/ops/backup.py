"""Backing up the database and restoring a backup into a new file.

A backup is a folder `backups/digitlab-<UTC time>/` beside the database (or under `--to DIR`): DuckDB's
`EXPORT DATABASE` of one snapshot (see `data.backups` for why that is consistent while the app runs),
plus `manifest.json` with every table's row count and content fingerprint (read in the export's own
transaction), every sequence's value when the backup began and every file's SHA-256. A restore never
touches the live database and never runs SQL from the folder: it builds a NEW file from the app's own
migrations and the Parquet files of its known tables, checks each file against the manifest first and
every table and sequence against it after, and deletes the new file if anything fails or differs. Then the
person points DIGITLAB_DB at it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from data import audit, backups, catalog, db
from ml.errors import DigitLabError, RequestError
from ml.governance import policy

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
UNRUN = ("schema.sql", "load.sql")  # written by EXPORT DATABASE beside the Parquet files; a restore never runs them
# What a damaged or crafted Parquet file raises while it is read and loaded (a wrong cell type, a
# duplicate id); anything else is a bug and keeps its traceback.
_UNREADABLE = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException,
               duckdb.ConstraintException, duckdb.OutOfRangeException)
_NO_SPACE = ("no space left", "disk full", "file too large", "disk quota")
FORMAT_VERSION = 1


class BackupError(DigitLabError, RuntimeError):
    """A backup that could not be written, or a backup folder that cannot be restored."""

    kind = "backup"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    tables: int
    rows: int
    seconds: float
    sha256: str


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    tables: int
    rows: int
    seconds: float


def default_dir() -> Path:
    """`backups/` beside the database file."""
    return db.db_path().parent / "backups"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _new_folder(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder, n = root / f"digitlab-{stamp}", 1
    while folder.exists():
        n += 1
        folder = root / f"digitlab-{stamp}-{n}"
    return folder


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def backup(actor: str, *, to: Path | str | None = None, check_role: bool = True) -> BackupResult:
    """Write a consistent backup of the whole database and record it (table `backups`, audit log).

    `check_role`: the page passes the signed-in user (who needs the `backup` capability); the CLI
    passes the operating-system user holding the file, who may do anything to it anyway."""
    if check_role:
        policy.require(actor, "backup")
    started = time.perf_counter()
    root = Path(to).expanduser().resolve() if to else default_dir()
    folder = _new_folder(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        genesis = audit.genesis()
        with db.transaction():  # the fingerprints and the export read the same snapshot
            tables = catalog.fingerprints()
            sequences = catalog.sequences()
            backups.export_to(folder)
        files = _files(folder)
        manifest = {"format": FORMAT_VERSION, "created_at": datetime.now(UTC).isoformat(),
                    "database": str(db.db_path()), "duckdb": duckdb.__version__,
                    "tables": {t.table: {"rows": t.rows, "content": t.content} for t in tables.values()},
                    "sequences": sequences, "files": files,
                    # the audit chain's start, kept outside the database too (ml.governance.audit_chain)
                    "audit_genesis": genesis.as_dict() if genesis else None}
        text = json.dumps(manifest, indent=1, sort_keys=True)
        (folder / MANIFEST).write_text(text, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - recorded, the partial folder removed, then re-raised
        shutil.rmtree(folder, ignore_errors=True)
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        log.error("backup to %s failed: %s", folder, reason)
        backups.record(actor=actor, path=str(folder), bytes_=0, tables=0, table_rows=0,
                       seconds=time.perf_counter() - started, sha256=None, ok=False, message=reason)
        audit.record(actor, "backup", "error", json.dumps({"path": str(folder), "error": reason}))
        if _disk_full(exc):  # the export writes to the backup folder's disk, not the database's
            raise BackupError(f"The disk holding the backup folder {root} is full, so no backup was written: free "
                              "space there, or back up to another disk (--to DIR).", audited=True) from None
        if isinstance(exc, (DigitLabError, db.StoreError)):
            raise
        raise BackupError(f"The backup could not be written to {root} ({reason}); check that the folder is "
                          "writable and the disk has room, then try again.", audited=True) from exc
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    rows = sum(t.rows for t in tables.values())
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()  # the manifest names every file's hash
    seconds = time.perf_counter() - started
    backups.record(actor=actor, path=str(folder), bytes_=size, tables=len(tables), table_rows=rows,
                   seconds=seconds, sha256=sha, ok=True)
    audit.record(actor, "backup", "ok", json.dumps({"path": str(folder), "bytes": size, "tables": len(tables),
                                                    "rows": rows, "sha256": sha, "seconds": round(seconds, 3)}))
    log.info("backup %s: %d tables, %d rows, %d bytes in %.2f s", folder, len(tables), rows, size, seconds)
    return BackupResult(folder, size, len(tables), rows, seconds, sha)


def _damaged(folder: Path, what: str) -> BackupError:
    return BackupError(f"The backup {folder} cannot be restored: {what}. Restore another backup, one that "
                       "`Back up now` or `python -m ml backup` wrote.")


def _is_table_of(value, keys: dict[str, type]) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(k), t) and not isinstance(value.get(k), bool)
                                           for k, t in keys.items())


def _check_shape(folder: Path, manifest) -> None:
    """The manifest's own structure: a crafted or cut file is refused in one sentence, never a KeyError."""
    if not isinstance(manifest, dict):
        raise _damaged(folder, f"its {MANIFEST} is not a Digit Lab manifest")
    for key in ("files", "tables", "sequences"):
        if not isinstance(manifest.get(key), dict):
            raise _damaged(folder, f"its {MANIFEST} has no valid \"{key}\" entry")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest["files"].items()):
        raise _damaged(folder, f"its {MANIFEST} lists its files wrongly")
    if not all(_is_table_of(v, {"rows": int, "content": str}) for v in manifest["tables"].values()):
        raise _damaged(folder, f"its {MANIFEST} describes its tables wrongly")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in manifest["sequences"].values()):
        raise _damaged(folder, f"its {MANIFEST} gives its sequences wrong values")


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder, after checking its shape, that the folder holds nothing but the
    files it names (one Parquet file per table, and the schema.sql/load.sql a restore never runs), and
    every file against its SHA-256."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a Digit Lab backup (it has no {MANIFEST}); give the folder that "
                          "`Back up now` or `python -m ml backup` wrote.")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _damaged(folder, f"its {MANIFEST} is not readable JSON") from None
    _check_shape(folder, manifest)
    allowed = {f"{table}.parquet" for table in manifest["tables"]} | set(UNRUN)
    strays = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                    if p.name != MANIFEST and (p.is_symlink() or not p.is_file()
                                               or p.relative_to(folder).as_posix() not in allowed))
    if strays or not set(manifest["files"]) <= allowed:
        extra = strays or sorted(set(manifest["files"]) - allowed)
        raise _damaged(folder, f"it holds {extra[0]}, which no Digit Lab backup holds")
    found = _files(folder)
    for name in sorted(set(found) - set(manifest["files"])):
        raise _damaged(folder, f"its file {name} is not in its {MANIFEST}")
    for name, sha in manifest["files"].items():
        if found.get(name) != sha:
            state = "is missing" if name not in found else "does not match its recorded SHA-256"
            raise BackupError(f"The backup {folder} is damaged: its file {name} {state}. Restore another backup.")
    return manifest


def default_target(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-restored.duckdb"


def _disk_full(exc: BaseException | None) -> bool:
    """Whether a failure (or the one it replaced) was the disk running out of room."""
    while exc is not None:
        if any(word in str(exc).lower() for word in _NO_SPACE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def restore(folder: Path | str, *, into: Path | str | None = None) -> RestoreResult:
    """Build a NEW database file from a backup folder and prove every table and sequence equal to it.

    Refuses a target that exists (the live database above all): a restore never overwrites a file. Runs
    no SQL from the folder (see `data.backups`). A restore that fails deletes the file it began."""
    started = time.perf_counter()
    folder = Path(folder).expanduser().resolve()
    target = Path(into).expanduser().resolve() if into else default_target(folder)
    if target.exists() or target.with_name(target.name + ".wal").exists():
        raise RequestError(f"{target} already exists, and a restore never overwrites a database file: give a new "
                           "file name with --into.")
    if target == db.db_path():
        raise RequestError("A restore never writes over the live database: give a new file name with --into.")
    manifest = read_manifest(folder)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        con = backups.load_into(folder, target, set(manifest["tables"]), manifest["sequences"])
        try:
            tables = catalog.fingerprints(con)
            sequences = catalog.sequences(con)
        finally:
            con.close()
    except BaseException as exc:
        _remove(target)
        if isinstance(exc, backups.RefusedBackup):
            raise _damaged(folder, exc.reason) from None
        if _disk_full(exc):
            raise BackupError(f"The disk holding {target} is full, so the restore stopped and its partial file was "
                              "deleted: free space there, or give --into a file on another disk.") from None
        if isinstance(exc, (*_UNREADABLE, OSError)):
            log.warning("restore of %s failed: %s", folder, exc)
            raise _damaged(folder, "one of its files is damaged or does not fit its table") from None
        raise
    want = {name: (v["rows"], v["content"]) for name, v in manifest["tables"].items()}
    got = {name: (t.rows, t.content) for name, t in tables.items()}
    # Sequences are not transactional: a row written during the export moves one past the snapshot, so a
    # restored sequence may stand beyond the value read when the backup began, never before it.
    behind = [name for name, value in manifest["sequences"].items() if sequences.get(name, value - 1) < value]
    if got != want or behind:
        bad = sorted({*want, *got} - {n for n in want if want.get(n) == got.get(n)}) + behind
        _remove(target)
        raise BackupError(f"The restored copy differs from the backup in {', '.join(bad)}, so it was deleted; "
                          "this DuckDB may not read that backup the same way. Restore it with the version that "
                          f"wrote it (DuckDB {manifest.get('duckdb', '?')}).")
    rows = sum(r for r, _ in got.values())
    log.info("restored %s into %s: %d tables, %d rows", folder, target, len(got), rows)
    return RestoreResult(target, len(got), rows, time.perf_counter() - started)


def _remove(target: Path) -> None:
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)


def operator() -> str:
    """The command line's actor: the operating-system user who holds the database file."""
    import getpass
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = "unknown"
    return f"os:{name}"
