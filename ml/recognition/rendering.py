"""Model inputs of one image convention drawn again in another, so models trained on different data
can be scored on the very same images (Compare, `python -m ml evaluate --dataset`).

A model input is ink on a blank ground; read back as ink it goes through the same path an upload
does (ml.recognition.preprocess), so a model sees the images the way it would see them if a user gave them.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ml.errors import ImageError
from ml.recognition.conventions import ImageConvention


def same_form(a: ImageConvention, b: ImageConvention) -> bool:
    """True when inputs of `a` are inputs of `b` (deskewing is done inside a model's own pipeline)."""
    return replace(a, deskew=False) == replace(b, deskew=False)


def as_ink(vector: np.ndarray, conv: ImageConvention) -> np.ndarray:
    """A flat model input of `conv` as a (size, size) ink map in [0, 1]."""
    values = np.asarray(vector, dtype=np.float32).reshape(conv.size, conv.size) / conv.max_value
    return np.clip(values, 0.0, 1.0)


def render(X: np.ndarray, source: ImageConvention, target: ImageConvention) -> tuple[np.ndarray, np.ndarray]:
    """(inputs of `target`, which images could be drawn) for model inputs `X` of `source`. An image
    with too little ink to read in `target` (a speck once redrawn) is marked False and left as zeros."""
    if same_form(source, target):
        return np.asarray(X, dtype=np.float64), np.ones(len(X), dtype=bool)
    from ml.recognition.canonical import canonical_input  # the canonical form lives in its own module
    from ml.recognition.preprocess import is_blank, to_model_input
    out = np.zeros((len(X), target.size ** 2), dtype=np.float64)
    ok = np.zeros(len(X), dtype=bool)
    for i, vector in enumerate(X):
        ink = as_ink(vector, source)
        if is_blank(ink):
            continue
        try:
            out[i] = canonical_input(ink, target) if target.form == "canonical" else to_model_input(ink, target)
        except ImageError:
            continue
        ok[i] = True
    return out, ok
