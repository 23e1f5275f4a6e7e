"""One canonical form of ink, for training images from every source and for every input.

Real scans differ from any one dataset in stroke width (thin biros, thick markers), slant, aspect,
blur, paper grey and JPEG noise. Rather than mapping each input into the look of one dataset, every
image, whatever it came from, is reduced to the same form: crop to the ink, straighten the slant
(second moments), thin the strokes to a one-pixel skeleton and redraw it with one pen width, scale
the longer side into a box keeping the aspect, centre the mass. What is left is the shape of the
digit, which is all a writer controls. What each step bought is logged in docs/recognition.md.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ml.errors import BlankImageError, TooSmallError
from ml.recognition import bitboard
from ml.recognition.raster import coordinates, mass_centre, resize, stroke_thickness

WORK = 56            # working side (longer side of the ink) for deskewing and thinning
MASK_LEVEL = 0.3     # ink level (relative to the strongest) that counts as stroke at the working size
PEN_RADIUS = 2.6     # redrawn stroke radius at the working size: ~2 px strokes in the 20 px box, as MNIST
MAX_SLANT = 0.8      # shear beyond this is not slant but a rotated or odd input: capped
SPECK_SHARE = 0.02   # connected ink with less than this share of all ink is noise (JPEG, dust)
BBOX_LEVEL = 0.15
THIN_STROKE = 3.0    # strokes thinner than this (working pixels) are brought to full contrast before thresholding
LOW_RES = 16         # ink no larger than this on both sides is a low-resolution scan, like the embedded 8x8 digits
LOW_RES_ZOOM = 4     # ... upsampled smoothly by this factor (the embedded digits are 4x4 block counts)

_CENTRES = (np.linspace(0.0, 1.0, 33)[:-1] + np.linspace(0.0, 1.0, 33)[1:]) / 2  # of stroke_level's 32 bins
_EIGHT = np.ones((3, 3), dtype=bool)


def thin(mask: np.ndarray, max_iter: int = 60) -> np.ndarray:
    """One-pixel skeleton of a 2-D boolean mask (Zhang & Suen 1984), on the ink's box only: the working
    arrays carry wide empty margins. Done on the mask packed into one integer (ml.recognition.bitboard)."""
    return bitboard.thin(mask, max_iter)


def _pad(values: np.ndarray, rows: int, cols: int | None = None, dtype=None) -> np.ndarray:
    """Zero margins around a 2-D array (np.pad's general machinery costs more than the copy here)."""
    cols = rows if cols is None else cols
    out = np.zeros((values.shape[0] + 2 * rows, values.shape[1] + 2 * cols), dtype=dtype or values.dtype)
    out[rows:rows + values.shape[0], cols:cols + values.shape[1]] = values
    return out


def _bbox(values: np.ndarray, level: float) -> tuple[slice, slice]:
    rows = np.flatnonzero((values > level).any(axis=1))
    cols = np.flatnonzero((values > level).any(axis=0))
    if rows.size == 0:
        raise BlankImageError("Draw a digit first: the image is blank.")
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def drop_specks(ink: np.ndarray) -> np.ndarray:
    """The ink without connected blobs too small to be part of a digit (paper noise, JPEG ringing, dust)."""
    mask = ink > BBOX_LEVEL
    labels, count = ndimage.label(mask, structure=_EIGHT)
    if count <= 1:
        return ink
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], mass >= SPECK_SHARE * mass.sum()])
    return np.where(keep[labels], ink, 0.0).astype(np.float32)


def slant(work: np.ndarray) -> float:
    """cov(x, y) / var(y) of the ink: the shear that makes its principal stroke upright."""
    total = float(work.sum())
    if total <= 0:
        return 0.0
    rows, cols = coordinates(work.shape)
    cy, cx = (work * rows).sum() / total, (work * cols).sum() / total
    var_y = (work * (rows - cy) ** 2).sum() / total
    cov = (work * (rows - cy) * (cols - cx)).sum() / total
    return float(np.clip(cov / var_y, -MAX_SLANT, MAX_SLANT)) if var_y > 1e-9 else 0.0


