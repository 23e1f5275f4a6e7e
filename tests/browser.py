"""Helpers for browser tests: serve the app on a free port and drive Debian's Chromium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bench.server import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: F401 - shared with the bench

ROOT = Path(__file__).resolve().parent.parent

@contextmanager
def served_app(folder: Path, env_extra: dict[str, str] | None = None, timeout: float = 90) -> Iterator[str]:
    """Start `streamlit run` on a copy of the store in `folder`; yields the base URL; stops it by PID."""
    port = free_port()
    env = {**os.environ, "DIGITLAB_DB": str(folder / "digitlab.duckdb"), "DIGITLAB_MODELS": str(folder / "models"),
           "DIGITLAB_SECRETS": str(folder / "secrets.toml"), **(env_extra or {})}
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def copy_store(template: Path, folder: Path) -> Path:
    shutil.copy(template / "digitlab.duckdb", folder / "digitlab.duckdb")
    shutil.copytree(template / "models", folder / "models")
    return folder
