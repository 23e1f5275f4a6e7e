"""The one archive reader: every unsafe member is reported with its reason and the rest go on;
an archive unusable as a whole is refused in one sentence."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from images import pen_png

from ml.inputs import archives
from ml.inputs.archives import ArchiveError, Limits, read_zip


def _zip(path: Path, members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _inner_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("deep.png", pen_png(2))
    return buf.getvalue()


@pytest.mark.parametrize("name, data, problem", [
    ("../escape.png", pen_png(), archives.UNSAFE),
    ("/etc/absolute.png", pen_png(), archives.UNSAFE),
    ("dir\\windows.png", pen_png(), archives.UNSAFE),
    ("C:/drive.png", pen_png(), archives.UNSAFE),
    ("inner.zip", _inner_zip(), archives.NESTED),
    ("disguised.png", _inner_zip(), archives.NESTED),  # a zip named like an image
    ("notes.txt", b"hello", archives.NOT_IMAGE),
    ("bomb.png", bytes(3 * 1024 * 1024), archives.BOMB),  # 3 MB of zeros deflate ~1000:1
    ("mib.png", bytes(1024 * 1024), archives.BOMB),  # exactly 1 MiB of zeros: hundreds of these are a bomb
    ("quarter.png", bytes(256 * 1024), archives.BOMB),
])
def test_each_bad_member_is_reported_and_the_rest_go_on(tmp_path, name, data, problem):
    path = _zip(tmp_path / "mixed.zip", {"a.png": pen_png(1), name: data, "b.png": pen_png(7)})
    members = list(read_zip(path))
    assert [m.name for m in members] == ["a.png", name, "b.png"]
    good = [m for m in members if m.ok]
    assert [m.data for m in good] == [pen_png(1), pen_png(7)]
    (bad,) = [m for m in members if not m.ok]
    assert bad.problem == problem and bad.reason


def test_members_over_the_size_cap_are_refused_even_when_stored_uncompressed(tmp_path):
    path = _zip(tmp_path / "big.zip", {"big.png": b"\x89PNG" + bytes(2000), "ok.png": pen_png()},
                compression=zipfile.ZIP_STORED)
    members = list(read_zip(path, limits=Limits(max_member_bytes=1000)))
    assert [(m.name, m.problem) for m in members] == [("big.png", archives.TOO_LARGE), ("ok.png", None)]


def test_encrypted_and_damaged_members_are_reported(tmp_path):
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("locked.png", pen_png())  # first member; its "encrypted" flag is set below
        zf.writestr("damaged.png", pen_png(3))
        zf.writestr("fine.png", pen_png(4))
    raw = bytearray(path.read_bytes())
    raw[6] |= 0x1  # general purpose flags of the first local header…
    central = raw.index(b"PK\x01\x02")
    raw[central + 8] |= 0x1  # …and of its central directory entry: bit 0 = encrypted
    at = raw.index(b"damaged.png") + len(b"damaged.png") + 10  # inside its compressed bytes
    raw[at:at + 20] = bytes(20)
    path.write_bytes(bytes(raw))
    members = {m.name: m for m in read_zip(path)}
    assert members["locked.png"].problem == archives.ENCRYPTED
    assert members["damaged.png"].problem == archives.DAMAGED
    assert members["fine.png"].data == pen_png(4)


def test_whole_archive_refusals(tmp_path):
    not_zip = tmp_path / "photo.zip"
    not_zip.write_bytes(pen_png())
    with pytest.raises(ArchiveError, match="not a zip"):
        list(read_zip(not_zip))
    many = _zip(tmp_path / "many.zip", {f"{i}.png": pen_png() for i in range(5)})
    with pytest.raises(ArchiveError, match="holds 5 files; the limit is 4"):
        list(read_zip(many, limits=Limits(max_members=4)))
    with pytest.raises(ArchiveError, match="expands to"):
        list(read_zip(many, limits=Limits(max_total_bytes=3 * len(pen_png()))))
    assert len(list(read_zip(many))) == 5


def test_a_header_that_understates_the_size_cannot_expand_past_it(tmp_path):
    path = _zip(tmp_path / "liar.zip", {"liar.png": bytes(3 * 1024 * 1024), "ok.png": pen_png(5)})
    raw = bytearray(path.read_bytes())
    raw[22:26] = (1000).to_bytes(4, "little")  # the local header's uncompressed size…
    central = raw.index(b"PK\x01\x02")
    raw[central + 24:central + 28] = (1000).to_bytes(4, "little")  # …and the central directory's
    path.write_bytes(bytes(raw))
    members = {m.name: m for m in read_zip(path)}
    assert members["liar.png"].problem == archives.DAMAGED and members["liar.png"].data is None
    assert members["ok.png"].data == pen_png(5)


def test_a_small_member_that_compresses_well_is_read(tmp_path):
    blank = io.BytesIO()
    from PIL import Image
    Image.new("L", (200, 200), 255).save(blank, format="BMP")  # 40 KB that deflate ~300:1, harmless
    path = _zip(tmp_path / "blank.zip", {"blank.bmp": blank.getvalue()})
    assert [m.problem for m in read_zip(path)] == [None]
