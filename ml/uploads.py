"""The upload area: a batch's files wait in their own folder beside the database until the job ends.

Files are stored under names we make (`00003.bin`), never under the name the browser sent, so no
upload can write outside its folder whatever it is called; the name it came with is kept for
display. A folder is named by a random token, which is all a job request carries.
"""
from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from data import db
from ml.batch_limits import BatchLimits, megabytes
from ml.errors import RequestError

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[0-9a-f]{32}")
_STORED = re.compile(r"\d{5}\.bin")
SWEEP_AFTER_S = 3600  # a folder no batch job refers to is removed once it is this old (a page may be saving one)


def root() -> Path:
    """`uploads/` in the database's folder (the app's data lives together)."""
    return db.db_path().parent / "uploads"


def folder_path(token: str) -> Path:
    """The folder of a token; RequestError for anything that is not one of our tokens."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise RequestError("That upload folder does not exist; upload the files again.")
    return root() / token


def stored_file(token: str, name: str) -> Path:
    """A file of a batch's folder by the name we gave it; RequestError for any other name."""
    if not _STORED.fullmatch(name or ""):
        raise RequestError("That uploaded file does not exist; upload it again.")
    return folder_path(token) / name


def save(files: Iterable[tuple[str, bytes]], limits: BatchLimits) -> tuple[str, list[dict[str, str]]]:
    """Write uploaded (name, bytes) into a new folder; returns its token and one entry per file
    ({"name", "path", "error"}). A file over the per-file limit is listed with its reason, not
    written; too many files or too many bytes in all refuse the whole batch (RequestError)."""
    files = list(files)
    if not files:
        raise RequestError("Add at least one image or zip file.")
    if len(files) > limits.files:
        raise RequestError(f"{len(files):,} files were added; a batch takes at most {limits.files:,}. "
                           "Put them in a zip, or split the batch.")
    total = sum(len(data) for _, data in files)
    if total > limits.total_bytes:
        raise RequestError(f"The files add up to {megabytes(total)}; a batch takes at most "
                           f"{megabytes(limits.total_bytes)}.")
    token = uuid.uuid4().hex
    folder = root() / token
    folder.mkdir(parents=True)
    entries = []
    for i, (name, data) in enumerate(files):
        shown = Path(str(name).replace("\\", "/")).name or f"file {i + 1}"  # the browser's name: display only
        if len(data) > limits.file_bytes:
            entries.append({"name": shown, "path": "", "error": f"{megabytes(len(data))}; the limit per file is "
                                                                  f"{megabytes(limits.file_bytes)}"})
            continue
        stored = f"{i:05d}.bin"
        (folder / stored).write_bytes(data)
        entries.append({"name": shown, "path": stored, "error": ""})
    return token, entries


def copy_in(paths: Iterable[Path], limits: BatchLimits) -> tuple[str, list[dict[str, str]]]:
    """The CLI's files into a new folder, through the same checks as uploads."""
    found = []
    for path in map(Path, paths):
        if not path.is_file():
            raise RequestError(f"{path} is not a file.")
        found.append((path.name, path.read_bytes()))
    return save(found, limits)


def sweep(keep: set[str]) -> int:
    """Remove folders older than SWEEP_AFTER_S that no batch job refers to (`keep`): a batch cancelled
    before it started never ran its handler, so nothing else removes its files. How many were removed."""
    import time
    if not root().is_dir():
        return 0
    removed = 0
    for folder in root().iterdir():
        if folder.name in keep or not _TOKEN.fullmatch(folder.name):
            continue
        if time.time() - folder.stat().st_mtime > SWEEP_AFTER_S:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d upload folder(s) no batch refers to", removed)
    return removed


def remove(token: str) -> None:
    """Delete a batch's folder (the job ended); a missing folder is fine."""
    try:
        shutil.rmtree(folder_path(token), ignore_errors=True)
    except RequestError:
        log.warning("not removing %r: not an upload token", token)
