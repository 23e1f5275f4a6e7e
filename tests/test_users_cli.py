"""`python -m ml users ...`: the recovery path when nobody can sign in, audited as the OS user."""
from __future__ import annotations

import csv
import getpass
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from data import audit, db, users
from ml.cli import commands as cli
from ml.governance import accounts

ACTOR = f"os:{getpass.getuser()}"
ROOT = Path(__file__).resolve().parent.parent


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_reset_unlock_deactivate_reactivate(empty_store, capsys, monkeypatch):
    code, out, err = _run(capsys, "users", "add", "root2", "--role", "admin")
    one_time = out.strip()
    assert code == 0 and "shown once" in err
    assert accounts.verify_password(one_time, users.get("root2").password_hash) and users.get("root2").must_change_password

    monkeypatch.setattr(sys, "stdin", io.StringIO("chosen-pw-2026!\n"))
    code, out, _ = _run(capsys, "users", "add", "ana", "--role", "analyst", "--password-stdin")
    assert code == 0 and out == ""  # nothing to show: the operator chose it
    assert accounts.verify_password("chosen-pw-2026!", users.get("ana").password_hash)

    monkeypatch.setattr(sys, "stdin", io.StringIO("password123\n"))
    code, _, err = _run(capsys, "users", "add", "bob", "--role", "viewer", "--password-stdin")
    assert code == 1 and "common" in err and "Traceback" not in err and users.get("bob") is None

    code, out, _ = _run(capsys, "users", "list")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["username"], r["role"], r["status"]) for r in table] == [("ana", "analyst", "active"),
                                                                        ("root2", "admin", "active")]
    code, out, _ = _run(capsys, "users", "reset-password", "ana")
    assert code == 0 and accounts.verify_password(out.strip(), users.get("ana").password_hash)

    for _ in range(5):
        accounts.record_sign_in("ana", False)
    assert accounts.locked_until("ana") is not None
    assert _run(capsys, "users", "unlock", "ana")[0] == 0
    assert accounts.locked_until("ana") is None

    assert _run(capsys, "users", "deactivate", "ana")[0] == 0 and not users.get("ana").active
    assert _run(capsys, "users", "reactivate", "ana")[0] == 0 and users.get("ana").active
    code, _, err = _run(capsys, "users", "deactivate", "root2")
    assert code == 1 and "last active admin" in err

    mine = audit.page(username=ACTOR, outcome="ok")
    assert {"create_user", "reset_password", "unlock_user", "deactivate_user", "reactivate_user"} <= set(mine["action"])
    assert set(mine["role"]) == {"admin"}


def test_refuses_while_the_app_holds_the_database(empty_store, capsys):
    path = db.db_path()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(path)!r})
        print("ready", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    db.close()
    try:
        assert holder.stdout.readline().strip() == "ready"
        code, out, err = _run(capsys, "users", "list")
        assert code == 2 and out == ""
        assert "is in use by another Digit Lab process" in err and err.count("\n") == 1
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


@pytest.mark.parametrize("args", [("users", "unlock", "nobody"), ("users", "reactivate", "nobody")])
def test_an_unknown_name_is_one_sentence(empty_store, capsys, args):
    code, _, err = _run(capsys, *args)
    assert code == 1 and err.strip() == "There is no user 'nobody'."


@pytest.mark.parametrize("args", [["users", "list"], ["serve"], ["audit", "verify"]])
def test_a_file_that_is_not_a_database_is_one_sentence(tmp_path, monkeypatch, args):
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("not a database")
    db.close()
    done = subprocess.run([sys.executable, "-m", "ml", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DIGITLAB_DB": str(not_db), "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    err = done.stderr.strip()
    assert done.returncode == 2 and "Traceback" not in err and err.count("\n") == 0, err
    assert f"The file {not_db} is not a Digit Lab database" in err
    assert not_db.read_text() == "not a database"
