"""Image grids and matrix shares for the model lab's charts: the array work stays in `ml`, the
dashboard only draws what it is handed."""
from __future__ import annotations

import numpy as np


def row_shares(matrix) -> np.ndarray:
    """Each row of a confusion matrix as shares of its total (a row of zeros stays zeros)."""
    counts = np.asarray(matrix, dtype=float)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def _tile(image: np.ndarray) -> np.ndarray:
    return np.pad(image / max(float(image.max()), 1e-9), 1)


def sample_grid(X: np.ndarray, y: np.ndarray, size: int, per_class: int, seed: int = 0) -> np.ndarray:
    """One row per digit, `per_class` random images of it (blank tiles where a digit has fewer)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(10):
        idx = np.flatnonzero(y == d)
        pick = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else []
        tiles = [X[i].reshape(size, size) for i in pick] + [np.zeros((size, size))] * (per_class - len(pick))
        rows.append(np.hstack([_tile(t) for t in tiles]))
    return np.vstack(rows)


def augmentation_grid(X_aug: np.ndarray, n_originals: int, size: int) -> tuple[np.ndarray, int]:
    """One row per original image: it, then its distorted copies (as `ml.datasets.augment` stacks them); and the copies."""
    stacked = np.asarray(X_aug, dtype=float).reshape(-1, n_originals, size, size)  # (1 + copies, n, size, size)
    rows = [np.hstack([_tile(t) for t in stacked[:, i]]) for i in range(n_originals)]
    return np.vstack(rows), len(stacked) - 1
