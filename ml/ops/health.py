"""The facts of the Health page, gathered without Streamlit so a test (or a CLI) reads the same figures.

Database file and rows per table, the active model, library versions, the process's uptime, job lanes
with their queue depth and live workers, free disk space beside the database, the last backup.
"""
from __future__ import annotations

import importlib.metadata
import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import psutil

from data import backups, catalog, db, registry

log = logging.getLogger(__name__)

# import name -> the distributions that may provide it (XGBoost ships as `xgboost` or `xgboost-cpu`)
LIBRARIES: dict[str, tuple[str, ...]] = {
    "streamlit": ("streamlit",), "duckdb": ("duckdb",), "scikit-learn": ("scikit-learn",),
    "xgboost": ("xgboost", "xgboost-cpu"), "optuna": ("optuna",), "plotly": ("plotly",),
    "pandas": ("pandas",), "numpy": ("numpy",),
}


@dataclass(frozen=True)
class Health:
    db_path: Path
    db_bytes: int                   # the file plus its write-ahead log
    wal_bytes: int
    rows: dict[str, int]            # table -> rows
    active_model: int | None
    active_family: str | None
    versions: dict[str, str]        # library -> version ("not installed")
    started_at: datetime            # this process's start
    uptime_s: float
    lanes: dict[str, dict[str, Any]] = field(default_factory=dict)  # lane -> queued, running, worker_alive
    disk_free: int = 0
    disk_total: int = 0
    last_backup: backups.BackupRecord | None = None
    last_good_backup: backups.BackupRecord | None = None

    @property
    def queued(self) -> int:
        return sum(lane.get("queued", 0) for lane in self.lanes.values())

    @property
    def live_workers(self) -> int:
        return sum(1 for lane in self.lanes.values() if lane.get("worker_alive"))


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Installed versions of the libraries the app stands on (read from package metadata, no imports)."""
    found = {}
    for name, dists in LIBRARIES.items():
        found[name] = "not installed"
        for dist in dists:
            try:
                found[name] = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return found


def process_start() -> datetime:
    """When this server (or CLI) process started, as the operating system recorded it."""
    return datetime.fromtimestamp(psutil.Process().create_time())


def file_bytes(path: Path) -> tuple[int, int]:
    """(file + WAL bytes, WAL bytes) of a database file; 0 for what does not exist."""
    wal = path.with_name(path.name + ".wal")
    size = path.stat().st_size if path.exists() else 0
    wal_size = wal.stat().st_size if wal.exists() else 0
    return size + wal_size, wal_size


def gather(lanes: dict[str, dict[str, Any]] | None = None) -> Health:
    """Every figure of the Health page. `lanes`: `ml.jobs.engine.status()["lanes"]` from the caller (the
    page), so that reading the figures never starts job workers by itself."""
    path = db.db_path()
    size, wal = file_bytes(path)
    active = registry.active_id()
    model = registry.get(active) if active is not None else None
    disk = shutil.disk_usage(path.parent)
    started = process_start()
    return Health(db_path=path, db_bytes=size, wal_bytes=wal, rows=catalog.row_counts(), active_model=active,
                  active_family=model.family if model else None, versions=versions(), started_at=started,
                  uptime_s=max(0.0, time.time() - started.timestamp()), lanes=lanes or {},
                  disk_free=disk.free, disk_total=disk.total, last_backup=backups.last(),
                  last_good_backup=backups.last(ok_only=True))
