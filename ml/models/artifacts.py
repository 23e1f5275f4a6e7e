"""Model artifacts on disk, verified by sha256 against the registry before use.

A model file can be swapped or corrupted outside the app; loading a pickle we did not
write is a code-execution risk, so a checksum mismatch is refused, never loaded.

Saving is crash-safe: the bytes go to `<name>.part`, are fsynced, the version is registered, and
only then is the file renamed to `<name>.joblib` (and the folder fsynced). A process killed at any
point leaves either nothing registered and a `.part` that `sweep` removes at the next start, or a
registered version whose `.part` `sweep` completes. A full disk is one sentence naming the folder.
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from data import audit, db, registry
from ml.config import DEFAULT_MODELS_DIR, models_dir  # noqa: F401 - re-exported
from ml.errors import ArtifactError
from ml.models import compact as compact_model
from ml.models import legacy

log = logging.getLogger(__name__)


_cache: dict[tuple[str, int], LoadedModel] = {}
_compact_cache: dict[tuple[str, int], LoadedModel] = {}  # estimator: a CompactModel (load_for_prediction)
_cache_lock = threading.Lock()
_compact_lock = threading.Lock()
# Concurrent first requests load a model once, the others wait for it: twenty threads parsing one
# artifact at once cost twenty times the work (and CPython 3.11's parser is not safe under that).
_loading = threading.RLock()


def _once(cache: dict, key: tuple[str, int], make: Callable[[], LoadedModel]) -> LoadedModel:
    """`cache[key]`, made by `make()` under `_loading` if absent (checked again once the lock is held)."""
    with _cache_lock:
        if key in cache:
            return cache[key]
    with _loading:
        with _cache_lock:
            if key in cache:
                return cache[key]
        return make()


@dataclass(frozen=True)
class LoadedModel:
    id: int
    family: str
    estimator: Any
    convention: dict
    metrics: dict


def _fsync_dir(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # some filesystems cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _disk_error(exc: OSError, folder: Path) -> ArtifactError:
    if exc.errno == errno.ENOSPC:
        return ArtifactError(f"The disk holding the models folder {folder} is full, so the model was not saved: "
                             "free space there (or set DIGITLAB_MODELS to a folder on another disk), then train again.")
    return ArtifactError(f"The model could not be written to the models folder {folder} ({exc.strerror}): make it "
                         "writable (or set DIGITLAB_MODELS to a writable folder), then train again.")


@dataclass(frozen=True)
class Pending:
    """An artifact written and fsynced as `<name>.part`, not yet published (see `publish`)."""

    name: str
    sha256: str
    size: int
    part: Path


def write_pending(estimator: Any, meta: dict) -> Pending:
    """Serialise and write `<name>.part`, fsynced; a failure leaves no file behind."""
    buffer = io.BytesIO()
    joblib.dump({"estimator": estimator, "meta": meta}, buffer, compress=3)
    payload = buffer.getvalue()
    folder = models_dir()
    name = f"model-{uuid.uuid4().hex[:12]}.joblib"
    part = (folder / name).with_suffix(".part")
    try:
        with open(part, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise _disk_error(exc, folder) from None
    return Pending(name, hashlib.sha256(payload).hexdigest(), len(payload), part)


def publish(pending: Pending) -> None:
    """Rename `.part` to its final name once the version is registered (atomic, folder fsynced)."""
    pending.part.replace(pending.part.with_suffix(".joblib"))
    _fsync_dir(pending.part.parent)


def discard(pending: Pending) -> None:
    pending.part.unlink(missing_ok=True)


def save(estimator: Any, meta: dict) -> tuple[str, str, int]:
    """Write and publish an artifact at once (callers that register it later); (file name, sha256, size)."""
    pending = write_pending(estimator, meta)
    publish(pending)
    return pending.name, pending.sha256, pending.size


def sweep() -> dict[str, list[str]]:
    """At start: finish or remove what a killed save left. A `.part` whose version is registered
    (killed between registering and renaming) is completed when its sha256 matches; any other `.part`
    is removed. `.joblib` files the registry does not know are listed, not deleted (the folder may be
    shared with another database); registered versions whose file is missing are listed too."""
    folder = models_dir()
    known = {Path(r.artifact_path).name: r for r in registry.all_models()}
    report: dict[str, list[str]] = {"completed": [], "removed": [], "unknown": [], "missing": []}
    for part in sorted(folder.glob("*.part")):
        record = known.get(part.with_suffix(".joblib").name)
        if record is not None and hashlib.sha256(part.read_bytes()).hexdigest() == record.sha256:
            part.replace(part.with_suffix(".joblib"))
            report["completed"].append(part.with_suffix(".joblib").name)
        else:
            part.unlink(missing_ok=True)
            report["removed"].append(part.name)
    on_disk = {p.name for p in folder.glob("*.joblib")}
    report["unknown"] = sorted(on_disk - set(known))
    report["missing"] = sorted(name for name in known if name not in on_disk and not Path(name).is_absolute())
    if report["removed"] or report["completed"]:
        log.warning("models folder %s: removed %s, completed %s", folder, report["removed"], report["completed"])
    if report["unknown"]:
        log.warning("models folder %s holds %d artifact(s) the registry does not know: %s", folder,
                    len(report["unknown"]), ", ".join(report["unknown"]))
    return report


def artifact_file(artifact_path: str) -> Path:
    path = Path(artifact_path)
    return path if path.is_absolute() else models_dir() / path


def _record_of(model_id: int) -> registry.ModelRecord:
    record = registry.get(model_id)
    if record is None:
        raise ArtifactError(f"Model {model_id} is not in the registry.")
    return record


def _verified(model_id: int, record: registry.ModelRecord) -> bytes:
    """The artifact's bytes, refused (ArtifactError) when missing or not what was registered."""
    path = artifact_file(record.artifact_path)
    if not path.exists():
        raise ArtifactError(f"Model {model_id}'s artifact {path} is missing; retrain the model or restore the file.")
    payload = path.read_bytes()
    if hashlib.sha256(payload).hexdigest() != record.sha256:
        raise ArtifactError(
            f"Model {model_id}'s artifact {path.name} does not match its recorded sha256, so it was "
            "changed after training and will not be loaded; retrain the model or restore the file.")
    return payload


