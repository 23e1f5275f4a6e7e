"""`python -m ml backup` and `python -m ml restore`: refusals in one sentence, restore beside a running app."""
from __future__ import annotations

import subprocess
import sys

import duckdb

from data import backups, catalog, db
from ml.cli import commands as cli


def test_cli_backup_then_restore_into_a_new_file(seeded_store, capsys):
    before = catalog.fingerprints()
    assert cli.main(["backup", "--to", str(seeded_store / "copies")]) == 0
    said = capsys.readouterr().out
    made = backups.last()
    assert made.ok and made.actor.startswith("os:") and made.path.startswith(str(seeded_store / "copies"))
    assert f"to {made.path}" in said and f"{made.tables} tables" in said
    target = seeded_store / "new.duckdb"
    db.close()
    assert cli.main(["restore", made.path, "--into", str(target)]) == 0
    said = capsys.readouterr().out
    assert f"into {target}; every table and sequence matches" in said
    assert f"DIGITLAB_DB={target} python -m ml serve" in said
    con = duckdb.connect(str(target))
    try:
        assert catalog.fingerprints(con) == before
    finally:
        con.close()
    assert cli.main(["restore", made.path, "--into", str(target)]) == 1  # the file exists now
    assert "already exists" in capsys.readouterr().err


def test_cli_backup_refuses_while_the_app_holds_the_database_but_restore_works(seeded_store, capsys):
    assert cli.main(["backup"]) == 0
    folder = backups.last().path
    capsys.readouterr()
    db.close()
    live = seeded_store / "digitlab.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()", str(live)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli.main(["backup"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "is held by another Digit Lab process" in err and "Back up now" in err
        assert cli.main(["restore", folder]) == 0  # a restore never opens the live file
        assert "-restored.duckdb" in capsys.readouterr().out
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        db.close()
