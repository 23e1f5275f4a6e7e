"""Model lifecycle: every change is checked against the role table and audited; delete removes the file."""
from __future__ import annotations

import pytest

from data import audit, registry
from ml.datasets.splits import load_embedded
from ml.errors import PolicyError, RequestError
from ml.lab import lifecycle, training
from ml.models import artifacts


@pytest.fixture
def spare(seeded_store) -> int:
    """A second, inactive model beside the active default one."""
    return training.train_and_register(load_embedded(), "knn", {}, trained_by="ana")


def _last(action: str) -> tuple[str, str, str]:
    row = audit.page(action=action).iloc[0]
    return row["username"], row["outcome"], row["detail"]


def test_a_viewer_cannot_activate_and_the_refusal_is_audited(spare):
    before = registry.active_id()
    with pytest.raises(PolicyError, match=r"Your role \(viewer\) may not do this \(activate model\)"):
        lifecycle.activate(spare, by="vic")
    assert registry.active_id() == before
    assert _last("activate_model")[:2] == ("vic", "denied")


def test_an_analyst_activates_archives_and_annotates_each_audited(spare):
    lifecycle.activate(spare, by="ana")
    assert registry.active_id() == spare
    assert _last("activate_model") == ("ana", "ok", f"model {spare} (was 1)")
    lifecycle.archive(1, by="ana")
    assert registry.get(1).status == "archived" and _last("archive_model") == ("ana", "ok", "model 1 archived")
    with pytest.raises(RequestError, match="Model 1 is archived: unarchive it"):
        lifecycle.activate(1, by="ana")
    lifecycle.unarchive(1, by="ana")
    assert registry.get(1).status == "ready"
    lifecycle.set_notes(spare, "k-NN baseline", by="ana")
    assert registry.get(spare).notes == "k-NN baseline" and _last("annotate_model")[:2] == ("ana", "ok")
    with pytest.raises(PolicyError):
        lifecycle.set_notes(spare, "defaced", by="vic")
    assert registry.get(spare).notes == "k-NN baseline"


def test_the_active_model_cannot_be_archived_or_deleted(spare):
    active = registry.active_id()
    with pytest.raises(RequestError, match="is the active model: activate another one before archiving it"):
        lifecycle.archive(active, by="ana")
    with pytest.raises(RequestError, match="is the active model and cannot be deleted"):
        lifecycle.delete(active, by="admin")
    assert registry.get(active) is not None and registry.get(active).status == "ready"


def test_an_analyst_cannot_delete(spare):
    with pytest.raises(PolicyError, match=r"Your role \(analyst\) may not do this \(delete model\)"):
        lifecycle.delete(spare, by="ana")
    assert registry.get(spare) is not None
    assert _last("delete_model")[:2] == ("ana", "denied")


def test_an_admin_deletes_a_model_and_its_artifact_file(spare):
    path = artifacts.artifact_file(registry.get(spare).artifact_path)
    assert path.is_file()
    lifecycle.delete(spare, by="admin")
    assert registry.get(spare) is None and not path.exists()
    user, outcome, detail = _last("delete_model")
    assert (user, outcome) == ("admin", "ok") and "removed" in detail
    with pytest.raises(RequestError, match=f"Model {spare} is not in the registry"):
        lifecycle.activate(spare, by="ana")


def test_a_registered_model_links_to_its_dataset_record_and_hash(seeded_store):
    from data import dataset_records
    from ml.datasets.provenance import content_sha256
    digits = load_embedded()
    model = registry.get(training.train_and_register(digits, "knn", {}, trained_by="ana"))
    record = dataset_records.get(model.dataset_id)
    assert record.spec == "digits" and record.n_samples == len(digits.y)
    assert model.dataset_sha256 == record.content_sha256 == content_sha256(digits)
    assert _last("train_model")[:2] == ("ana", "ok")
