"""Preprocessing: the round trip through a canvas-like image, real-looking inputs, and properties."""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from ml.datasets.generated.synthetic import pen_digit, pen_digit_on_paper, render_to_canvas
from ml.datasets.splits import load_embedded, split
from ml.errors import TooSmallError
from ml.inputs.images import ImageError, load_image
from ml.models.families import FAMILIES, build_model
from ml.recognition.conventions import DIGITS_8X8, MNIST_28X28, ImageConvention
from ml.recognition.preprocess import ink_map, is_blank, preprocess


@pytest.fixture(scope="module")
def trained():
    data = load_embedded()
    parts = split(data.X, data.y, seed=0)
    model = build_model("svc", FAMILIES["svc"].defaults_for("digits8")).fit(data.X[parts["train"]], data.y[parts["train"]])
    return data, parts, model


def _predict(model, images, conv=DIGITS_8X8) -> np.ndarray:
    return model.predict(np.array([preprocess(i, conv) for i in images]))


def test_round_trip_through_a_canvas_keeps_the_prediction(trained):
    data, parts, model = trained
    test = parts["test"]
    rng = np.random.default_rng(7)
    canvases = [render_to_canvas(data.X[i], DIGITS_8X8, rng=rng) for i in test]
    agree = float((_predict(model, canvases) == model.predict(data.X[test])).mean())
    print(f"round trip agreement: {agree:.3f} on {len(test)} test images")
    assert agree >= 0.97


def test_pen_drawn_digits_are_recognised(trained):
    """Digits drawn with round pens of many widths, slants and sizes, the way the canvas sends them."""
    _, _, model = trained
    rng = np.random.default_rng(11)
    images, labels = [], []
    for digit in range(10):
        for _ in range(12):
            images.append(pen_digit(digit, rng=rng, width=int(rng.integers(10, 36)),
                                    slant=rng.uniform(-0.2, 0.2), scale=rng.uniform(0.5, 0.9)))
            labels.append(digit)
    rate = float((_predict(model, images) == np.array(labels)).mean())
    print(f"pen-drawn digits recognised: {rate:.3f}")
    assert rate >= 0.85


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def test_every_way_a_scan_or_photo_arrives_reads_the_same_digit(trained):
    """Dark on light, light on dark, transparent with dark strokes, EXIF-rotated JPEG, tiny and huge."""
    _, _, model = trained
    paper = pen_digit_on_paper(4)                                    # dark ink on white, L
    dark = Image.eval(paper, lambda v: 255 - v)                      # light ink on black
    transparent = Image.new("RGBA", paper.size, (0, 0, 0, 0))        # black strokes, transparent sheet
    transparent.putalpha(Image.eval(paper, lambda v: 255 - v))
    rotated = paper.convert("RGB").rotate(90, expand=True)           # stored sideways, EXIF says rotate back
    exif = Image.Exif()
    exif[0x0112] = 8                                                 # orientation: rotate 90 CW to view
    tiny = paper.resize((20, 20), Image.Resampling.LANCZOS)
    huge = pen_digit_on_paper(4, size=2000, width=6)                 # thin biro on a large photo
    variants = {
        "dark on light": paper, "light on dark": dark, "transparent": load_image(_encode(transparent, "PNG")),
        "exif jpeg": load_image(_encode(rotated, "JPEG", exif=exif)), "tiny": tiny, "huge thin": huge,
        "16-bit tiff": load_image(_encode(paper.convert("I;16"), "TIFF")),
        "palette gif": load_image(_encode(paper.convert("P"), "GIF")),
        "webp": load_image(_encode(paper.convert("RGB"), "WEBP")),
        "cmyk jpeg": load_image(_encode(paper.convert("CMYK"), "JPEG")),
        "1-bit bmp": load_image(_encode(paper.convert("1"), "BMP")),
    }
    predictions = dict(zip(variants, _predict(model, variants.values())))
    assert predictions == {name: 4 for name in variants}


def test_mnist_convention_centres_by_mass_in_a_20_pixel_box():
    vec = preprocess(pen_digit(0), MNIST_28X28).reshape(28, 28)
    rows, cols = np.nonzero(vec > 0)
    assert vec.max() == pytest.approx(255, abs=1) and vec.min() >= 0
    assert rows.max() - rows.min() + 1 <= 22 and cols.max() - cols.min() + 1 <= 22
    cy, cx = np.average(np.indices(vec.shape), axis=(1, 2), weights=vec)
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1


def test_convention_round_trips_through_json():
    for conv in (DIGITS_8X8, MNIST_28X28):
        assert ImageConvention.from_dict(conv.to_dict()) == conv


def test_blank_canvases_ask_for_a_digit_and_a_dot_is_too_small_to_read():
    blank = np.zeros((280, 280, 4), dtype=np.uint8)
    blank[..., 3] = 255
    dot = blank.copy()
    dot[140:146, 140:146, :3] = 255
    for canvas, said in ((blank, "Draw a digit first"), (dot, "Too small to read"),
                         (np.zeros((280, 280, 4), dtype=np.uint8), "Draw a digit first")):
        assert is_blank(ink_map(canvas))
        with pytest.raises(ImageError, match=said) as caught:
            preprocess(canvas, DIGITS_8X8)
        assert isinstance(caught.value, TooSmallError) == (said == "Too small to read")


# ---- properties ------------------------------------------------------------------------------

strokes = st.lists(st.tuples(st.integers(20, 260), st.integers(20, 260)), min_size=2, max_size=6)


