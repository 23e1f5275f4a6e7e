"""Generate the hostile-input corpus: every case of issue 9 plus the usual suspects.

Nothing here is hand-picked bytes: each file is built by a few lines below, so a reader sees what
it is and why it is hostile. `build(folder)` writes the files and returns the cases; the tests
(tests/test_corpus.py) generate into a temporary folder. Run it by hand to look at the files:

    python tests/corpus/make_corpus.py /tmp/corpus
"""
from __future__ import annotations

import gzip
import io
import os
import random
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    """One hostile input. `reader` says which reader gets it (image, zip, idx, spec); `expect` is a
    phrase its one sentence must contain, or "ok" when it must be read (a blank image may be
    reported blank: it holds no digit); `big` marks the cases whose memory is measured."""

    name: str
    reader: str
    target: str
    expect: str
    big: bool = False


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, bit_depth: int = 1, color: int = 0, rows: int = 64) -> bytes:
    """A PNG whose header claims width x height, with only `rows` rows of zero data (a bomb)."""
    row = bytes(1 + (width * bit_depth * (3 if color == 2 else 1) + 7) // 8)
    idat = zlib.compress(row * rows, 9)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def png_16bit_full(side: int = 4999) -> bytes:
    """A real, complete 16-bit grey PNG of side x side (a small file that decodes big)."""
    row = bytes(1 + side * 2)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 16, 0, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen and frame claim width x height, with a few bytes of data."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return header + frame + b"\x3b"


def tiff_declaring(width: int, height: int) -> bytes:
    """A little-endian TIFF whose tags claim width x height, one strip of 8 bytes."""
    tags = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
            (273, 4, 1, 8 + 2 + 12 * 8 + 4), (278, 4, 1, height), (279, 4, 1, 8)]
    ifd = struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHII", *t) for t in tags) + b"\x00" * 4
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 8


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def digit_png(digit: int = 3, side: int = 56) -> bytes:
    from ml.datasets.generated.synthetic import pen_digit_on_paper
    return _save(pen_digit_on_paper(digit, size=side, width=max(2, side // 12)), "PNG")


def _images(folder: Path) -> list[Case]:
    from ml.datasets.generated.synthetic import pen_digit_on_paper
    digit = pen_digit_on_paper(5)
    good = _save(digit, "PNG")
    files = {
        "empty.png": (b"", "The file is empty."),
        "truncated.png": (good[: len(good) // 2], "truncated or damaged"),
        "header_only.png": (good[:33], "Digit Lab can read"),
        "bomb.png": (png_declaring(40_000, 40_000), "megapixels"),
        "bomb_rgb.png": (png_declaring(20_000, 20_000, 8, 2), "megapixels"),
        "bomb.gif": (gif_declaring(65_000, 65_000), "megapixels"),
        "bomb.tiff": (tiff_declaring(100_000, 100_000), "megapixels"),
        "sixteen_bit_4999.png": (png_16bit_full(), "ok"),
        "one_by_one.png": (_save(Image.new("L", (1, 1), 255), "PNG"), "ok"),
        "wide_10000x1.png": (_save(Image.new("L", (10_000, 1), 0), "PNG"), "ok"),
        "animated.gif": (_save(digit.convert("P"), "GIF", save_all=True,
                               append_images=[pen_digit_on_paper(d).convert("P") for d in range(10)] * 20), "ok"),
        "multipage.tiff": (_save(digit, "TIFF", save_all=True,
                                 append_images=[pen_digit_on_paper(d) for d in range(5)]), "ok"),
        "cmyk.jpg": (_save(digit.convert("CMYK"), "JPEG"), "ok"),
        "palette_transparency.png": (_save(digit.convert("P"), "PNG", transparency=0), "ok"),
        "float.tiff": (_save(Image.new("F", (4000, 4000), 0.5), "TIFF", compression="tiff_adobe_deflate"), "ok"),
        "big_photo.jpg": (_save(Image.new("RGB", (6000, 4000), (250, 250, 250)), "JPEG", quality=50), "ok"),
        "svg_renamed.png": (b'<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>', "not an image"),
        "html_renamed.png": (b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", "not an image"),
        "pdf_renamed.png": (b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", "not an image"),
    }
    cases = []
    for name, (data, expect) in files.items():
        (folder / name).write_bytes(data)
        big = name.startswith(("bomb", "sixteen", "float", "big", "wide", "animated"))
        cases.append(Case(name, "image", name, expect, big))
    return cases


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _patch_headers(path: Path, offset: int, value: bytes) -> None:
    """Overwrite a field at `offset` of every local (PK\\3\\4) and central (PK\\1\\2) header."""
    data = bytearray(path.read_bytes())
    for signature, field in ((b"PK\x03\x04", offset), (b"PK\x01\x02", offset + 2)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + field:start + field + len(value)] = value
            start += 4
    path.write_bytes(bytes(data))


def deflated_zeros(megabytes: int) -> tuple[bytes, int]:
    """Raw deflate of `megabytes` MiB of zeros and their CRC-32, fast: one MiB is compressed once
    and its full-flushed block repeated (a full flush resets the window, so the repeats stay valid)."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = block.compress(bytes(MB)) + block.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zeros = bytes(MB)
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    return segment * megabytes + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def zip_bomb(path: Path, megabytes: int = 1024, lie: bool = False) -> None:
    """One deflated member of `megabytes` MiB of zeros (about 1 MB on disk per GiB). With `lie`, both
    headers claim 1,000 bytes: a reader that trusts headers would be fooled; ours streams with a cap
    and finds the checksum wrong."""
    data, crc = deflated_zeros(megabytes)
    size = 1000 if lie else megabytes * MB
    name = b"digit_bomb.png"
    fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0)
    local = b"PK\x03\x04" + fields + name
    central = b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, 0) + name
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)


def spread_bomb(path: Path, members: int, size: int) -> None:
    """`members` deflated members of `size` zero bytes each, named like images: a bomb spread thin
    (500 members of exactly 1 MiB fit in ~0.5 MB). Each member alone looks small; a reader that holds
    hundreds of them at once holds hundreds of megabytes."""
    data = zlib.compress(bytes(size), 9)[2:-4]  # raw deflate: the same bytes serve every member
    crc = zlib.crc32(bytes(size))
    local, central = bytearray(), bytearray()
    for i in range(members):
        name = f"z/{i:05d}.png".encode()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, len(local)) + name
        local += b"PK\x03\x04" + fields + name + data
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, members, members, len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))


SPREAD_BOMBS = {  # name: (members, bytes each)
    "mib_members.zip": (500, MB),                   # exactly 1 MiB each: once passed the ratio check
    "under_ratio_members.zip": (1_900, MB // 4 - 1),  # just under where the ratio counts: all read
}


def gzip_of(head: bytes, megabytes: int) -> bytes:
    """A gzip stream of `head` then `megabytes` MiB of zeros (2 GiB fit in 2 MB)."""
    data, _ = deflated_zeros(megabytes)
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH) + data
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body
            + struct.pack("<II", _crc_after(head, megabytes), (len(head) + megabytes * MB) & 0xFFFFFFFF))


def _crc_after(head: bytes, megabytes: int) -> int:
    crc, zeros = zlib.crc32(head), bytes(MB)
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    return crc


def _archives(folder: Path) -> list[Case]:
    good = {f"digits/{d}/x.png": digit_png(d) for d in (1, 7)}
    cases = []

    def add(name: str, expect: str, big: bool = False) -> None:
        cases.append(Case(name, "zip", name, expect, big))

    zip_bomb(folder / "bomb_1gib.zip")
    add("bomb_1gib.zip", "expands to 1024.0 MB", big=True)
    zip_bomb(folder / "bomb_lying_header.zip", megabytes=256, lie=True)
    add("bomb_lying_header.zip", "checksum", big=True)
    _zip(folder / "crc.zip", {**good, "bad.png": digit_png(4)}, method=zipfile.ZIP_STORED)
    data = bytearray((folder / "crc.zip").read_bytes())
    at = data.rfind(b"IEND") - 40  # a byte inside the last member's stored data
    data[at] ^= 0xFF
    (folder / "crc.zip").write_bytes(bytes(data))
    add("crc.zip", "checksum (CRC)")
    _zip(folder / "encrypted.zip", {**good, "secret.png": digit_png(2)})
    raw = bytearray((folder / "encrypted.zip").read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = raw.find(signature, raw.find(b"secret.png") - 60 if signature == b"PK\x03\x04" else raw.rfind(b"PK\x01\x02"))
        raw[start + flag_at] |= 0x1
    (folder / "encrypted.zip").write_bytes(bytes(raw))
    add("encrypted.zip", "encrypted")
    _zip(folder / "method.zip", {"odd.png": digit_png(6)})
    _patch_headers(folder / "method.zip", 8, struct.pack("<H", 99))  # compression method 99 (AES)
    add("method.zip", "compressed with method 99")
    _zip(folder / "central.zip", good)
    raw = bytearray((folder / "central.zip").read_bytes())
    centre = raw.find(b"PK\x01\x02")
    raw[centre + 4:centre + 40] = random.Random(7).randbytes(36)  # fixed: some random bytes read as another fault
    (folder / "central.zip").write_bytes(bytes(raw))
    add("central.zip", "damaged zip file")
    full = (folder / "central.zip").read_bytes()
    _zip(folder / "truncated.zip", good)
    (folder / "truncated.zip").write_bytes((folder / "truncated.zip").read_bytes()[: len(full) // 2])
    add("truncated.zip", "not an image")  # no end record left: not recognisable as a zip at all
    _zip(folder / "empty.zip", {})
    add("empty.zip", "holds no files")
    _zip(folder / "escape.zip", {"../../etc/evil.png": digit_png(1), "/abs/evil.png": digit_png(1), **good})
    add("escape.zip", "unsafe path")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("deep.png", digit_png(8))
    _zip(folder / "nested.zip", {"inner.zip": inner.getvalue(), "disguised.png": inner.getvalue(), **good})
    add("nested.zip", "nested archives are refused")
    with zipfile.ZipFile(folder / "symlink.zip", "w") as archive:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
        for name, data in good.items():
            archive.writestr(name, data)
    add("symlink.zip", "symbolic link")
    with zipfile.ZipFile(folder / "members_20000.zip", "w", compression=zipfile.ZIP_STORED) as archive:
        for i in range(20_000):
            archive.writestr(f"m/{i}.png", b"x")
    add("members_20000.zip", "holds 20,000 files; the limit is 10,000")
    for name, (members, size) in SPREAD_BOMBS.items():
        spread_bomb(folder / name, members, size)
    add("mib_members.zip", "looks like a zip bomb", big=True)
    add("under_ratio_members.zip", "not an image", big=True)
    return cases


def _idx_header(magic: int, *dims: int) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)


def _idx(folder: Path) -> list[Case]:
    """IDX files, read through the `idx:` SPEC (labels.idx is a good labels file of 100)."""
    labels = np.arange(100, dtype=np.uint8) % 10
    (folder / "labels.idx").write_bytes(_idx_header(2049, 100) + labels.tobytes())
    (folder / "bomb.idx.gz").write_bytes(gzip_of(_idx_header(2051, 100, 28, 28), 2048))  # claims 100 images
    files = {
        "billions.idx.gz": (gzip.compress(_idx_header(2051, 1_000_000_000, 28, 28) + bytes(1000)), "the limit is 56 MB"),
        "zero_count.idx": (_idx_header(2051, 0, 28, 28), "holds no images"),
        "truncated.idx.gz": (gzip.compress(_idx_header(2051, 100, 28, 28) + bytes(78_400))[:-12], "damaged or truncated"),
        "short.idx": (_idx_header(2051, 100, 28, 28) + bytes(100), "is truncated"),
        "text.idx": (b"root:x:0:0:root:/root:/bin/bash\n" * 4, "does not start like an IDX images file"),
    }
    cases = [Case("bomb.idx.gz", "spec", "idx:bomb.idx.gz,labels.idx", "ok", big=True)]
    for name, (data, expect) in files.items():
        (folder / name).write_bytes(data)
        cases.append(Case(name, "spec", f"idx:{name},labels.idx", expect, big=name.startswith("billions")))
    cases += [Case("etc_passwd", "spec", "idx:/etc/passwd,/etc/passwd", "outside the data folder"),
              Case("climb", "spec", "idx:../../etc/passwd,labels.idx", "outside the data folder"),
              Case("root_folder", "spec", "folder:/", "outside the data folder")]
    if hasattr(os, "symlink"):
        os.symlink("/etc/passwd", folder / "link.idx")
        cases.append(Case("link_out", "spec", "idx:link.idx,labels.idx", "outside the data folder"))
    return cases


def build(folder: Path) -> list[Case]:
    """Write every corpus file into `folder` (created); the cases, in a stable order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return _images(folder) + _archives(folder) + _idx(folder)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    for case in build(target):
        print(f"{case.reader:6} {case.name:28} expects {case.expect}")
