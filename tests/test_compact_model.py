"""A model's compact form (ml/models/compact.py): the same probabilities as the whole pipeline, bit for
bit, loaded without scikit-learn; checked by sha256 like the artifact, and never a way around it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from data import db, registry
from ml.inputs.images import load_image
from ml.models import artifacts
from ml.models import compact as compact_model
from ml.models.compact import CompactModel
from ml.recognition.conventions import CANON_28
from ml.recognition.preprocess import preprocess
from tests.batch_files import digit_png

ROOT = Path(__file__).resolve().parent.parent


def _inputs(n: int = 40) -> np.ndarray:
    """Canonical digits as a batch would prepare them, then noise the gate reads as no digit."""
    rng = np.random.default_rng(3)
    digits = [preprocess(load_image(digit_png(i % 10, rng)), CANON_28) for i in range(n)]
    noise = rng.random((10, CANON_28.size ** 2)) * CANON_28.max_value
    return np.vstack([np.vstack(digits), noise])


def test_the_default_model_predicts_the_same_from_its_compact_form(seeded_store):
    model_id = registry.active_id()
    record = registry.get(model_id)
    assert record.compact_sha256 is not None  # written when the model was registered
    compact = artifacts.load_for_prediction(model_id)
    whole = artifacts.load(model_id)
    assert isinstance(compact.estimator, CompactModel)
    X = _inputs()
    expected = whole.estimator.predict_proba(X)
    assert np.array_equal(compact.estimator.predict_proba(X), expected)  # bit for bit, gate included
    assert np.array_equal(compact.estimator.classes_, whole.estimator.classes_)
    top = expected.max(axis=1)
    assert np.median(top[-10:]) < 0.5 < 0.9 < np.median(top[:-10])  # the gate's part shows: noise pulled to uniform
    assert (compact.convention, compact.metrics) == (whole.convention, whole.metrics)


def test_a_hog_svc_without_its_gate_has_a_compact_form_and_other_families_none():
    from ml.datasets.splits import load_embedded
    from ml.models.families import build_model
    digits = load_embedded()
    X, y = digits.X[:400], digits.y[:400]
    plain = build_model("hog_svc", {"C": 10.0, "gamma": 0.05, "reject_non_digits": "off", "seed": 0}).fit(X, y)
    arrays = compact_model.extract(plain)
    assert arrays is not None and "gate_sv" not in arrays
    form = compact_model.from_bytes(compact_model.to_bytes(arrays))
    assert np.array_equal(form.predict_proba(digits.X[400:500]), plain.predict_proba(digits.X[400:500]))
    knn = build_model("knn", {"n_neighbors": 3, "weights": "distance"}).fit(X, y)
    assert compact_model.extract(knn) is None


def test_a_fresh_process_predicts_without_importing_scikit_learn(seeded_store, tmp_path):
    X = _inputs(20)
    np.save(tmp_path / "inputs.npy", X)
    whole = artifacts.load(registry.active_id()).estimator.predict_proba(X)
    db.close()  # one process holds the store: the child opens it
    code = ("import sys, json, numpy as np; from ml.prediction.predictor import Predictor; "
            "p = Predictor('ana', source='cli'); "
            f"proba = p.model.estimator.predict_proba(np.load({str(tmp_path / 'inputs.npy')!r})); "
            "print(json.dumps({'sklearn': 'sklearn' in sys.modules, 'proba': proba.tolist()}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    found = json.loads(out)
    assert found["sklearn"] is False
    # another process may split the matrix products over other BLAS threads: the last bits can differ
    np.testing.assert_allclose(np.asarray(found["proba"]), whole, rtol=0, atol=1e-12)
    assert np.array_equal(np.argmax(found["proba"], axis=1), np.argmax(whole, axis=1))


def _replace(path: Path, payload: bytes) -> None:
    path.unlink()  # the store's files are hard links to the shared template's (tests/browser.py: copy_store)
    path.write_bytes(payload)


def test_a_changed_compact_form_is_not_used_the_whole_model_answers_and_the_form_is_written_again(seeded_store):
    model_id = registry.active_id()
    record = registry.get(model_id)
    path = artifacts.compact_file(record.artifact_path)
    good = path.read_bytes()
    arrays = dict(np.load(path))
    arrays["temperature"] = arrays["temperature"] * 50  # every confidence would change
    _replace(path, compact_model.to_bytes(arrays))
    artifacts.clear_cache()
    loaded = artifacts.load_for_prediction(model_id)
    assert not isinstance(loaded.estimator, CompactModel)  # the verified artifact, loaded whole
    assert path.read_bytes() == good  # written again from it
    artifacts.clear_cache()
    assert isinstance(artifacts.load_for_prediction(model_id).estimator, CompactModel)
    from data import audit
    [row] = audit.page(action="model_compact_form", limit=10).to_dict("records")
    assert row["outcome"] == "error" and row["target"] == f"model:{model_id}"
    assert "does not match its recorded sha256" in row["detail"] and "written again" in row["detail"]


def test_a_changed_artifact_is_refused_even_with_its_compact_form_intact(seeded_store):
    record = registry.get(registry.active_id())
    path = artifacts.artifact_file(record.artifact_path)
    _replace(path, path.read_bytes() + b"tampered")
    artifacts.clear_cache()
    with pytest.raises(artifacts.ArtifactError, match="does not match its recorded sha256"):
        artifacts.load_for_prediction(record.id)


def test_deleting_a_model_removes_its_compact_form(seeded_store):
    from ml.lab import lifecycle, training
    model_id = training.train_and_register(training.load_spec("digits"), "hog_svc",
                                           {"reject_non_digits": "off"}, trained_by="ana")
    path = artifacts.compact_file(registry.get(model_id).artifact_path)
    assert path.is_file() and isinstance(artifacts.load_for_prediction(model_id).estimator, CompactModel)
    lifecycle.delete(model_id, by="admin")
    assert not path.exists()


def test_two_sessions_writing_a_form_at_once_both_succeed_and_the_file_matches_its_sha256(seeded_store, monkeypatch):
    """Two sessions loading a model for the first time both write its form: one at a time (they shared
    one .part file, and the second's rename found it gone)."""
    import hashlib
    import os
    import threading
    import time
    model_id = registry.active_id()
    estimator = artifacts.load(model_id).estimator
    slow_fsync = os.fsync

    def fsync(fd: int) -> None:  # widen the window between writing the .part and renaming it
        time.sleep(0.3)
        slow_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    results: list[bool] = []

    def write() -> None:
        results.append(artifacts.write_compact(model_id, estimator))
    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert results == [True, True]
    path = artifacts.compact_file(registry.get(model_id).artifact_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == registry.get(model_id).compact_sha256


def test_concurrent_first_requests_load_the_model_once(seeded_store, monkeypatch):
    """Twenty requests reaching a fresh process at once: one reads and parses the model, the others wait
    for it (twenty parses at once cost twenty times the work and tripped CPython 3.11's parser)."""
    import threading
    model_id = registry.active_id()
    artifacts.clear_cache()
    parses: list[int] = []
    parse = compact_model.from_bytes

    def counted(payload):
        parses.append(1)
        return parse(payload)
    monkeypatch.setattr(compact_model, "from_bytes", counted)
    start = threading.Barrier(20)
    loaded: list = []

    def first_request() -> None:
        start.wait()
        loaded.append(artifacts.load_for_prediction(model_id))
    threads = [threading.Thread(target=first_request) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loaded) == 20 and len({id(m) for m in loaded}) == 1
    assert len(parses) == 1
