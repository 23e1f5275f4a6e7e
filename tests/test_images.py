"""Untrusted files: each way a file can be bad gives one clear sentence, never a crash."""
from __future__ import annotations

import io
import struct

import pytest
from images import bomb_png, png
from PIL import Image

from ml.datasets.generated.synthetic import pen_digit_on_paper
from ml.inputs.images import MAX_UPLOAD_BYTES, ImageError, image_to_png_thumbnail, load_image


def test_the_bomb_is_a_small_file_that_declares_a_huge_image():
    """The bomb case above only proves something if the file is small: the size must be refused from
    the header, not after decoding."""
    data = bomb_png()
    assert len(data) < 10_000
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk's declared size
    assert width * height == 1_600_000_000


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"%PDF-1.7 certainly not an image", "not an image Digit Lab can read"),
    (png(pen_digit_on_paper(3))[:300], "truncated or damaged"),
    (bomb_png(), "declares 1,600 megapixels; the limit is 25 megapixels"),
    (b"\x89PNG" + b"\x00" * (MAX_UPLOAD_BYTES + 10), "the limit is 5 MB"),
])
def test_bad_files_give_one_clear_sentence(data, message):
    with pytest.raises(ImageError) as caught:
        load_image(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and "Traceback" not in str(caught.value)


@pytest.mark.parametrize("fmt, mode", [("PNG", "RGBA"), ("PNG", "LA"), ("PNG", "P"), ("PNG", "I;16"), ("JPEG", "RGB"),
                                       ("JPEG", "CMYK"), ("BMP", "1"), ("GIF", "P"), ("TIFF", "RGB"), ("WEBP", "RGBA")])
def test_supported_formats_and_modes_decode(fmt, mode):
    buf = io.BytesIO()
    pen_digit_on_paper(5).convert(mode).save(buf, format=fmt)
    image = load_image(buf.getvalue())
    assert image.size == (280, 280)


def test_animated_gif_uses_its_first_frame():
    frames = [pen_digit_on_paper(d).convert("P") for d in (2, 7)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    assert load_image(buf.getvalue()).size == (280, 280)


def test_thumbnail_is_a_size_capped_png():
    big = Image.effect_noise((3000, 3000), 100).convert("RGB")  # noise compresses badly
    thumb = image_to_png_thumbnail(big)
    assert len(thumb) <= 64_000
    decoded = Image.open(io.BytesIO(thumb))
    assert decoded.format == "PNG" and max(decoded.size) <= 280


@pytest.mark.parametrize("size, mode", [((3000, 2000), "RGB"), ((900, 600), "L"), ((600, 900), "P"), ((300, 200), "RGBA")])
def test_thumbnail_keeps_the_aspect_and_looks_like_the_original(size, mode):
    import numpy as np
    original = pen_digit_on_paper(8, size=max(size), width=max(size) // 20).resize(size).convert(mode)
    thumb = Image.open(io.BytesIO(image_to_png_thumbnail(original)))
    assert max(thumb.size) == 280 and abs(thumb.size[0] / thumb.size[1] - size[0] / size[1]) < 0.02
    expected = np.asarray(original.convert("L").resize(thumb.size, Image.Resampling.BOX), dtype=float)
    assert np.abs(np.asarray(thumb.convert("L"), dtype=float) - expected).mean() < 4  # grey levels of 255


def test_a_batch_keeps_a_small_plain_png_as_its_own_thumbnail_and_rewrites_any_other():
    """A 28x28 scan is already a thumbnail: stored as uploaded. Anything beside the pixels (text chunks,
    bytes after the end, as in a PNG that is also a zip) or a 16-bit PNG is written afresh, pixels only
    (a 16-bit one used to come out white: Pillow clips such pixels at 255 when converting)."""
    import numpy as np
    from PIL import PngImagePlugin

    from ml.batch.prepare import THUMB_BYTES, THUMB_SIDE, prepare_one
    from ml.recognition.conventions import CANON_28
    scan = pen_digit_on_paper(4).convert("L").resize((28, 28))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    plain = png(scan)
    others = {"text chunk": png(scan, pnginfo=info), "bytes after the end": plain + b"PK\x03\x04" + b"\0" * 40,
              "16-bit": png(Image.fromarray(np.asarray(scan, dtype=np.uint16) * 257))}

    def thumbnail(data: bytes) -> bytes:
        vector, thumb, _, problem, _ = prepare_one(data, CANON_28, 10**6, 10**6)
        assert problem is None and vector is not None
        return thumb

    assert thumbnail(plain) == plain
    for name, data in others.items():
        thumb = thumbnail(data)
        assert thumb != data and len(thumb) <= THUMB_BYTES, name
        assert b"script" not in thumb and b"PK" not in thumb, name
        decoded = Image.open(io.BytesIO(thumb))
        assert max(decoded.size) <= THUMB_SIDE, name
        assert np.array_equal(np.asarray(decoded.convert("L")), np.asarray(scan)), name
