"""The files a command names, each zip opened member by member through the one safe archive reader."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ml.inputs import archives
from ml.inputs.images import MAX_UPLOAD_BYTES


def expand(path: Path) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(display name, bytes or None, reason) for a file, or for each member of a zip, read through
    the one safe archive reader (`ml.inputs.archives`): a bad member is reported and the rest go on."""
    if not path.is_file():
        yield str(path), None, "no such file"
        return
    if archives.is_zip(path):
        members = 0
        try:
            for member in archives.read_zip(path, limits=archives.CLI_LIMITS):
                members += 1
                yield f"{path}:{member.name}", member.data, member.reason
        except archives.ArchiveError as exc:
            yield str(path), None, str(exc)
            return
        if not members:
            yield str(path), None, "the zip holds no files, so there is nothing to predict"
        return
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        yield str(path), None, f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
        return
    yield str(path), path.read_bytes(), None
