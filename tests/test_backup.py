"""Backup and restore: a backup restored into a new file holds every table equal (rows and content),
sequences continue past the restored ids, a damaged backup or an existing target is refused."""
from __future__ import annotations

import duckdb
import pytest

from data import audit, backups, catalog, db, predictions
from data import jobs as job_rows
from ml.errors import RequestError
from ml.ops import backup


def _fill() -> None:
    """Rows of every kind of column: JSON (job params), lists and a BLOB (a prediction), timestamps."""
    audit.record("ana", "sign_in", "ok", "from 10.0.0.1 — ünïcode")
    job = job_rows.create("train", {"family": "knn", "params": {"k": 3}}, "ana", title="k-NN")
    job_rows.finish(job, "succeeded", "done", {"model": 2})
    pid = predictions.insert(predictions.PredictionRow("ana", "draw", 1, 7, 0.9, [0.1] * 10, [0.0] * 784,
                                                       b"\x89PNG\x00\x01", 3.5, "seven.png"))
    predictions.add_feedback(pid, "ana", 1, False)


def test_a_restored_backup_holds_every_table_equal_and_sequences_go_on(seeded_store):
    _fill()
    before, sequences = catalog.fingerprints(), catalog.sequences()
    made = backup.backup("admin")
    assert made.tables == len(before) and made.rows == sum(t.rows for t in before.values())
    assert backups.last().path == str(made.path) and backups.last().sha256 == made.sha256

    target = seeded_store / "restored.duckdb"
    restored = backup.restore(made.path, into=target)
    assert restored.path == target and restored.tables == len(before)
    con = duckdb.connect(str(target))
    try:
        assert catalog.fingerprints(con) == before  # every table: same rows, same content
        assert catalog.sequences(con) == sequences
        assert {"predictions", "jobs", "audit_log", "users", "models", "backups"} <= set(before)
        top = con.execute("SELECT max(id) FROM jobs").fetchone()[0]
        new_id = con.execute("INSERT INTO jobs (kind, params, created_by) VALUES ('train', '{}', 'x') "
                             "RETURNING id").fetchone()[0]
        assert new_id == top + 1  # the sequence continues past the restored ids: no clash
        image = con.execute("SELECT image FROM predictions WHERE filename = 'seven.png'").fetchone()[0]
        assert image == b"\x89PNG\x00\x01"
        con.execute("UPDATE audit_log SET detail = 'edited' WHERE id = (SELECT min(id) FROM audit_log)")
        assert catalog.fingerprints(con)["audit_log"] != before["audit_log"]  # the check sees one edited cell
    finally:
        con.close()
    assert db.db_path() == seeded_store / "digitlab.duckdb"  # the live database is still the one in use


def test_restore_never_overwrites_a_file_and_refuses_a_damaged_backup(seeded_store):
    made = backup.backup("admin")
    live = db.db_path()
    with pytest.raises(RequestError, match="never overwrites"):
        backup.restore(made.path, into=live)
    existing = seeded_store / "taken.duckdb"
    existing.write_bytes(b"mine")
    with pytest.raises(RequestError, match="already exists"):
        backup.restore(made.path, into=existing)
    assert existing.read_bytes() == b"mine"
    damaged = made.path / "users.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    target = seeded_store / "from-damaged.duckdb"
    with pytest.raises(backup.BackupError, match="users.parquet does not match"):
        backup.restore(made.path, into=target)
    assert not target.exists()
    with pytest.raises(backup.BackupError, match="not a Digit Lab backup"):
        backup.restore(seeded_store / "models", into=target)


def test_a_failed_backup_is_recorded_and_leaves_no_folder(seeded_store):
    blocker = seeded_store / "not-a-folder"
    blocker.write_text("a file where the backups folder should go")
    with pytest.raises(backup.BackupError, match="could not be written"):
        backup.backup("admin", to=blocker)
    failed = backups.last()
    assert not failed.ok and failed.message and backups.last(ok_only=True) is None
    assert audit.page(username="admin", action="backup")["outcome"].tolist() == ["error"]
    assert blocker.is_file()


def test_a_backup_taken_while_another_thread_writes_is_one_snapshot(seeded_store):
    """The app keeps writing during a backup (job progress, audit rows): the copy is one moment of the
    database, the same moment its manifest describes, and the writes go on."""
    import threading
    stop, written = threading.Event(), []

    def writer() -> None:
        while not stop.is_set():
            audit.record("ana", "busy", "ok", str(len(written)))
            written.append(1)
    before = db.one("SELECT count(*) FROM audit_log")[0]
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:  # the writer is going
            threading.Event().wait(0.01)
        made = backup.backup("admin")
    finally:
        stop.set()
        thread.join()
    after = db.one("SELECT count(*) FROM audit_log")[0]
    restored = backup.restore(made.path, into=seeded_store / "snap.duckdb")  # checks it against the manifest
    con = duckdb.connect(str(restored.path))
    try:
        rows = con.execute("SELECT count(*), count(*) FILTER (WHERE action = 'busy') FROM audit_log").fetchone()
        ids = con.execute("SELECT max(detail::INTEGER) + 1 = count(*) FROM audit_log WHERE action = 'busy'").fetchone()[0]
        top = con.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        assert con.execute("SELECT nextval('audit_seq')").fetchone()[0] > top  # new rows never reuse an id
    finally:
        con.close()
    assert before + 20 <= rows[0] < after and rows[1] >= 20
    assert ids  # writes 0..k-1 without a gap: a prefix of what was written, not rows from different moments
