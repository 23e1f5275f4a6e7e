"""Owner-only files for the store: no DuckDB here, so light processes (a batch's decoders) can use it."""
from __future__ import annotations

import contextlib
from pathlib import Path

# The store, its write-ahead log, backups and model files hold password hashes and people's data:
# whatever a process that opens the store creates is for its owner only, whatever the login's umask.
PRIVATE_UMASK = 0o077


def make_private(path: Path) -> None:
    """Take group's and others' rights off an existing file or folder (one made before files were
    private); the owner's own rights stay as they are (a read-only file stays read-only)."""
    with contextlib.suppress(FileNotFoundError):
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(mode & 0o7700)
