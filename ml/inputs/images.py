"""Safe decoding of untrusted image files.

Uploads come from anywhere: every way a file can be wrong (empty, not an image, truncated,
a decompression bomb, too large) becomes one `ImageError` sentence a user can act on.

Memory is bounded before any pixel is decoded: the header's size times the bytes a pixel of that
mode takes (16-bit and float modes count 2 and 4) must fit `MAX_DECODED_BYTES`. After decoding, an
image larger than `WORK_SIDE` is box-reduced, so the float work of preprocessing never runs on
25 megapixels (docs/security.md, "Memory").
"""
from __future__ import annotations

import ctypes
import io
import logging
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageOps, UnidentifiedImageError

from ml.errors import ImageError

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
MAX_DECODED_BYTES = 100 * 1024 * 1024  # the decoded frame, whatever its mode
WORK_SIDE = 1024  # larger images are reduced to about this before float work (digits need ~28 px)
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP")
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "I;16": 2, "I;16B": 2, "I;16L": 2,
                    "I;16N": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "RGBa": 4, "RGBX": 4,
                    "CMYK": 4, "I": 4, "F": 4}
_SIXTEEN = ("I;16", "I;16B", "I;16L", "I;16N")
# Decoding big images at once multiplies a server's memory by its threads: they share one budget
# of decoded bytes (each decode reserves twice its frame, for one working copy) and wait their turn.
DECODE_BUDGET_BYTES = 256 * 1024 * 1024
_budget = threading.Condition()
_budget_used = 0


