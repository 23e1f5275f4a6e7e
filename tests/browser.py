"""Helpers for browser tests: serve the app on a free port and drive Debian's Chromium."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.server import CHROMIUM, CHROMIUM_ARGS, stroke_a_one  # noqa: F401 - re-exported for the browser tests
from ml.serving import start_streamlit, stop, wait_health

ROOT = Path(__file__).resolve().parent.parent

@contextmanager
def served_app(folder: Path, env_extra: dict[str, str] | None = None, timeout: float = 90) -> Iterator[str]:
    """Start `streamlit run` on a copy of the store in `folder`; yields the base URL; stops it by PID."""
    env = {**os.environ, "DIGITLAB_DB": str(folder / "digitlab.duckdb"), "DIGITLAB_MODELS": str(folder / "models"),
           "DIGITLAB_SECRETS": str(folder / "secrets.toml"), **(env_extra or {})}
    with open(folder / "server.log", "w") as log:
        proc, url, started = start_streamlit(ROOT / "dashboard" / "app.py", env, log)
        try:
            try:
                wait_health(url, proc, started + timeout)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}: {(folder / 'server.log').read_text()[-2000:]}") from None
            yield url
        finally:
            stop(proc)


def copy_store(template: Path, folder: Path) -> Path:
    shutil.copy(template / "digitlab.duckdb", folder / "digitlab.duckdb")
    shutil.copytree(template / "models", folder / "models")
    return folder
