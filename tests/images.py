"""Image bytes for tests: any picture as PNG, a pen-drawn digit on paper, a decompression bomb."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from ml.datasets.generated.synthetic import pen_digit, pen_digit_on_paper


def png(image: Image.Image | np.ndarray, **options) -> bytes:
    """`image` (a Pillow image or an array Pillow can take) saved as PNG; `options` go to `Image.save`."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def pen_png(digit: int = 1, size: int = 56, width: int = 5) -> bytes:
    """A pen-drawn `digit` on paper, `size` pixels square."""
    return png(pen_digit_on_paper(digit, size=size, width=width))


def digit_png(digit: int, rng: np.random.Generator, side: int = 28) -> bytes:
    """A small scan-like digit (dark ink on white), drawn with `rng`'s pen wobble."""
    return png(Image.fromarray(255 - pen_digit(digit, size=140, width=10, rng=rng)[..., 0]).resize((side, side)))


def bomb_png(side: int = 40000) -> bytes:
    """A PNG whose header claims side x side pixels, a few KB on disk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00" * (side // 8 + 1) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
