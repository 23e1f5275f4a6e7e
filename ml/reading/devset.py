"""Development sets of written numbers, from real handwriting only.

Each number is composed of the held-back MNIST digits (`ml.datasets.handwriting.mnist_split`: writers the
default model never trains on; the MNIST test files are never used), split in two halves (`_pool`): the
development half, on which the reading is tuned, and the reported half, which only the bench reads.
Digits are laid side by side with the gaps people leave (separate, close, touching, overlapping by a
pixel or two at MNIST's size), sometimes with a separator (`.`, `-`, `/`, space), and rendered as the
files users upload: ink on paper, light on dark, a grey paper JPEG, a transparent PNG. Every image then
travels as an upload does (`ml.inputs.images.load_image`).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from ml.datasets import handwriting
from ml.inputs.images import load_image

SPACINGS = {"separate": (3, 7), "close": (1, 2), "touching": (-1, 0), "overlapping": (-3, -2)}
STYLES = ("ink_png", "white_on_black", "grey_jpeg", "transparent_png")
SPLITS = ("dev", "report")  # halves of the held-back digits: choose on `dev`, report on `report`
SPLIT_SEED = 32


@dataclass(frozen=True)
class NumberSet:
    name: str
    style: str
    spacing: str
    images: list          # decoded uploads (PIL images)
    texts: list[str]      # what is written, separators included


def _pool(split: str = "report") -> tuple[np.ndarray, np.ndarray]:
    """(ink, labels) of one half of the held-back MNIST digits, 50 per class: `dev` is where the reading's
    rules and constants are chosen, `report` is what the bench reports (nothing is chosen on it)."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; choose one of {', '.join(SPLITS)}.")
    _, held = handwriting.mnist_split()
    _, y = handwriting.mnist_ink(held)
    rng = np.random.default_rng(SPLIT_SEED)
    halves = [rng.permutation(np.flatnonzero(y == d)) for d in range(10)]
    half = SPLITS.index(split)
    chosen = np.sort(np.concatenate([h[half * len(h) // 2:(half + 1) * len(h) // 2] for h in halves]))
    return handwriting.mnist_ink(held[chosen])


def _columns(ink: np.ndarray) -> np.ndarray:
    cols = np.flatnonzero((ink > 0.1).any(axis=0))
    return ink[:, cols[0]:cols[-1] + 1]


def _separator(ch: str, rng: np.random.Generator) -> np.ndarray:
    """A separator at MNIST's scale (digits ~20 px tall in rows 4..24), drawn with a pen of MNIST's width."""
    img = Image.new("L", (22 if ch == "/" else 20 if ch == " " else 14, 28), 0)
    draw = ImageDraw.Draw(img)
    if ch == ".":
        y = int(rng.integers(20, 23))
        draw.ellipse((3, y, 6, y + 3), fill=255)
        img = img.crop((2, 0, 8, 28))
    elif ch == "-":
        y = int(rng.integers(12, 16))
        draw.line((1, y, int(rng.integers(8, 12)), y + int(rng.integers(-1, 2))), fill=255, width=2)
    elif ch == "/":
        draw.line((1, 24, 20, 5), fill=255, width=2)  # leaning clearly more than a 1 (ml.reading.segment)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    return ndimage.gaussian_filter(ink, 0.5) if ch != " " else ink


def compose(digits: list[np.ndarray], gaps: list[int], separators: dict[int, str] | None = None,
            rng: np.random.Generator | None = None) -> np.ndarray:
    """28-row ink of digits side by side; gaps[k] px between digit k and k+1 (negative: overlapping),
    a separator drawn after digit k where `separators` says so."""
    rng = rng or np.random.default_rng(0)
    separators = separators or {}
    parts: list[tuple[np.ndarray, int]] = []
    for k, ink in enumerate(digits):
        parts.append((_columns(ink), gaps[k - 1] if k else 0))
        if k in separators:
            parts.append((_separator(separators[k], rng), 2))
            gaps[k] = 2 if separators[k] != " " else 6
    width = sum(p.shape[1] + g for p, g in parts) + 8
    sheet = np.zeros((28, width), dtype=np.float32)
    x = 4
    for ink, gap in parts:
        x += gap
        sheet[:, x:x + ink.shape[1]] = np.maximum(sheet[:, x:x + ink.shape[1]], ink)
        x += ink.shape[1]
    return sheet[:, :x + 4]


def _encode(picture: np.ndarray, fmt: str = "PNG", mode: str = "L", quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8), mode=mode).save(
        buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def render(ink: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    """A number's ink (28 rows) as the file a user would upload, enlarged 2-4x with a margin."""
    zoom = rng.uniform(2.0, 4.0)
    big = np.clip(ndimage.zoom(ink, zoom, order=3), 0.0, 1.0)
    margin = int(rng.integers(8, 30))
    big = np.pad(big, margin)
    if style == "ink_png":
        return _encode(255 - big * 255)
    if style == "white_on_black":
        return _encode(big * 255)
    if style == "grey_jpeg":
        paper, pen = rng.uniform(170, 225), rng.uniform(30, 90)
        picture = ndimage.gaussian_filter(paper - big * (paper - pen), rng.uniform(0.3, 1.0))
        picture += rng.normal(0, rng.uniform(4, 10), picture.shape)
        return _encode(picture, "JPEG", quality=int(rng.integers(50, 70)))
    if style == "transparent_png":
        rgba = np.zeros((*big.shape, 4), dtype=np.float32)
        rgba[..., :3] = rng.uniform(0, 80)
        rgba[..., 3] = big * 255
        return _encode(rgba, mode="RGBA")
    raise ValueError(f"Unknown style {style!r}; choose one of {', '.join(STYLES)}.")


def numbers(n: int, lengths: tuple[int, ...], spacing: str, *, style: str = "ink_png", seed: int = 0,
            separators: bool = False, pool: tuple[np.ndarray, np.ndarray] | None = None) -> NumberSet:
    """`n` numbers of the given lengths (cycled) in one spacing and style."""
    inks, ys = pool if pool is not None else _pool()
    rng = np.random.default_rng(seed)
    low, high = SPACINGS[spacing]
    images, texts = [], []
    for i in range(n):
        length = lengths[i % len(lengths)]
        pick = rng.integers(len(ys), size=length)
        gaps = [int(g) for g in rng.integers(low, high + 1, size=max(0, length - 1))] + [0]
        seps: dict[int, str] = {}
        if separators and length >= 2:
            seps[int(rng.integers(0, length - 1))] = str(rng.choice([".", "-", "/", " "]))
        ink = compose([inks[j] for j in pick], gaps, seps, rng)
        text = "".join(str(ys[j]) + seps.get(k, "") for k, j in enumerate(pick))
        images.append(load_image(render(ink, style, rng)))
        texts.append(text)
    return NumberSet(f"numbers {spacing}", style, spacing, images, texts)


BROKEN_5 = [[(0.38, 0.12), (0.3, 0.45), (0.55, 0.4), (0.73, 0.55), (0.7, 0.78), (0.5, 0.9), (0.27, 0.82)],
            [(0.5, 0.1), (0.78, 0.1)]]  # the flag lifted off the body, as people write it
BROKEN_4 = [[(0.5, 0.1), (0.22, 0.62), (0.58, 0.62)], [(0.7, 0.3), (0.7, 0.9)]]  # the stem apart from the bar
SEPARATOR_PATHS = {".": [[(0.5, 0.86), (0.52, 0.88)]], ",": [[(0.52, 0.82), (0.45, 0.98)]],
                   "-": [[(0.15, 0.5), (0.85, 0.5)]], "/": [[(-0.3, 0.92), (1.3, 0.08)]]}


def pen_number(text: str, *, cell: int = 120, width: int = 12, gap: float = 0.0, broken: str = "",
               rng: np.random.Generator | None = None, jitter: float = 0.0) -> np.ndarray:
    """`text` written on a wide canvas with a round pen (white on black, RGBA, as the canvas sends it):
    each character in a cell `cell` px wide, neighbours `gap` of a cell closer (negative: further apart),
    the digits in `broken` written in pieces (a 5 with its flag lifted, a 4 with its stem apart);
    separators ('.', ',', '-', '/') drawn in half a cell, a space a whole one."""
    from ml.datasets.generated.synthetic import PEN_PATHS
    rng = rng or np.random.default_rng(0)
    widths = [cell // 2 if ch in SEPARATOR_PATHS else cell for ch in text]
    step = [round(w * (1 - gap)) if ch.isdigit() else w for w, ch in zip(widths, text)]
    img = Image.new("L", (sum(step) + cell, round(cell * 1.4)), 0)
    draw = ImageDraw.Draw(img)
    x = cell // 2
    for ch, w, s in zip(text, widths, step):
        lifted = {"5": BROKEN_5, "4": BROKEN_4}.get(ch) if ch in broken else None
        paths = (lifted or PEN_PATHS[int(ch)]) if ch.isdigit() else SEPARATOR_PATHS.get(ch, [])
        for stroke in paths:
            pts = np.array(stroke, dtype=float) + rng.normal(0, jitter, size=(len(stroke), 2))
            xy = [(x + px * w, cell * 0.2 + py * cell) for px, py in pts]
            draw.line(xy, fill=255, width=width, joint="curve")
            r = width / 2
            for cx, cy in (xy[0], xy[-1]):
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        x += s
    rgba = np.zeros((img.height, img.width, 4), dtype=np.uint8)
    rgba[..., :3] = np.asarray(img)[..., None]
    rgba[..., 3] = 255
    return rgba
