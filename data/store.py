"""Opening the store: connect and migrate in one call."""
from __future__ import annotations

from data import db, migrate


def init_db() -> list[str]:
    """Open the database named by DIGITLAB_DB (or the default) and apply pending migrations."""
    db.connection()
    return migrate.migrate()
