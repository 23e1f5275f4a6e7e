"""Training-set augmentation: small rotations, shifts, scaling, shear, stroke thickness and elastic
distortion, applied in each dataset's own convention (never to the test split)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from ml.recognition.conventions import ImageConvention


@dataclass(frozen=True)
class Augmentation:
    copies: int = 0            # extra copies of every training image (the multiplier minus one)
    rotation: float = 10.0     # degrees, uniform in ±rotation
    shift: float = 0.08        # share of the side, ±
    scale: float = 0.1         # ±10 % size
    shear: float = 0.15        # ± shear factor
    thickness: float = 0.3     # probability of one step thicker or thinner
    elastic: float = 0.0       # strength of the elastic distortion (0 = off; ~1-2 for MNIST-sized images)
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _one(image: np.ndarray, aug: Augmentation, rng: np.random.Generator, top: float) -> np.ndarray:
    size = image.shape[0]
    angle = np.deg2rad(rng.uniform(-aug.rotation, aug.rotation))
    zoom = 1.0 + rng.uniform(-aug.scale, aug.scale)
    shear = rng.uniform(-aug.shear, aug.shear)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotate @ np.array([[1.0, shear], [0.0, 1.0]]) / zoom
    centre = (np.array(image.shape) - 1) / 2
    shift = rng.uniform(-aug.shift, aug.shift, size=2) * size
    offset = centre - matrix @ centre - shift
    out = ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="constant", cval=0.0)
    if aug.thickness and rng.random() < aug.thickness:
        op = ndimage.grey_dilation if rng.random() < 0.5 else ndimage.grey_erosion
        thinner_or_thicker = op(out, size=(2, 2))
        if thinner_or_thicker.sum() > 0.3 * out.sum():
            out = thinner_or_thicker
    if aug.elastic:
        sigma = max(size / 7.0, 1.0)
        dy = ndimage.gaussian_filter(rng.uniform(-1, 1, image.shape), sigma) * aug.elastic * size / 4
        dx = ndimage.gaussian_filter(rng.uniform(-1, 1, image.shape), sigma) * aug.elastic * size / 4
        yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        out = ndimage.map_coordinates(out, [yy + dy, xx + dx], order=1, mode="constant")
    return np.clip(out, 0.0, top)


def augment(X: np.ndarray, y: np.ndarray, conv: ImageConvention, aug: Augmentation) -> tuple[np.ndarray, np.ndarray]:
    """The originals plus `aug.copies` distorted copies of each, labels repeated."""
    if aug.copies <= 0:
        return X, y
    rng = np.random.default_rng(aug.seed)
    images = X.reshape(len(X), conv.size, conv.size)
    extra = [np.stack([_one(img, aug, rng, conv.max_value) for img in images]).reshape(len(X), -1)
             for _ in range(aug.copies)]
    return np.vstack([X, *extra]), np.concatenate([y] * (aug.copies + 1))
