"""Recognition of unseen handwriting, and confidence measures that mean something."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ml.datasets.generated import devsets
from ml.datasets.handwriting import mnist_split
from ml.evaluation.confidence import confidence_auroc, coverage_at, expected_calibration_error, not_sure_threshold, risk_coverage
from ml.lab.fitting import confidence_threshold
from ml.recognition.conventions import CANON_28

RIGHT_WRONG = (np.array([0, 1, 2, 3]),  # true digits
               np.array([[0.9, 0.1, 0.0, 0.0],   # right at 0.9
                         [0.8, 0.2, 0.0, 0.0],   # wrong at 0.8
                         [0.0, 0.0, 0.7, 0.3],   # right at 0.7
                         [0.0, 0.0, 0.6, 0.4]]))  # wrong at 0.6


def test_calibration_error_by_hand():
    y = np.array([0, 1])
    proba = np.array([[0.8, 0.2], [0.6, 0.4]])  # right at 0.8, wrong at 0.6
    assert expected_calibration_error(y, proba) == pytest.approx(0.5 * 0.2 + 0.5 * 0.6)
    assert expected_calibration_error(np.array([0, 0]), np.array([[1.0, 0.0], [1.0, 0.0]])) == 0.0


def test_auroc_counts_right_answers_ranked_above_wrong_ones():
    y, proba = RIGHT_WRONG
    assert confidence_auroc(y, proba) == pytest.approx(3 / 4)  # 0.7 < 0.8 is the one pair out of order
    assert math.isnan(confidence_auroc(np.array([0, 2]), proba[[0, 2]]))  # nothing wrong to rank


def test_risk_coverage_by_hand():
    y, proba = RIGHT_WRONG
    curve = risk_coverage(y, proba)
    assert [p["coverage"] for p in curve] == [0.25, 0.5, 0.75, 1.0]
    assert [round(p["accuracy"], 3) for p in curve] == [1.0, 0.5, 0.667, 0.5]
    assert [p["threshold"] for p in curve] == [0.9, 0.8, 0.7, 0.6]
    assert coverage_at(proba, 0.75) == 0.5


def test_not_sure_threshold_by_hand():
    proba = lambda c: np.stack([c, 1 - c], axis=1)
    conf = np.array([0.6, 0.7, 0.8, 0.9])
    # right only from 0.8 up
    assert not_sure_threshold(np.array([1, 1, 0, 0]), proba(conf)) == pytest.approx(0.8)
    # 0.6 right, 0.7 wrong pool to 50 %; 0.8 and 0.9 right
    assert not_sure_threshold(np.array([0, 1, 0, 0]), proba(conf)) == pytest.approx(0.8)
    assert not_sure_threshold(np.array([0, 1, 0, 0]), proba(conf), target_accuracy=0.5) == pytest.approx(0.6)
    assert not_sure_threshold(np.array([1, 1, 1, 1]), proba(conf)) == 1.0  # never right: never sure
    assert not_sure_threshold(np.array([0, 0, 0, 0]), proba(conf)) == pytest.approx(0.6)  # always right


@pytest.fixture(scope="module")
def small_default(template_store):
    """The session's default model: the default recipe (canonical form, handwriting sources, hog_svc)
    on its undistorted sources (SPEC handwriting:quick, what the suite trains; `make bench` measures
    the full one). Its 80 % training split never holds a held-back MNIST digit."""
    import joblib
    (artifact,) = (template_store / "models").glob("model-*.joblib")
    return joblib.load(artifact)["estimator"]


def test_reads_unseen_writers_in_real_upload_styles(small_default):
    """100 held-back MNIST digits (other writers) as grey JPEGs, thick markers, thin-biro scans and slanted."""
    sets = devsets.mnist_holdout(per_class=10, styles=("grey_jpeg", "thick_marker", "big_scan_thin", "slanted"))
    threshold = confidence_threshold(small_default)
    for dev in sets:
        scored = devsets.score(small_default, CANON_28, dev, threshold)
        print(f"{dev.style}: {scored['accuracy']:.3f}, answered {scored['coverage']:.2f}")
        assert scored["accuracy"] >= 0.9, dev.style


def test_reads_digits_photographed_under_uneven_light(small_default):
    """Held-back MNIST digits on paper under a shadow band, dark corners or a light gradient: the
    shadow is not ink (ml.recognition.preprocess.even_light)."""
    threshold = confidence_threshold(small_default)
    for dev in devsets.uneven_light(per_class=10):
        scored = devsets.score(small_default, CANON_28, dev, threshold)
        print(f"{dev.style}: {scored['accuracy']:.3f}, answered {scored['coverage']:.2f}")
        assert scored["accuracy"] >= 0.9 and scored["coverage"] >= 0.85, dev.style


def test_scribbles_and_letters_are_mostly_not_sure(small_default):
    """A scribble on the canvas or an uploaded letter should not get a confident digit."""
    scored = devsets.score(small_default, CANON_28, devsets.not_digits(40, seed=5), confidence_threshold(small_default))
    assert scored["confident_share"] <= 0.25


def test_right_answers_are_more_confident_than_wrong_ones(small_default):
    dev = devsets.mnist_holdout(per_class=20, styles=("thick_marker",), seed=3)[0]
    X, ok = devsets.model_inputs(dev, CANON_28)
    proba = small_default.predict_proba(X[ok])
    assert confidence_auroc(dev.y[ok], proba) >= 0.85
    assert expected_calibration_error(dev.y[ok], proba) <= 0.06


def test_held_back_digits_are_never_trained_on():
    train, held = mnist_split()
    assert len(held) == 1000 and not set(train) & set(held)
    assert np.array_equal(mnist_split()[1], held)  # the same 1,000 every time


def test_a_calibrated_model_is_not_sure_below_its_target_accuracy():
    """Right with probability equal to the confidence: both fits put the line near 0.9."""
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 5000)
    right = rng.random(5000) < conf
    proba = np.stack([conf, 1 - conf], axis=1)
    y = np.where(right, 0, 1)
    assert not_sure_threshold(y, proba, method="logistic") == pytest.approx(0.9, abs=0.03)
    assert not_sure_threshold(y, proba) == pytest.approx(0.9, abs=0.05)


def test_handwriting_is_a_known_dataset_in_the_canonical_form():
    from ml.datasets.sources import convention_of
    assert convention_of("handwriting") == convention_of("handwriting:quick") == CANON_28
