"""The one zip reader for untrusted archives: CLI predictions, zip datasets and (later) batches.

A zip from anywhere can try to escape its folder (`../x`, `/etc/x`), hide another archive inside,
hold a million members, or expand a few kilobytes into gigabytes. Every member is checked before
its bytes are read, and read with a hard cap whatever its header claims. A bad member is reported
with its reason and the rest go on; only an archive that is unusable as a whole (not a zip, too
many members, too much expanded data) raises `ArchiveError`. Callers choose how strict to be:
the CLI and batches skip bad members, dataset loading refuses the archive.
"""
from __future__ import annotations

import io
import logging
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ml.errors import DatasetError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
ARCHIVE_SUFFIXES = frozenset({".zip", ".jar", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz"})
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_MB = 1024 * 1024

# Why reading stopped for one member. Stable words, so callers and tests can tell them apart.
UNSAFE, NESTED, NOT_IMAGE, TOO_LARGE, BOMB, ENCRYPTED, DAMAGED, OVER_TOTAL, DUPLICATE, POLYGLOT = (
    "unsafe path", "nested archive", "not an image", "too large", "bomb ratio", "encrypted", "damaged",
    "archive total", "duplicate name", "polyglot")
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


class ArchiveError(DatasetError):
    """An archive that cannot be used at all (not a zip, too many members, too much data)."""

    kind = "archive"


@dataclass(frozen=True)
class Limits:
    """Caps for one archive. A member's ratio only counts once it expands to `ratio_from_bytes`: a
    tiny blank BMP compresses 1000:1 and is harmless, while hundreds of 1 MiB members of zeros in a
    half-megabyte zip are a bomb spread thin."""

    max_members: int = 10_000
    max_member_bytes: int = 5 * _MB
    max_total_bytes: int = 2_048 * _MB
    max_ratio: float = 100.0
    ratio_from_bytes: int = 256 * 1024


CLI_LIMITS = Limits()
DATASET_LIMITS = Limits(max_members=200_000, max_total_bytes=4_096 * _MB)


@dataclass(frozen=True)
class Member:
    """One file of an archive: its bytes, or why it was not read (`problem` names the rule)."""

    name: str
    data: bytes | None
    problem: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None


def unsafe_name(name: str) -> bool:
    """Absolute, drive-lettered, backslashed or `..` names could write or read outside a folder."""
    pure = PurePosixPath(name)
    return (not name or pure.is_absolute() or ".." in pure.parts or "\\" in name or (len(name) > 1 and name[1] == ":")
            or "\x00" in name)


def _check(info: zipfile.ZipInfo, suffixes: frozenset[str] | None, limits: Limits) -> tuple[str, str] | None:
    """(problem, reason) when the header alone rules the member out; None when it may be read."""
    name = info.filename
    suffix = PurePosixPath(name).suffix.lower()
    if unsafe_name(name):
        return UNSAFE, f"unsafe path {name!r} (absolute or climbing out with '..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return UNSAFE, "a symbolic link; links are refused"
    if suffix in ARCHIVE_SUFFIXES:
        return NESTED, "an archive inside the archive; nested archives are refused"
    if suffixes is not None and suffix not in suffixes:
        return NOT_IMAGE, "not an image file (skipped)"
    if info.flag_bits & 0x1:
        return ENCRYPTED, "encrypted; Digit Lab reads only unencrypted zips"
    if info.file_size > limits.max_member_bytes:
        return TOO_LARGE, f"expands to {info.file_size / _MB:.1f} MB; the limit is {limits.max_member_bytes // _MB} MB"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= limits.ratio_from_bytes and ratio > limits.max_ratio:
        return BOMB, f"compressed {ratio:,.0f}:1, which looks like a zip bomb; the limit is {limits.max_ratio:.0f}:1"
    return None


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
          limits: Limits) -> tuple[bytes | None, tuple[str, str] | None]:
    """The member's bytes, read with a hard cap (a header can lie about the size)."""
    if info.compress_type not in _METHODS:
        return None, (DAMAGED, f"compressed with method {info.compress_type}, which Digit Lab does not read "
                               "(use an ordinary zip: stored or deflated)")
    try:
        with archive.open(info) as handle:  # streams: at most the cap is ever decompressed
            data = handle.read(limits.max_member_bytes + 1)
    except Exception as exc:  # noqa: BLE001 - any failure of untrusted bytes is a damaged member
        log.info("member %r unreadable: %r", info.filename, exc)
        if "CRC" in str(exc):
            return None, (DAMAGED, "damaged: its checksum (CRC) does not match its contents")
        return None, (DAMAGED, "damaged or truncated: its data cannot be read")
    if len(data) > limits.max_member_bytes:
        return None, (TOO_LARGE, f"expands past {limits.max_member_bytes // _MB} MB")
    if data[:4] in ZIP_MAGIC:
        return None, (NESTED, "an archive inside the archive; nested archives are refused")
    if is_polyglot(data):
        return None, POLYGLOT_REFUSAL
    return data, None


POLYGLOT_REFUSAL = (POLYGLOT, "both an image and a zip archive (a polyglot file); such files are refused")


def is_polyglot(data: bytes) -> bool:
    """An image that is also a readable zip (a zip appended to a PNG, say): whichever reader opens it
    sees something else, so it is refused rather than guessed at."""
    if not data.startswith(IMAGE_MAGIC):
        return False
    try:
        return zipfile.is_zipfile(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - untrusted bytes: an unreadable end record is no zip
        return False


_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


def is_zip(path: Path) -> bool:
    """Whether `path` ends like a zip. The standard check itself can fail on crafted bytes (an
    IndexError was found by tests/test_fuzz.py): such a file is simply not a zip we read."""
    try:
        return Path(path).is_file() and zipfile.is_zipfile(path)
    except Exception:  # noqa: BLE001 - untrusted bytes: any failure means "not a readable zip"
        return False


def _declared_count(path: Path) -> int | None:
    """The member count the end record declares, read before the central directory is parsed
    (parsing a million entries would itself take gigabytes); None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            end = zipfile._EndRecData(handle)  # the standard library's own reader of that record
        return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else None
    except Exception:  # noqa: BLE001 - ZipFile below reports a damaged archive in its own words
        return None


def names(path: Path, limits: Limits = DATASET_LIMITS) -> list[str]:
    """The member names of a zip (for counting labels before loading), with the same checks on the
    archive as a whole as `read_zip`: a declared count over the limit or a damaged table of contents
    is an ArchiveError."""
    path = Path(path)
    declared = _declared_count(path)
    if declared is not None and declared > limits.max_members:
        raise ArchiveError(f"{path.name} holds {declared:,} files; the limit is {limits.max_members:,}.")
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except Exception as exc:  # noqa: BLE001 - a crafted central directory fails in many ways
        log.info("damaged zip %s: %r", path, exc)
        raise ArchiveError(f"{path.name} is a damaged zip file: its table of contents cannot be read.") from None


def read_zip(path: Path, *, suffixes: frozenset[str] | None = IMAGE_SUFFIXES,
             limits: Limits = CLI_LIMITS) -> Iterator[Member]:
    """Each file member of the zip at `path`, in archive order: bytes, or the reason it was skipped.

    Raises ArchiveError before yielding anything when the archive as a whole is unusable (not a zip,
    more members than allowed, more declared expanded data than allowed); stops with ArchiveError
    if the bytes actually read pass the total cap."""
    path = Path(path)
    if not is_zip(path):
        raise ArchiveError(f"{path.name} is not a zip file Digit Lab can read.")
    declared_count = _declared_count(path)
    if declared_count is not None and declared_count > limits.max_members:
        raise ArchiveError(f"{path.name} holds {declared_count:,} files; the limit is {limits.max_members:,}.")
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # noqa: BLE001 - a crafted central directory fails in many ways
        log.info("damaged zip %s: %r", path, exc)
        raise ArchiveError(f"{path.name} is a damaged zip file: its table of contents cannot be read.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.filename.endswith("/")]  # is_dir() fails on ""
        if len(members) > limits.max_members:
            raise ArchiveError(f"{path.name} holds {len(members):,} files; the limit is {limits.max_members:,}.")
        declared = sum(m.file_size for m in members if _check(m, suffixes, limits) is None)
        if declared > limits.max_total_bytes:
            raise ArchiveError(f"{path.name} expands to {declared / _MB:,.0f} MB; "
                               f"the limit is {limits.max_total_bytes // _MB:,} MB.")
        total, seen = 0, set()
        for info in members:
            refused = _check(info, suffixes, limits)
            if refused is None and info.filename in seen:
                refused = DUPLICATE, "another file of the archive has the same name; only the first is read"
            seen.add(info.filename)
            data = None
            if refused is None:
                data, refused = _read(archive, info, limits)
            if refused is not None:
                log.info("%s: %s skipped: %s", path.name, info.filename, refused[1])
                yield Member(info.filename, None, *refused)
                continue
            total += len(data)
            if total > limits.max_total_bytes:
                raise ArchiveError(f"{path.name} expands past {limits.max_total_bytes // _MB:,} MB; "
                                   "the rest of it was not read.")
            yield Member(info.filename, data)
