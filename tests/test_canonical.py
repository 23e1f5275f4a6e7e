"""The canonical form: the same digit however it was written or uploaded lands in the same place."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ml.datasets import handwriting
from ml.datasets.generated.synthetic import pen_digit
from ml.datasets.generated.upload_styles import STYLES, render
from ml.errors import BlankImageError
from ml.inputs.images import load_image
from ml.recognition.canonical import canonical, deslant, slant, thin
from ml.recognition.conventions import CANON_28, DIGITS_8X8, MNIST_28X28
from ml.recognition.preprocess import preprocess


@pytest.fixture(scope="module")
def held_out():
    """Two held-back MNIST digits of each class (never trained on)."""
    _, held = handwriting.mnist_split()
    inks, y = handwriting.mnist_ink(held)
    pick = np.concatenate([np.flatnonzero(y == d)[:2] for d in range(10)])
    return inks[pick], y[pick]


def _canon(data: bytes) -> np.ndarray:
    return preprocess(load_image(data), CANON_28)


def test_every_upload_style_of_a_digit_is_nearest_to_that_digit_on_plain_paper(held_out):
    """Thick marker, thin biro on a big scan, grey JPEG, white on black, 40 px, slanted, stretched:
    each lands closer to the plain scan of the same written digit than to any other digit's."""
    inks, _ = held_out
    rng = np.random.default_rng(3)
    plain = np.array([_canon(render(ink, "ink_png", rng)) for ink in inks])
    hits, total = 0, 0
    for style in STYLES:
        for i, ink in enumerate(inks):
            vector = _canon(render(ink, style, rng))
            hits += int(np.argmin(np.linalg.norm(plain - vector, axis=1)) == i)
            total += 1
    assert hits / total >= 0.8, f"{hits} of {total} styled digits nearest to their own plain scan"


def test_inverted_and_plain_uploads_of_one_digit_are_almost_identical(held_out):
    inks, _ = held_out
    for ink in inks[:5]:
        a = _canon(render(ink, "ink_png", np.random.default_rng(1)))
        b = _canon(render(ink, "white_on_black", np.random.default_rng(1)))
        assert np.linalg.norm(a - b) < 0.1 * np.linalg.norm(a)


def test_thin_and_thick_pens_give_the_same_stroke_width():
    thin_pen = preprocess(pen_digit(8, width=8, rng=np.random.default_rng(0)), CANON_28)
    thick_pen = preprocess(pen_digit(8, width=40, rng=np.random.default_rng(0)), CANON_28)
    assert 0.8 < thin_pen.sum() / thick_pen.sum() < 1.25  # the ink of one pen width, whatever pen drew it


def test_thinning_keeps_loops_and_reduces_bars_to_one_pixel():
    bar = np.zeros((40, 40), dtype=bool)
    bar[5:35, 15:25] = True
    skeleton = thin(bar)
    assert skeleton.any() and skeleton.sum(axis=1).max() <= 2
    ring = Image.new("L", (60, 60), 0)
    ImageDraw.Draw(ring).ellipse((10, 10, 50, 50), outline=255, width=8)
    skeleton = thin(np.asarray(ring) > 127)
    from scipy import ndimage
    _, regions = ndimage.label(~skeleton)
    assert regions == 2  # the hole of the ring survives: a 0 stays a 0


@pytest.mark.parametrize("shear", [-0.4, 0.3])
def test_a_slanted_stroke_is_stood_upright(shear):
    img = np.zeros((60, 60), dtype=np.float32)
    img[10:50, 28:32] = 1.0
    sheared = np.zeros_like(img)
    for row in range(60):
        sheared[row] = np.roll(img[row], int(round(shear * (row - 30))))
    assert abs(slant(sheared)) > 0.2
    assert abs(slant(deslant(sheared))) < 0.05


def test_blank_pages_and_dots_are_not_read_as_digits():
    blank = np.zeros((280, 280, 4), dtype=np.uint8)
    blank[..., 3] = 255
    with pytest.raises(BlankImageError):
        preprocess(blank, CANON_28)
    dot = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(dot).ellipse((130, 130, 152, 152), fill=255)
    with pytest.raises(BlankImageError, match="dot"):
        preprocess(np.asarray(dot), CANON_28)
    with pytest.raises(BlankImageError):
        canonical(np.zeros((20, 20)))


def test_the_older_conventions_are_untouched():
    """Models in registries keep their digits8 / mnist28 inputs."""
    canvas = pen_digit(3, rng=np.random.default_rng(0))
    assert preprocess(canvas, DIGITS_8X8).shape == (64,) and preprocess(canvas, DIGITS_8X8).max() <= 16
    assert preprocess(canvas, MNIST_28X28).shape == (784,) and preprocess(canvas, MNIST_28X28).max() > 1
    vector = preprocess(canvas, CANON_28)
    assert vector.shape == (784,) and 0.9 < vector.max() <= 1.0


def test_an_uploaded_8x8_digit_reads_like_the_embedded_digits_of_its_class():
    """Low-resolution uploads (8x8, like the embedded digits) keep their stroke mask instead of being
    thinned: nearest class centroid on the canonical form reads most of the held-out split right."""
    split = handwriting.embedded_split()
    train, y_train = handwriting.embedded_small(split["train"][:600])
    test, y_test = handwriting.embedded_small(split["test"][:200])
    forms = np.stack([canonical(ink).ravel() for ink in train])
    centroids = np.stack([forms[y_train == d].mean(axis=0) for d in range(10)])
    guesses = [int(np.argmin(((centroids - canonical(ink).ravel()) ** 2).sum(axis=1))) for ink in test]
    assert np.mean(np.array(guesses) == y_test) >= 0.85


def test_a_low_resolution_digit_keeps_its_stroke_instead_of_a_one_pixel_skeleton():
    """An 8x8 blob of a 0 stays a filled ring: thinning it first would turn most of it into one pen line."""
    zero = np.zeros((8, 8), dtype=np.float32)
    zero[1:7, 2:6] = 1.0
    zero[3:5, 3:5] = 0.0
    form = canonical(zero)
    assert form.shape == (28, 28)
    assert form[14, 14] < 0.2  # the hole stays open
    assert (form > 0.5).sum() > 150  # a thick ring, not a thin pen line (a redrawn skeleton is ~100 pixels)
