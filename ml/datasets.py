"""Datasets and reproducible splits."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ml.conventions import DIGITS_8X8, ImageConvention


@dataclass
class Dataset:
    name: str
    X: np.ndarray          # (n, size*size) float, in the convention's intensity scale
    y: np.ndarray          # (n,) int digits
    convention: ImageConvention
    source: str


def load_embedded() -> Dataset:
    """scikit-learn's bundled digits (1,797 8x8 images, 0..16): no network needed."""
    bunch = load_digits()
    return Dataset("digits", bunch.data.astype(np.float64), bunch.target.astype(np.int64), DIGITS_8X8, "embedded")


def split(X: np.ndarray, y: np.ndarray, *, seed: int = 0, test_size: float = 0.2,
          val_size: float = 0.0) -> dict[str, np.ndarray]:
    """Stratified index split, fully determined by (seed, sizes) so test metrics can be reproduced."""
    index = np.arange(len(y))
    stratify = y if np.bincount(y).min() >= 2 else None
    rest, test = train_test_split(index, test_size=test_size, random_state=seed, stratify=stratify)
    parts = {"test": np.sort(test)}
    if val_size > 0:
        rest_y = y[rest] if stratify is not None else None
        train, val = train_test_split(rest, test_size=val_size / (1 - test_size), random_state=seed, stratify=rest_y)
        parts["val"] = np.sort(val)
    else:
        train = rest
    parts["train"] = np.sort(train)
    return parts
