"""Ink that is not a digit, for teaching a model what to refuse.

A ten-class model has to put every input in one of ten places, and a scribble or a letter often
lands in one with confidence. The digit-or-not gate (`ml.models.gate`) learns the difference from these:
fast-wobbling curves, zigzags, spirals, crosses, hatching, ticks and letters typeset in the
*training* fonts only (the development set's letters use the held-back fonts, so its figure is
not measured on what the gate saw). Every image is ink in [0, 1] on a square sheet, like an upload's
ink map, so it goes through the same canonical form as any input.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ml.datasets import handwriting

SIDE = 112
LETTERS = "ACEFHKMNPRTUVWXYaefhkmnrwx"  # letters no one would read as a digit


def _sheet(points: list[np.ndarray], width: int) -> np.ndarray:
    img = Image.new("L", (SIDE, SIDE), 0)
    draw = ImageDraw.Draw(img)
    for line in points:
        draw.line([tuple(p) for p in line], fill=255, width=width, joint="curve")
    return np.asarray(img, dtype=np.float32) / 255.0


def _fit(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Points scaled into the sheet with a random aspect and offset."""
    points = points - points.min(axis=0)
    span = np.maximum(points.max(axis=0), 1e-6)
    size = SIDE * rng.uniform(0.5, 0.8) * np.array([rng.uniform(0.5, 1.0), rng.uniform(0.5, 1.0)])
    return points / span * size + (SIDE - size) / 2 + rng.uniform(-6, 6, 2)


def _curve(rng: np.random.Generator) -> list[np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 120)
    x = sum(rng.normal(0, 1 / k) * np.sin(k * t + rng.uniform(0, 6.3)) for k in range(1, 7))
    y = sum(rng.normal(0, 1 / k) * np.cos(k * t + rng.uniform(0, 6.3)) for k in range(1, 7))
    return [_fit(np.stack([x, y], axis=1), rng)]


def _zigzag(rng: np.random.Generator) -> list[np.ndarray]:
    return [_fit(rng.uniform(0, 1, (int(rng.integers(5, 10)), 2)), rng)]


def _spiral(rng: np.random.Generator) -> list[np.ndarray]:
    t = np.linspace(0, 2 * np.pi * rng.uniform(2.0, 4.0), 200)
    r = t / t.max()
    return [_fit(np.stack([r * np.cos(t), r * np.sin(t) * rng.uniform(0.7, 1.3)], axis=1), rng)]


def _cross(rng: np.random.Generator) -> list[np.ndarray]:
    a, b = rng.uniform(0.1, 0.3, 2)
    box = _fit(np.array([[0.0, 0.0], [1.0, 1.0]]), rng)
    (x0, y0), (x1, y1) = box
    return [np.array([[x0, y0 + a], [x1, y1 - b]]), np.array([[x1, y0 + b], [x0, y1 - a]])]


def _hatching(rng: np.random.Generator) -> list[np.ndarray]:
    lines, angle = int(rng.integers(3, 7)), rng.uniform(0, np.pi)
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    spacing, length = rng.uniform(10, 18), rng.uniform(40, 80)
    centre = np.full(2, SIDE / 2)
    return [np.array([centre + normal * spacing * (i - lines / 2) - direction * length / 2,
                      centre + normal * spacing * (i - lines / 2) + direction * length / 2]) for i in range(lines)]


def _tick(rng: np.random.Generator) -> list[np.ndarray]:
    return [_fit(np.array([[0.0, 0.6], [0.35, 1.0], [1.0, rng.uniform(0.0, 0.2)]]), rng)]


_SHAPES = (_curve, _zigzag, _spiral, _cross, _hatching, _tick)


def nondigit_inks(n: int, seed: int = 0) -> list[np.ndarray]:
    """`n` ink images that are not digits: a third letters in the training fonts, the rest drawn shapes."""
    rng = np.random.default_rng(seed)
    inks = []
    for i in range(n):
        if i % 3 == 0:
            letter = LETTERS[int(rng.integers(len(LETTERS)))]
            font = handwriting.TRAIN_FONTS[int(rng.integers(len(handwriting.TRAIN_FONTS)))]
            inks.append(handwriting.distort(handwriting.font_ink(letter, font), rng, strength=0.5))
        else:
            shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
            inks.append(_sheet(shape(rng), int(rng.integers(3, 13))))
    return inks
