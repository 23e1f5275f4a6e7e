"""Decode and prepare a chunk of batch images: the part of a batch that runs in worker processes.

It needs no model and no database (a worker never opens the store, which one process holds): bytes
in, (model input, thumbnail, milliseconds) or the reason an image was refused out. A decoder process
imports only this module and what it needs, and its initializer is ml.runtime.threads' (a decoder takes ~62 MB; they
once lived in ml.batch.job, which pulled the store, DuckDB and joblib into every decoder: 89 MB). What is kept per
image is bounded: a thumbnail of at most THUMB_SIDE pixels and THUMB_BYTES (the upload itself only when it is
already such a plain PNG, ml.inputs.images.upload_thumbnail).
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ml.errors import BlankImageError, ImageError
from ml.inputs.images import load_image, upload_thumbnail
from ml.recognition.conventions import ImageConvention
from ml.recognition.preprocess import preprocess

THUMB_SIDE, THUMB_BYTES = 64, 8_000

# (model input, thumbnail PNG, ms, problem, reason): the first three set when the image was usable.
Outcome = tuple[np.ndarray | None, bytes | None, float, str | None, str | None]


def problem_of(exc: ImageError) -> str:
    """A short, stable word for the errors list's filter; the sentence itself is the reason."""
    text = str(exc)
    if isinstance(exc, BlankImageError):
        return "blank"
    if "megapixels" in text or "pixels of" in text:
        return "too many pixels"
    if "not an image" in text:
        return "not an image"
    if text.startswith("The file is") and "limit" in text:
        return "too large"
    return "unreadable"


def prepare_one(data: bytes, conv: ImageConvention, max_pixels: int, max_bytes: int) -> Outcome:
    started = time.perf_counter()
    try:
        image = load_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
        vector = preprocess(image, conv)
        thumb = upload_thumbnail(data, image, THUMB_SIDE, THUMB_BYTES)
    except ImageError as exc:
        return None, None, 0.0, problem_of(exc), str(exc)
    return vector, thumb, (time.perf_counter() - started) * 1000, None, None


def prepare_chunk(payloads: Sequence[bytes], conv: dict | ImageConvention, max_pixels: int,
                  max_bytes: int) -> list[Outcome]:
    """One outcome per payload, in order (a worker process's task; `conv` travels as a dict)."""
    convention = conv if isinstance(conv, ImageConvention) else ImageConvention.from_dict(conv)
    return [prepare_one(data, convention, max_pixels, max_bytes) for data in payloads]


def start_decoder(parent_pid: int) -> None:
    """A decoder process's initializer: one thread (the cores are already shared out between
    processes), and it ends with the process that started it."""
    from ml.runtime.process_context import die_with_parent
    from ml.runtime.threads import one_thread_per_process
    one_thread_per_process()
    die_with_parent(parent_pid)


def warm_up() -> None:
    """A decoder's first task: a no-op whose arrival means this module (the decode path) is imported,
    beside the model load rather than on the first chunk."""
