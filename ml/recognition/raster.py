"""Small raster operations of preprocessing, each giving exactly what the Pillow, SciPy or NumPy call it
replaces gives, with less of the general machinery around it.

A batch spends most of its CPU preparing images of a few thousand pixels, where a library call's
set-up (argument checks, structuring elements, array-interface copies) costs more than its
arithmetic (a stroke's boundary, counted by `scipy.ndimage.binary_erosion`, is four slices). Every
model was trained on pixels made by the library calls, so each function
here is held to them bit for bit (tests/test_raster.py), on random inputs and real digits.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def resize(values: np.ndarray, width: int, height: int) -> np.ndarray:
    """A float image resized by area-averaging when shrinking (thin strokes fade instead of
    vanishing), bilinearly when growing: Pillow's "F" resize, without `Image.fromarray`'s and
    `np.array(image)`'s checks and copies."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    image = Image.frombuffer("F", (values.shape[1], values.shape[0]), values, "raw", "F", 0, 1)
    resample = Image.Resampling.BOX if width <= values.shape[1] else Image.Resampling.BILINEAR
    out = image.resize((max(1, width), max(1, height)), resample=resample)
    return np.frombuffer(out.tobytes(), dtype=np.float32).reshape(out.height, out.width).copy()


def boundary_pixels(mask: np.ndarray) -> int:
    """Pixels of a 2-D boolean mask with a 4-neighbour outside it (or on the array's edge): the count
    of `mask & ~ndimage.binary_erosion(mask, cross)`."""
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    return int(np.count_nonzero(mask)) - int(np.count_nonzero(inner))


def stroke_thickness(mask: np.ndarray) -> float:
    """Twice the area over the boundary: the width of a stroke of any length (0 for an empty mask)."""
    return 2.0 * int(np.count_nonzero(mask)) / max(boundary_pixels(mask), 1)


def coordinates(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column numbers (float64) as a column and a row that broadcast over an image of `shape`:
    the products with an image are those of full `np.indices` grids, without building them."""
    return np.arange(shape[0], dtype=np.float64)[:, None], np.arange(shape[1], dtype=np.float64)[None, :]


def mass_centre(values: np.ndarray) -> tuple[float, float]:
    """(row, column) of a 2-D image's centre of mass: `ndimage.center_of_mass`, the same sums in the
    same order."""
    total = values.sum()
    rows, cols = coordinates(values.shape)
    return float((values * rows).sum() / total), float((values * cols).sum() / total)


def median(values: np.ndarray) -> float:
    """`np.median` of a 1-D array without NaNs: the same partition and mean, without its general
    axis handling."""
    n = values.size
    k = n // 2
    if n % 2:
        return float(np.partition(values, k)[k])
    return float(np.mean(np.partition(values, (k - 1, k))[k - 1:k + 1]))
