"""Ink of a written number into pieces: connected strokes, separators, and cuts inside wide strokes.

The line is measured first (the height `H` of its digits), so every rule below is a share of `H` and
holds for a thumbnail and a 600 px scan alike. Nothing here decides which pieces form a digit: the
search (`ml.reading.search`) groups consecutive pieces and lets the digit model score each group.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy import ndimage

from ml.reading.errors import NotANumberError, TooManyDigitsError
from ml.recognition.preprocess import ink_map
from ml.recognition.raster import stroke_thickness

LEVEL = 0.3            # ink that counts as stroke for the connected components
MAX_HEIGHT = 200       # taller inputs are box-reduced first: digits need ~28 px, the search many crops
SPECK = 0.03           # a component below this share of the typical stroke area is dust or JPEG noise
CUT_FROM = 0.5         # components wider than this many line heights get cut proposals
CUT_MARGIN = 0.15      # no cut closer than this (of H) to a component's ends
CUT_APART = 0.15     # cuts proposed at least this far apart (of H) ...
CUT_EVERY = 0.25     # ... and at most one per this much width
SLASH_LEAN = 0.8      # a straight stroke leaning more than this (width over height) is a slash: 1.5 % of MNIST 1s do
SPACE_GAP = 1.2        # a gap this wide (of H) between strokes is a space, kept in the answer
NOISE = 0.25         # a piece smaller than this (of H) both ways that is no separator is a fleck
MAX_PIECES = 120       # more pieces than this is not a number of at most 12 digits
_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Piece:
    """Ink of one stroke or part of one: `mask` placed at (`top`, `left`) of the line's ink map.
    `component` names the connected stroke it comes from; `sep` is a separator's character."""

    top: int
    left: int
    mask: np.ndarray
    component: int
    sep: str = ""

    @property
    def bottom(self) -> int:
        return self.top + self.mask.shape[0]

    @property
    def right(self) -> int:
        return self.left + self.mask.shape[1]

    @property
    def width(self) -> int:
        return self.mask.shape[1]

    @property
    def height(self) -> int:
        return self.mask.shape[0]


@dataclass(frozen=True)
class Line:
    ink: np.ndarray            # the ink map (1 = ink) the pieces index
    pieces: tuple[Piece, ...]  # left to right; separators and spaces included
    height: float              # H: the height of a digit on this line
    scale: float               # ink-map pixels -> image pixels


def shrunk(image: Image.Image | np.ndarray) -> tuple[Image.Image | np.ndarray, int]:
    """The image box-reduced by a whole factor so it is at most about MAX_HEIGHT tall (and the factor)."""
    height = image.size[1] if isinstance(image, Image.Image) else image.shape[0]
    factor = height // MAX_HEIGHT
    if factor < 2:
        return image, 1
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            return image, 1
        image = Image.fromarray(image)
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "L")
    return image.reduce(factor), factor


def union(pieces) -> tuple[int, int, np.ndarray]:
    """(top, left, mask) of several pieces together."""
    top, left = min(p.top for p in pieces), min(p.left for p in pieces)
    bottom, right = max(p.bottom for p in pieces), max(p.right for p in pieces)
    mask = np.zeros((bottom - top, right - left), dtype=bool)
    for p in pieces:
        mask[p.top - top:p.bottom - top, p.left - left:p.right - left] |= p.mask
    return top, left, mask


def overlap(a: Piece, b: Piece) -> float:
    """Horizontal overlap of two pieces as a share of the narrower one."""
    shared = min(a.right, b.right) - max(a.left, b.left)
    return max(0.0, shared / max(1, min(a.width, b.width)))


def _components(ink: np.ndarray) -> list[Piece]:
    labels, count = ndimage.label(ink > LEVEL, structure=_EIGHT)
    if count > 4 * MAX_PIECES:
        raise TooManyDigitsError()
    pieces = []
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is not None:
            pieces.append(Piece(box[0].start, box[1].start, labels[box] == k, k))
    areas = np.array([p.mask.sum() for p in pieces])
    typical = np.percentile(areas, 75) if len(areas) else 0
    return [p for p, a in zip(pieces, areas) if a >= max(3, SPECK * typical)]


def line_height(pieces: list[Piece]) -> float:
    """The height of a digit: the median height of the tall pieces (separators and flags are short)."""
    heights = np.array([p.height for p in pieces], dtype=float)
    return float(np.median(heights[heights >= 0.5 * heights.max()]))


def _separator(p: Piece, pieces: list[Piece], h: float, top: float, bottom: float) -> str:
    """'.', ',', '-' or '/' when a piece's shape and place on the line say so, else ''."""
    if any(q is not p and overlap(p, q) > 0.2 for q in pieces):
        return ""  # it lies over or under another stroke: part of a digit (a 5's flag, a 4's stem)
    centre = ((p.top + p.bottom) / 2 - top) / max(bottom - top, 1)
    if p.height < 0.3 * h and p.width < 0.3 * h and centre > 0.65:
        return "."
    if p.height < 0.5 * h and p.width < 0.3 * h and centre > 0.7 and p.bottom > bottom - 0.1 * h:
        return "," if p.height > 1.4 * p.width else "."
    if p.height < 0.3 * h and p.width > 2 * p.height and p.width > 0.25 * h and 0.35 < centre < 0.8:
        return "-"
    if p.height > 0.7 * h and p.width > 0.35 * h:
        rows, cols = np.nonzero(p.mask)
        pen = stroke_thickness(p.mask)
        lean = (p.width - pen) / max(p.height - pen, 1.0)  # a slash leans more than a slanted 1
        if rows.size > 10 and lean > SLASH_LEAN and np.std(cols) > 0 and np.std(rows) > 0:
            if float(np.corrcoef(rows, cols)[0, 1]) < -0.95:
                return "/"
    return ""


