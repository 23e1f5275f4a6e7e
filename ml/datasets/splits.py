"""Datasets and reproducible splits."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ml.recognition.conventions import DIGITS_8X8, ImageConvention


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
    """Stratified index split, fully determined by (seed, sizes) so test metrics can be reproduced.

    Every digit that is held out is also trained on: a model scored on a digit it never saw fails its
    metrics (scikit-learn: "y_true contains values not belonging to the passed labels"), which small
    feedback sets used to hit. Stratified on the digits present when each has two examples and the
    shares are big enough to hold one of each; otherwise random, then any held-out example of a digit
    the training share lacks is moved into it."""
    index = np.arange(len(y))
    classes = np.unique(y, return_counts=True)[1]

    def stratify_on(part: np.ndarray, share: float) -> np.ndarray | None:
        counts = np.unique(y[part], return_counts=True)[1]
        held = int(np.ceil(share * len(part)))
        fits = counts.min() >= 2 and held >= counts.size and len(part) - held >= counts.size
        return y[part] if fits else None

    stratify = stratify_on(index, test_size) if classes.min() >= 2 else None
    rest, test = train_test_split(index, test_size=test_size, random_state=seed, stratify=stratify)
    parts = {"test": test}
    if val_size > 0:
        share = val_size / (1 - test_size)
        rest_y = stratify_on(rest, share) if stratify is not None else None
        train, val = train_test_split(rest, test_size=share, random_state=seed, stratify=rest_y)
        parts["val"] = val
    else:
        train = rest
    for name in ("test", "val"):
        if name in parts:
            unseen = ~np.isin(y[parts[name]], y[train])
            train = np.concatenate([train, parts[name][unseen]])
            parts[name] = parts[name][~unseen]
    if not parts["test"].size:  # it held only unseen digits: a validation image, or one of the commonest digit
        if parts.get("val") is not None and parts["val"].size > 1:
            parts["test"], parts["val"] = parts["val"][:1], parts["val"][1:]
        else:
            digits, counts = np.unique(y[train], return_counts=True)
            if counts.max() >= 2:
                pick = train[np.flatnonzero(y[train] == digits[np.argmax(counts)])[-1]]
                parts["test"], train = np.array([pick]), train[train != pick]
    parts = {name: np.sort(part) for name, part in parts.items()}
    parts["train"] = np.sort(train)
    return parts


def as_picture(vector: np.ndarray) -> np.ndarray:
    """A flat model input as a square 8-bit picture (ink dark on white) for galleries."""
    side = int(round(len(vector) ** 0.5))
    top = float(np.max(vector)) or 1.0
    return (255 - np.asarray(vector, dtype=float).reshape(side, side) / top * 255).astype(np.uint8)


def class_counts(y: np.ndarray) -> list[int]:
    return np.bincount(np.asarray(y, dtype=int), minlength=10).tolist()


def one_per_class(y: np.ndarray, seed: int = 0) -> np.ndarray:
    """One random index of every digit present (the augmentation preview)."""
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(np.flatnonzero(y == d)) for d in range(10) if (y == d).any()])
