"""The DuckDB store: migrations, concurrent writers, one process per file."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading

import duckdb
import pytest

from data import audit, db, migrate, predictions, registry
from data.db import StoreLockedError


def _row(user: str, i: int) -> predictions.PredictionRow:
    return predictions.PredictionRow(user, "draw", 1, i % 10, 0.5, [0.1] * 10, [float(i)] * 64, b"png", 1.0)


def test_migrating_twice_is_a_no_op(empty_store):
    assert migrate.migrate() == []
    assert db.one("SELECT count(*) FROM schema_migrations")[0] == len(migrate.migration_files())


def test_changed_applied_migration_is_an_error(empty_store, tmp_path):
    folder = tmp_path / "migs"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder)
    (folder / "00099-extra.sql").write_text("CREATE TABLE extra (x INTEGER);")
    assert migrate.migrate(folder) == ["00099-extra.sql"]
    (folder / "00099-extra.sql").write_text("CREATE TABLE extra (x INTEGER, y INTEGER);")
    with pytest.raises(migrate.MigrationError, match="was changed after it was applied"):
        migrate.migrate(folder)


def test_failed_migration_leaves_nothing_behind(empty_store, tmp_path):
    folder = tmp_path / "migs"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder)
    (folder / "00099-broken.sql").write_text("CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;")
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        migrate.migrate(folder)
    assert db.one("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'")[0] == 0
    assert db.one("SELECT count(*) FROM schema_migrations WHERE version = 99")[0] == 0


def test_the_api_source_migration_keeps_every_row_and_widens_only_the_source_check(tmp_path, monkeypatch):
    """00018 rebuilds `predictions` (DuckDB cannot change a CHECK): rows, ids, column order and the id sequence
    stay; "api" is a source now, anything else is still refused."""
    folder = tmp_path / "before"
    folder.mkdir()
    for path in migrate.MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name.split("-")[0]) < 18:
            shutil.copy(path, folder)
    monkeypatch.setenv("DIGITLAB_DB", str(tmp_path / "old.duckdb"))
    db.close()
    migrate.migrate(folder)
    columns = [r[0] for r in db.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions' "
                                     "ORDER BY column_index")]
    first = predictions.insert(_row("ana", 1))
    rows = db.rows("SELECT * FROM predictions ORDER BY id")
    assert migrate.migrate() == ["00018-api-source.sql"]
    assert db.rows("SELECT * FROM predictions ORDER BY id") == rows
    assert [r[0] for r in db.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions' "
                                  "ORDER BY column_index")] == columns
    api_row = predictions.PredictionRow("ana", "api", 1, 7, 0.9, [0.1] * 10, [0.5] * 64, None, 2.0)
    assert predictions.insert(api_row) == first + 1
    with pytest.raises(duckdb.ConstraintException):
        db.execute("UPDATE predictions SET source = 'web' WHERE id = ?", [first])
    db.execute("INSERT INTO readings (username, source, model_id, text, confidence, doubtful, alternatives, latency_ms) "
               "VALUES ('ana', 'api', 1, '7', 0.9, false, '[]', 2.0)")  # POST /read's readings too
    db.close()


def test_eight_threads_writing_at_once_lose_no_row(empty_store):
    per_thread = 150
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(per_thread):
                predictions.insert(_row(f"user{t}", i))
                audit.record(f"user{t}", "predict_draw", "ok", str(i))
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total, distinct = db.one("SELECT count(*), count(DISTINCT id) FROM predictions")
    assert total == distinct == 8 * per_thread
    per_user = dict(db.rows("SELECT username, count(*) FROM predictions GROUP BY username"))
    assert per_user == {f"user{t}": per_thread for t in range(8)}
    assert db.one("SELECT count(*) FROM audit_log")[0] == 8 * per_thread


def test_bulk_append_and_paged_reads(empty_store):
    predictions.append([_row("bulk", i) for i in range(500)])
    predictions.insert(_row("other", 1))
    first = predictions.page(username="bulk", limit=50)
    assert len(first) == 50 and set(first["username"]) == {"bulk"}
    assert predictions.page(username="bulk", limit=50, offset=450).shape[0] == 50
    assert predictions.page(username="bulk", limit=50, offset=500).empty
    assert predictions.per_day("2000-01-01")["predictions"].sum() == 501


def test_feedback_is_linked_to_its_prediction(empty_store):
    pid = predictions.insert(_row("ana", 3))
    predictions.add_feedback(pid, "ana", 8, False)
    latest = predictions.page(username="ana").iloc[0]
    assert latest["id"] == pid and latest["true_digit"] == 8 and not latest["is_correct"]
    with pytest.raises(ValueError):
        predictions.add_feedback(pid, "ana", 12, False)


def test_export_csv_streams_all_rows(empty_store, tmp_path):
    predictions.append([_row("x", i) for i in range(120)])
    out = predictions.export_csv(tmp_path / "out.csv")
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,ts,username") and len(lines) == 121


def test_registry_marks_one_active_model(empty_store):
    ids = [registry.register(family="svc", params={}, dataset="digits", split={}, convention={}, metrics={"accuracy": a},
                             artifact_path="m", sha256="s", size_bytes=1, trained_by="t", fit_seconds=0.1)
           for a in (0.9, 0.95)]
    registry.set_active(ids[0])
    registry.set_active(ids[1])
    table = registry.table()
    assert registry.active_id() == ids[1]
    assert table.loc[table["active"], "id"].tolist() == [ids[1]]


def test_second_process_gets_one_clear_sentence(empty_store):
    path = db.db_path()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    db.close()
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError) as caught:
            db.connection()
        message = str(caught.value)
        assert str(path) in message and "DIGITLAB_DB" in message and "\n" not in message
        cli = subprocess.run([sys.executable, "-m", "ml", "init"], capture_output=True, text=True, timeout=60)
        assert cli.returncode == 2
        assert "is in use by another Digit Lab process" in cli.stderr and "Traceback" not in cli.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_bulk_append_stores_each_row_as_a_single_insert_would(empty_store):
    import numpy as np
    rng = np.random.default_rng(3)
    rows = [predictions.PredictionRow("ana", "batch", 1, i, 0.25 + i / 10, rng.random(10), rng.random(784),
                                      b"\x89PNG" if i else None, 1.5 * i, f"f{i}.png" if i != 1 else None,
                                      bool(i % 2), None if i == 2 else 9 - i, job_id=None if i % 2 else 7)
            for i in range(4)]
    appended = [predictions.get(i) for i in predictions.append(rows)]
    inserted = [predictions.get(predictions.insert(r)) for r in rows]
    for a, b in zip(appended, inserted):
        for column in predictions.COLUMNS:
            if column != "ts":
                assert np.array_equal(np.asarray(a[column]), np.asarray(b[column])), column
    assert [a["ts"] for a in appended] == [r.ts for r in rows]
    with pytest.raises(ValueError, match="source must be one of"):
        predictions.append([predictions.PredictionRow("ana", "fax", 1, 0, 0.5, [0.1] * 10, [0.0] * 4, None, 1.0)])


def test_a_checkpoint_after_an_append_leaves_earlier_predictions_where_they_are(empty_store):
    """A checkpoint writes what was appended since the last one and does not merge the small row groups
    at the table's end: merging re-read and re-wrote their model inputs on every checkpoint of a batch
    (up to a full row group of 784-value vectors: the batch's memory spikes and stalls)."""
    def blocks() -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for group, block in db.rows("SELECT row_group_id, block_id FROM pragma_storage_info('predictions') "
                                    "WHERE block_id >= 0"):
            found.setdefault(int(group), set()).add(int(block))
        return found

    for part in range(3):
        predictions.append([_row("ana", part * 2_000 + i) for i in range(2_000)])
        db.cursor().execute("CHECKPOINT")
    before = blocks()
    assert len(before) == 3, "each checkpoint wrote its own row group"
    predictions.append([_row("ana", 6_000 + i) for i in range(500)])
    db.cursor().execute("CHECKPOINT")
    after = blocks()
    assert len(after) == 4
    assert all(after[group] == before[group] for group in before), "earlier row groups were rewritten"
    assert db.one("SELECT count(*) FROM predictions")[0] == 6_500