def deslant(work: np.ndarray) -> np.ndarray:
    """The ink sheared so it stands upright, widened so nothing is cut off."""
    alpha = slant(work)
    if abs(alpha) < 1e-3:
        return work
    h = work.shape[0]
    pad = int(np.ceil(abs(alpha) * h / 2)) + 2
    work = _pad(work, 0, pad)
    cy = (work * np.arange(h)[:, None]).sum() / max(float(work.sum()), 1e-9)
    # output (y, x) samples the input at (y, x + alpha * (y - cy))
    return shear_rows(work, alpha, -alpha * cy)


def shear_rows(work: np.ndarray, alpha: float, offset: float) -> np.ndarray:
    """Row y sampled at columns x + alpha * y + offset, linearly, zero outside the row: exactly
    `ndimage.affine_transform(work, [[1, 0], [alpha, 1]], offset=(0, offset), order=1, mode="constant")`
    (the same float64 sums in the same order), whose general spline machinery took twice as long."""
    h, w = work.shape
    at = (offset + alpha * np.arange(h, dtype=np.float64))[:, None] + np.arange(w, dtype=np.float64)
    inside = (at >= 0.0) & (at <= w - 1)
    left = np.floor(at)
    t = at - left
    k = np.clip(left, 0, w - 1).astype(np.intp)
    ink = np.zeros((h, w + 1), dtype=np.float64)  # a zero column: the right neighbour of the last pixel
    ink[:, :w] = work
    rows = np.arange(h)[:, None]
    near = 1.0 - t
    far = 1.0 - near  # as scipy's spline weights: the last is 1 minus the others (not t, in floating point)
    values = near * ink[rows, k] + far * ink[rows, k + 1]
    return np.where(inside, values, 0.0).astype(np.float32)


def stroke_level(work: np.ndarray) -> float:
    """The ink level that separates stroke from halo: Otsu's threshold on the inked pixels, kept within
    [MASK_LEVEL, 0.5] so a blurry low-resolution digit keeps its loops and a faint biro line its length."""
    values = work[work > 0.05]
    if values.size < 16:
        return MASK_LEVEL
    # np.histogram(values, bins=32, range=(0, 1)) exactly (the edges k/32 and v*32 are exact in binary), faster
    hist = np.bincount(np.minimum((values * 32).astype(np.intp), 31), minlength=32)
    centres = _CENTRES
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    between = w0 * w1 * (m0 / np.maximum(w0, 1) - (m0[-1] - m0) / np.maximum(w1, 1)) ** 2
    return float(np.clip(centres[int(np.argmax(between))], MASK_LEVEL, 0.5))


def local_contrast(work: np.ndarray) -> np.ndarray:
    """Ink relative to the strongest ink nearby: a faint biro line (a 1 px stroke box-reduced from a big
    scan) counts as much as the crossing next to it, while the gaps inside a blurry loop stay gaps."""
    if stroke_thickness(work > MASK_LEVEL) >= THIN_STROKE:  # strokes of some body (pens, blurry scans): as they are
        return work
    work = np.where(work < 0.1, 0.0, work)
    return work / np.maximum(ndimage.grey_dilation(work, size=(7, 7)), 0.25)


def redraw(mask: np.ndarray, radius: float = PEN_RADIUS) -> np.ndarray:
    """The skeleton of the strokes redrawn with one round, anti-aliased pen."""
    pad = int(np.ceil(radius)) + 2
    padded = _pad(mask, pad)
    skel = thin(padded)
    if not skel.any():
        return padded.astype(np.float32)
    return bitboard.pen(skel, radius)  # = clip(radius + 0.5 - distance_transform_edt(~skel), 0, 1)


def upsample_low_res(ink: np.ndarray) -> np.ndarray:
    """A low-resolution scan smoothly enlarged (cubic), so cropping and deslanting have pixels to work on."""
    return np.clip(ndimage.zoom(np.asarray(ink, dtype=np.float32), LOW_RES_ZOOM, order=3), 0.0, 1.0)


