"""Generated batch uploads for the batch tests: small 28x28 pen-drawn digits, as PNG bytes and zips."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from images import digit_png


def labelled_zip(path: Path, per_digit: int = 2, seed: int = 0) -> dict[str, int]:
    """A zip of folders 0..9 holding `per_digit` images each; returns member name -> label."""
    rng = np.random.default_rng(seed)
    labels = {f"{d}/img{i}.png": d for d in range(10) for i in range(per_digit)}
    with zipfile.ZipFile(path, "w") as archive:
        for name, digit in labels.items():
            archive.writestr(name, digit_png(digit, rng))
    return labels


def plain_zip(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(n):
            archive.writestr(f"img{i:04d}.png", digit_png(int(rng.integers(0, 10)), rng))
