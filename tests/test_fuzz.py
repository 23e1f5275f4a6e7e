"""Fuzzing the three readers of untrusted bytes: any input gives a result or our own error type.

Random bytes mostly fail at the first check, so each reader is also fed valid files with a few
bytes overwritten, which reach the decoders and the archive's inner structures.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ml.datasets.generated.synthetic import pen_digit_on_paper
from ml.datasets.sources import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx, write_idx
from ml.errors import DigitLabError
from ml.inputs import archives
from ml.inputs.images import load_image

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _encoded(fmt: str, mode: str) -> bytes:
    buffer = io.BytesIO()
    pen_digit_on_paper(4, size=40, width=4).convert(mode).save(buffer, format=fmt)
    return buffer.getvalue()


SEEDS = [_encoded("PNG", "L"), _encoded("PNG", "I;16"), _encoded("GIF", "P"), _encoded("TIFF", "RGB"),
         _encoded("JPEG", "RGB"), _encoded("BMP", "RGB"), _encoded("WEBP", "RGB")]


def _zip_seed() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3/a.png", SEEDS[0])
        archive.writestr("b_7.png", SEEDS[2])
    return buffer.getvalue()


ZIP_SEED = _zip_seed()


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A valid file with up to 8 bytes overwritten and maybe cut short."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


def _image_outcome(data: bytes) -> None:
    try:
        image = load_image(data)
    except DigitLabError:
        return
    assert isinstance(image, Image.Image) and image.width > 0 and image.height > 0


@FUZZ
@given(st.one_of(st.binary(max_size=2048), mutated(SEEDS)))
def test_image_reader_gives_an_image_or_our_error(data):
    _image_outcome(data)


def _read_archive(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.zip"
        path.write_bytes(data)
        try:
            members = list(archives.read_zip(path))
        except DigitLabError:
            return
    for member in members:
        assert member.ok or (member.problem and member.reason and "\n" not in member.reason)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), mutated([ZIP_SEED])))
def test_archive_reader_gives_members_or_our_error(data):
    _read_archive(data)


def _idx_seed(images: bool) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.gz"
        array = np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28) if images else np.arange(4, dtype=np.uint8)
        write_idx(path, array)
        gz = path.read_bytes()
        write_idx(Path(folder) / "seed", array)
        return gz if images else (Path(folder) / "seed").read_bytes()


IDX_SEEDS = [_idx_seed(True), _idx_seed(False)]


@FUZZ
@given(st.one_of(st.binary(max_size=1024), mutated(IDX_SEEDS)), st.sampled_from([IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC]))
def test_idx_reader_gives_an_array_or_our_error(data, magic):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.idx"
        path.write_bytes(data)
        try:
            array = read_idx(path, magic)
        except DigitLabError as exc:
            assert "\n" not in str(exc)
            return
    assert array.ndim == (3 if magic == IDX_IMAGES_MAGIC else 1) and len(array) > 0
