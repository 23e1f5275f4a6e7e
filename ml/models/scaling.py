"""A global intensity scaler: pixels share one scale, so per-feature scaling would only
amplify the noise of rarely inked border pixels."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class GlobalScaler(TransformerMixin, BaseEstimator):
    """Divide every feature by the largest absolute value seen in fit (0..16 or 0..255 -> 0..1)."""

    def fit(self, X, y=None):
        X = validate_data(self, X, reset=True)
        top = float(np.max(np.abs(X))) if X.size else 1.0
        self.scale_ = top if top > 0 else 1.0
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X / self.scale_