def _canvas_with(points, width: int, shift=(0, 0)) -> np.ndarray:
    from PIL import ImageDraw
    img = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(img).line([(x + shift[0], y + shift[1]) for x, y in points], fill=255, width=width)
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., :3] = np.asarray(img)[..., None]
    rgba[..., 3] = 255
    return rgba


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=strokes, width=st.integers(4, 40), conv=st.sampled_from([DIGITS_8X8, MNIST_28X28]))
def test_output_is_always_a_valid_model_input(points, width, conv):
    canvas = _canvas_with(points, width)
    try:
        vec = preprocess(canvas, conv)
    except ImageError:
        assert is_blank(ink_map(canvas))
        return
    assert vec.shape == (conv.size ** 2,) and vec.dtype == np.float64
    assert np.isfinite(vec).all() and vec.min() >= 0 and vec.max() <= conv.max_value + 1e-9 and vec.max() > 0


@settings(max_examples=40, deadline=None)
@given(points=st.lists(st.tuples(st.integers(60, 200), st.integers(60, 200)), min_size=2, max_size=5),
       dx=st.integers(-50, 50), dy=st.integers(-50, 50))
def test_moving_the_drawing_does_not_change_the_input(points, dx, dy):
    xs, ys = zip(*points)
    assume(max(max(xs) - min(xs), max(ys) - min(ys)) >= 40)  # a digit, not a dot
    first, moved = _canvas_with(points, 18), _canvas_with(points, 18, (dx, dy))
    if is_blank(ink_map(first)):
        return
    # The pen's anti-aliased edge can fall a hair differently once moved (0.04 of a count of 16 seen
    # for a long diagonal): the same input up to well under one count.
    assert np.allclose(preprocess(first, DIGITS_8X8), preprocess(moved, DIGITS_8X8), atol=0.1)


@settings(max_examples=40, deadline=None)
@given(points=strokes, width=st.integers(6, 30), background=st.integers(180, 255), ink=st.integers(0, 70))
def test_polarity_does_not_matter(points, width, background, ink):
    """The same drawing as dark-on-light paper and as light-on-dark gives the same input."""
    xs, ys = zip(*points)
    assume(max(max(xs) - min(xs), max(ys) - min(ys)) >= 40)  # a digit, not a dot
    mask = _canvas_with(points, width)[..., 0] > 127
    paper = np.where(mask, ink, background).astype(np.uint8)
    if is_blank(ink_map(paper)):
        return
    inverted = (255 - paper).astype(np.uint8)
    # 8-bit rounding differs by a hair between the two polarities: well under one count of 16.
    assert np.allclose(preprocess(paper, DIGITS_8X8), preprocess(inverted, DIGITS_8X8), atol=0.25)


_LIGHT = st.tuples(st.integers(150, 255), st.integers(175, 255), st.integers(0, 255))  # grey >= ~132 + 40
_DARK = st.tuples(st.integers(0, 255), st.integers(0, 70), st.integers(0, 255)).filter(
    lambda c: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 115)


@given(st.integers(0, 9), _LIGHT, _DARK, st.booleans())
def test_coloured_ink_on_coloured_paper_reads_as_its_float_copy(digit, light, dark, dark_paper):
    """The 8-bit colour fast path (Pillow's luminance, in C) gives the model the same input as the
    float path, whatever the ink and paper colours (readable ones: light on dark or dark on light)."""
    paper_rgb, ink_rgb = (dark, light) if dark_paper else (light, dark)
    paper, ink = np.array(paper_rgb, dtype=np.float32), np.array(ink_rgb, dtype=np.float32)
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    paper_grey, ink_grey = float(paper @ weights), float(ink @ weights)
    assume(abs(paper_grey - ink_grey) > 80 and (paper_grey - 127.5) * (ink_grey - 127.5) < 0)  # readable
    stroke = pen_digit(digit)[..., :1].astype(np.float32) / 255
    rgb = np.round(paper * (1 - stroke) + ink * stroke).astype(np.uint8)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, dtype=np.uint8)], axis=2)
    fast, as_float = preprocess(rgba, DIGITS_8X8), preprocess(rgba.astype(np.float32), DIGITS_8X8)
    assert np.abs(fast - as_float).max() <= 0.5  # of 16: the same digit to the model


def test_a_shadow_across_the_paper_is_not_ink_and_even_light_is_left_alone():
    from ml.datasets.generated.upload_styles import LIGHTING, STYLES, render
    from ml.datasets.handwriting import mnist_ink, mnist_split
    from ml.recognition.canonical import drop_specks
    from ml.recognition.preprocess import _gray_and_alpha, even_light
    inks, _ = mnist_ink(mnist_split()[1][:6])
    rng = np.random.default_rng(4)
    for k, ink in enumerate(inks):
        for style in LIGHTING:
            photo = load_image(render(ink, style, rng))
            clean = load_image(render(ink, "ink_png", np.random.default_rng(k)))
            found = drop_specks(ink_map(photo))  # the canonical form drops specks of amplified noise too
            rows, cols = np.nonzero(found > 0.15)
            # the ink is the digit: a box of about the digit's size (the photo places it on 45-65 % of the
            # side), not the shadow, which reaches the frame
            assert max(np.ptp(rows), np.ptp(cols)) < 0.7 * max(found.shape), style
            gray = _gray_and_alpha(clean)[0]
            assert even_light(gray) is gray  # evenly lit paper takes the path it always took
    for style in STYLES:
        gray = _gray_and_alpha(load_image(render(inks[0], style, rng)))[0]
        assert even_light(gray) is gray, style
    gray = _gray_and_alpha(pen_digit(3))[0]  # the canvas: white ink on black
    assert even_light(gray) is gray
