"""The per-pixel loops of the canonical form, compiled: deslanting, thinning to a skeleton, redrawing it.

They were numpy/scipy calls on arrays of a few thousand pixels, where each call's fixed cost is most
of the work: Zhang-Suen thinning ran ~12 `ndimage.correlate` passes an image, the redraw a full
Euclidean distance transform and the deslant a general `ndimage.affine_transform`, together ~0.8 ms
of the ~1.25 ms the canonical form took. Compiled loops give the same pixels, bit for bit (the tests
hold them to the scipy reference), at a fraction of the cost: a batch's throughput and the default
model's training time are made of it.

Compiled once per machine (about 2 s, on the first image after install): numba keeps the machine code
in `ml/__pycache__` (`cache=True`), or in the user's cache folder where that one is read-only; later
processes load it in a fraction of a second.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def thin_in_place(skel: np.ndarray, first: np.ndarray, second: np.ndarray, max_iter: int) -> None:
    """Zhang-Suen thinning of a 2-D uint8 0/1 array, in place. Each sub-iteration decides every pixel
    from the state before it (parallel thinning), exactly as the table look-up over neighbour codes
    (P2..P9 weighted 1, 2, 4, ..., 128 from north clockwise; outside the array counts as background)."""
    h, w = skel.shape
    ys = np.empty(h * w, dtype=np.int32)
    xs = np.empty(h * w, dtype=np.int32)
    for _ in range(max_iter):
        changed = False
        for sub in range(2):
            table = first if sub == 0 else second
            n = 0
            for y in range(h):
                for x in range(w):
                    if skel[y, x] == 0:
                        continue
                    code = 0
                    if y > 0:
                        if skel[y - 1, x]:
                            code |= 1
                        if x + 1 < w and skel[y - 1, x + 1]:
                            code |= 2
                        if x > 0 and skel[y - 1, x - 1]:
                            code |= 128
                    if x + 1 < w and skel[y, x + 1]:
                        code |= 4
                    if y + 1 < h:
                        if x + 1 < w and skel[y + 1, x + 1]:
                            code |= 8
                        if skel[y + 1, x]:
                            code |= 16
                        if x > 0 and skel[y + 1, x - 1]:
                            code |= 32
                    if x > 0 and skel[y, x - 1]:
                        code |= 64
                    if table[code]:
                        ys[n] = y
                        xs[n] = x
                        n += 1
            for k in range(n):
                skel[ys[k], xs[k]] = 0
            if n > 0:
                changed = True
        if not changed:
            break


@njit(cache=True, nogil=True)
def pen(skel: np.ndarray, radius: float) -> np.ndarray:
    """clip(radius + 0.5 - d, 0, 1) as float32, d the Euclidean distance of each pixel to the nearest
    skeleton pixel: the skeleton drawn with a round, anti-aliased pen. Only pixels within radius + 0.5
    of the skeleton get ink, so only those distances are computed (the same float64 values as a full
    distance transform gives them)."""
    h, w = skel.shape
    reach = int(np.ceil(radius + 0.5))
    best = np.full((h, w), 1 << 30, dtype=np.int64)
    for y in range(h):
        for x in range(w):
            if not skel[y, x]:
                continue
            for dy in range(-reach, reach + 1):
                yy = y + dy
                if yy < 0 or yy >= h:
                    continue
                for dx in range(-reach, reach + 1):
                    xx = x + dx
                    if xx < 0 or xx >= w:
                        continue
                    d2 = dy * dy + dx * dx
                    if d2 < best[yy, xx]:
                        best[yy, xx] = d2
    out = np.zeros((h, w), dtype=np.float32)
    top = radius + 0.5
    for y in range(h):
        for x in range(w):
            if best[y, x] < (1 << 30):
                value = top - np.sqrt(np.float64(best[y, x]))
                if value > 0.0:
                    out[y, x] = np.float32(min(value, 1.0))
    return out


@njit(cache=True, nogil=True)
def shear_rows(work: np.ndarray, alpha: float, offset: float) -> np.ndarray:
    """Row y of the output samples row y of `work` (float32) at column x + alpha * y + offset, linearly
    interpolated, zero where that falls outside the row: the values of
    `ndimage.affine_transform(work, [[1, 0], [alpha, 1]], offset=(0, offset), order=1, mode="constant")`."""
    h, w = work.shape
    out = np.zeros((h, w), dtype=np.float32)
    for y in range(h):
        base = offset + alpha * y
        for x in range(w):
            c = base + x
            if c < 0.0 or c > w - 1:
                continue
            k = int(np.floor(c))
            left = 1.0 - (c - k)
            right = 1.0 - left  # as scipy weighs them: a shift of 1e-29 is no shift at all
            far = np.float64(work[y, k + 1]) if k + 1 < w else 0.0
            out[y, x] = np.float32(left * np.float64(work[y, k]) + right * far)
    return out
