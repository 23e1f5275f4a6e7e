"""Configuration: every `DIGITLAB_*` variable ml reads, read here, at call time (tests change them)."""
from __future__ import annotations

import os
from pathlib import Path

from data import files

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def models_dir() -> Path:
    path = Path(get(MODELS) or DEFAULT_MODELS_DIR).expanduser().resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    files.make_private(path)  # a folder made before files were private (data.files.PRIVATE_UMASK)
    return path


DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "datasets"


def data_dir() -> Path:
    """The one folder server-side dataset SPECs may read: `DIGITLAB_DATA_DIR`, else data/datasets/."""
    return Path(get(DATA_DIR) or DEFAULT_DATA_DIR).expanduser().resolve()


# Every variable Digit Lab reads, with what it sets (the administration guide's configuration table).
DB = "DIGITLAB_DB"                          # the database file (read by data.db: the store opens itself)
MODELS = "DIGITLAB_MODELS"                  # the models folder (and its cache/ of built training data)
DATA_DIR = "DIGITLAB_DATA_DIR"              # the one folder server-side dataset SPECs may read
ADMIN_PASSWORD = "DIGITLAB_ADMIN_PASSWORD"  # the first admin's password on a fresh store (else one is generated)
DEFAULT_DATA = "DIGITLAB_DEFAULT_DATA"      # another dataset SPEC for the default model (e.g. handwriting:quick)
FIT_THREADS = "DIGITLAB_FIT_THREADS"        # pins the threads one fit may use
BATCH_WORKERS = "DIGITLAB_BATCH_WORKERS"    # decoding processes of a batch (0: inline)
BCRYPT_ROUNDS = "DIGITLAB_BCRYPT_ROUNDS"    # bcrypt's cost for new password hashes (tests lower it)
VARIABLES = (DB, MODELS, DATA_DIR, ADMIN_PASSWORD, DEFAULT_DATA, FIT_THREADS, BATCH_WORKERS, BCRYPT_ROUNDS)


def get(name: str, default: str | None = None) -> str | None:
    """A variable's value as set now (read at each call: a test or the bench may change it)."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a Digit Lab setting; add it to ml.config first")
    return os.environ.get(name, default)
