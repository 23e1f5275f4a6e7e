"""Restoring crafted backup folders (tests/corpus/crafted_backups.py): no SQL from the folder ever runs,
the files it aims at stay untouched, anything that is not what the app writes is refused in one
sentence (CLI: no traceback), and a refused or failed restore leaves no file behind."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from data import audit, catalog, db
from ml.cli import commands as cli
from ml.ops import backup

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from crafted_backups import craft  # noqa: E402


@pytest.fixture
def crafted(empty_store):
    for n in range(5):
        audit.record("ana", "sign_in", "ok", f"from 10.0.0.{n}")
    backed_up = catalog.fingerprints()
    made = backup.backup("admin", check_role=False)
    live_copy = empty_store / "stand-in.duckdb"
    db.close()
    shutil.copy(db.db_path(), live_copy)
    secrets = empty_store / "stand-in-secrets.toml"
    secrets.write_text('cookie_key = "kept"\n')
    stand_ins = {"database": live_copy, "secrets": secrets}
    before = {name: path.read_bytes() for name, path in stand_ins.items()}
    cases = craft(made.path, empty_store / "crafted", stand_ins)
    return cases, stand_ins, before, backed_up


def catalog_of(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return catalog.fingerprints(con)
    finally:
        con.close()


def test_every_crafted_backup_runs_no_sql_and_is_restored_or_refused_in_one_sentence(crafted, tmp_path):
    cases, stand_ins, before, backed_up = crafted
    assert len(cases) >= 15
    for case in cases:
        target = tmp_path / f"{case.name}.duckdb"
        if case.expect == "ok":
            restored = backup.restore(case.folder, into=target)
            assert catalog_of(restored.path) == backed_up, case.name
        else:
            with pytest.raises(backup.BackupError) as caught:
                backup.restore(case.folder, into=target)
            message = caught.value.message
            assert case.expect in message and "\n" not in message, (case.name, message)
            assert not target.exists() and not target.with_name(target.name + ".wal").exists(), case.name
        for name, path in stand_ins.items():
            assert path.read_bytes() == before[name], f"{case.name} changed the {name} stand-in"


def test_cli_restore_of_crafted_folders_prints_one_sentence_and_a_retry_works(crafted, tmp_path, capsys):
    cases, _, _, _ = crafted
    by_name = {c.name: c for c in cases}
    for name in ("manifest-not-utf8", "manifest-a-list", "corrupt-parquet", "foreign-migration"):
        target = tmp_path / f"{name}.duckdb"
        assert cli.main(["restore", str(by_name[name].folder), "--into", str(target)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "Traceback" not in err and "cannot be restored" in err, err
        assert not target.exists()
    # a failed restore leaves nothing behind, so the same target works once the folder is good again
    target = tmp_path / "retry.duckdb"
    assert cli.main(["restore", str(by_name["corrupt-parquet"].folder), "--into", str(target)]) == 1
    assert cli.main(["restore", str(by_name["schema-sql"].folder), "--into", str(target)]) == 0


def test_a_full_disk_during_a_restore_names_the_target_and_removes_the_partial_file(crafted, tmp_path,
                                                                                  monkeypatch):
    cases, _, _, _ = crafted
    from data import backups

    def fills_the_disk(folder, target, tables, sequences):
        Path(target).write_bytes(b"partial")
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")
    monkeypatch.setattr(backups, "load_into", fills_the_disk)
    target = tmp_path / "full.duckdb"
    with pytest.raises(backup.BackupError, match=f"The disk holding {target} is full"):
        backup.restore(cases[0].folder, into=target)
    assert not target.exists()


def test_a_backup_to_a_full_disk_blames_the_backup_folder_not_the_database(empty_store, monkeypatch):
    from data import backups

    def fills_the_disk(folder):
        try:
            raise duckdb.IOException("IO Error: Could not write file: No space left on device")
        except duckdb.IOException as exc:  # as the store's cursor turns it into a sentence
            raise db.explain(exc) from None
    monkeypatch.setattr(backups, "export_to", fills_the_disk)
    root = empty_store / "elsewhere"
    with pytest.raises(backup.BackupError) as caught:
        backup.backup("admin", to=root, check_role=False)
    assert f"The disk holding the backup folder {root} is full" in caught.value.message
    assert "database file" not in caught.value.message
