"""Health page and its figures: database size and rows per table, versions, lanes, disk, backups."""
import importlib.metadata

from conftest import texts

from dashboard.text import as_read
from data import audit, backups, catalog, db
from ml.ops import health


def test_health_figures_match_the_store(seeded_store):
    audit.record("ana", "sign_in", "ok")
    counted = {t: db.one(f'SELECT count(*) FROM "{t}"')[0] for t in ("audit_log", "users", "models", "jobs")}
    figures = health.gather({"train": {"queued": 2, "running": 1, "worker_alive": True},
                             "tune": {"queued": 1, "running": 0, "worker_alive": False}})
    for table, rows in counted.items():
        assert figures.rows[table] == rows
    assert figures.rows["users"] == 3 and figures.rows["backups"] == 0
    path = seeded_store / "digitlab.duckdb"
    assert figures.db_path == path and figures.db_bytes >= path.stat().st_size > 0
    assert figures.active_model is not None and figures.active_family
    assert figures.versions["duckdb"] == importlib.metadata.version("duckdb")
    assert set(figures.versions) == {"streamlit", "duckdb", "scikit-learn", "xgboost", "optuna", "plotly",
                                     "pandas", "numpy"}
    assert "not installed" not in figures.versions.values()
    assert figures.queued == 3 and figures.live_workers == 1
    assert 0 < figures.disk_free <= figures.disk_total
    assert 0 <= figures.uptime_s < 24 * 3600 and figures.last_backup is None


def _frame(at, column: str):
    """The table showing `column` (AppTest does not expose a dataframe's key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_admin_backs_up_from_the_health_page(open_app):
    at = open_app("admin", "health")
    assert not at.exception
    shown = texts(at)
    assert "Rows per table" in shown and "Job lanes" in shown and "never" in shown  # no backup yet
    tables = _frame(at, "table")
    assert dict(zip(tables["table"], tables["rows"])) == catalog.row_counts()
    lanes = _frame(at, "lane")
    assert set(lanes["lane"]) == {"train", "tune", "batch"} and set(lanes["worker"]) == {"alive"}
    at.button(key="backup_now").click().run()
    assert not at.exception and not at.error
    made = backups.last()
    assert made.ok and made.actor == "admin" and made.tables == len(catalog.tables()) and made.bytes > 0
    assert any(made.path in as_read(s.value) and "Backed up" in s.value for s in at.success)
    assert set(_frame(at, "path")["path"]) == {made.path}
    assert audit.page(username="admin", action="backup")["outcome"].tolist() == ["ok"]


def test_viewer_is_refused_the_health_page_and_cannot_back_up(open_app):
    import pytest

    from ml.errors import PolicyError
    from ml.ops import backup
    at = open_app("vic", "health")
    assert any("may not open Health" in e.value for e in at.error)
    with pytest.raises(PolicyError):
        backup.backup("ana")
    assert backups.last() is None
