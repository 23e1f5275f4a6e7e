"""The digit-or-not gate: scribbles and letters are answered "not sure", digits keep their answer."""
from __future__ import annotations

import numpy as np
import pytest

from ml.datasets import handwriting
from ml.datasets.nondigits import nondigit_inks
from ml.models.families import FAMILIES, build_model
from ml.models.gate import DigitGate
from ml.recognition.canonical import canonical


def test_nondigit_inks_are_the_same_for_a_seed_and_differ_between_seeds():
    a, b, c = nondigit_inks(12, seed=1), nondigit_inks(12, seed=1), nondigit_inks(12, seed=2)
    assert len(a) == 12 and all(ink.max() > 0.5 for ink in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.fixture(scope="module")
def gated(template_store):
    """The session's default model (the default recipe on its undistorted sources): gated, as every
    canonical hog_svc is by default."""
    import joblib
    (artifact,) = (template_store / "models").glob("model-*.joblib")
    return joblib.load(artifact)["estimator"]


def test_reject_non_digits_is_on_for_the_canonical_form_and_wraps_the_classifier():
    assert FAMILIES["hog_svc"].defaults_for("canon28")["reject_non_digits"] == "on"
    assert FAMILIES["hog_svc"].defaults_for("digits8")["reject_non_digits"] == "off"
    model = build_model("hog_svc", FAMILIES["hog_svc"].defaults_for("canon28"))
    assert isinstance(model.steps[-1][1], DigitGate)


def _forms(inks) -> np.ndarray:
    forms = []
    for ink in inks:
        try:
            forms.append(canonical(ink).ravel())
        except Exception:  # a dot-sized shape is refused before any model, which is right too
            continue
    return np.stack(forms)


def test_non_digits_fall_below_the_threshold_while_held_back_digits_keep_their_answers(gated):
    gate = gated.steps[-1][1]
    assert isinstance(gate, DigitGate)
    threshold = gate.confidence_threshold_
    assert threshold is not None and 0.1 < threshold < 1.0
    _, held = handwriting.mnist_split()
    inks, y = handwriting.mnist_ink(held[::5])
    digits = _forms(inks)
    others = _forms(nondigit_inks(80, seed=99))  # a seed the gate was not fitted on
    digit_conf, other_conf = gated.predict_proba(digits).max(axis=1), gated.predict_proba(others).max(axis=1)
    ungated = gate.estimator_.predict_proba(others).max(axis=1)  # the classifier alone
    assert np.mean(gated.predict(digits) == y) >= 0.9
    assert np.mean(digit_conf >= threshold) >= 0.8
    assert np.mean(other_conf >= threshold) <= 0.1  # measured: 0.21 for the classifier alone, 0.01 gated
    assert np.mean(ungated >= threshold) >= np.mean(other_conf >= threshold) + 0.05
    assert np.median(other_conf) < 0.5 < np.median(digit_conf)


def test_the_shared_hog_features_give_the_same_answers_as_each_model_on_its_own(gated):
    """The gate and the classifier read one HOG transform per image: the answers are as if each made its own."""
    gate = gated.steps[-1][1]
    assert gate._shares_features()
    _, held = handwriting.mnist_split()
    X = _forms(handwriting.mnist_ink(held[::25])[0])
    own = gate.digit_weight(X)[:, None] * gate.estimator_.predict_proba(X) + (1 - gate.digit_weight(X)[:, None]) / 10
    np.testing.assert_allclose(gated.predict_proba(X), own, atol=1e-12)
