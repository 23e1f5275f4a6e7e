"""The fast passes of the canonical form (bitboard thinning and pen, the row shear) give exactly the
pixels of the scipy passes they replaced.

Every model was trained on canonical forms made by scipy's correlation + look-up table and the exact
distance transform; the packed-integer versions are only faster, so the reference here is that code,
run on random blobs of every size and on the masks of real held-back MNIST digits."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from ml.datasets import handwriting
from ml.recognition import bitboard, canonical, raster


def _tables() -> tuple[np.ndarray, np.ndarray]:
    first = np.zeros(256, dtype=bool)
    second = np.zeros(256, dtype=bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]  # P2, P3, ..., P9
        b = sum(p)
        a = sum(1 for i in range(8) if p[i] == 0 and p[(i + 1) % 8] == 1)
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        if 2 <= b <= 6 and a == 1:
            first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
            second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


FIRST, SECOND = _tables()


def reference_thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen as scipy passes: the canonical form's thinning before ml.recognition.bitboard."""
    weights = np.array([[128, 1, 2], [64, 0, 4], [32, 16, 8]], dtype=np.uint8)
    skel = mask.astype(np.uint8)
    for _ in range(60):
        changed = False
        for table in (FIRST, SECOND):
            gone = table[ndimage.correlate(skel, weights, mode="constant", cval=0)] & skel.view(bool)
            if gone.any():
                skel[gone] = 0
                changed = True
        if not changed:
            break
    return skel.view(bool)


def reference_pen(skeleton: np.ndarray, radius: float) -> np.ndarray:
    return np.clip(radius + 0.5 - ndimage.distance_transform_edt(~skeleton), 0.0, 1.0).astype(np.float32)


def _padded(mask: np.ndarray, radius: float) -> np.ndarray:
    pad = int(np.ceil(radius)) + 2  # as canonical.redraw pads
    return np.pad(mask, pad)


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), blobs=st.floats(0.5, 0.995), grow=st.integers(0, 5),
       shape=st.tuples(st.integers(1, 90), st.integers(1, 90)), radius=st.sampled_from([0.4, 1.2, 2.6, 3.7]))
def test_thinning_and_pen_give_the_pixels_of_the_scipy_reference(seed, blobs, grow, shape, radius):
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) > blobs
    if grow:
        mask = ndimage.binary_dilation(mask, iterations=grow)
    skeleton = bitboard.thin(mask)
    assert np.array_equal(skeleton, reference_thin(mask))
    framed = bitboard.thin(_padded(mask, radius))
    if framed.any():
        assert np.array_equal(bitboard.pen(framed, radius), reference_pen(framed, radius))


@pytest.fixture(scope="module")
def real_masks() -> list[np.ndarray]:
    """The stroke masks the canonical form thins for 300 held-back MNIST digits (never trained on)."""
    _, held = handwriting.mnist_split()
    inks, _ = handwriting.mnist_ink(held[:300])
    masks = []
    for ink in inks:
        ink = canonical.drop_specks(np.asarray(ink, dtype=np.float32))
        rows, cols = canonical._bbox(ink, canonical.BBOX_LEVEL)
        crop = ink[rows, cols]
        scale = canonical.WORK / max(crop.shape)
        work = raster.resize(crop, round(crop.shape[1] * scale), round(crop.shape[0] * scale))
        work = canonical.deslant(canonical._pad(work / max(float(work.max()), 1e-6), 2))
        masks.append(canonical.local_contrast(work) > canonical.stroke_level(work))
    return masks


def test_real_digits_thin_and_redraw_to_the_reference_pixels(real_masks):
    assert len(real_masks) == 300
    for mask in real_masks:
        padded = _padded(mask, canonical.PEN_RADIUS)
        skeleton = canonical.thin(padded)
        assert skeleton.any() and skeleton.sum() < mask.sum()  # thinned, not emptied
        assert np.array_equal(skeleton, reference_thin(padded))
        assert np.array_equal(canonical.redraw(mask), reference_pen(skeleton, canonical.PEN_RADIUS))


def test_pack_and_unpack_round_trip():
    rng = np.random.default_rng(5)
    for shape in [(1, 1), (3, 7), (28, 28), (61, 97)]:
        mask = rng.random(shape) > 0.5
        assert np.array_equal(bitboard.unpack(bitboard.pack(mask), shape), mask)

@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(st.integers(1, 90), st.integers(1, 110)),
       alpha=st.floats(-0.8, 0.8), centre=st.floats(0, 1))
def test_the_row_shear_gives_the_values_of_scipys_affine_transform(seed, shape, alpha, centre):
    rng = np.random.default_rng(seed)
    work = np.where(rng.random(shape) < 0.5, 0, rng.random(shape)).astype(np.float32)
    offset = -alpha * centre * shape[0]
    expected = ndimage.affine_transform(work, np.array([[1.0, 0.0], [alpha, 1.0]]), offset=(0.0, offset),
                                        order=1, mode="constant", cval=0.0)
    assert np.array_equal(canonical.shear_rows(work, alpha, offset), expected)


def test_the_model_input_drops_specks_once_with_the_same_result():
    """canonical_input hands canonical the ink it has already cleaned of specks (for its dot check):
    the same form as canonical doing it itself, for clean ink, specked ink and low-resolution scans."""
    from ml.recognition.conventions import CANON_28
    inks, _ = handwriting.mnist_ink(np.arange(0, 400, 8))
    low, _ = handwriting.embedded_ink(np.arange(0, 200, 10))
    rng = np.random.default_rng(2)
    cases = []
    for ink in [*inks, *low]:
        specked = np.array(ink, dtype=np.float32)
        r, c = rng.integers(0, specked.shape[0]), rng.integers(0, specked.shape[1])
        specked[r, c] = 1.0  # a speck of dust, alone or on a stroke
        cases += [np.asarray(ink, dtype=np.float32), specked]
    assert len(cases) == 140
    for ink in cases:
        expected = canonical.canonical(ink, side=CANON_28.size, box=CANON_28.box) * CANON_28.max_value
        assert np.array_equal(canonical.canonical_input(ink, CANON_28), expected.astype(np.float64).ravel())
