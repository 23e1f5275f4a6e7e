"""The audit log's hash chain: an edited row and a deleted row are found and named; concurrent writers
keep one chain; rows from before the chain are counted, not blamed; no code path rewrites the log."""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from data import audit, db
from ml.cli import commands as cli
from ml.governance import audit_chain

ROOT = Path(__file__).resolve().parent.parent


def _some_rows(n: int = 6) -> list[int]:
    ids = [audit.record("ana", "sign_in", "ok", "Ana López ✓ | 3:x") for _ in range(n // 2)]  # any text hashes alike
    ids += [audit.record("admin", "change_role", "ok", "ana: analyst -> viewer", target="ana",
                         details={"old": {"role": "analyst"}, "new": {"role": "viewer"}}) for _ in range(n - n // 2)]
    return ids


def test_an_intact_chain_verifies_and_keeps_details(empty_store):
    ids = _some_rows()
    report = audit_chain.verify()
    assert report.ok and report.checked == len(ids) and report.legacy == 0
    assert "intact: 6 rows checked" in report.message
    row = audit.row(ids[-1])
    assert row["target"] == "ana" and '"old":{"role":"analyst"}' in row["details"]


def test_an_edited_row_is_named(empty_store):
    ids = _some_rows()
    db.execute("UPDATE audit_log SET detail = 'ana: analyst -> admin' WHERE id = ?", [ids[3]])
    report = audit_chain.verify()
    assert not report.ok and report.broken_id == ids[3] and report.checked == 3
    assert f"broken at row {ids[3]}" in report.message and "changed" in report.message


def test_an_edited_details_json_or_time_is_named_too(empty_store):
    ids = _some_rows()
    db.execute("""UPDATE audit_log SET details = '{"new":{"role":"admin"},"old":{"role":"analyst"}}'
                  WHERE id = ?""", [ids[4]])
    assert audit_chain.verify().broken_id == ids[4]
    db.execute("UPDATE audit_log SET ts = ts - INTERVAL 1 DAY WHERE id = ?", [ids[1]])
    assert audit_chain.verify().broken_id == ids[1]


def test_a_deleted_row_is_found_at_the_row_after_it(empty_store):
    ids = _some_rows()
    db.execute("DELETE FROM audit_log WHERE id = ?", [ids[2]])
    report = audit_chain.verify()
    assert report.broken_id == ids[3] and "deleted" in report.message
    db.execute("DELETE FROM audit_log WHERE id = ?", [ids[0]])  # the very first one as well: the recorded genesis
    report = audit_chain.verify()
    assert report.broken_id == ids[0] and "first row was deleted" in report.message


def test_rows_from_before_the_chain_are_counted_not_blamed(empty_store):
    db.execute("INSERT INTO audit_log (username, action, outcome, detail) VALUES ('old', 'sign_in', 'ok', '')")
    db.execute("INSERT INTO audit_log (username, action, outcome, detail) VALUES ('old', 'sign_out', 'ok', '')")
    _some_rows(4)
    report = audit_chain.verify()
    assert report.ok and report.legacy == 2 and report.checked == 4
    assert "2 older rows were written before the chain existed" in report.message


def test_concurrent_writers_keep_one_chain(empty_store):
    def write(n: int) -> None:
        for i in range(25):
            audit.record(f"user{n}", "predict_draw", "ok", f"prediction {i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit_chain.verify()
    assert report.ok and report.checked == 200


def test_cli_verify_exits_non_zero_and_names_the_row(empty_store, capsys):
    ids = _some_rows()
    assert cli.main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    db.execute("UPDATE audit_log SET outcome = 'ok', username = 'someone' WHERE id = ?", [ids[1]])
    assert cli.main(["audit", "verify"]) == 1
    assert f"broken at row {ids[1]}" in capsys.readouterr().err


def test_no_code_path_updates_or_deletes_audit_rows():
    rewrite = re.compile(r"(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|TRUNCATE\s+audit_log)", re.I)
    offenders = [str(p.relative_to(ROOT)) for folder in ("data", "ml", "dashboard", "pages")
                 for p in (ROOT / folder).rglob("*.*") if p.suffix in (".py", ".sql") and rewrite.search(p.read_text())]
    assert offenders == []


def test_a_forged_backdated_row_without_a_hash_is_tampering(empty_store):
    """The probe's forgery: id 0, no hash, dated before the chain — once taken for "written before the chain"."""
    _some_rows()
    db.execute("INSERT INTO audit_log (id, ts, username, action, outcome, detail, target) VALUES "
               "(0, TIMESTAMP '2020-01-01', 'admin', 'change_role', 'ok', 'eve: viewer -> admin', 'eve')")
    report = audit_chain.verify()
    assert not report.ok and report.broken_id == 0 and "dated before the chain began were added" in report.message


def test_a_row_without_a_hash_after_the_genesis_is_tampering(empty_store):
    ids = _some_rows()
    db.execute("INSERT INTO audit_log (id, username, action, outcome, detail) VALUES (?, 'admin', 'change_role', "
               "'ok', 'eve: viewer -> admin')", [ids[-1] + 1])
    report = audit_chain.verify()
    assert report.broken_id == ids[-1] + 1 and "hash is missing" in report.message


def test_an_emptied_log_is_tampering_and_the_genesis_is_in_backups(empty_store):
    from ml.ops import backup
    ids = _some_rows()
    start = audit.genesis()
    assert start.id == ids[0] and start.legacy == 0
    made = backup.backup("admin", check_role=False)
    manifest = json.loads((made.path / "manifest.json").read_text())
    assert manifest["audit_genesis"]["id"] == ids[0] and manifest["audit_genesis"]["hash"] == start.hash
    db.execute("DELETE FROM audit_log")
    report = audit_chain.verify()
    assert not report.ok and report.broken_id == ids[0] and "first row was deleted" in report.message
    assert "0 rows" not in report.message.split(":")[0]


def test_a_noted_head_says_whether_newer_rows_were_removed(empty_store, capsys):
    _some_rows()
    first = audit_chain.verify()
    assert first.head in first.message and len(first.head) == 64  # printed in full, to be noted
    _some_rows(2)
    assert audit_chain.verify(first.head).ok  # rows were added after it: fine
    later = audit_chain.verify().head
    assert cli.main(["audit", "verify", "--head", later]) == 0
    assert "no rows after it were removed" in capsys.readouterr().out
    db.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")  # the newest row cut off
    assert audit_chain.verify().ok  # the chain alone cannot tell
    report = audit_chain.verify(later)
    assert not report.ok and "rows after it were removed" in report.message
    assert cli.main(["audit", "verify", "--head", later]) == 1
    assert "is no longer in the log" in capsys.readouterr().err


def test_a_store_whose_chain_began_before_genesis_records_gets_one(empty_store):
    ids = _some_rows()
    db.execute("DELETE FROM settings WHERE key = 'audit_genesis'")  # as a store from before this record
    assert audit_chain.verify().ok
    assert audit.genesis().id == ids[0]


def test_a_row_written_in_a_rolled_back_transaction_never_becomes_the_chain_s_head(empty_store):
    """A prediction's audit row is committed with its rows (`audit.chained`): rolled back with them, the next
    row links to the last row that was committed."""
    _some_rows(2)
    with pytest.raises(RuntimeError), audit.chained(), db.transaction():
        audit.record("ana", "predict_upload", "ok", "1 prediction(s) by model 1")
        raise RuntimeError("the write failed")
    audit.record("ana", "sign_in", "ok")
    assert db.one("SELECT count(*) FROM audit_log WHERE action = 'predict_upload'")[0] == 0
    assert audit_chain.verify().ok
