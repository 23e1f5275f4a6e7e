"""Fit progress: forests, boosting and the MLP report each step, give the same model as a plain
fit, and a cancelled training job stops inside the fit and registers nothing."""
from __future__ import annotations

import time

import numpy as np
import pytest

from data import db, jobs as store
from ml import fitting, jobs, training  # noqa: F401 - training registers the "train" job
from ml.datasets import load_embedded
from ml.families import build_model


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
        job_id = runner.submit("train", {"family": "random_forest", "params": {"n_estimators": 1000},
                                         "dataset": "digits", "trained_by": "ana"}, created_by="ana")
        deadline = time.monotonic() + 60
        while "trees" not in (store.get(job_id).message or ""):  # the fit has started reporting trees
            assert time.monotonic() < deadline, store.get(job_id)
            time.sleep(0.05)
        runner.cancel(job_id, by="ana")
        done = runner.wait(job_id, timeout=60)
        assert done.status == "cancelled" and 0.1 < done.progress < 0.8
        assert db.one("SELECT count(*) FROM models")[0] == 0
    finally:
        jobs.reset_runner()
