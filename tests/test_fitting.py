"""Fit progress: forests, boosting and the MLP report each step, give the same model as a plain
fit, and a cancelled training job stops inside the fit and registers nothing."""
from __future__ import annotations

import time

import numpy as np
import pytest

from data import db
from data import jobs as job_rows
from ml.datasets.augment import Augmentation
from ml.datasets.splits import load_embedded, split
from ml.errors import RequestError
from ml.jobs import engine as jobs
from ml.lab import fitting
from ml.lab.requests import TrainRequest
from ml.models.families import build_model


@pytest.fixture(scope="module")
def digits():
    return load_embedded()


@pytest.mark.parametrize("family, params, unit", [
    ("random_forest", {"n_estimators": 40}, "trees"),
    ("hist_gb", {"max_iter": 20}, "boosting rounds"),
    ("xgboost", {"n_estimators": 15}, "boosting rounds"),
    ("mlp", {"max_iter": 20, "hidden_units": 32}, "epochs"),
])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_stepping_families_report_every_step_and_fit_the_same_model(digits, family, params, unit):
    X, y, X_new = digits.X[:600], digits.y[:600], digits.X[600:700]
    steps: list[tuple[int, int, str]] = []
    watched = fitting.fit(build_model(family, params), X, y, lambda *step: steps.append(step))
    total = next(iter(params.values()))
    assert len(steps) >= 5 and steps[-1] == (total, total, unit)
    assert [s[0] for s in steps] == sorted(s[0] for s in steps)  # the bar only moves forward
    plain = build_model(family, params).fit(X, y)
    assert np.allclose(watched.predict_proba(X_new), plain.predict_proba(X_new))


def test_one_call_families_fit_without_steps(digits):
    steps: list = []
    fitting.fit(build_model("knn"), digits.X[:300], digits.y[:300], lambda *step: steps.append(step))
    assert steps == []


def test_cancel_stops_a_training_job_inside_the_fit(empty_store):
    jobs.reset_runner()
    runner = jobs.runner()
    try:
        job_id = runner.submit(TrainRequest("random_forest", "digits", "system", params={"n_estimators": 1000}))
        deadline = time.monotonic() + 60
        while "trees" not in (job_rows.get(job_id).message or ""):  # the fit has started reporting trees
            assert time.monotonic() < deadline, job_rows.get(job_id)
            time.sleep(0.05)
        running = job_rows.get(job_id)
        assert running.stage == "fitting" and running.total == 1000 and 0 < running.done < 1000
        assert running.detail.endswith("of 1,000 trees")
        runner.cancel(job_id, by="system")
        done = runner.wait(job_id, timeout=60)
        assert done.status == "cancelled" and 0.1 < done.progress < 0.8
        assert db.one("SELECT count(*) FROM models")[0] == 0
    finally:
        jobs.reset_runner()


def test_fit_and_score_touches_no_database_and_no_file(digits, tmp_path, monkeypatch):
    """A tuning objective calls it thousands of times: nothing may be written or even opened."""
    def no_store(*args, **kwargs):
        raise AssertionError("fit_and_score opened the store")
    monkeypatch.setenv("DIGITLAB_DB", str(tmp_path / "never.duckdb"))
    monkeypatch.setenv("DIGITLAB_MODELS", str(tmp_path / "models"))
    db.close()
    monkeypatch.setattr(db, "connection", no_store)
    stages: list[str] = []
    result = fitting.fit_and_score(digits, "knn", {"n_neighbors": 4}, seed=3, val_size=0.1,
                                   augmentation=Augmentation(copies=1),
                                   progress=lambda stage, fraction, detail="", **steps: stages.append(stage))
    assert list(tmp_path.iterdir()) == []
    assert stages == ["splitting", "augmenting", "fitting", "evaluating"]
    parts = split(digits.X, digits.y, seed=3, test_size=0.2, val_size=0.1)
    assert result.split["n_test"] == len(parts["test"]) and result.split["n_fit"] == 2 * len(parts["train"])
    assert result.params["n_neighbors"] == 4 and result.params["weights"] == "distance"  # defaults fill the rest
    predicted = result.pipeline.predict(digits.X[parts["test"]])
    assert result.metrics["accuracy"] == pytest.approx((predicted == digits.y[parts["test"]]).mean())
    assert result.metrics["validation"]["n_test"] == len(parts["val"]) and result.fit_seconds > 0


def test_fit_and_score_refuses_an_unknown_family_in_a_sentence(digits):
    with pytest.raises(RequestError, match="Unknown model family 'forest'; choose one of svc"):
        fitting.fit_and_score(digits, "forest")


@pytest.mark.parametrize("labels", [[5, 5, 8, 8, 1, 5, 8], [3, 3, 5, 5, 8, 8], [1, 4, 2, 2, 3, 3, 9]])
@pytest.mark.parametrize("seed", [2, 3, 4, 6, 15])
def test_small_feedback_sets_train_and_score_whatever_the_seed(digits, labels, seed):
    """Early feedback: a digit seen once or twice. Every held-out digit is also trained on, so scoring
    never meets a digit the model does not know (it used to raise scikit-learn's "y_true contains
    values not belonging to the passed labels")."""
    from ml.datasets.splits import Dataset
    y = np.array(labels)
    data = Dataset("feedback", digits.X[:len(y)], y, digits.convention, "feedback")
    result = fitting.fit_and_score(data, "logreg", seed=seed, val_size=0.2 if len(y) > 6 else 0.0)
    parts = split(data.X, y, seed=seed, val_size=0.2 if len(y) > 6 else 0.0)
    assert parts["test"].size and set(y[parts["test"]]) <= set(y[parts["train"]])
    assert 0.0 <= result.metrics["accuracy"] <= 1.0
