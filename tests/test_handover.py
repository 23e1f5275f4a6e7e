"""A fresh server answers at once with an interim model; the default trains as a job and takes over,
unless someone chose another model meanwhile. Home shows the hand-over while it runs."""
from __future__ import annotations

import pytest
from conftest import texts

from data import registry
from ml import accounts, default_model, handover, jobs, lifecycle, training
from ml.datasets import load_embedded
from ml.job_requests import DefaultModelRequest


@pytest.fixture
def quick_default(monkeypatch):
    """The hand-over mechanism, with a default that trains in a blink (the real one is the bench's)."""
    monkeypatch.setenv("DIGITLAB_DEFAULT_DATA", "digits")
    monkeypatch.setattr(default_model, "DEFAULT_FAMILY", "knn")
    monkeypatch.setattr(default_model, "DEFAULT_PARAMS", {"n_neighbors": 3})
    monkeypatch.setattr(default_model, "INTERIM", ("digits", "svc", {}))


@pytest.fixture
def fresh(empty_store, monkeypatch):
    monkeypatch.setenv("DIGITLAB_ADMIN_PASSWORD", "first-admin-pw-1")
    accounts.ensure_admin()
    return empty_store


def test_a_fresh_server_serves_an_interim_model_and_queues_the_default(fresh, quick_default):
    queued = []
    active = handover.ensure_serving(lambda request: queued.append(request) or len(queued))
    assert registry.active_id() == active == handover.interim_id()
    assert registry.get(active).family == "svc"  # the interim recipe (patched to the quickest)
    assert [type(r) for r in queued] == [DefaultModelRequest]


def test_the_default_takes_over_when_its_job_finishes(fresh, quick_default):
    interim = handover.train_interim()
    assert handover.state().interim_id == interim
    record = jobs.run_inline(DefaultModelRequest())
    assert record.status == "succeeded", record.message
    active = registry.active_id()
    assert active != interim and registry.get(active).family == "knn"
    assert "replaced interim model" in record.message
    assert handover.state() is None and handover.interim_id() is None


def test_the_default_does_not_override_a_model_someone_chose(fresh, quick_default):
    handover.train_interim()
    chosen = training.train_and_register(load_embedded(), "logreg", {}, trained_by="admin")
    lifecycle.activate(chosen, by="admin")
    record = jobs.run_inline(DefaultModelRequest())
    assert record.status == "succeeded" and "not activated" in record.message
    assert registry.active_id() == chosen


def test_home_shows_the_default_training_while_the_interim_serves(open_app, quick_default):
    interim = handover.train_interim()
    jobs.reset_runner()
    try:
        at = open_app("ana", "home")
    finally:
        jobs.reset_runner()  # a start-up hand-over job must not outlive this test's store
    assert not at.exception
    bars = [p.proto.text for p in at.get("progress")]
    assert len(bars) == 1 and "interim model answers while the default model" in bars[0]
    assert f"#{interim}" in texts(at)  # the interim model is the one shown as active
