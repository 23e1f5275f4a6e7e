"""The orientation histograms are exactly those every model was trained on: the fast remainder and
bin wrapping give the pixels' histograms bit for bit (the reference below is the first version)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from ml.datasets import handwriting
from ml.models.histograms import _mod_pi, hog
from ml.recognition.canonical import canonical


def reference_hog(images, cells=7, bins=9, blur=0.7, clip=0.3):
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


def test_the_remainder_is_numpys_at_the_edges_and_on_a_million_angles():
    """(Every float32 in [-pi, pi] was checked once, 2.1 billion values, 47 s: too slow for the suite.)"""
    pi = np.float32(np.pi)
    edges = np.array([0.0, -0.0, pi, -pi, np.nextafter(pi, 0), -np.nextafter(pi, 0), np.float32(1e-10),
                      np.float32(-1e-10), np.float32(-1e-30), np.float32(1.5e-45), np.float32(-1.5e-45)],
                     dtype=np.float32)
    rng = np.random.default_rng(3)
    angles = np.concatenate([edges, np.arctan2(rng.normal(size=10**6), rng.normal(size=10**6)).astype(np.float32)])
    assert np.array_equal(_mod_pi(angles).view(np.uint32), np.mod(angles, np.pi).view(np.uint32))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), side=st.sampled_from([8, 16, 28]),
       empty=st.floats(0.0, 0.95), blur=st.sampled_from([0.0, 0.7]))
def test_histograms_are_the_first_versions(seed, n, side, empty, blur):
    rng = np.random.default_rng(seed)
    images = np.where(rng.random((n, side, side)) < empty, 0.0, rng.random((n, side, side)))
    assert np.array_equal(hog(images, blur=blur), reference_hog(images, blur=blur))


def test_real_digits_have_the_first_versions_histograms():
    inks, _ = handwriting.mnist_ink(np.arange(0, 1000, 5))
    images = np.stack([canonical(ink) for ink in inks])
    assert images.shape == (200, 28, 28)
    assert np.array_equal(hog(images), reference_hog(images))
