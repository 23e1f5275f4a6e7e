"""Bad input in a batch: every hostile file or archive member is one item with its reason, the good
ones are predicted, the job ends "completed with N errors", and nothing lands outside the upload area."""
from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from data import batches, db, settings
from ml.batch import job as batch
from ml.batch import uploads
from ml.errors import RequestError
from ml.governance import batch_limits, quotas
from tests.batch_files import digit_png

_spec = importlib.util.spec_from_file_location("make_corpus", Path(__file__).parent / "corpus" / "make_corpus.py")
corpus = sys.modules.setdefault("make_corpus", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(corpus)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _hostile_uploads(folder: Path) -> tuple[list[Path], int]:
    """The issue's bad inputs next to good images; returns the files and how many images are good."""
    rng = np.random.default_rng(5)
    good = [digit_png(d, rng) for d in (1, 4, 7)]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("deep.png", good[0])
    mixed = _zip(folder / "mixed.zip", {"ok/a.png": good[0], "../../escape.png": good[1], "/abs/evil.png": good[2],
                                         "inner.zip": inner.getvalue(), "notes.txt": b"hello",
                                         "polyglot.png": good[0] + inner.getvalue(), "ok/b.png": good[1]})
    with zipfile.ZipFile(mixed, "a") as archive:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we write on purpose
            archive.writestr("ok/a.png", good[2])
    encrypted = _zip(folder / "encrypted.zip", {"secret.png": good[1]})
    raw = bytearray(encrypted.read_bytes())
    raw[raw.find(b"PK\x03\x04") + 6] |= 1
    raw[raw.find(b"PK\x01\x02") + 8] |= 1
    encrypted.write_bytes(bytes(raw))
    corpus.zip_bomb(folder / "bomb.zip", megabytes=4)          # 4 MB of zeros in a few KB: the ratio rule
    corpus.zip_bomb(folder / "big_bomb.zip", megabytes=64)     # past the per-image cap
    with zipfile.ZipFile(folder / "tiny_100000.zip", "w", compression=zipfile.ZIP_STORED) as archive:
        for i in range(100_000):
            archive.writestr(f"t/{i}.png", b"")
    (folder / "pixel_bomb.png").write_bytes(corpus.png_declaring(30_000, 30_000))
    (folder / "not_an_image.png").write_bytes(b"GIF89a but not really" * 10)
    (folder / "polyglot.png").write_bytes(good[1] + inner.getvalue())
    (folder / "good_3.png").write_bytes(good[2])
    files = [mixed, encrypted, folder / "bomb.zip", folder / "big_bomb.zip", folder / "tiny_100000.zip",
             folder / "pixel_bomb.png", folder / "not_an_image.png", folder / "polyglot.png", folder / "good_3.png"]
    return files, 3  # ok/a.png, ok/b.png, good_3.png


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_bad_items_are_skipped_with_reasons_and_the_batch_goes_on(seeded_store, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    files, n_good = _hostile_uploads(inputs)
    before = _tree(seeded_store)
    record = batch.run_cli(files, user="ana")
    assert record.status == "succeeded", record.message
    result = record.result
    assert result["predicted"] == n_good and result["errors"] == result["items"] - n_good
    assert record.message.startswith(f"Completed with {result['errors']} errors: {n_good} of")
    assert quotas.status("ana").used_today == n_good  # a refused member costs nothing
    errors = batches.frame(batches.errors_query(result["batch_id"]))
    reasons = dict(zip(errors["file"], errors["problem"]))
    assert reasons["mixed.zip/../../escape.png"] == "unsafe path"
    assert reasons["mixed.zip//abs/evil.png"] == "unsafe path"
    assert reasons["mixed.zip/link.png"] == "unsafe path"
    assert reasons["mixed.zip/inner.zip"] == "nested archive"
    assert reasons["mixed.zip/notes.txt"] == "not an image"
    assert reasons["mixed.zip/polyglot.png"] == "polyglot"
    assert reasons["encrypted.zip/secret.png"] == "encrypted"
    assert reasons["bomb.zip/digit_bomb.png"] == "bomb ratio"
    assert reasons["big_bomb.zip/digit_bomb.png"] == "too large"
    assert reasons["tiny_100000.zip"] == "archive refused"
    assert reasons["pixel_bomb.png"] == "too many pixels"
    assert reasons["not_an_image.png"] in ("not an image", "unreadable")
    assert reasons["polyglot.png"] == "polyglot"
    duplicate = errors[errors["file"] == "mixed.zip/ok/a.png"]
    assert list(duplicate["problem"]) == ["duplicate name"]  # the first ok/a.png was predicted, the second not
    assert all(isinstance(r, str) and len(r) > 10 for r in errors["reason"])
    assert "100,000 files" in errors.set_index("file").loc["tiny_100000.zip", "reason"]
    # the filterable list: one problem at a time
    unsafe = batches.frame(batches.errors_query(result["batch_id"], "unsafe path"))
    assert len(unsafe) == 3 and set(unsafe["problem"]) == {"unsafe path"}
    assert "unsafe path" in batches.problems(result["batch_id"])
    # nothing written outside the upload area, and the upload area emptied
    after = _tree(seeded_store)
    assert {p for p in after - before if not p.startswith("digitlab.duckdb")} == set()
    assert not any(uploads.root().iterdir())
    assert not (tmp_path / "escape.png").exists() and not Path("/abs/evil.png").exists()


def test_upload_limits_come_from_settings(seeded_store):
    settings.put(batch_limits.FILES_PER_BATCH.key, "2")
    settings.put(batch_limits.BYTES_PER_FILE.key, "2048")
    limits = batch_limits.current()
    assert (limits.files, limits.file_bytes) == (2, 2048)
    with pytest.raises(RequestError, match="at most 2"):
        uploads.save([("a.png", b"1"), ("b.png", b"2"), ("c.png", b"3")], limits)
    token, entries = uploads.save([("../../x.png", b"small"), ("big.png", bytes(4096))], limits)
    assert entries[0]["name"] == "x.png" and entries[0]["path"] and not entries[0]["error"]
    assert entries[1]["path"] == "" and "limit per file is" in entries[1]["error"]
    assert _tree(uploads.folder_path(token)) == {entries[0]["path"]}  # stored under our name, big one not written
    settings.put(batch_limits.TOTAL_BYTES.key, "1024")
    with pytest.raises(RequestError, match="add up to"):
        uploads.save([("a.png", bytes(600)), ("b.png", bytes(600))], batch_limits.current())
    settings.put(batch_limits.PIXELS_PER_IMAGE.key, "not a number")
    assert batch_limits.current().pixels == batch_limits.PIXELS_PER_IMAGE.default
    with pytest.raises(RequestError):
        uploads.folder_path("../../etc")


def test_the_streamlit_upload_cap_matches_the_largest_file_a_batch_may_take(seeded_store):
    import tomllib
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == batch_limits.SERVER_UPLOAD_MB
    # an admin who asks for more per file than the server takes gets the server's cap, never a larger promise
    settings.put(batch_limits.BYTES_PER_FILE.key, str(10 * config["server"]["maxUploadSize"] * batch_limits.MB))
    assert batch_limits.current().file_bytes == config["server"]["maxUploadSize"] * batch_limits.MB


def test_a_missing_or_foreign_folder_is_refused_at_submit(seeded_store):
    from ml.batch.request import BatchRequest
    from ml.jobs import engine as jobs
    with pytest.raises(RequestError):
        jobs.run_inline(BatchRequest("ana", "0" * 32, [{"name": "a.png", "path": "00000.bin", "error": ""}]))
    with pytest.raises(RequestError):
        jobs.run_inline(BatchRequest("ana", "../..", [{"name": "a.png", "path": "00000.bin", "error": ""}]))
    assert db.one("SELECT count(*) FROM jobs WHERE kind = 'batch'") == (0,)


def test_forgotten_upload_folders_are_swept_and_live_ones_kept(seeded_store):
    import os
    import time
    limits = batch_limits.current()
    old, live, fresh = (uploads.save([("a.png", b"x")], limits)[0] for _ in range(3))
    hour_ago = time.time() - uploads.SWEEP_AFTER_S - 1
    for token in (old, live):
        os.utime(uploads.folder_path(token), (hour_ago, hour_ago))
    assert uploads.sweep({live}) == 1
    assert not uploads.folder_path(old).exists()
    assert uploads.folder_path(live).is_dir() and uploads.folder_path(fresh).is_dir()  # a page may be saving it
    with pytest.raises(RequestError):
        uploads.stored_file(live, "../../digitlab.duckdb")