def _inner_slashes(marked: list[Piece], h: float) -> list[Piece]:
    """The pieces with a slash before or after every digit's stroke taken for a stroke: a slash stands
    between digits, and a 1 at either end of a number that leans as far is far likelier."""
    middles = [(p.left + p.right) / 2 for p in marked if not p.sep and not _fleck(p, h)]
    if not middles:
        return marked
    first, last = min(middles), max(middles)
    return [replace(p, sep="") if p.sep == "/" and not first < (p.left + p.right) / 2 < last else p for p in marked]


def _fleck(p: Piece, h: float) -> bool:
    """Ink too small both ways to be a digit (a separator is judged by its own rules)."""
    return max(p.height, p.width) < NOISE * h


def _cuts(p: Piece, h: float) -> list[int]:
    """Columns (within the piece) where a wide stroke may be digits touching: valleys of the vertical
    projection and the columns that split it into digit-wide parts, at least CUT_MARGIN of H from either
    end and from each other."""
    if p.width <= CUT_FROM * h:
        return []
    column = np.convolve(p.mask.sum(axis=0).astype(float), np.ones(3) / 3, mode="same")
    margin = max(1, int(CUT_MARGIN * h))
    spread = max(1, int(0.08 * h))
    found = []
    for c in range(margin, p.width - margin):
        window = column[max(0, c - spread):c + spread + 1]
        if column[c] <= window.min() and column[c] <= 0.6 * column.max():
            found.append((column[c], c))
    parts = max(2, round(p.width / (0.7 * h)))
    even = [round(p.width * k / parts) for k in range(1, parts)]
    found += [(column.max(), c) for c in even if margin <= c < p.width - margin]
    chosen: list[int] = []
    for _, c in sorted(found):
        if all(abs(c - k) >= max(2, CUT_APART * h) for k in chosen):
            chosen.append(c)
    return sorted(chosen[:max(1, int(np.ceil(p.width / (CUT_EVERY * h))))])


def cut_path(mask: np.ndarray, column: int, reach: int) -> np.ndarray:
    """The column of a top-to-bottom cut at each row: the path within `reach` of `column` that crosses the
    least ink, moving at most one column a row (strokes of touching or overlapping digits slant)."""
    h, w = mask.shape
    lo, hi = max(0, column - reach), min(w - 1, column + reach)
    cols = np.arange(lo, hi + 1)
    cost = mask[:, lo:hi + 1].astype(float) + 0.02 * np.abs(cols - column)[None, :] / max(reach, 1)
    total = cost[0].copy()
    back = np.zeros((h, len(cols)), dtype=np.intp)
    for y in range(1, h):
        options = np.stack([np.r_[np.inf, total[:-1]], total, np.r_[total[1:], np.inf]])
        move = np.argmin(options, axis=0)
        back[y] = np.arange(len(cols)) + move - 1
        total = options[move, np.arange(len(cols))] + cost[y]
    path = np.empty(h, dtype=np.intp)
    at = int(np.argmin(total))
    for y in range(h - 1, -1, -1):
        path[y] = at
        at = back[y, at]
    return cols[path]


def _split(p: Piece, cuts: list[int], h: float) -> list[Piece]:
    out = []
    reach = max(1, int(0.15 * h))
    bounds = [np.zeros(p.height, dtype=np.intp)]
    for c in cuts:
        bounds.append(np.maximum(cut_path(p.mask, c, reach), bounds[-1] + 1))
    bounds.append(np.full(p.height, p.width, dtype=np.intp))
    x = np.arange(p.width)[None, :]
    for a, b in zip(bounds[:-1], bounds[1:]):
        part = p.mask & (x >= a[:, None]) & (x < b[:, None])
        rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
        if rows.size:
            out.append(Piece(p.top + rows[0], p.left + cols[0], part[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1],
                             p.component))
    return out


def segment(image: Image.Image | np.ndarray) -> Line:
    """The pieces of a written number, left to right, with separators and spaces marked."""
    small, factor = shrunk(image)
    ink = ink_map(small)
    pieces = _components(ink)
    if not pieces:
        from ml.errors import BlankImageError
        raise BlankImageError("The image is blank: there is no number to read in it.")
    if len(pieces) > MAX_PIECES:
        raise TooManyDigitsError()
    h = line_height(pieces)
    tall = [p for p in pieces if p.height >= 0.5 * h]
    top, bottom = float(np.median([p.top for p in tall])), float(np.median([p.bottom for p in tall]))
    if len(tall) == 1 and tall[0].width > 3 * h:
        fill = tall[0].mask.sum() / tall[0].mask.size
        if fill > 0.5:
            raise NotANumberError("The image holds one blob of ink, not written digits: write the number "
                                  "with a pen on a plain background.")
    marked = _inner_slashes([replace(p, sep=_separator(p, pieces, h, top, bottom)) for p in pieces], h)
    atoms: list[Piece] = []
    for p in marked:
        if not p.sep and _fleck(p, h):
            continue  # a fleck beside a digit: too small to be one, not placed as a separator
        atoms.extend([p] if p.sep else _split(p, _cuts(p, h), h))
    atoms.sort(key=lambda p: (p.left, p.top))
    out: list[Piece] = []
    reach = None  # the rightmost ink so far: a gap is measured from it, not from the last piece
    for p in atoms:
        if reach is not None and p.left - reach >= SPACE_GAP * h and out and not out[-1].sep:
            out.append(Piece(p.top, reach, np.zeros((0, p.left - reach), dtype=bool), 0, " "))
        out.append(p)
        reach = p.right if reach is None else max(reach, p.right)
    return Line(ink, tuple(out), h, float(factor))
