"""Canvas drawings stroke by stroke, and a stand-in for the canvas component in AppTest.

AppTest cannot drive the drawable canvas (a custom component), so page tests replace `st_canvas`
with `FakeCanvas`, which hands the page what the component sends after a stroke: the canvas PNG
and its RGBA array. The browser test still draws with a real mouse.
"""
from __future__ import annotations

import numpy as np
from images import png
from PIL import Image, ImageDraw

from ml.datasets.generated.synthetic import PEN_PATHS


def drawing(digit: int, strokes: int | None = None, *, size: int = 280, width: int = 20) -> np.ndarray:
    """The canvas after the first `strokes` pen strokes of `digit` (all of them when None), RGBA."""
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    for stroke in PEN_PATHS[digit][:strokes]:
        xy = [(x * size * 0.8 + size * 0.1, y * size * 0.8 + size * 0.1) for x, y in stroke]
        draw.line(xy, fill=255, width=width, joint="curve")
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = np.asarray(img)[..., None]
    rgba[..., 3] = 255
    return rgba


class _Result:
    def __init__(self, canvas: np.ndarray | None, objects: list[dict]) -> None:
        self.image_data = canvas
        self.image_bytes = png(canvas) if canvas is not None else None
        self.json_data = {"objects": objects} if canvas is not None else None


class FakeCanvas:
    """Install in place of `streamlit_drawable_canvas.st_canvas`; `draw`, `bin` and `clear` set what
    the component sends on the next run: the PNG, its RGBA array and the Fabric.js objects (one
    path per stroke)."""

    def __init__(self) -> None:
        self.canvas: np.ndarray | None = None
        self.objects: list[dict] = []

    def draw(self, digit: int, strokes: int | None = None) -> None:
        self.canvas = drawing(digit, strokes)
        self.objects = [{"type": "path", "path": [list(p) for p in s]} for s in PEN_PATHS[digit][:strokes]]

    def bin(self) -> None:
        """The toolbar's reset: the canvas is still there, and blank."""
        self.canvas, self.objects = np.zeros_like(drawing(1)), []

    def clear(self) -> None:
        """A fresh canvas that has sent nothing yet (after Clear, or when the page is opened again)."""
        self.canvas, self.objects = None, []

    def __call__(self, **kwargs) -> _Result:
        return _Result(self.canvas, self.objects)
