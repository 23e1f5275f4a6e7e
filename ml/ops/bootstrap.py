"""Everything a fresh machine needs before the first page or CLI call."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from data import files, registry, store, users
from ml.governance import accounts
from ml.models import artifacts
from ml.ops import backup

log = logging.getLogger(__name__)


def _to_console(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_store(announce: Callable[[str], None] = _to_console, *, reveal: bool = True) -> None:
    """Migrate and create the first admin.

    A generated admin password is written to a file only its owner can read (deleted once changed)
    and handed to `announce` once when `reveal`; commands whose output is data (CSV, JSON) pass
    `reveal=False` and only name the file, so the password never lands in the middle of a stream.
    """
    store.init_db()  # also marks jobs a killed process left running as interrupted
    files.make_private(backup.default_dir())  # made before files were private (data.files.PRIVATE_UMASK)
    artifacts.sweep()  # a save killed half-way: its .part is completed or removed, strays are listed
    accounts.cookie_key(), accounts.cookie_name()  # made now, before sessions race to make them
    had_users = users.count() > 0
    one_time = accounts.ensure_admin()
    if one_time:
        where = accounts.one_time_password_file()
        name, _ = accounts.pending_one_time_account() or ("admin", one_time)
        why = "This database had no active admin, so " if had_users else ""
        announce("=" * 68 + (f"\n{why}Digit Lab created user '{name}' with one-time password: {one_time}\n"
                             if reveal else f"\n{why}Digit Lab created user '{name}' with a one-time password.\n")
                 + f"It is kept in {where} (only you can read it) until you change it at first sign-in.\n"
                 + "=" * 68)


def prepare(announce: Callable[[str], None] = _to_console, *, reveal: bool = True) -> int:
    """`prepare_store`, then the default model trained to the end if none is active (the CLI and
    `python -m ml init`; a server serves an interim model meanwhile instead: `ml.lab.handover`)."""
    prepare_store(announce, reveal=reveal)
    active = registry.active_id()
    if active is not None:
        return active
    from ml.lab import training  # scikit-learn is slow to import: only when there is a model to train
    return training.ensure_default_model()
