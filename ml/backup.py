"""Backing up the database and restoring a backup into a new file.

A backup is a folder `backups/digitlab-<UTC time>/` beside the database (or under `--to DIR`): DuckDB's
`EXPORT DATABASE` of one snapshot (see `data.backups` for why that is consistent while the app runs),
plus `manifest.json` with every table's row count and content fingerprint (read in the export's own
transaction), every sequence's value when the backup began and every file's SHA-256. A restore never
touches the live database: it builds a NEW file, checks each file against the manifest first and
every table and sequence against it after, and deletes the new file if anything differs. Then the
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
from ml import policy
from ml.errors import DigitLabError, RequestError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
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
        with db.transaction():  # the fingerprints and the export read the same snapshot
            tables = catalog.fingerprints()
            sequences = catalog.sequences()
            backups.export_to(folder)
        files = _files(folder)
        manifest = {"format": FORMAT_VERSION, "created_at": datetime.now(UTC).isoformat(),
                    "database": str(db.db_path()), "duckdb": duckdb.__version__,
                    "tables": {t.table: {"rows": t.rows, "content": t.content} for t in tables.values()},
                    "sequences": sequences, "files": files}
        text = json.dumps(manifest, indent=1, sort_keys=True)
        (folder / MANIFEST).write_text(text, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - recorded, the partial folder removed, then re-raised
        shutil.rmtree(folder, ignore_errors=True)
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        log.error("backup to %s failed: %s", folder, reason)
        backups.record(actor=actor, path=str(folder), bytes_=0, tables=0, table_rows=0,
                       seconds=time.perf_counter() - started, sha256=None, ok=False, message=reason)
        audit.record(actor, "backup", "error", json.dumps({"path": str(folder), "error": reason}))
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


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder, after checking every file against its SHA-256."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a Digit Lab backup (it has no {MANIFEST}); give the folder that "
                          "`Back up now` or `python -m ml backup` wrote.")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    found = _files(folder)
    for name, sha in manifest["files"].items():
        if found.get(name) != sha:
            state = "is missing" if name not in found else "does not match its recorded SHA-256"
            raise BackupError(f"The backup {folder} is damaged: its file {name} {state}. Restore another backup.")
    return manifest


def default_target(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-restored.duckdb"


def restore(folder: Path | str, *, into: Path | str | None = None) -> RestoreResult:
    """Build a NEW database file from a backup folder and prove every table and sequence equal to it.

    Refuses a target that exists (the live database above all): a restore never overwrites a file."""
    started = time.perf_counter()
    folder = Path(folder).expanduser().resolve()
    target = Path(into).expanduser().resolve() if into else default_target(folder)
    if target.exists() or target.with_name(target.name + ".wal").exists():
        raise RequestError(f"{target} already exists, and a restore never overwrites a database file: give a new "
                           "file name with --into.")
    if target == db.db_path():
        raise RequestError("A restore never writes over the live database: give a new file name with --into.")
    manifest = read_manifest(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    con = backups.import_into(folder, target)
    try:
        tables = catalog.fingerprints(con)
        sequences = catalog.sequences(con)
    finally:
        con.close()
    want = {name: (v["rows"], v["content"]) for name, v in manifest["tables"].items()}
    got = {name: (t.rows, t.content) for name, t in tables.items()}
    # Sequences are not transactional: a row written during the export moves one past the snapshot, so a
    # restored sequence may stand beyond the value read when the backup began, never before it.
    behind = [name for name, value in manifest["sequences"].items() if sequences.get(name, value - 1) < value]
    if got != want or behind:
        bad = sorted({*want, *got} - {n for n in want if want.get(n) == got.get(n)}) + behind
        for leftover in (target, target.with_name(target.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise BackupError(f"The restored copy differs from the backup in {', '.join(bad)}, so it was deleted; "
                          "this DuckDB may not read that backup the same way. Restore it with the version that "
                          f"wrote it (DuckDB {manifest.get('duckdb', '?')}).")
    rows = sum(r for r, _ in got.values())
    log.info("restored %s into %s: %d tables, %d rows", folder, target, len(got), rows)
    return RestoreResult(target, len(got), rows, time.perf_counter() - started)


def operator() -> str:
    """The command line's actor: the operating-system user who holds the database file."""
    import getpass
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = "unknown"
    return f"os:{name}"
