"""Numbered SQL migrations, each applied once and recorded with its hash.

Files are `migrations/NNNNN-name.sql`. Editing a file that was already applied is an
error rather than a silent drift between databases (the idea of Chroma's migrations).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from data import db

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
)"""
APPLIED = "SELECT version, name, sha256 FROM schema_migrations ORDER BY version"
RECORD = "INSERT INTO schema_migrations (version, name, sha256) VALUES (?, ?, ?)"


class MigrationError(RuntimeError):
    """An applied migration file was changed, or the files are out of order."""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, str]]:
    """(version, file name, sql) sorted by version."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        head = path.name.split("-", 1)[0]
        if not head.isdigit():
            raise MigrationError(f"Migration file {path.name} must start with a number like 00001-.")
        found.append((int(head), path.name, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("Two migration files share one number.")
    return found


def migrate(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not yet applied; returns the names applied (empty when up to date)."""
    cur = db.cursor()
    db.execute(CREATE_TABLE)
    applied = {v: (name, sha) for v, name, sha in db.rows(APPLIED)}
    done = []
    for version, name, sql in migration_files(directory):
        digest = hashlib.sha256(sql.encode("utf-8")).hexdigest()
        if version in applied:
            if applied[version][1] != digest:
                raise MigrationError(
                    f"Migration {name} was changed after it was applied to {db.db_path()}; "
                    "add a new migration instead of editing an applied one."
                )
            continue
        cur.execute("BEGIN TRANSACTION").fetchall()
        try:
            cur.execute(sql).fetchall()
            cur.execute(RECORD, [version, name, digest]).fetchall()
            cur.execute("COMMIT").fetchall()
        except Exception:
            cur.execute("ROLLBACK")
            raise
        log.info("applied migration %s", name)
        done.append(name)
    return done


def pending(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Migration files not applied to the open store yet (the readiness probe)."""
    applied = {v for (v,) in db.rows("SELECT version FROM schema_migrations")}
    return [name for version, name, _ in migration_files(directory) if version not in applied]
