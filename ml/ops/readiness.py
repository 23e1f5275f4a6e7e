"""Whether this server can serve (the `/readyz` probe): the store answers and its file is writable, no
migration is pending, and the active model loads. Each check is (ok, a sentence for whoever reads it)."""
from __future__ import annotations

import logging
import os

from data import db, migrate, registry
from ml.models import artifacts

log = logging.getLogger(__name__)


def _store() -> tuple[bool, str]:
    path = db.db_path()
    db.one("SELECT 1")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return False, f"The database file {path} or its folder is not writable."
    return True, str(path)


def _migrations() -> tuple[bool, str]:
    waiting = migrate.pending()
    return (False, "Pending: " + ", ".join(waiting)) if waiting else (True, "up to date")


def _model() -> tuple[bool, str]:
    active = registry.active_id()
    if active is None:
        return False, "No model is active yet."
    artifacts.load_for_prediction(active)
    return True, f"model {active}"


def check() -> dict[str, tuple[bool, str]]:
    results = {}
    for name, probe in (("store", _store), ("migrations", _migrations), ("model", _model)):
        try:
            results[name] = probe()
        except Exception as exc:  # noqa: BLE001 - a probe reports what failed, it does not fail itself
            log.warning("readiness check %s failed: %s", name, exc)
            results[name] = (False, str(exc) or type(exc).__name__)
    return results
