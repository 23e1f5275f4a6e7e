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
from ml.errors import RequestError
from ml.governance.batch_limits import BatchLimits, megabytes

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


def _check_batch(count: int, total: int, limits: BatchLimits) -> None:
    """Too many files or too many bytes in all refuse the whole batch (RequestError)."""
    if not count:
        raise RequestError("Add at least one image or zip file.")
    if count > limits.files:
        raise RequestError(f"{count:,} files were added; a batch takes at most {limits.files:,}. "
                           "Put them in a zip, or split the batch.")
    if total > limits.total_bytes:
        raise RequestError(f"The files add up to {megabytes(total)}; a batch takes at most "
                           f"{megabytes(limits.total_bytes)}.")


def _new_folder() -> tuple[str, Path]:
    token = uuid.uuid4().hex
    folder = root() / token
    folder.mkdir(parents=True)
    return token, folder


def _entry(i: int, name: str, size: int, limits: BatchLimits) -> dict[str, str]:
    """The entry of the i-th file: stored under a name we make, or refused for its size."""
    shown = Path(str(name).replace("\\", "/")).name or f"file {i + 1}"  # the browser's name: display only
    if size > limits.file_bytes:
        return {"name": shown, "path": "", "error": f"{megabytes(size)}; the limit per file is "
                                                    f"{megabytes(limits.file_bytes)}"}
    return {"name": shown, "path": f"{i:05d}.bin", "error": ""}


def save(files: Iterable[tuple[str, bytes]], limits: BatchLimits) -> tuple[str, list[dict[str, str]]]:
    """Write uploaded (name, bytes) into a new folder; returns its token and one entry per file
    ({"name", "path", "error"}). A file over the per-file limit is listed with its reason, not
    written; too many files or too many bytes in all refuse the whole batch (RequestError)."""
    files = list(files)
    _check_batch(len(files), sum(len(data) for _, data in files), limits)
    token, folder = _new_folder()
    entries = [_entry(i, name, len(data), limits) for i, (name, data) in enumerate(files)]
    for entry, (_, data) in zip(entries, files):
        if entry["path"]:
            (folder / entry["path"]).write_bytes(data)
    return token, entries


def copy_in(paths: Iterable[Path], limits: BatchLimits) -> tuple[str, list[dict[str, str]]]:
    """The CLI's files into a new folder, through the same checks as uploads, judged by their sizes
    before anything is read and copied in pieces: a file of gigabytes is refused without being loaded."""
    found = []
    for path in map(Path, paths):
        if not path.is_file():
            raise RequestError(f"{path} is not a file.")
        found.append((path, path.stat().st_size))
    _check_batch(len(found), sum(size for _, size in found), limits)
    token, folder = _new_folder()
    entries = [_entry(i, path.name, size, limits) for i, (path, size) in enumerate(found)]
    for entry, (path, _) in zip(entries, found):
        if entry["path"]:
            shutil.copyfile(path, folder / entry["path"])
    return token, entries


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
