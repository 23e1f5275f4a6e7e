"""How people upload a digit: the same ink rendered as the files real users send.

Development sets and tests pass source ink (any size, 1 = ink) through these renderings and then
through `ml.inputs.images.load_image`, exactly as an upload travels, so a figure measured on them says
how the model copes with paper grey, JPEG noise, tiny or huge images, thin biros, thick markers,
slant and digits stretched to fill their box.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from ml.recognition.canonical import thin

STYLES = ("ink_png", "white_on_black", "grey_jpeg", "small40", "big_scan_thin", "thick_marker", "stretched",
          "slanted")
# Phone photos of a sheet under uneven light: a shadow across part of it, dark corners, light falling off.
LIGHTING = ("shadow_band", "vignette", "gradient")


def _placed(ink: np.ndarray, side: int, fill: float, rng: np.random.Generator) -> np.ndarray:
    """The ink's bounding box scaled (aspect kept) to `fill` of a side x side sheet, a little off centre."""
    rows = np.flatnonzero((ink > 0.1).any(axis=1))
    cols = np.flatnonzero((ink > 0.1).any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = fill * side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    big = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.Resampling.BICUBIC),
                     dtype=np.float32) / 255.0
    sheet = np.zeros((side, side), dtype=np.float32)
    top = int(np.clip((side - nh) // 2 + rng.integers(-side // 20, side // 20 + 1), 0, side - nh))
    left = int(np.clip((side - nw) // 2 + rng.integers(-side // 20, side // 20 + 1), 0, side - nw))
    sheet[top:top + nh, left:left + nw] = np.clip(big, 0, 1)
    return sheet


def _stretched(ink: np.ndarray, side: int) -> np.ndarray:
    """The ink's bounding box stretched to fill the sheet's box both ways (aspect lost), as some collections do."""
    rows = np.flatnonzero((ink > 0.1).any(axis=1))
    cols = np.flatnonzero((ink > 0.1).any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    inner = int(side * 0.84)
    big = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((inner, inner), Image.Resampling.BICUBIC),
                     dtype=np.float32) / 255.0
    sheet = np.zeros((side, side), dtype=np.float32)
    m = (side - inner) // 2
    sheet[m:m + inner, m:m + inner] = np.clip(big, 0, 1)
    return sheet


def _pen(ink: np.ndarray, radius: float) -> np.ndarray:
    """The strokes redrawn with a round pen of `radius` pixels (a biro or a marker); thinned at
    most 150 px wide, since thinning costs a pass per pixel of stroke width."""
    factor = max(1, ink.shape[0] // 150)
    small = ink if factor == 1 else np.asarray(
        Image.fromarray(ink).reduce(factor), dtype=np.float32)
    skel = thin(small > 0.45)
    if factor > 1:
        skel = np.kron(skel, np.ones((factor, factor), dtype=bool))
        skel = thin(np.pad(skel, ((0, ink.shape[0] - skel.shape[0]), (0, ink.shape[1] - skel.shape[1]))))
    distance = ndimage.distance_transform_edt(~skel)
    return np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)


def _sheared(ink: np.ndarray, factor: float) -> np.ndarray:
    side = ink.shape[0]
    c = (side - 1) / 2
    return ndimage.affine_transform(ink, np.array([[1.0, 0.0], [factor, 1.0]]), offset=(0.0, -factor * c),
                                    order=1, mode="constant")


def _encode(picture: np.ndarray, fmt: str = "PNG", quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    image.save(buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def _on_paper(ink: np.ndarray, paper: float = 255.0, pen: float = 0.0) -> np.ndarray:
    return paper - ink * (paper - pen)


def _light(side: int, style: str, rng: np.random.Generator) -> np.ndarray:
    """How much light reaches each point of a side x side sheet (1 = full light)."""
    rows, cols = np.mgrid[0:side, 0:side].astype(np.float32) / (side - 1) - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    along = rows * np.sin(angle) + cols * np.cos(angle)  # -0.7 .. 0.7 across the sheet
    depth = rng.uniform(0.35, 0.6)
    if style == "shadow_band":  # a hand or a phone between the lamp and one side of the sheet, soft-edged
        edge = rng.uniform(0.05, 0.3)
        return 1.0 - depth / (1.0 + np.exp(-(along - edge) / rng.uniform(0.015, 0.04)))
    if style == "vignette":  # the lens darkens the corners
        return 1.0 - depth * np.clip((rows ** 2 + cols ** 2) / 0.5, 0.0, 1.0) ** rng.uniform(1.0, 1.6)
    return 1.0 - depth * (along / 1.42 + 0.5)  # light falling off across the sheet


def photographed(ink: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    """The ink written on paper and photographed under uneven light (see LIGHTING): a JPEG."""
    side = 320
    sheet = _placed(ink, side, rng.uniform(0.45, 0.65), rng)
    sheet = _pen(sheet, rng.uniform(2.0, 4.0)) if rng.random() < 0.5 else sheet
    picture = _on_paper(sheet, rng.uniform(205, 245), rng.uniform(25, 70)) * _light(side, style, rng)
    picture = ndimage.gaussian_filter(picture, rng.uniform(0.4, 1.0)) + rng.normal(0, rng.uniform(2, 5), picture.shape)
    return _encode(picture, "JPEG", int(rng.integers(70, 90)))


def render(ink: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    """The source ink (2-D, 1 = ink, any size) as an uploaded file in `style` (see STYLES)."""
    ink = np.clip(np.asarray(ink, dtype=np.float32), 0.0, 1.0)
    if style == "ink_png":
        return _encode(_on_paper(_placed(ink, 200, rng.uniform(0.55, 0.8), rng)))
    if style == "white_on_black":
        return _encode(_placed(ink, 200, rng.uniform(0.55, 0.8), rng) * 255)
    if style == "grey_jpeg":
        sheet = _placed(ink, 160, rng.uniform(0.55, 0.8), rng)
        paper, pen = rng.uniform(170, 225), rng.uniform(30, 90)
        picture = ndimage.gaussian_filter(_on_paper(sheet, paper, pen), rng.uniform(0.3, 1.0))
        picture += rng.normal(0, rng.uniform(4, 10), picture.shape)
        return _encode(picture, "JPEG", int(rng.integers(50, 70)))
    if style == "small40":
        return _encode(_on_paper(_placed(ink, 40, rng.uniform(0.6, 0.85), rng)))
    if style == "big_scan_thin":
        sheet = _pen(_placed(ink, 600, rng.uniform(0.5, 0.75), rng), rng.uniform(1.0, 2.5))
        picture = _on_paper(sheet, rng.uniform(235, 250), rng.uniform(20, 60)) + rng.normal(0, 3, sheet.shape)
        return _encode(picture)
    if style == "thick_marker":
        sheet = _placed(ink, 200, rng.uniform(0.55, 0.75), rng)
        return _encode(_on_paper(_pen(sheet, rng.uniform(8.0, 12.0))))
    if style == "stretched":
        return _encode(_on_paper(_stretched(ink, 128)))
    if style == "slanted":
        sheet = _placed(ink, 200, rng.uniform(0.5, 0.65), rng)
        return _encode(_on_paper(_sheared(sheet, rng.choice([-1, 1]) * rng.uniform(0.25, 0.45))))
    if style in LIGHTING:
        return photographed(ink, style, rng)
    raise ValueError(f"Unknown upload style {style!r}; choose one of {', '.join(STYLES + LIGHTING)}.")
