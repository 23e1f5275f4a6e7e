"""The limits of one batch, in one place: their setting keys, defaults and the sentence for each.

An admin changes them on the Settings page (stored with `data.settings`); until then the defaults
hold. Streamlit's own upload cap (`server.maxUploadSize` in .streamlit/config.toml) is set to
`SERVER_UPLOAD_MB`, the largest a single file may ever be, so the server never refuses a file the
batch would accept; the batch uploader states the current per-file limit itself.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from data import settings
from ml.bounds import Bounded
from ml.inputs import archives

log = logging.getLogger(__name__)

MB = 1024 * 1024
SERVER_UPLOAD_MB = 200  # .streamlit/config.toml server.maxUploadSize: the ceiling of BYTES_PER_FILE


@dataclass(frozen=True)
class Setting(Bounded):
    key: str
    label: str
    default: int
    low: int
    high: int


FILES_PER_BATCH = Setting("batch.files_per_batch", "Files per batch", 100, 1, 1_000)
BYTES_PER_FILE = Setting("batch.bytes_per_file", "Bytes per file (an image or a zip)", 100 * MB, 1024,
                         SERVER_UPLOAD_MB * MB)
TOTAL_BYTES = Setting("batch.total_bytes", "Bytes per batch, all files together", 500 * MB, 1024, 4_096 * MB)
PIXELS_PER_IMAGE = Setting("batch.pixels_per_image", "Pixels per image", 25_000_000, 64, 100_000_000)
IMAGES_PER_BATCH = Setting("batch.images_per_batch", "Images per batch (zip members counted)", 20_000, 1, 200_000)
BYTES_PER_IMAGE = Setting("batch.bytes_per_image", "Bytes per image (Upload, and inside a zip)", 5 * MB, 1024, 50 * MB)
SETTINGS: tuple[Setting, ...] = (FILES_PER_BATCH, BYTES_PER_FILE, TOTAL_BYTES, PIXELS_PER_IMAGE, IMAGES_PER_BATCH,
                                 BYTES_PER_IMAGE)


@dataclass(frozen=True)
class BatchLimits:
    files: int
    file_bytes: int
    total_bytes: int
    pixels: int
    images: int
    image_bytes: int

    def archive_limits(self) -> archives.Limits:
        """What one zip of the batch may hold (the same rules as every zip, with the batch's caps)."""
        return archives.Limits(max_members=self.images, max_member_bytes=self.image_bytes,
                               max_total_bytes=self.total_bytes)


def value(setting: Setting, stored: Mapping[str, str] | None = None) -> int:
    """The setting as stored, within its range; the default when unset or unreadable. `stored`: the
    settings' stored text when the caller has just read it (with this key among others)."""
    raw = settings.get(setting.key) if stored is None else stored.get(setting.key)
    if raw is None:
        return setting.default
    try:
        number = int(float(raw))
    except ValueError:
        log.warning("setting %s=%r is not a number; using %d", setting.key, raw, setting.default)
        return setting.default
    return setting.clamp(number)


def image_bytes(stored: Mapping[str, str] | None = None) -> int:
    """Bytes one image may have, uploaded alone (the Upload page) or inside a batch."""
    return value(BYTES_PER_IMAGE, stored)


def current() -> BatchLimits:
    """The limits in force now (read once per batch: a change applies to the next batch)."""
    return BatchLimits(*(value(s) for s in SETTINGS))


def megabytes(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n % MB else f"{n // MB:,} MB"
