"""Histograms of oriented gradients of canonical digit images: numpy and scipy only.

The function behind `ml.models.hog.HOGFeatures`, apart from it so that code predicting with a compact model
(`ml.models.compact`) computes the same features without importing scikit-learn.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

_PI = np.float32(np.pi)


def _mod_pi(angle: np.ndarray) -> np.ndarray:
    """`np.mod(angle, np.pi)` of float32 angles from `np.arctan2` (in [-pi, pi]), bit for bit (checked
    on every float32 in that range): numpy's float remainder runs fmod element by element, a large share
    of a chunk's histograms."""
    out = angle.copy()
    out[angle < 0] += _PI
    out[angle == _PI] = 0.0
    out += np.float32(0.0)  # -0.0 becomes +0.0, as the remainder gives; every other value is unchanged
    return out


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
    position = (_mod_pi(np.arctan2(gy, gx)) / np.pi * bins).reshape(n, -1)
    floor = np.floor(position)
    low = floor.astype(np.int64)  # 0..bins: `% bins` wraps only the top, as these two lines do
    low[low == bins] = 0
    high = low + 1
    high[high == bins] = 0
    upper = position - floor
    cell_of = np.minimum(np.arange(side) * cells // side, cells - 1)
    cell = (cell_of[:, None] * cells + cell_of[None, :]).ravel()
    base = (np.arange(n, dtype=np.int64)[:, None] * cells * cells + cell[None, :]) * bins
    size = n * cells * cells * bins
    hist = (np.bincount((base + low).ravel(), (magnitude * (1 - upper)).ravel(), minlength=size)
            + np.bincount((base + high).ravel(), (magnitude * upper).ravel(), minlength=size))
    hist = hist.reshape(n, cells, cells, bins)
    blocks = np.concatenate([hist[:, :-1, :-1], hist[:, 1:, :-1], hist[:, :-1, 1:], hist[:, 1:, 1:]], axis=3)
    blocks = blocks / np.sqrt((blocks ** 2).sum(axis=3, keepdims=True) + 1e-3)
    return np.minimum(blocks, clip).reshape(n, -1).astype(np.float64, copy=False)