def load(model_id: int) -> LoadedModel:
    """The model behind `model_id`, checked against its sha256 once per process (then cached). A model
    registered before compact forms existed gets its compact form written here, once."""
    key = (str(db.db_path()), model_id)
    return _once(_cache, key, lambda: _load(model_id, key))


def _load(model_id: int, key: tuple[str, int]) -> LoadedModel:
    record = _record_of(model_id)
    with legacy.old_module_names():  # files saved before ml/ became packages name old modules
        bundle = joblib.load(io.BytesIO(_verified(model_id, record)))
    loaded = LoadedModel(record.id, record.family, bundle["estimator"], record.convention, record.metrics)
    with _cache_lock:
        _cache[key] = loaded
    log.info("loaded model %s (%s)", model_id, record.family)
    if record.compact_sha256 is None:
        write_compact(model_id, loaded.estimator)
    return loaded


def compact_file(artifact_path: str) -> Path:
    return artifact_file(artifact_path).with_suffix(".npz")


def write_compact(model_id: int, estimator: Any) -> bool:
    """Write a model's compact form (ml.models.compact) beside its artifact and register its sha256;
    False for a family it does not describe. Best effort: the form is derived from the artifact, so
    a failure (a full disk) only leaves the model loading whole, as before."""
    arrays = compact_model.extract(estimator)
    record = registry.get(model_id)
    if arrays is None or record is None:
        return False
    payload = compact_model.to_bytes(arrays)
    path = compact_file(record.artifact_path)
    part = path.with_name(path.name + ".part")  # a kill leaves a .part, which sweep() removes
    # Two sessions loading a model at once both write it: one at a time, so neither renames the other's
    # half-written .part into place under a sha256 registered for whole bytes.
    with _compact_lock:
        try:
            with open(part, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            part.replace(path)
        except OSError as exc:
            part.unlink(missing_ok=True)
            log.warning("model %s: its compact form could not be written to %s (%s); it loads whole", model_id,
                        path, exc.strerror)
            return False
        registry.set_compact_sha256(model_id, hashlib.sha256(payload).hexdigest())
    return True


def load_for_prediction(model_id: int) -> LoadedModel:
    """The model for predicting only: its `estimator` is its compact form when it has one (no
    scikit-learn import, no unpickling, so a fresh process answers at once), else the whole
    model. The artifact's sha256 is checked either way, so a changed artifact is refused here as in
    `load`. A compact form that is missing or does not match its sha256 is not used: the whole model
    is loaded (from the verified artifact) and the form written again."""
    key = (str(db.db_path()), model_id)
    return _once(_compact_cache, key, lambda: _load_for_prediction(model_id, key))


def _load_for_prediction(model_id: int, key: tuple[str, int]) -> LoadedModel:
    record = _record_of(model_id)
    if record.compact_sha256 is None:
        return load(model_id)
    _verified(model_id, record)
    path = compact_file(record.artifact_path)
    try:
        payload = path.read_bytes()
        if hashlib.sha256(payload).hexdigest() != record.compact_sha256:
            raise ValueError("it does not match its recorded sha256")
        compact = compact_model.from_bytes(payload)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("model %s: compact form %s not used (%s); loading the whole model", model_id, path.name, exc)
        loaded = load(model_id)
        written = write_compact(model_id, loaded.estimator)
        # a file changed outside the app is worth an admin's look, even though no answer depended on it
        audit.record("system", "model_compact_form", "error",
                     f"model {model_id}: its compact form {path.name} was not used ({exc}); the whole model "
                     f"answered{' and the form was written again' if written else ''}", target=f"model:{model_id}")
        return loaded
    loaded = LoadedModel(record.id, record.family, compact, record.convention, record.metrics)
    with _cache_lock:
        _compact_cache[key] = loaded
    return loaded


def download(model_id: int) -> tuple[str, bytes] | None:
    """(file name, bytes) of a model's artifact for the person to download, named after the model
    (`model-7-svc.joblib`, beside its card `model-7-card.pdf`); None when the file is gone."""
    record = registry.get(model_id)
    path = artifact_file(record.artifact_path) if record is not None else None
    if path is None or not path.is_file():
        return None
    family = re.sub(r"[^A-Za-z0-9_-]+", "-", record.family).strip("-") or "model"
    return f"model-{record.id}-{family}.joblib", path.read_bytes()


def remove(model_id: int, artifact_path: str) -> bool:
    """Delete an artifact file and forget its cached model; whether a file was there."""
    with _cache_lock:
        _cache.pop((str(db.db_path()), model_id), None)
        _compact_cache.pop((str(db.db_path()), model_id), None)
    path = artifact_file(artifact_path)
    existed = path.is_file()
    path.unlink(missing_ok=True)
    compact_file(artifact_path).unlink(missing_ok=True)
    return existed


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _compact_cache.clear()
