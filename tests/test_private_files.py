"""The store's files are its owner's only (issue 29): the database and its log, backups, model files and
their folders, whatever the login's umask, and a store made before that is narrowed when opened."""
from __future__ import annotations

import os
import stat

from data import db, store
from ml.models import artifacts
from ml.ops import backup
from ml.ops.bootstrap import prepare_store


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_store_under_a_permissive_umask_is_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DB", str(tmp_path / "store" / "digitlab.duckdb"))
    monkeypatch.setenv("DIGITLAB_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", "first-admin-pw-1")
    db.close()
    previous = os.umask(0o022)  # a typical login's umask: files 0644, folders 0755
    try:
        prepare_store(lambda _: None)
        saved = artifacts.models_dir() / "probe.bin"
        saved.write_bytes(b"model")
        made = backup.backup("os:tester", check_role=False)
        folder = made.path
    finally:
        db.close()
        os.umask(previous)
    database = tmp_path / "store" / "digitlab.duckdb"
    assert _mode(database) == 0o600
    assert _mode(artifacts.models_dir()) == 0o700 and _mode(saved) == 0o600
    assert _mode(backup.default_dir()) == 0o700
    for path in [folder, *folder.rglob("*")]:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_an_older_store_is_narrowed_when_opened(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DB", str(tmp_path / "digitlab.duckdb"))
    monkeypatch.setenv("DIGITLAB_MODELS", str(tmp_path / "models"))
    db.close()
    store.init_db()
    db.close()
    (tmp_path / "digitlab.duckdb").chmod(0o644)
    (tmp_path / "models").mkdir(mode=0o755, exist_ok=True)
    (tmp_path / "models").chmod(0o755)
    (tmp_path / "backups").mkdir(mode=0o755)
    (tmp_path / "backups").chmod(0o755)
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", "first-admin-pw-1")
    try:
        prepare_store(lambda _: None)
        artifacts.models_dir()
    finally:
        db.close()
    assert _mode(tmp_path / "digitlab.duckdb") == 0o600
    assert _mode(tmp_path / "models") == 0o700 and _mode(tmp_path / "backups") == 0o700
