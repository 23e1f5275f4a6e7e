"""Model families: each trains and predicts probabilities; the default reaches its target."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

from ml.datasets.splits import load_embedded, split
from ml.models.families import DEFAULT_FAMILY, FAMILIES, build_model
from ml.models.scaling import GlobalScaler

SMALL = {"random_forest": {"n_estimators": 30}, "hist_gb": {"max_iter": 20}, "xgboost": {"n_estimators": 20},
         "mlp": {"hidden_units": 32, "max_iter": 50}}


@pytest.fixture(scope="module")
def digits():
    return load_embedded()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_fits_and_gives_probabilities(family, digits):
    X, y = digits.X[:400], digits.y[:400]
    model = build_model(family, SMALL.get(family)).fit(X, y)
    proba = model.predict_proba(digits.X[400:450])
    assert proba.shape == (50, 10)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(digits.X[400:450]) == digits.y[400:450]).mean() > 0.6


def test_the_embedded_digits_svc_reaches_its_target_on_the_held_out_split(digits):
    """The interim model (and every model trained on the embedded digits with the SVC defaults)."""
    parts = split(digits.X, digits.y, seed=0)
    model = build_model("svc", FAMILIES["svc"].defaults_for("digits8")).fit(digits.X[parts["train"]],
                                                                          digits.y[parts["train"]])
    accuracy = (model.predict(digits.X[parts["test"]]) == digits.y[parts["test"]]).mean()
    assert accuracy >= 0.985


def test_the_default_family_takes_canonical_parameters_and_gives_a_not_sure_threshold(digits):
    from ml.lab.default_model import build_default
    from ml.models.gate import DigitGate
    # the default model reads the canonical form, where the family's parameters turn the non-digit gate on
    assert isinstance(build_default().steps[-1][1], DigitGate)
    assert not isinstance(build_model(DEFAULT_FAMILY, FAMILIES[DEFAULT_FAMILY].defaults_for("digits8")).steps[-1][1],
                          DigitGate)
    model = build_model(DEFAULT_FAMILY, FAMILIES[DEFAULT_FAMILY].defaults_for("digits8")).fit(digits.X, digits.y)
    calibrated = model.steps[-1][1]
    assert calibrated.temperature_ > 0
    assert 0.0 < calibrated.confidence_threshold_ < 1.0


@pytest.mark.parametrize("labels", [[3] * 29 + [5], [3, 5] * 15, [0, 1, 2, 3, 4] * 2])
def test_the_default_family_trains_on_small_feedback_like_sets(digits, labels):
    """Feedback can hold a handful of images, two digits, or one digit seen once."""
    y = np.array(labels)
    model = build_model(DEFAULT_FAMILY).fit(digits.X[:len(y)], y)
    proba = model.predict_proba(digits.X[:5])
    assert proba.shape == (5, len(set(labels))) and np.allclose(proba.sum(axis=1), 1.0)


def test_unknown_family_and_parameters_are_refused_clearly():
    with pytest.raises(ValueError, match="Unknown model family 'cnn'"):
        build_model("cnn")
    with pytest.raises(ValueError, match="has no parameter depth"):
        build_model("svc", {"depth": 3})
    with pytest.raises(ValueError, match="C must be between"):
        build_model("svc", {"C": -1})


def test_split_is_reproducible_and_stratified(digits):
    a, b = split(digits.X, digits.y, seed=3), split(digits.X, digits.y, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not set(a["train"]) & set(a["test"])
    counts = np.bincount(digits.y[a["test"]])
    assert counts.min() >= 34 and counts.max() <= 38


def test_global_scaler_passes_scikit_learn_estimator_checks():
    check_estimator(GlobalScaler())  # raises on the first failing check
