"""Opening the store: connect and migrate in one call."""
from __future__ import annotations

from data import db, jobs, migrate


def init_db() -> list[str]:
    """Open the database named by DIGITLAB_DB (or the default), apply pending migrations, and mark
    jobs a killed process left running as interrupted (`jobs.recover_once`)."""
    db.connection()
    applied = migrate.migrate()
    jobs.recover_once()
    return applied
