"""ml.recognition.raster gives exactly what the library calls it replaced give: the models were trained on the
pixels those calls made, so "faster" may not move a single bit. References are the calls themselves,
on random inputs of every size and on real held-back MNIST digits."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage

from ml.datasets import handwriting
from ml.recognition import canonical, raster

CROSS = ndimage.generate_binary_structure(2, 1)


def reference_resize(values: np.ndarray, width: int, height: int) -> np.ndarray:
    image = Image.fromarray(values.astype(np.float32))
    resample = Image.Resampling.BOX if width <= values.shape[1] else Image.Resampling.BILINEAR
    return np.array(image.resize((max(1, width), max(1, height)), resample=resample), dtype=np.float32)


def reference_slant(work: np.ndarray) -> float:
    """canonical.slant as it was written first, on full coordinate grids."""
    total = float(work.sum())
    if total <= 0:
        return 0.0
    rows, cols = np.indices(work.shape, dtype=np.float64)
    cy, cx = (work * rows).sum() / total, (work * cols).sum() / total
    var_y = (work * (rows - cy) ** 2).sum() / total
    cov = (work * (rows - cy) * (cols - cx)).sum() / total
    return float(np.clip(cov / var_y, -canonical.MAX_SLANT, canonical.MAX_SLANT)) if var_y > 1e-9 else 0.0


def _image(seed: int, shape: tuple[int, int], empty: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(shape) < empty, 0, rng.random(shape)).astype(np.float32)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(st.integers(1, 80), st.integers(1, 80)),
       size=st.tuples(st.integers(1, 120), st.integers(1, 120)), view=st.booleans())
def test_resize_gives_pillows_pixels(seed, shape, size, view):
    values = _image(seed, shape, 0.4)
    if view and min(shape) > 2:  # a crop: a view that is not contiguous
        values = values[1:, 1:-1]
    out = raster.resize(values, *size)
    assert out.flags.writeable and out.dtype == np.float32
    assert np.array_equal(out, reference_resize(values, *size))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(st.integers(1, 70), st.integers(1, 70)),
       blobs=st.floats(0.3, 0.99), grow=st.integers(0, 3))
def test_boundary_and_thickness_count_what_binary_erosion_leaves(seed, shape, blobs, grow):
    mask = np.random.default_rng(seed).random(shape) > blobs
    if grow:
        mask = ndimage.binary_dilation(mask, iterations=grow)
    boundary = int((mask & ~ndimage.binary_erosion(mask, CROSS)).sum())
    assert raster.boundary_pixels(mask) == boundary
    assert raster.stroke_thickness(mask) == 2.0 * mask.sum() / max(boundary, 1)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(st.integers(1, 60), st.integers(1, 60)),
       empty=st.floats(0.0, 0.95))
def test_mass_centre_and_slant_are_scipys_and_the_first_slants(seed, shape, empty):
    values = _image(seed, shape, empty)
    if values.sum() > 0:
        assert raster.mass_centre(values) == tuple(ndimage.center_of_mass(values))
    assert canonical.slant(values) == reference_slant(values)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), grey_levels=st.booleans())
def test_median_is_numpys(seed, n, grey_levels):
    rng = np.random.default_rng(seed)
    values = (rng.integers(0, 256, n) / 255.0 if grey_levels else rng.random(n)).astype(np.float32)
    assert raster.median(values) == float(np.median(values))


@pytest.mark.parametrize("index", [np.arange(0, 600, 6)])
def test_real_digits_measure_the_same(index):
    """Held-back MNIST digits (never trained on), at the sizes the canonical form works at."""
    inks, _ = handwriting.mnist_ink(index)
    assert len(inks) == 100
    for ink in inks:
        ink = np.asarray(ink, dtype=np.float32)
        big = reference_resize(ink, 56, 56)
        assert np.array_equal(raster.resize(ink, 56, 56), big)
        for level in (0.15, 0.3, 0.5):
            mask = big > level
            assert raster.boundary_pixels(mask) == int((mask & ~ndimage.binary_erosion(mask, CROSS)).sum())
        assert raster.mass_centre(big) == tuple(ndimage.center_of_mass(big))
        assert canonical.slant(big) == reference_slant(big)
        border = np.concatenate([big[:2].ravel(), big[-2:].ravel(), big[:, :2].ravel(), big[:, -2:].ravel()])
        assert raster.median(border) == float(np.median(border))
