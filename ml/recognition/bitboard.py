"""Binary images as one Python integer each, for the two per-pixel loops of the canonical form.

Thinning and redrawing the strokes were most of an image's preparation: scipy's 3x3 correlation visits
every pixel of the ink's box for each sub-iteration, and the exact distance transform does far more than
a pen of radius ~3 needs. With the mask packed into one integer (bit r * stride + c is pixel (r, c)), a
neighbour is a shift, and the Zhang-Suen rule is a handful of whole-image AND/OR/XOR operations that run
in C: the same pixels (tests/test_canonical_exact.py holds them to the scipy versions), with no compiled
extension to install or to load into every process. Measured gains: docs/architecture.md.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["pack", "unpack", "thin", "pen"]


def pack(mask: np.ndarray) -> int:
    """The (H, W) mask as an integer, row-major, pixel (0, 0) in bit 0."""
    return int.from_bytes(np.packbits(np.asarray(mask, dtype=bool), bitorder="little").tobytes(), "little")


def unpack(board: int, shape: tuple[int, int]) -> np.ndarray:
    """The (H, W) bool mask of `board` (bits beyond H * W are ignored)."""
    n = shape[0] * shape[1]
    size = (n + 7) // 8
    raw = (board & ((1 << n) - 1)).to_bytes(size, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=n, bitorder="little").view(bool).reshape(shape)


def _one_and_two(bits) -> tuple[int, int]:
    """(pixels where at least one of `bits` is set, where at least two are)."""
    one = two = 0
    for b in bits:
        two |= one & b
        one |= b
    return one, two


def _zhang_suen_step(x: int, stride: int, full: int, first: bool) -> int:
    """The pixels one Zhang-Suen sub-iteration removes: 2 <= B <= 6 neighbours set, exactly one 0 -> 1
    transition around P2..P9, and the sub-iteration's two products zero. Frame pixels are never ink,
    so what a shift carries across a row's end is masked off by `x`."""
    p = (x << stride, x << (stride - 1), x >> 1, x >> (stride + 1),      # P2 N, P3 NE, P4 E, P5 SE
         x >> stride, x >> (stride - 1), x << 1, x << (stride + 1))      # P6 S, P7 SW, P8 W, P9 NW
    q = [full ^ b for b in p]
    one, two = _one_and_two([q[i] & p[(i + 1) % 8] for i in range(8)])
    single = one & ~two                     # A == 1
    at_least_two = _one_and_two(p)[1]       # B >= 2
    at_most_six = _one_and_two(q)[1]        # B <= 6: at least two neighbours clear
    if first:
        products = (q[0] | q[2] | q[4]) & (q[2] | q[4] | q[6])  # P2*P4*P6 == 0 and P4*P6*P8 == 0
    else:
        products = (q[0] | q[2] | q[6]) & (q[0] | q[4] | q[6])  # P2*P4*P8 == 0 and P2*P6*P8 == 0
    return x & single & at_least_two & at_most_six & products


def thin(mask: np.ndarray, max_iter: int = 60) -> np.ndarray:
    """Zhang & Suen's (1984) one-pixel skeleton of a 2-D bool mask, on the ink's box in a zero frame."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape, dtype=bool)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return out
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    framed = np.zeros((rows[-1] - rows[0] + 3, cols[-1] - cols[0] + 3), dtype=bool)
    framed[1:-1, 1:-1] = mask[box]
    stride = framed.shape[1]
    full = (1 << framed.size) - 1
    x = pack(framed)
    for _ in range(max_iter):
        changed = False
        for first in (True, False):
            gone = _zhang_suen_step(x, stride, full, first)
            if gone:
                x ^= gone
                changed = True
        if not changed:
            break
    out[box] = unpack(x, framed.shape)[1:-1, 1:-1]
    return out


@lru_cache(maxsize=256)
def _rings(radius: float, stride: int) -> tuple[tuple[np.float32, tuple[int, ...]], ...]:
    """(value, bit shifts of the offsets at that value) from the strongest value down: a pixel at distance
    d from the skeleton gets clip(radius + 0.5 - d, 0, 1), computed as the distance transform's float64."""
    reach = int(np.floor(radius + 0.5))
    by_distance: dict[int, list[int]] = {}
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            by_distance.setdefault(dy * dy + dx * dx, []).append(dy * stride + dx)
    rings: dict[np.float32, list[int]] = {}
    for d2 in sorted(by_distance):
        value = np.float32(np.clip(radius + 0.5 - np.sqrt(np.float64(d2)), 0.0, 1.0))
        if value > 0:
            rings.setdefault(value, []).extend(by_distance[d2])
    return tuple((value, tuple(shifts)) for value, shifts in rings.items())


def pen(skeleton: np.ndarray, radius: float) -> np.ndarray:
    """clip(radius + 0.5 - distance to the nearest skeleton pixel, 0, 1) as float32: the skeleton drawn
    with a round anti-aliased pen. The skeleton must keep floor(radius + 0.5) clear pixels from every
    edge (the redraw pads it so), or a shift would wrap a stroke onto the next row."""
    h, w = skeleton.shape
    full = (1 << (h * w)) - 1
    x = pack(skeleton)
    out = np.zeros((h, w), dtype=np.float32)
    covered = 0
    for value, shifts in _rings(float(radius), w):
        grown = covered
        for shift in shifts:
            grown |= (x << shift) if shift >= 0 else (x >> -shift)
        grown &= full
        if grown != covered:
            out[unpack(grown ^ covered, (h, w))] = value
        covered = grown
    return out
