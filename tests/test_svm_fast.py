"""The fast RBF-SVC decision values equal scikit-learn's, so no answer or confidence changes."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from ml.models import svm_fast


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_one_vs_one_decision_values_equal_scikit_learns(digits):
    X, y = digits
    svc = SVC(C=10.0, gamma=0.05, decision_function_shape="ovo").fit(X[:900], y[:900])
    assert svm_fast.supports(svc)
    np.testing.assert_allclose(svm_fast.ovo_decision(svc, X[900:]), svc.decision_function(X[900:]), atol=1e-9)
    np.testing.assert_allclose(svm_fast.ovo_decision(svc, X[900:901]), svc.decision_function(X[900:901]), atol=1e-9)


def test_two_class_decision_values_equal_scikit_learns(digits):
    X, y = digits
    svc = SVC(C=10.0, gamma=0.05, class_weight="balanced").fit(X[:900], (y[:900] > 4).astype(int))
    np.testing.assert_allclose(svm_fast.binary_decision(svc, X[900:]), svc.decision_function(X[900:]), atol=1e-9)
    assert not svm_fast.supports(SVC(kernel="linear").fit(X[:100], y[:100] > 4))


def test_the_default_model_answers_as_with_scikit_learns_own_decision(template_store, monkeypatch):
    """The session's default (gated hog_svc): the same probabilities through either path."""
    import joblib

    from ml.datasets import handwriting
    from ml.recognition.canonical import canonical
    (artifact,) = (template_store / "models").glob("model-*.joblib")
    model = joblib.load(artifact)["estimator"]
    _, held = handwriting.mnist_split()
    inks, _ = handwriting.mnist_ink(held[::20])
    X = np.stack([canonical(ink).ravel() for ink in inks])
    fast = model.predict_proba(X)
    monkeypatch.setattr(svm_fast, "supports", lambda svc: False)
    np.testing.assert_allclose(fast, model.predict_proba(X), atol=1e-9)


def test_a_saved_model_carries_no_second_copy_of_its_support_vectors(digits):
    """The norms cache lives beside the model: a model saved after it has answered is no bigger than
    before (it once doubled the default model's support vectors in memory after every load)."""
    import pickle
    X, y = digits
    svc = SVC(C=10.0, gamma=0.05, decision_function_shape="ovo").fit(X[:900], y[:900])
    before = len(pickle.dumps(svc))
    svm_fast.ovo_decision(svc, X[900:])
    assert len(pickle.dumps(svc)) == before
    svc._digitlab_sv_norms = (svc.support_vectors_.copy(), np.zeros(len(svc.support_vectors_)))  # an older artifact's
    np.testing.assert_allclose(svm_fast.ovo_decision(svc, X[900:]), svc.decision_function(X[900:]), atol=1e-9)
    assert len(pickle.dumps(svc)) == before


def test_the_kernel_is_the_formulas_bits_computed_in_place(digits):
    """The in-place kernel gives exactly the values of the formula written out (each step a new array)."""
    X, y = digits
    svc = SVC(C=10.0, gamma=0.05, decision_function_shape="ovo").fit(X[:600], y[:600])
    sv = svc.support_vectors_
    Q = X[600:1100]
    expected = np.exp(-svc._gamma * np.maximum((Q * Q).sum(axis=1)[:, None] - 2.0 * (Q @ sv.T)
                                                + (sv * sv).sum(axis=1)[None, :], 0.0))
    assert np.array_equal(svm_fast._kernel(svc, Q), expected)
