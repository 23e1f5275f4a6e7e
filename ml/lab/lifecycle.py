"""A model version's life: register, activate, archive / unarchive, notes, delete with its file.

Every step checks the person's capability (`ml.governance.policy`) and writes an audit row, so the pages, the
CLI and background jobs obey the same rules. Refusals a person can fix are `RequestError` sentences.
"""
from __future__ import annotations

import logging

from data import audit, db, registry
from data.registry import ModelRecord
from ml.datasets import provenance
from ml.datasets.splits import Dataset
from ml.errors import RequestError
from ml.governance import policy
from ml.lab.fitting import FitResult
from ml.models import artifacts

log = logging.getLogger(__name__)


def _record(model_id: int) -> ModelRecord:
    record = registry.get(model_id)
    if record is None:
        raise RequestError(f"Model {model_id} is not in the registry (it may have been deleted).")
    return record


def register(result: FitResult, dataset: Dataset, *, by: str) -> int:
    """Save the artifact and register the version, linked to the dataset record and its content hash,
    as one step: the file is written and fsynced as `.part`, the dataset record and the version are
    committed in one transaction, and only then is the file renamed into place. Any failure (a full
    disk, a refusal) leaves no dataset record, no version and no file; a kill leaves a `.part` that
    `artifacts.sweep` resolves at the next start."""
    policy.require(by, "register_dataset")  # before any write: a refusal's audit row is not rolled back
    meta = {"family": result.family, "params": result.params, "convention": result.convention.to_dict(),
            "dataset": dataset.name}
    pending = artifacts.write_pending(result.pipeline, meta)
    try:
        with db.transaction():
            dataset_id, dataset_sha256 = provenance.register_dataset(dataset, by=by)
            model_id = registry.register(
                family=result.family, params=result.params, dataset=dataset.name, split=result.split,
                convention=result.convention.to_dict(), metrics=result.metrics, artifact_path=pending.name,
                sha256=pending.sha256, size_bytes=pending.size, trained_by=by, fit_seconds=result.fit_seconds,
                dataset_id=dataset_id, dataset_sha256=dataset_sha256)
    except BaseException:
        artifacts.discard(pending)
        raise
    artifacts.publish(pending)
    artifacts.write_compact(model_id, result.pipeline)
    audit.record(by, "train_model", "ok", f"model {model_id}: {result.family} on {dataset.name}, "
                                          f"accuracy {result.metrics['accuracy']:.4f}", target=f"model:{model_id}")
    return model_id


def activate(model_id: int, *, by: str) -> None:
    """Make a model the one behind predictions; loading it first proves the artifact is sound."""
    policy.require(by, "activate_model")
    record = _record(model_id)
    if record.status == "archived":
        raise RequestError(f"Model {model_id} is archived: unarchive it before making it the active model.")
    artifacts.load(model_id)  # ArtifactError when the file is missing or was changed
    previous = registry.active_id()
    registry.set_active(model_id)
    audit.record(by, "activate_model", "ok", f"model {model_id} (was {previous})", target=f"model:{model_id}",
                 details={"old": previous, "new": model_id})


def set_archived(model_id: int, archived: bool, *, by: str) -> None:
    """Archive (hide from picking, keep the file) or bring back a version; never the active one."""
    policy.require(by, "archive_model")
    record = _record(model_id)
    if archived and model_id == registry.active_id():
        raise RequestError(f"Model {model_id} is the active model: activate another one before archiving it.")
    registry.set_status(model_id, "archived" if archived else "ready")
    audit.record(by, "archive_model", "ok", f"model {model_id} {'archived' if archived else 'unarchived'}",
                 target=f"model:{model_id}", details={"old": record.status, "new": "archived" if archived else "ready"})


def archive(model_id: int, *, by: str) -> None:
    set_archived(model_id, True, by=by)


def unarchive(model_id: int, *, by: str) -> None:
    set_archived(model_id, False, by=by)


def set_notes(model_id: int, notes: str, *, by: str) -> None:
    """Free-text notes on a version (kept to the registry's limit)."""
    policy.require(by, "annotate_model")
    _record(model_id)
    if len(notes) > registry.MAX_NOTES:
        raise RequestError(f"Notes are limited to {registry.MAX_NOTES:,} characters; these have {len(notes):,}.")
    registry.set_notes(model_id, notes)
    audit.record(by, "annotate_model", "ok", f"model {model_id}: {len(notes)} characters", target=f"model:{model_id}")


def delete(model_id: int, *, by: str) -> None:
    """Remove a version and its artifact file (admins only; never the active model)."""
    policy.require(by, "delete_model")
    record = _record(model_id)
    if model_id == registry.active_id():
        raise RequestError(f"Model {model_id} is the active model and cannot be deleted: activate another one first.")
    registry.delete(model_id)
    removed = artifacts.remove(model_id, record.artifact_path)
    audit.record(by, "delete_model", "ok",
                 f"model {model_id} ({record.family}); artifact {record.artifact_path}"
                 f"{' removed' if removed else ' was already gone'}", target=f"model:{model_id}")
