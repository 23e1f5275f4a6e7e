"""Map any digit image into a dataset's convention: the one place preprocessing lives.

Inputs vary wildly: the 280x280 RGBA canvas (white on black), scans (dark on light), photos
with thin pens, transparent PNGs, 16-bit TIFFs. Every path goes ink map -> crop to the ink ->
normalise stroke thickness -> scale into the convention's box -> centre -> intensity scale,
because a model only recognises what looks like its training data.
"""
from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from ml.errors import BlankImageError, ImageError, TooSmallError
from ml.recognition.conventions import ImageConvention
from ml.recognition.raster import mass_centre, median, resize, stroke_thickness

NOISE_FLOOR = 0.2        # ink below this (relative to the strongest stroke) is paper texture
BBOX_LEVEL = 0.15        # ink level that counts for the bounding box
BINARY_LEVEL = 0.35      # level for the working-resolution stroke mask
STROKE_TARGET = 0.25     # stroke width as a fraction of the digit height: optdigits strokes are thick
STROKE_BAND = (0.2, 0.45)  # measured: canvas pens land at 0.05-0.14, load_digits renders at 0.2-0.29
_CROSS = ndimage.generate_binary_structure(2, 1)
UNEVEN_LIGHT = 0.08      # paper whose brightness along the frame varies by more than this share is lit unevenly
TOO_SMALL = "Too small to read: a dot or a speck is not a digit. Draw the whole digit, larger."


def deep_grey(image: Image.Image) -> np.ndarray:
    """A 16-bit, 32-bit or float grey image in [0, 1], scaled by its brightest pixel: a 12-bit scan
    reads like itself (Pillow's own conversion clips such pixels at 255). Thumbnails use it too."""
    arr = np.asarray(image, dtype=np.float32)
    top = float(arr.max()) if arr.size else 1.0
    return arr / (top if top > 0 else 1.0)


