"""Histograms of oriented gradients of canonical digit images, as a pipeline step.

Which way the strokes run, cell by cell, is steadier across writers than which pixels are inked:
a stroke one pixel to the left changes every pixel it covers but hardly any orientation histogram.
On the development sets (bench recognition section) an SVC on these features reads 1-4 points more
held-back MNIST writers than on the canonical pixels, with half the support vectors.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ml.models.histograms import hog


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
