"""A fresh server answers at once with an interim model; the default trains as a job and takes over,
unless someone chose another model meanwhile. Home shows the hand-over while it runs."""
from __future__ import annotations

import threading

import pytest
from conftest import open_page, texts

from data import registry
from ml.datasets.splits import load_embedded
from ml.governance import accounts
from ml.jobs import engine as jobs
from ml.lab import default_model, handover, lifecycle, training
from ml.lab.requests import DefaultModelRequest


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


def test_a_fresh_server_never_waits_for_a_model_and_queues_the_first_one(fresh, quick_default):
    queued = []
    assert handover.ensure_serving(lambda request: queued.append(request) or len(queued)) is None
    assert registry.active_id() is None  # nothing trained while the server starts
    assert [type(r) for r in queued] == [DefaultModelRequest]


def test_the_first_job_trains_a_quick_model_then_the_default(fresh, quick_default):
    record = jobs.run_inline(DefaultModelRequest())
    assert record.status == "succeeded", record.message
    assert sorted(m.family for m in registry.all_models()) == ["knn", "svc"]  # the quick one, then the default
    assert registry.get(registry.active_id()).family == "knn" and "replaced interim model" in record.message
    assert handover.state() is None


@pytest.fixture
def first_model_blocked(fresh, quick_default, monkeypatch):
    """A fresh server whose first model is still training (its job waits until the test ends)."""
    release = threading.Event()

    def blocked() -> int:
        release.wait(120)
        raise RuntimeError("the test is over")
    monkeypatch.setattr(handover, "train_interim", blocked)
    yield
    release.set()
    jobs.reset_runner()


def test_the_sign_in_form_shows_while_the_first_model_trains(first_model_blocked):
    at = open_page()
    assert not at.exception
    assert {t.label for t in at.text_input} == {"Username", "Password"}
    assert registry.active_id() is None


def test_pages_that_need_a_model_wait_for_it_with_progress(first_model_blocked):
    for page in ("draw", "upload", "batch"):
        at = open_page("admin", page)
        assert not at.exception
        bars = [p.proto.text for p in at.get("progress")]
        assert any("Preparing a first model; this page opens by itself" in b for b in bars), page
        assert not at.error, page
    home = open_page("admin")
    assert "preparing…" in texts(home)
    assert any("Preparing a first model: Draw, Upload and Batch open" in p.proto.text for p in home.get("progress"))


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
    assert "measured on its own test images" in texts(at)  # its figure is not comparable with the default's
