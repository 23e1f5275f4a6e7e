"""Deskewing: undo the slant of handwriting before the model sees it.

Writers slant their digits by different amounts; a slanted 1 and an upright 1 are far apart
in pixel space, which costs a pixel-distance model (SVC, k-NN) more than any parameter does.
The shear that makes the ink's second moments uncorrelated (cov(x, y) = 0) is removed, and the
centre of mass moved to the middle. Done inside the model pipeline, so training images and
every later input get the same treatment and the step travels with the artifact.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

_CHUNK = 4096  # images per map_coordinates call: bounds the coordinate arrays to ~80 MB


def skew(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre row, centre column, slant cov(x,y)/var(y)) of each (N, side, side) image's ink."""
    n, side, _ = images.shape
    ink = np.clip(images, 0, None).reshape(n, -1).astype(np.float64)
    total = ink.sum(axis=1)
    empty = total <= 0
    total[empty] = 1.0
    rows, cols = np.divmod(np.arange(side * side), side)
    cy = ink @ rows / total
    cx = ink @ cols / total
    dy = rows[None, :] - cy[:, None]
    dx = cols[None, :] - cx[:, None]
    var_y = (ink * dy * dy).sum(axis=1) / total
    cov = (ink * dy * dx).sum(axis=1) / total
    alpha = np.where(var_y > 1e-9, cov / np.where(var_y > 1e-9, var_y, 1.0), 0.0)
    centre = (side - 1) / 2
    cy[empty], cx[empty], alpha[empty] = centre, centre, 0.0
    return cy, cx, alpha


def deskew(images: np.ndarray) -> np.ndarray:
    """Deskewed copies of (N, side, side) images, same dtype range, vectorised in chunks."""
    images = np.asarray(images, dtype=np.float32)
    n, side, _ = images.shape
    out = np.empty_like(images)
    centre = (side - 1) / 2
    grid_y, grid_x = np.mgrid[0:side, 0:side].astype(np.float32)
    for start in range(0, n, _CHUNK):
        block = images[start:start + _CHUNK]
        cy, cx, alpha = (v.astype(np.float32)[:, None, None] for v in skew(block))
        # output (y, x) samples the input at (y - c + cy, x - c + cx + alpha * (y - c))
        coords = np.empty((3, len(block), side, side), dtype=np.float32)
        coords[0] = np.arange(len(block), dtype=np.float32)[:, None, None]
        coords[1] = grid_y[None] - centre + cy
        coords[2] = grid_x[None] - centre + cx + alpha * (grid_y[None] - centre)
        out[start:start + len(block)] = ndimage.map_coordinates(block, coords, order=1, mode="constant", cval=0.0)
    return out


class Deskew(TransformerMixin, BaseEstimator):
    """Pipeline step: flat square images in, deskewed flat images out (same intensity scale)."""

    def fit(self, X, y=None):
        X = validate_data(self, X, reset=True)
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(f"Deskew needs square images; got {X.shape[1]} features per image.")
        self.side_ = side
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return deskew(X.reshape(len(X), self.side_, self.side_)).reshape(len(X), -1)
