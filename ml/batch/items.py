"""The items of a batch, in a fixed order: each uploaded image, and each member of each uploaded zip.

The order never changes for the same files, so an item's index names it across a restart: a
resumed batch skips the indices already stored. Every way a file can be refused (too large, an
archive member that is unsafe, nested, encrypted, a bomb, a duplicate name, a polyglot, a zip
that is unusable as a whole) becomes one item with its reason; the rest of the batch goes on.
Files are only ever read from the batch's own upload folder, and nothing is extracted to disk.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ml.batch import uploads
from ml.errors import DatasetError
from ml.governance.batch_limits import BatchLimits, megabytes
from ml.inputs import archives
from ml.inputs.labels import label_in_name

log = logging.getLogger(__name__)

REFUSED_AT_UPLOAD, MISSING, EMPTY_ZIP, ARCHIVE = "too large", "missing", "empty archive", "archive refused"


@dataclass(frozen=True)
class Item:
    index: int
    name: str
    data: bytes | None
    problem: str | None = None
    reason: str | None = None
    label: int | None = None


def label_of(name: str) -> int | None:
    """Folder `0`..`9` or a name ending `_<digit>`; None when the name says nothing (or something odd)."""
    try:
        return label_in_name(name)  # the same rule as zip and folder datasets
    except DatasetError:
        return None


def _is_zip(path: Path) -> bool:
    return archives.is_zip(path)


def count(folder: Path, files: list[dict], limits: BatchLimits) -> int:
    """How many items the files hold, from zip tables of contents only (nothing decoded)."""
    total = 0
    for entry in files:
        path = uploads.stored_file(folder.name, entry["path"]) if entry.get("path") else None
        if path is None or not path.is_file() or not _is_zip(path):
            total += 1
            continue
        try:
            names = [n for n in archives.names(path, limits.archive_limits()) if not n.endswith("/")]
        except archives.ArchiveError:
            names = []
        total += max(1, len(names))
    return total


def _file_items(path: Path, shown: str, limits: BatchLimits, labelled: bool) -> Iterator[tuple]:
    """(name, data, problem, reason, label) of one stored upload."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    if _is_zip(path):
        if head.startswith(archives.IMAGE_MAGIC):
            yield shown, None, *archives.POLYGLOT_REFUSAL, None
            return
        members = 0
        try:
            for member in archives.read_zip(path, limits=limits.archive_limits()):
                members += 1
                label = label_of(member.name) if labelled else None
                yield f"{shown}/{member.name}", member.data, member.problem, member.reason, label
        except archives.ArchiveError as exc:
            yield shown, None, ARCHIVE, str(exc).replace(path.name, shown), None
            return
        if not members:
            yield shown, None, EMPTY_ZIP, "the zip holds no files, so there is nothing to predict", None
        return
    size = path.stat().st_size
    if size > limits.image_bytes:
        yield shown, None, archives.TOO_LARGE, f"{megabytes(size)}; the limit per image is " \
                                               f"{megabytes(limits.image_bytes)}", None
        return
    data = path.read_bytes()
    if archives.is_polyglot(data):
        yield shown, None, *archives.POLYGLOT_REFUSAL, None
        return
    yield shown, data, None, None, label_of(shown) if labelled else None


def items(folder: Path, files: list[dict], limits: BatchLimits, *, labelled: bool = False,
          skip: frozenset[int] | set[int] = frozenset()) -> Iterator[Item]:
    """Every item in order, except the indices in `skip` (already stored by an earlier run)."""
    index = 0
    for entry in files:
        shown = entry.get("name") or "file"
        if not entry.get("path"):
            found = iter([(shown, None, REFUSED_AT_UPLOAD, entry.get("error") or "refused when uploaded", None)])
        elif not uploads.stored_file(folder.name, entry["path"]).is_file():
            found = iter([(shown, None, MISSING, "the uploaded file is missing from the upload area", None)])
        else:
            found = _file_items(uploads.stored_file(folder.name, entry["path"]), shown, limits, labelled)
        for name, data, problem, reason, label in found:
            if index not in skip:
                yield Item(index, name, data, problem, reason, label)
            index += 1
