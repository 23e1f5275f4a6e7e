"""Starting and stopping a Streamlit server process: `python -m ml serve`, the bench and the browser
tests all start the app through these, so what is measured and tested is how users start it.

No Streamlit import here: the server is a child process.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
SERVER = ROOT / "api" / "asgi.py"  # the dashboard with the REST API beside it (st.App): what `serve` runs


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, proc: subprocess.Popen, deadline: float) -> None:
    """Poll /_stcore/health until it answers 200; a process that exits or a passed deadline raises."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited during start-up")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("streamlit did not answer /_stcore/health in time")


def start_streamlit(script: Path = APP, env: dict[str, str] | None = None, log=subprocess.DEVNULL, *,
                    port: int | None = None, address: str = "127.0.0.1") -> tuple[subprocess.Popen, str, float]:
    """`streamlit run SCRIPT` headless (a free loopback port unless given): (process, base URL, start time)."""
    port = port or free_port()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", address], cwd=ROOT,
                            env=env if env is not None else os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://{'localhost' if address == '0.0.0.0' else address}:{port}", started


def stop(proc: subprocess.Popen) -> None:
    """Stop a server by its PID: terminate, then kill if it does not exit."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve(port: int = 8501, address: str = "127.0.0.1") -> int:
    """`make run`'s server: start it, wait until it answers, then print the address and, on a first
    start, the one-time admin password last, where the server's own output cannot scroll it away.
    It listens on this computer only unless `address` opens it up (e.g. 0.0.0.0 behind a TLS proxy)."""
    from data import db
    from ml.governance import accounts, passwords
    from ml.ops.bootstrap import prepare_store
    prepare_store(lambda _: None)  # migrate and create the admin now, so a one-time password can be shown below
    db.close()  # one process per database file: the server needs it
    # SIGTERM (a service manager, a test) must stop the server too, not orphan it: exit through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    proc, url, started = start_streamlit(SERVER, port=port, address=address, log=None)
    try:
        wait_health(url, proc, started + 120)
        lines = [f"Digit Lab is serving at http://localhost:{port}" + ("" if address in LOOPBACK else
                 f" (listening on {address}: other computers can reach it; put TLS in front of it)")]
        cost = passwords.rounds()
        if cost < passwords.DEFAULT_ROUNDS:
            lines.append(f"Warning: {passwords.ROUNDS_ENV}={cost} hashes new passwords with a test-only "
                         f"bcrypt cost; unset it for real use (the default is {passwords.DEFAULT_ROUNDS}).")
        pending = accounts.pending_one_time_account()
        if pending:
            lines += [f"First sign-in: user '{pending[0]}', one-time password: {pending[1]}",
                      f"(also in {accounts.one_time_password_file()}, readable only by you; it is deleted once "
                      "you change the password at first sign-in)"]
        width = max(len(line) for line in lines)
        print("\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width + "\n", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(proc)
