"""Histograms of oriented gradients of canonical digit images, as a pipeline step.

Which way the strokes run, cell by cell, is steadier across writers than which pixels are inked:
a stroke one pixel to the left changes every pixel it covers but hardly any orientation histogram.
On the development sets (bench recognition section) an SVC on these features reads 1-4 points more
held-back MNIST writers than on the canonical pixels, with half the support vectors.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def hog(images: np.ndarray, cells: int = 7, bins: int = 9, blur: float = 0.7, clip: float = 0.3) -> np.ndarray:
    """(N, side, side) images -> (N, (cells-1)**2 * 4 * bins) features: unsigned orientation histograms
    of `cells` x `cells` cells with linear bin interpolation, L2-normalised over 2x2-cell blocks and clipped."""
    imgs = np.asarray(images, dtype=np.float32)
    n, side, _ = imgs.shape
    if blur:
        imgs = ndimage.gaussian_filter(imgs, (0, blur, blur))
    gy = np.zeros_like(imgs)
    gx = np.zeros_like(imgs)
    gy[:, 1:-1] = imgs[:, 2:] - imgs[:, :-2]
    gx[:, :, 1:-1] = imgs[:, :, 2:] - imgs[:, :, :-2]
    magnitude = np.hypot(gx, gy).reshape(n, -1)
    position = (np.mod(np.arctan2(gy, gx), np.pi) / np.pi * bins).reshape(n, -1)
    low = np.floor(position).astype(np.int64) % bins
    upper = position - np.floor(position)
    cell_of = np.minimum(np.arange(side) * cells // side, cells - 1)
    cell = (cell_of[:, None] * cells + cell_of[None, :]).ravel()
    base = (np.arange(n, dtype=np.int64)[:, None] * cells * cells + cell[None, :]) * bins
    size = n * cells * cells * bins
    hist = (np.bincount((base + low).ravel(), (magnitude * (1 - upper)).ravel(), minlength=size)
            + np.bincount((base + (low + 1) % bins).ravel(), (magnitude * upper).ravel(), minlength=size))
    hist = hist.reshape(n, cells, cells, bins)
    blocks = np.concatenate([hist[:, :-1, :-1], hist[:, 1:, :-1], hist[:, :-1, 1:], hist[:, 1:, 1:]], axis=3)
    blocks = blocks / np.sqrt((blocks ** 2).sum(axis=3, keepdims=True) + 1e-3)
    return np.minimum(blocks, clip).reshape(n, -1).astype(np.float64)


class HOGFeatures(TransformerMixin, BaseEstimator):
    """Pipeline step: flat square images in, orientation histograms out (intensity scale does not matter)."""

    def __init__(self, cells: int = 7, bins: int = 9):
        self.cells = cells
        self.bins = bins

    def fit(self, X, y=None):
        X = validate_data(self, X, reset=True)
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(f"HOG features need square images; got {X.shape[1]} values per image.")
        self.side_ = side
        self.scale_ = float(np.max(np.abs(X))) or 1.0
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return hog(X.reshape(len(X), self.side_, self.side_) / self.scale_, self.cells, self.bins)
