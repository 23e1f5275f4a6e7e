"""Crafted backup folders: a genuine backup, edited the way someone who can write to the backups folder
would, with the manifest's SHA-256s recomputed so the edit is not caught by the hashes alone.

`craft(genuine, root, stand_ins)` copies the genuine folder once per case and returns the cases; the
tests (tests/test_backup_hostile.py) restore each. `stand_ins` are files the hostile SQL aims at (a copy
of the live database and a secrets file): they must come out of every restore unchanged.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Crafted:
    """One crafted folder. `expect`: a phrase the restore's one sentence must hold, or "ok" when the
    folder must restore (its Parquet files are genuine; only the never-run SQL files were edited)."""

    name: str
    folder: Path
    expect: str


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reseal(folder: Path) -> None:
    """Recompute every file's SHA-256 in the manifest, as whoever edited the folder would."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*"))
                         if p.is_file() and not p.is_symlink() and p.name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _edit_manifest(folder: Path, change: Callable[[dict], None]) -> None:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _rewrite_parquet(path: Path, select: str) -> None:
    """Replace a Parquet file by `select` (which reads the old one as `old`)."""
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE old AS SELECT * FROM read_parquet('{path}')")
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    finally:
        con.close()


def _hostile_sql(stand_ins: dict[str, Path]) -> str:
    live, secrets = stand_ins["database"], stand_ins["secrets"]
    return (f"COPY (SELECT 'overwritten' AS x) TO '{live}' (FORMAT csv);\n"
            f"COPY (SELECT 'admin_password = \"pwned\"' AS line) TO '{secrets}' (FORMAT csv, HEADER false, "
            "QUOTE '');\n")


def craft(genuine: Path, root: Path, stand_ins: dict[str, Path]) -> list[Crafted]:
    cases: list[Crafted] = []

    def case(name: str, expect: str, edit: Callable[[Path], None], *, seal: bool = True) -> None:
        folder = root / f"digitlab-{name}"
        shutil.copytree(genuine, folder, symlinks=True)
        edit(folder)
        if seal:
            reseal(folder)
        cases.append(Crafted(name, folder, expect))

    hostile = _hostile_sql(stand_ins)
    # The SQL files EXPORT DATABASE writes, rewritten to attack: a restore never runs them.
    case("schema-sql", "ok", lambda f: (f / "schema.sql").write_text(hostile + (f / "schema.sql").read_text()))
    case("load-sql", "ok", lambda f: (f / "load.sql").write_text(hostile))
    # Files and tables that no backup of this app holds.
    case("extra-sql-file", "holds evil.sql", lambda f: (f / "evil.sql").write_text(hostile))
    case("subfolder", "holds more", lambda f: (f / "more").mkdir())
    case("unknown-table", "evil differs", lambda f: (
        shutil.copy(f / "users.parquet", f / "evil.parquet"),
        _edit_manifest(f, lambda m: m["tables"].update(evil=m["tables"]["users"]))))
    case("missing-table", "users differs", lambda f: (
        (f / "users.parquet").unlink(), _edit_manifest(f, lambda m: m["tables"].pop("users"))))
    case("symlinked-table", "holds users.parquet", lambda f: (
        (f / "users.parquet").unlink(), os.symlink(stand_ins["database"], f / "users.parquet")))
    # Parquet files whose columns are not the table's.
    case("extra-column", "columns of its users.parquet",
         lambda f: _rewrite_parquet(f / "users.parquet", "SELECT *, true AS superuser FROM old"))
    case("renamed-column", "columns of its audit_log.parquet", lambda f: _rewrite_parquet(
        f / "audit_log.parquet", "SELECT * RENAME (detail AS note) FROM old"))
    case("retyped-column", "columns of its users.parquet", lambda f: _rewrite_parquet(
        f / "users.parquet", "SELECT * REPLACE (CAST(active AS VARCHAR) AS active) FROM old"))
    case("duplicate-ids", "damaged or does not fit", lambda f: _rewrite_parquet(
        f / "audit_log.parquet", "SELECT * FROM old UNION ALL SELECT * FROM old"))
    # A migration this app does not have (its SQL would be what a restore runs if it trusted the folder).
    case("foreign-migration", "does not have (99999-evil.sql)", lambda f: _rewrite_parquet(
        f / "schema_migrations.parquet",
        "SELECT * FROM old UNION ALL SELECT 99999, '99999-evil.sql', repeat('0', 64), now()::TIMESTAMP"))
    case("huge-sequence", "never reaches", lambda f: _edit_manifest(
        f, lambda m: m["sequences"].update({name: 2**62 for name in m["sequences"]})))
    # Damaged rather than crafted: the restore says so in one sentence.
    case("corrupt-parquet", "damaged or does not fit", lambda f: (f / "users.parquet").write_bytes(
        b"PAR1" + bytes(range(256)) * 4 + b"PAR1"))
    case("manifest-not-json", "not readable JSON", lambda f: (f / MANIFEST).write_text("{not json"), seal=False)
    case("manifest-not-utf8", "not readable JSON", lambda f: (f / MANIFEST).write_bytes(b"\xff\xfe{}"), seal=False)
    case("manifest-a-list", "not a Digit Lab manifest", lambda f: (f / MANIFEST).write_text("[1, 2]"), seal=False)
    case("manifest-no-files", "no valid \"files\" entry",
         lambda f: _edit_manifest(f, lambda m: m.pop("files")), seal=False)
    case("manifest-bad-rows", "describes its tables wrongly", lambda f: _edit_manifest(
        f, lambda m: m["tables"]["users"].update(rows="many")))
    case("glob-[name]", "one of the characters", lambda f: None)
    return cases
