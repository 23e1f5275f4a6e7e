"""First start: the one-time admin password is kept in an owner-only file until it is changed, and
`python -m ml serve` prints it last, after the server's own output."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil

from data import db, users
from ml.governance import accounts
from ml.ops.serving import free_port, stop

ROOT = Path(__file__).resolve().parent.parent


def test_one_time_password_file_is_owner_only_and_goes_away_once_changed(empty_store):
    one_time = accounts.ensure_admin()
    path = accounts.one_time_password_file()
    assert path.read_text().strip() == one_time
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert accounts.pending_one_time_password() == one_time
    accounts.change_password("admin", one_time, "my-own-pw-2026")
    assert not path.exists() and accounts.pending_one_time_password() is None


def test_serve_prints_the_address_and_the_one_time_password_last(seeded_store):
    one_time = "generated-pw-1234"
    users.set_password("admin", accounts.hash_password(one_time), must_change=True)
    accounts._write_one_time_file(one_time)
    db.close()  # one process per database file: the server needs it
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ml", "serve", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "DIGITLAB_ADMIN_PASSWORD": "", "DIGITLAB_BCRYPT_ROUNDS": "4"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("one-time password" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
        held = [f.path for f in psutil.Process(proc.pid).open_files()]
        assert not any(path.endswith(".duckdb") for path in held), held  # the server's child needs the store
        listening = {c.laddr.ip for child in psutil.Process(proc.pid).children(recursive=True)
                     for c in child.net_connections("inet") if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
        assert listening == {"127.0.0.1"}  # this computer only, unless --address opens it up
    finally:
        stop(proc)
    assert _servers_on(port, wait=10) == []  # `serve` stopped its streamlit child: no orphan keeps the port
    text = "\n".join(lines)
    assert f"Digit Lab is serving at http://localhost:{port}" in text, text
    assert f"one-time password: {one_time}" in text
    assert "Warning: DIGITLAB_BCRYPT_ROUNDS=4 hashes new passwords with a test-only bcrypt cost" in text
    assert text.index("serving at") > max(text.find("You can now view"), 0)  # after Streamlit's own banner


def _servers_on(port: int, wait: float) -> list[psutil.Process]:
    """Processes still serving `port`, polled until none are left or `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        left = [p for p in psutil.process_iter(["cmdline"]) if f"--server.port {port}" in " ".join(p.info["cmdline"] or [])]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def test_the_server_skips_streamlit_s_full_collection_after_every_run():
    """Each page run otherwise ends in gc.collect(2): costly CPU on every click and page load with the
    app's libraries loaded (docs/architecture.md)."""
    import tomllib
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_the_start_log_does_not_warn_of_a_missing_browser_session_on_the_start_up_thread():
    """The start-up thread runs a cached function with a spinner; Streamlit's "missing ScriptRunContext"
    warning is dropped for that thread only, and still logged for any other."""
    import logging

    from api import asgi
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")

    def record(thread: str) -> logging.LogRecord:
        made = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "missing ScriptRunContext", (), None)
        made.threadName = thread
        return made
    assert not logger.filter(record(asgi.BOOTSTRAP_THREAD))
    assert logger.filter(record("some-other-thread"))
