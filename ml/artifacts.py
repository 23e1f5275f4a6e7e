"""Model artifacts on disk, verified by sha256 against the registry before use.

A model file can be swapped or corrupted outside the app; loading a pickle we did not
write is a code-execution risk, so a checksum mismatch is refused, never loaded.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from data import db, registry
from ml.errors import ArtifactError

log = logging.getLogger(__name__)

DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

_cache: dict[tuple[str, int], LoadedModel] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class LoadedModel:
    id: int
    family: str
    estimator: Any
    convention: dict
    metrics: dict


def models_dir() -> Path:
    path = Path(os.environ.get("DIGITLAB_MODELS") or DEFAULT_MODELS_DIR).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(estimator: Any, meta: dict) -> tuple[str, str, int]:
    """Write an artifact; returns (file name, sha256, size in bytes)."""
    buffer = io.BytesIO()
    joblib.dump({"estimator": estimator, "meta": meta}, buffer, compress=3)
    payload = buffer.getvalue()
    name = f"model-{uuid.uuid4().hex[:12]}.joblib"
    target = models_dir() / name
    tmp = target.with_suffix(".part")
    tmp.write_bytes(payload)
    tmp.replace(target)
    return name, hashlib.sha256(payload).hexdigest(), len(payload)


def artifact_file(artifact_path: str) -> Path:
    path = Path(artifact_path)
    return path if path.is_absolute() else models_dir() / path


def load(model_id: int) -> LoadedModel:
    """The model behind `model_id`, checked against its sha256 once per process (then cached)."""
    key = (str(db.db_path()), model_id)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    record = registry.get(model_id)
    if record is None:
        raise ArtifactError(f"Model {model_id} is not in the registry.")
    path = artifact_file(record.artifact_path)
    if not path.exists():
        raise ArtifactError(f"Model {model_id}'s artifact {path} is missing; retrain the model or restore the file.")
    payload = path.read_bytes()
    if hashlib.sha256(payload).hexdigest() != record.sha256:
        raise ArtifactError(
            f"Model {model_id}'s artifact {path.name} does not match its recorded sha256, so it was "
            "changed after training and will not be loaded; retrain the model or restore the file.")
    bundle = joblib.load(io.BytesIO(payload))
    loaded = LoadedModel(record.id, record.family, bundle["estimator"], record.convention, record.metrics)
    with _cache_lock:
        _cache[key] = loaded
    log.info("loaded model %s (%s)", model_id, record.family)
    return loaded


def download(model_id: int) -> tuple[str, bytes] | None:
    """(file name, bytes) of a model's artifact for the person to download; None when the file is gone."""
    record = registry.get(model_id)
    path = artifact_file(record.artifact_path) if record is not None else None
    if path is None or not path.is_file():
        return None
    return path.name, path.read_bytes()


def remove(model_id: int, artifact_path: str) -> bool:
    """Delete an artifact file and forget its cached model; whether a file was there."""
    with _cache_lock:
        _cache.pop((str(db.db_path()), model_id), None)
    path = artifact_file(artifact_path)
    existed = path.is_file()
    path.unlink(missing_ok=True)
    return existed


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
