"""Realistic synthetic inputs for tests and benchmarks: no network, no shipped files."""
from __future__ import annotations

import glob
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ml.recognition.conventions import ImageConvention


def render_to_canvas(sample: np.ndarray, conv: ImageConvention, size: int = 280,
                     rng: np.random.Generator | None = None) -> np.ndarray:
    """A dataset sample drawn as the canvas would send it: white ink on black, RGBA, size x size,
    at a random scale and offset so it is not a pixel-exact copy."""
    rng = rng or np.random.default_rng(0)
    img = np.asarray(sample, dtype=np.float32).reshape(conv.size, conv.size) / conv.max_value
    side = int(size * rng.uniform(0.55, 0.8))
    big = Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC)
    canvas = np.zeros((size, size), dtype=np.uint8)
    top, left = rng.integers(0, size - side + 1, size=2)
    canvas[top:top + side, left:left + side] = np.asarray(big)
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = canvas[..., None]
    rgba[..., 3] = 255
    return rgba


@lru_cache(maxsize=1)
def font_paths() -> tuple[str, ...]:
    """TrueType fonts on this machine (DejaVu/Liberation come with Debian's chromium)."""
    found = sorted(glob.glob("/usr/share/fonts/truetype/**/*.ttf", recursive=True))
    keep = [p for p in found if "Mono" not in p and "Symbol" not in p]
    return tuple(keep)


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    if path:
        return ImageFont.truetype(path, size)
    paths = font_paths()
    return ImageFont.truetype(paths[0], size) if paths else ImageFont.load_default(size=size)


def font_digit(digit: int, size: int = 280, *, font_path: str | None = None, stroke: int = 0,
               rotate: float = 0.0, invert: bool = False, scale: float = 0.7) -> Image.Image:
    """A digit typeset in a real font, dark on white (light on black with invert), as a writer
    outside the embedded data might produce it."""
    font = _font(font_path, int(size * scale))
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    draw.text((size / 2, size / 2), str(digit), fill=0, font=font, anchor="mm", stroke_width=stroke, stroke_fill=0)
    if rotate:
        img = img.rotate(rotate, resample=Image.Resampling.BILINEAR, fillcolor=255)
    if invert:
        img = Image.eval(img, lambda v: 255 - v)
    return img


# Pen paths of digits as people write them (unit square, y down), one or two strokes each.
PEN_PATHS: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5 + 0.27 * np.sin(t), 0.5 - 0.4 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 24)]],
    1: [[(0.4, 0.25), (0.55, 0.1), (0.55, 0.9)]],
    2: [[(0.27, 0.3), (0.35, 0.15), (0.55, 0.1), (0.7, 0.2), (0.72, 0.35), (0.6, 0.52), (0.25, 0.88), (0.8, 0.88)]],
    3: [[(0.27, 0.17), (0.55, 0.1), (0.72, 0.22), (0.65, 0.42), (0.45, 0.48), (0.65, 0.54), (0.76, 0.72),
         (0.62, 0.88), (0.27, 0.85)]],
    4: [[(0.55, 0.1), (0.22, 0.62), (0.8, 0.62)], [(0.62, 0.35), (0.62, 0.9)]],
    5: [[(0.72, 0.12), (0.33, 0.12), (0.3, 0.45), (0.55, 0.4), (0.73, 0.55), (0.7, 0.78), (0.5, 0.9), (0.27, 0.82)]],
    6: [[(0.65, 0.1), (0.42, 0.28), (0.3, 0.58), (0.35, 0.84), (0.55, 0.9), (0.7, 0.74), (0.62, 0.56),
         (0.42, 0.55), (0.31, 0.66)]],
    7: [[(0.22, 0.12), (0.78, 0.12), (0.45, 0.9)]],
    8: [[(0.5, 0.5), (0.32, 0.36), (0.36, 0.15), (0.6, 0.12), (0.67, 0.3), (0.5, 0.5), (0.3, 0.68), (0.38, 0.88),
         (0.62, 0.88), (0.7, 0.68), (0.5, 0.5)]],
    9: [[(0.7, 0.32), (0.55, 0.12), (0.33, 0.17), (0.3, 0.38), (0.5, 0.47), (0.7, 0.32), (0.67, 0.6), (0.6, 0.9)]],
}


def pen_digit(digit: int, *, size: int = 280, width: int = 20, rng: np.random.Generator | None = None,
              jitter: float = 0.02, slant: float = 0.0, scale: float = 0.8) -> np.ndarray:
    """A digit drawn with a round pen as a mouse would on the canvas: white on black, RGBA."""
    rng = rng or np.random.default_rng(digit)
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    offset = rng.uniform(-0.08, 0.08, size=2)
    for stroke in PEN_PATHS[digit]:
        pts = np.array(stroke, dtype=float)
        pts += rng.normal(0, jitter, size=pts.shape)
        pts[:, 0] += slant * (0.5 - pts[:, 1])
        pts = (pts - 0.5) * scale + 0.5 + offset
        xy = [tuple(p) for p in (pts * size)]
        draw.line(xy, fill=255, width=width, joint="curve")
        r = width / 2
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    grey = np.asarray(img)
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = grey[..., None]
    rgba[..., 3] = 255
    return rgba


def pen_digit_on_paper(digit: int, **kwargs) -> Image.Image:
    """The same pen digit as a scan would show it: dark ink on white paper, greyscale."""
    return Image.fromarray(255 - pen_digit(digit, **kwargs)[..., 0])
