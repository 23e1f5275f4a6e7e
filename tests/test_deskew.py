"""Deskewing: slanted handwriting is straightened inside the model, so a model trained on upright
digits still reads slanted ones, and the choice is recorded with the model."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data import registry
from ml.datasets.generated.synthetic import pen_digit
from ml.datasets.splits import Dataset
from ml.lab.training import train_and_register
from ml.models.deskew import Deskew, deskew, skew
from ml.models.families import build_model
from ml.recognition.conventions import MNIST_28X28
from ml.recognition.preprocess import preprocess


def _bar(slant: float, side: int = 28) -> np.ndarray:
    """An upright bar 4 px wide and 18 px tall, sheared by `slant` columns per row."""
    img = np.zeros((side, side), dtype=np.float32)
    for row in range(5, 23):
        centre = 14 + slant * (row - 14)
        img[row, :] = np.clip(2.5 - np.abs(np.arange(side) - centre), 0, 1) * 255
    return img


@given(st.floats(-0.6, 0.6))
def test_a_sheared_bar_comes_out_upright_with_its_ink(slant):
    image = _bar(slant)[None]
    assert abs(skew(image)[2][0] - slant) < 0.05  # the measured slant is the one applied
    straight = deskew(image)
    assert abs(skew(straight)[2][0]) < 0.03
    assert straight.sum() == pytest.approx(image.sum(), rel=0.05)


def test_blank_images_stay_blank_and_odd_shapes_are_refused():
    assert not deskew(np.zeros((3, 28, 28))).any()
    with pytest.raises(ValueError, match="square"):
        Deskew().fit(np.zeros((2, 30)))


def _pen_digits(per_digit: int, slants: list[float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(per_digit):
        for digit in range(10):
            slant = float(rng.choice(slants)) * rng.uniform(0.8, 1.2)
            canvas = pen_digit(digit, rng=rng, jitter=0.03, slant=slant, size=140, width=10)
            X.append(preprocess(canvas, MNIST_28X28))
            y.append(digit)
    return np.array(X), np.array(y)


def test_a_model_trained_on_upright_digits_reads_slanted_ones_only_when_deskewing():
    X_train, y_train = _pen_digits(20, [-0.05, 0.0, 0.05], seed=0)
    X_test, y_test = _pen_digits(10, [-0.5, 0.5], seed=1)
    plain = build_model("knn").fit(X_train, y_train).score(X_test, y_test)
    straightened = build_model("knn", deskew=True).fit(X_train, y_train).score(X_test, y_test)
    assert straightened >= 0.95
    assert straightened - plain >= 0.1


def test_mnist_format_training_deskews_and_takes_the_mnist_defaults(empty_store):
    X, y = _pen_digits(8, [-0.3, 0.0, 0.3], seed=2)
    data = Dataset("idx:pen", X, y, MNIST_28X28, "idx")
    default = registry.get(train_and_register(data, "svc", trained_by="system"))
    assert default.convention["deskew"] is True and default.params["gamma"] == 0.03
    off = registry.get(train_and_register(data, "svc", {"gamma": 0.05}, trained_by="system", deskew=False))
    assert off.convention["deskew"] is False and off.params["gamma"] == 0.05