def _gray_and_alpha(image: Image.Image | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Luminance in [0, 1] and alpha in [0, 1] (None when the image has no transparency)."""
    if isinstance(image, Image.Image):
        if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            return deep_grey(image), None
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        if has_alpha:
            rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
            gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
            return gray, rgba[..., 3]
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0, None
    arr = np.asarray(image)
    if arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (3, 4):
        # 8-bit colour (the canvas): Pillow's luminance uses the same weights, in C
        alpha = arr[..., 3] if arr.shape[2] == 4 else None
        if alpha is not None and int(alpha.min()) == 255:  # fully opaque (the canvas): no compositing
            alpha = None
        gray = np.asarray(Image.fromarray(arr).convert("L"), dtype=np.float32) / 255.0
        return gray, (alpha.astype(np.float32) / 255.0 if alpha is not None else None)
    scale = 255.0 if arr.dtype == np.uint8 or (arr.dtype.kind == "f" and arr.size and arr.max() > 1.0) else 1.0
    if arr.dtype.kind in "ui" and arr.dtype != np.uint8:
        scale = float(max(arr.max(), 1))
    arr = arr.astype(np.float32) / scale
    if arr.ndim == 2:
        return arr, None
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        gray = arr[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        alpha = arr[..., 3] if arr.shape[2] == 4 else None
        if alpha is not None and float(alpha.min()) >= 1.0:  # fully opaque (the canvas): no compositing
            alpha = None
        return gray, alpha
    if arr.ndim == 3 and arr.shape[2] in (1, 2):
        return arr[..., 0], (arr[..., 1] if arr.shape[2] == 2 else None)
    raise ImageError(f"Unsupported image array of shape {arr.shape}.")


def _border(values: np.ndarray) -> np.ndarray:
    k = max(1, min(values.shape) // 30)
    return np.concatenate([values[:k].ravel(), values[-k:].ravel(), values[:, :k].ravel(), values[:, -k:].ravel()])


def light_paper(gray: np.ndarray) -> bool:
    """Whether most of the picture is lighter than its ink: its median lies in the upper half of its
    range (the paper covers most of a sheet, however unevenly it is lit)."""
    step = max(1, min(gray.shape) // 64)  # a sample is enough for three percentiles (the canvas asks on every stroke)
    low, mid, high = np.percentile(gray[::step, ::step], (1, 50, 99))
    return bool(mid > (low + high) / 2)


def even_light(gray: np.ndarray) -> np.ndarray:
    """Light paper under uneven light (a shadow across it, dark corners, light falling off) divided by
    its own paper brightness, so its ink is what is darker than the paper around it, not what is
    darker than the page's border; evenly lit pictures and dark sheets are returned as they are.

    The paper's brightness is a grey closing with a window of a quarter of the picture: it removes
    every dark stroke narrower than that and keeps shadows, whose edges are longer."""
    if gray.size == 0 or min(gray.shape) < 8 or not light_paper(gray):
        return gray
    window = max(3, min(gray.shape) // 4) | 1
    # lightly smoothed first, so JPEG and sensor noise on evenly lit paper does not read as uneven light
    paper = ndimage.grey_closing(ndimage.gaussian_filter(gray, min(gray.shape) / 160), size=(window, window))
    # Measured along the frame: uneven light reaches the edges of the picture, while a stroke too
    # thick for the window (a marker digit stretched to fill its box) sits inside it.
    darkest, lightest = np.percentile(_border(paper), (1, 99))
    if lightest <= 0 or (lightest - darkest) / lightest <= UNEVEN_LIGHT:
        return gray
    return np.clip(gray / np.maximum(paper, 0.05), 0.0, 1.0).astype(np.float32)


def ink_map(image: Image.Image | np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] (1 = ink), whatever the polarity, alpha, bit depth or lighting."""
    gray, alpha = _gray_and_alpha(image)
    if alpha is not None:
        transparent = alpha < 0.5
        if transparent.mean() > 0.4:
            # Strokes on a transparent sheet (the canvas without a background, logos): the ink is
            # what is opaque, whatever its colour.
            return np.clip(alpha, 0.0, 1.0).astype(np.float32)
        # Mostly opaque: whatever is see-through shows the paper, i.e. the page's own background.
        paper = float(np.median(gray[~transparent])) if (~transparent).any() else 1.0
        gray = gray * alpha + paper * (1.0 - alpha)
    evened = even_light(gray)
    background = median(_border(evened))
    distance = (background - evened) if background >= 0.5 else (evened - background)
    distance = np.clip(distance, 0.0, None)
    strongest = float(distance.max()) if distance.size else 0.0
    if strongest < 0.15:  # no contrast at all: a blank page
        return np.zeros_like(gray, dtype=np.float32)
    ink = np.clip(distance / strongest, 0.0, 1.0)
    ink[ink < NOISE_FLOOR] = 0.0
    return (ink if evened is gray else _uncut(ink)).astype(np.float32)


def _uncut(ink: np.ndarray) -> np.ndarray:
    """A photo's ink without the shapes its frame cuts, when the rest holds most of the ink: where a
    shadow's edge or a dark corner meets the frame it is narrower than the paper estimate's window
    and is left as a sliver of "ink" there; a digit is written inside the picture."""
    labels, count = ndimage.label(ink > BBOX_LEVEL, structure=np.ones((3, 3), dtype=bool))
    if count <= 1:
        return ink
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    cut = np.isin(labels, edge[edge > 0])
    inside = float(ink[(labels > 0) & ~cut].sum())
    if inside < 0.5 * float(ink[labels > 0].sum()):
        return ink
    return np.where(cut, 0.0, ink)


def is_blank(ink: np.ndarray) -> bool:
    """True for an empty or near-empty drawing (a dot or a speck), where no digit can be read."""
    strong = ink > 0.5
    count = int(strong.sum())
    if count < 4:
        return True
    rows, cols = np.nonzero(strong)
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    return count < 0.002 * ink.size and extent < 0.15 * max(ink.shape)


def _stroke_steps(mask: np.ndarray, height: int) -> int:
    """Grey dilation (+) or erosion (-) steps that bring the stroke width into the band the
    datasets were drawn with (a biro on a large photo is hair-thin once scaled; a marker is a blob)."""
    if not mask.any():
        return 0
    thickness = stroke_thickness(mask)
    low, high, target = STROKE_BAND[0] * height, STROKE_BAND[1] * height, STROKE_TARGET * height
    if thickness < low:
        return max(1, int(round((target - thickness) / 2)))
    if thickness > high:
        return -max(1, int(round((thickness - target) / 2)))
    return 0


def _fit_box(crop: np.ndarray, conv: ImageConvention) -> tuple[int, int]:
    """(width, height) of the crop scaled into the convention's box, aspect kept."""
    h, w = crop.shape
    box = conv.box
    if conv.fill == "height":
        scale = box / h if w * box / h <= box else box / w
    else:
        scale = box / max(h, w)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _crop(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero((ink > BBOX_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > BBOX_LEVEL).any(axis=0))
    if rows.size == 0:
        raise BlankImageError("Draw a digit first: the image is blank.")
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def to_model_input(ink: np.ndarray, conv: ImageConvention) -> np.ndarray:
    """The model's input vector (conv.size**2 values in 0..conv.max_value)."""
    crop = _crop(ink)
    out_w, out_h = _fit_box(crop, conv)
    # Work at twice the box so stroke surgery has pixels to work with.
    work = resize(crop, out_w * 2, out_h * 2)
    work /= max(float(work.max()), 1e-6)
    steps = _stroke_steps(work > BINARY_LEVEL, 2 * (out_h if conv.fill == "height" else max(out_h, out_w)))
    if steps:
        # Grey morphology keeps the levels continuous; padding leaves room to grow.
        work = np.pad(work, abs(steps) + 1)
        op = ndimage.grey_dilation if steps > 0 else ndimage.grey_erosion
        changed = op(work, footprint=_CROSS) if abs(steps) == 1 else work
        for _ in range(abs(steps) - (1 if abs(steps) == 1 else 0)):
            changed = op(changed, footprint=_CROSS)
        if steps > 0 or (changed > BINARY_LEVEL).sum() > 0.2 * (work > BINARY_LEVEL).sum():
            work = changed
        crop = _crop(work)
        out_w, out_h = _fit_box(crop, conv)
        work = crop
    # Area coverage, not a hard bitmap: optdigits' 4x4 counts are coverage fractions too, and
    # keeping grey levels makes the mapping stable under resampling.
    glyph = np.clip(resize(work, out_w, out_h), 0.0, 1.0)
    side = conv.size * conv.block
    canvas = np.zeros((side, side), dtype=np.float32)
    top, left = (side - out_h) // 2, (side - out_w) // 2
    canvas[top:top + out_h, left:left + out_w] = glyph[:side, :side]
    if conv.center == "mass" and canvas.sum() > 0:
        cy, cx = mass_centre(canvas)
        canvas = ndimage.shift(canvas, ((side - 1) / 2 - cy, (side - 1) / 2 - cx), order=1, mode="constant")
    if conv.block > 1:
        counts = canvas.reshape(conv.size, conv.block, conv.size, conv.block).sum(axis=(1, 3))
        values = counts * (conv.max_value / conv.block ** 2)
    else:
        values = np.clip(canvas, 0.0, 1.0) * conv.max_value
    return values.astype(np.float64).ravel()


# Inputs over twice WORKING_SIDE are box-reduced first: the work box is at most 64 px, and thin strokes keep their mass.
WORKING_SIDE = 128
EXACT_UP_TO = 400   # canvas-sized inputs are not reduced, so moving a drawing by a pixel changes nothing


def _shrink(image: Image.Image | np.ndarray) -> Image.Image | np.ndarray:
    """Box-reduce big inputs (photos, scans) by an integer factor before the per-pixel numpy work
    (a 4000 px photo becomes 129 px)."""
    size = image.size if isinstance(image, Image.Image) else (image.shape[1], image.shape[0])
    factor = max(size) // WORKING_SIDE
    if factor < 2 or max(size) <= EXACT_UP_TO:
        return image
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
            return image
        return np.asarray(Image.fromarray(image).reduce(factor))
    if image.mode in ("1", "P", "CMYK", "I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("RGBA" if "transparency" in image.info else "L") if image.mode in ("1", "P", "CMYK") else image
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            return image
    return image.reduce(factor)


def preprocess(image: Image.Image | np.ndarray, conv: ImageConvention) -> np.ndarray:
    """Any image -> the model input of `conv`; ImageError when there is no digit to read."""
    ink = ink_map(_shrink(image))
    if is_blank(ink):
        if not ink.any():
            raise BlankImageError("Draw a digit first: the image is blank.")
        raise TooSmallError(TOO_SMALL)
    if conv.form == "canonical":
        from ml.recognition.canonical import canonical_input  # the canonical form lives in its own module
        return canonical_input(ink, conv)
    return to_model_input(ink, conv)
