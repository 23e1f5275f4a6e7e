"""Everything a fresh machine needs before the first page or CLI call."""
from __future__ import annotations

import logging
import sys
from typing import Callable

from data import registry, store
from ml import accounts

log = logging.getLogger(__name__)


def _to_console(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(announce: Callable[[str], None] = _to_console) -> int:
    """Migrate, create the first admin, train the default model if none is active; returns the active model id.

    A generated admin password is handed to `announce` exactly once (it is never stored in clear).
    """
    store.init_db()
    one_time = accounts.ensure_admin()
    if one_time:
        announce("=" * 68 + f"\nDigit Lab created user 'admin' with one-time password: {one_time}\n"
                 "It is shown only now; you will be asked to change it at first sign-in.\n" + "=" * 68)
    active = registry.active_id()
    if active is not None:
        return active
    from ml import training  # scikit-learn costs ~1 s to import: only when there is a model to train
    return training.ensure_default_model()
