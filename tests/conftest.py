"""Shared fixtures: every test gets its own DuckDB file and models folder.

Training the default model takes a few seconds, so it is done once per session into a
template store that tests copy.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from data import db
from ml import artifacts

ADMIN_PASSWORD = "test-admin-pw-42"
ANALYST_PASSWORD = "test-analyst-pw-42"
VIEWER_PASSWORD = "test-viewer-pw-42"


def _point_at(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("DIGITLAB_DB", str(folder / "digitlab.duckdb"))
    monkeypatch.setenv("DIGITLAB_MODELS", str(folder / "models"))
    monkeypatch.setenv("DIGITLAB_SECRETS", str(folder / "secrets.toml"))
    db.close()
    artifacts.clear_cache()


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """A migrated, empty database (no users, no model)."""
    from data import store
    _point_at(monkeypatch, tmp_path)
    monkeypatch.delenv("DIGITLAB_ADMIN_PASSWORD", raising=False)
    store.init_db()
    yield tmp_path
    db.close()


@pytest.fixture(scope="session")
def template_store(tmp_path_factory) -> Path:
    """A store with admin/analyst/viewer accounts and the trained default model."""
    from ml import accounts
    from ml.bootstrap import prepare
    folder = tmp_path_factory.mktemp("template")
    saved = {k: os.environ.get(k) for k in ("DIGITLAB_DB", "DIGITLAB_MODELS", "DIGITLAB_ADMIN_PASSWORD")}
    os.environ.update(DIGITLAB_DB=str(folder / "digitlab.duckdb"), DIGITLAB_MODELS=str(folder / "models"),
                      DIGITLAB_ADMIN_PASSWORD=ADMIN_PASSWORD)
    db.close()
    try:
        prepare(announce=lambda message: None)
        accounts.create_user("ana", "Ana Analyst", "analyst", ANALYST_PASSWORD, by="admin",
                             must_change_password=False)
        accounts.create_user("vic", "Vic Viewer", "viewer", VIEWER_PASSWORD, by="admin",
                             must_change_password=False)
    finally:
        db.close()
        artifacts.clear_cache()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return folder


@pytest.fixture
def seeded_store(template_store, tmp_path, monkeypatch):
    """A private copy of the template store."""
    shutil.copy(template_store / "digitlab.duckdb", tmp_path / "digitlab.duckdb")
    shutil.copytree(template_store / "models", tmp_path / "models")
    _point_at(monkeypatch, tmp_path)
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", ADMIN_PASSWORD)
    yield tmp_path
    db.close()
    artifacts.clear_cache()
