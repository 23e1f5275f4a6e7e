"""The audit log's hash chain: an edited row and a deleted row are found and named; concurrent writers
keep one chain; rows from before the chain are counted, not blamed; no code path rewrites the log."""
from __future__ import annotations

import re
import threading
from pathlib import Path

from data import audit, db
from ml import audit_chain, cli

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
    db.execute("DELETE FROM audit_log WHERE id = ?", [ids[0]])  # the very first one as well
    assert audit_chain.verify().broken_id == ids[1]


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