def canonical(ink: np.ndarray, *, side: int = 28, box: int = 20, blur: float = 0.0,
              pen: float = PEN_RADIUS) -> np.ndarray:
    """(side, side) ink in [0, 1]: crop, deslant, thin and redraw, longer side into `box`, mass centred.

    A low-resolution scan (at most LOW_RES pixels a side) keeps its stroke mask instead of being thinned
    and redrawn: the skeleton of an upsampled 8x8 blob is what loses a 9 from a 3 and an 8 from a 1
    (docs/recognition.md). Every such input and every such training image (the embedded digits) take
    this same branch, so the model learns that look as its own."""
    ink = np.asarray(ink, dtype=np.float32)
    low_res = _low_res(ink)
    return _form(drop_specks(upsample_low_res(ink) if low_res else ink), low_res, side, box, blur, pen)


def _low_res(ink: np.ndarray) -> bool:
    return max(ink.shape) <= LOW_RES


def _form(ink: np.ndarray, low_res: bool, side: int, box: int, blur: float, pen: float) -> np.ndarray:
    """The canonical form of ink already cleaned of specks (at its working resolution)."""
    rows, cols = _bbox(ink, BBOX_LEVEL)
    crop = ink[rows, cols]
    h, w = crop.shape
    scale = WORK / max(h, w)
    work = resize(crop, round(w * scale), round(h * scale))
    work = _pad(work / max(float(work.max()), 1e-6), 2)
    work = deslant(work)
    mask = local_contrast(work) > stroke_level(work)
    drawn = _pad(mask, int(np.ceil(pen)) + 2, dtype=np.float32) if low_res else redraw(mask, pen)
    rows, cols = _bbox(drawn, 0.5)
    drawn = drawn[rows, cols]
    h, w = drawn.shape
    scale = box / max(h, w)
    glyph = np.clip(resize(drawn, max(1, round(w * scale)), max(1, round(h * scale))), 0.0, 1.0)
    canvas = np.zeros((side, side), dtype=np.float32)
    gh, gw = min(glyph.shape[0], side), min(glyph.shape[1], side)
    top, left = (side - gh) // 2, (side - gw) // 2
    canvas[top:top + gh, left:left + gw] = glyph[:gh, :gw]
    cy, cx = mass_centre(canvas)
    dy = int(np.clip(round((side - 1) / 2 - cy), -side // 4, side // 4))
    dx = int(np.clip(round((side - 1) / 2 - cx), -side // 4, side // 4))
    m = side // 4
    canvas = _pad(canvas, m)[m - dy:m - dy + side, m - dx:m - dx + side]
    if blur > 0:
        canvas = ndimage.gaussian_filter(canvas, blur)
    return canvas


def is_dot(ink: np.ndarray) -> bool:
    """True when the ink is one compact blob (a dot, a tap of the pen): its extent is barely its stroke width."""
    mask = ink > 0.5
    area = int(mask.sum())
    if area == 0:
        return True
    rows, cols = np.nonzero(mask)
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    return extent < 2.2 * stroke_thickness(mask)


def canonical_input(ink: np.ndarray, conv) -> np.ndarray:
    """The flat model input of a canonical convention (see ml.recognition.conventions.CANON_28)."""
    ink = np.asarray(ink, dtype=np.float32)
    clean = drop_specks(ink)
    if is_dot(clean):
        raise TooSmallError("Too small to read: that looks like a dot, not a digit. Draw the whole digit.")
    if _low_res(ink):  # enlarged before its specks are looked for: it starts from the ink
        form = canonical(ink, side=conv.size, box=conv.box)
    else:  # the dot check's clean ink goes on (a second drop_specks would keep every blob)
        form = _form(clean, False, conv.size, conv.box, 0.0, PEN_RADIUS)
    return (form * conv.max_value).astype(np.float64).ravel()