def _unmap_big_blocks(threshold: int = 8 * 1024 * 1024) -> None:
    """Make glibc hand big freed blocks back to the system. By default its mmap threshold grows after
    the first big free, and later 16 MB frames come from per-thread arenas that keep them: decodes on
    several server threads stayed resident.
    A no-op where there is no glibc."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, threshold)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        log.debug("no glibc mallopt: big blocks are left to the platform's allocator")


_unmap_big_blocks()


@contextmanager
def _decode_budget(nbytes: int) -> Iterator[None]:
    """Hold `nbytes` of the process-wide decode budget while decoding (one big image at a time)."""
    global _budget_used
    need = min(nbytes, DECODE_BUDGET_BYTES)
    with _budget:
        _budget.wait_for(lambda: _budget_used + need <= DECODE_BUDGET_BYTES)
        _budget_used += need
    try:
        yield
    finally:
        with _budget:
            _budget_used -= need
            _budget.notify_all()


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _bomb_message(pil_text: str, max_pixels: int) -> str:
    found = re.search(r"\((\d+) pixels\)", pil_text)
    size = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "more pixels than is safe to open"
    return f"The image declares {size}; the limit is {max_pixels // 1_000_000} megapixels."


def _check_size(image: Image.Image, max_pixels: int) -> int:
    """Refuse from the header alone: pixel count, and decoded bytes for the pixel's mode; returns
    the decoded size in bytes."""
    width, height = image.size
    if width == 0 or height == 0:
        raise ImageError("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageError(f"The image is {width}×{height} pixels; the limit is {max_pixels // 1_000_000} megapixels.")
    per_pixel = _BYTES_PER_PIXEL.get(image.mode)
    if per_pixel is None:
        raise ImageError(f"The image uses the pixel mode {image.mode!r}, which Digit Lab does not read; "
                         "save it as an ordinary PNG or JPEG.")
    if width * height * per_pixel > MAX_DECODED_BYTES:
        raise ImageError(f"The image is {width}×{height} pixels of {per_pixel} bytes each "
                         f"({_megabytes(width * height * per_pixel)} decoded); the limit is "
                         f"{MAX_DECODED_BYTES // (1024 * 1024)} MB: send a smaller image.")
    return width * height * per_pixel


def to_work_size(image: Image.Image, side: int = WORK_SIDE) -> Image.Image:
    """Box-reduce an image whose longer side passes `side` (by a whole factor: fast, no float copy)."""
    factor = max(image.size) // side
    if factor < 2:
        return image
    if image.mode in _SIXTEEN:  # reduce() cannot take 16-bit; a box resize can, without a 32-bit copy
        return image.resize((max(1, image.width // factor), max(1, image.height // factor)), Image.Resampling.BOX)
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    return image.reduce(factor)


def too_large(size: int, max_bytes: int) -> str:
    """The sentence for a file over the size limit (the API says it before reading the whole body)."""
    return f"The file is {_megabytes(size)}; the limit is {max_bytes // (1024 * 1024)} MB."


def load_image(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode the first frame fully (so truncation shows now, not later), reduced to work size,
    EXIF orientation applied."""
    if not data:
        raise ImageError("The file is empty.")
    if len(data) > max_bytes:
        raise ImageError(too_large(len(data), max_bytes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a decoder's complaints about odd tags are not the user's to read
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except UnidentifiedImageError:
            raise ImageError("This is not an image Digit Lab can read (PNG, JPEG, BMP, GIF, TIFF or WebP).") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(_bomb_message(str(exc), max_pixels)) from None
        except Exception as exc:  # noqa: BLE001 - any decoder failure on untrusted bytes is a damaged file
            log.info("unreadable image header: %r", exc)
            raise ImageError("The image file is damaged: its header cannot be read.") from None
        decoded = _check_size(image, max_pixels)
        try:
            with _decode_budget(2 * decoded):
                if image.format == "JPEG":
                    image.draft(image.mode, (WORK_SIDE, WORK_SIDE))  # decode at 1/2..1/8 scale directly
                image.load()  # the first frame only: animated GIFs and multi-page TIFFs are not walked
                image = to_work_size(image)
            image = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(_bomb_message(str(exc), max_pixels)) from None
        except MemoryError:
            raise ImageError("The image is too large to decode safely; send a smaller image.") from None
        except Exception as exc:  # noqa: BLE001 - any decoder failure on untrusted bytes is a damaged file
            log.info("undecodable image: %r", exc)
            raise ImageError("The image file is truncated or damaged.") from None
    return image


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_THUMB_MODES = ("L", "LA", "RGB", "RGBA")  # what a thumbnail keeps; others are converted
_PIXEL_CHUNKS = (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND")


def plain_png(data: bytes) -> bool:
    """Whether `data` is a PNG of pixel chunks only (no text, metadata or private chunks) with nothing
    after its end: what a re-encoding would say, so it can be kept as it is. A polyglot (a PNG that is
    also a zip or a page) carries its other self in another chunk or after IEND, and is re-encoded."""
    if not data.startswith(_PNG_SIGNATURE):
        return False
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        kind = data[pos + 4:pos + 8]
        if kind not in _PIXEL_CHUNKS:
            return False
        pos += 12 + int.from_bytes(data[pos:pos + 4], "big")
        if kind == b"IEND":
            return pos == len(data)
    return False


def upload_thumbnail(data: bytes, image: Image.Image, max_side: int, max_bytes: int) -> bytes:
    """The thumbnail of an upload decoded into `image`: the upload itself when it already is one (a
    plain 8-bit PNG within the caps, like a 28x28 scan), else `image_to_png_thumbnail`. A batch of
    small PNGs otherwise spends part of its decoding CPU writing each again."""
    if (len(data) <= max_bytes and max(image.size) <= max_side and image.mode in _THUMB_MODES
            and plain_png(data)):
        return data
    return image_to_png_thumbnail(image, max_side, max_bytes)


def _eight_bit(image: Image.Image) -> Image.Image:
    """A 16-bit, 32-bit or float grey image as 8-bit grey, read as the ink map reads it."""
    import numpy as np  # on use: decoding alone needs neither

    from ml.recognition.preprocess import deep_grey
    return Image.fromarray(np.rint(np.clip(deep_grey(image), 0.0, 1.0) * 255.0).astype(np.uint8), mode="L")


def image_to_png_thumbnail(image: Image.Image, max_side: int = 280, max_bytes: int = 64_000) -> bytes:
    """A size-capped PNG of the original, kept with each prediction for review (and shown as the
    Upload preview). A big photo is box-reduced first instead of copied whole, for the same thumbnail
    within a grey level."""
    thumb = image
    if thumb.mode in ("I", "F", *_SIXTEEN):  # Pillow clips these at 255 when converting: a white thumbnail
        thumb = _eight_bit(thumb)
    if thumb.mode not in _THUMB_MODES:
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() or "transparency" in thumb.info else "RGB")
    factor = max(thumb.size) // max_side
    if factor >= 2:
        thumb = thumb.reduce(factor)
    elif thumb is image:
        thumb = image.copy()
    thumb.thumbnail((max_side, max_side))
    while True:
        buffer = io.BytesIO()
        thumb.save(buffer, format="PNG", compress_level=1)
        if buffer.tell() <= max_bytes or max(thumb.size) <= 16:
            return buffer.getvalue()
        thumb.thumbnail((max(thumb.size) // 2, max(thumb.size) // 2))
