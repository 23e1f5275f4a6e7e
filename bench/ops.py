"""Admin figures: a checked backup of the whole bench store and its checked restore, each against the
bare DuckDB statement it wraps (measured in the same run), and the Health page's figures."""
from __future__ import annotations

import shutil

import duckdb

from bench.core import Context, Measured, figure, timed
from data import backups, catalog, db
from ml.ops import backup, health

# The floor only: DuckDB's own import runs the folder's schema.sql and load.sql, which the app never does
# (it rebuilds the schema from its migrations and loads the checked Parquet files, see data.backups).
IMPORT = "IMPORT DATABASE '{path}'"


def _size(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@figure("backup: whole database, checked (EXPORT DATABASE)", unit="s", group="store")
def backup_whole(ctx: Context) -> Measured:
    root = ctx.workdir / "backups"
    made: list[backup.BackupResult] = []
    app = timed(ctx.repeats(3, 1), lambda: made.append(backup.backup("system", to=root)), warmup=0, scale=1.0)
    n = iter(range(1000))

    def bare() -> None:
        backups.export_to(root / f"bare-{next(n)}")
    floor = timed(ctx.repeats(3, 1), bare, warmup=0, scale=1.0)
    last = made[-1]
    ctx.shared["backup"] = last.path
    return Measured(app, floor, note=f"{last.tables} tables, {last.rows:,} rows, {last.bytes / 1e6:,.1f} MB of "
                                     f"Parquet from a {db.db_path().stat().st_size / 1e6:,.1f} MB file; the floor is "
                                     "the bare EXPORT DATABASE (the app adds per-table fingerprints and SHA-256s)")


@figure("restore: into a new file, checked", unit="s", group="store")
def restore_whole(ctx: Context) -> Measured:
    folder = ctx.shared["backup"]
    n = iter(range(1000))

    def app() -> None:
        backup.restore(folder, into=ctx.workdir / f"restored-{next(n)}.duckdb")

    def bare() -> None:
        con = duckdb.connect(str(ctx.workdir / f"bare-restored-{next(n)}.duckdb"))
        con.execute(IMPORT.format(path=str(folder).replace("'", "''")))
        con.close()
    samples = timed(ctx.repeats(3, 1), app, warmup=0, scale=1.0)
    floor = timed(ctx.repeats(3, 1), bare, warmup=0, scale=1.0)
    size = _size(folder)
    for leftover in ctx.workdir.glob("*restored-*.duckdb*"):
        leftover.unlink()
    shutil.rmtree(ctx.workdir / "backups", ignore_errors=True)
    return Measured(samples, floor, note=f"{size / 1e6:,.1f} MB backup; the floor is the bare IMPORT "
                                         "DATABASE (the app checks SHA-256s and column types before, "
                                         "fingerprints after, and runs no SQL from the folder)")


@figure("health: every figure of the Health page", unit="ms", target=100.0, group="store")
def health_figures(ctx: Context) -> Measured:
    lanes = {"train": {"queued": 0, "running": 0, "worker_alive": True}}
    samples = timed(ctx.repeats(20, 5), lambda: health.gather(lanes))
    return Measured(samples, note=f"row counts of {len(catalog.tables())} tables, file and disk sizes, last backup")
